/* Every builtin command, one file each under lib/cmd/.  The front-ends in
 * tools/ map the words users type onto these. */
#ifndef MESHSIM_COMMANDS_H
#define MESHSIM_COMMANDS_H

#include "cmd/cmd.h"

/* kubectl */
int cmd_apply(cmd_ctx *ctx, int argc, char **argv);
int cmd_create_from_files(cmd_ctx *ctx, int argc, char **argv);
int cmd_replace(cmd_ctx *ctx, int argc, char **argv);
int cmd_get(cmd_ctx *ctx, int argc, char **argv);
int cmd_delete(cmd_ctx *ctx, int argc, char **argv);
int cmd_label(cmd_ctx *ctx, int argc, char **argv);
int cmd_annotate(cmd_ctx *ctx, int argc, char **argv);
int cmd_patch(cmd_ctx *ctx, int argc, char **argv);
int cmd_kubectl_version(cmd_ctx *ctx, int argc, char **argv);
int cmd_create(cmd_ctx *ctx, int argc, char **argv);
int cmd_describe(cmd_ctx *ctx, int argc, char **argv);
int cmd_api_resources(cmd_ctx *ctx, int argc, char **argv);
int cmd_cluster_info(cmd_ctx *ctx, int argc, char **argv);
int cmd_config(cmd_ctx *ctx, int argc, char **argv);

/* kubectl: workloads (cluster model) */
int cmd_rollout(cmd_ctx *ctx, int argc, char **argv);
int cmd_wait(cmd_ctx *ctx, int argc, char **argv);
int cmd_scale(cmd_ctx *ctx, int argc, char **argv);
int cmd_exec(cmd_ctx *ctx, int argc, char **argv);
int cmd_logs(cmd_ctx *ctx, int argc, char **argv);

/* istioctl: installation and injection (cluster model) */
int cmd_istioctl_install(cmd_ctx *ctx, int argc, char **argv);
int cmd_istioctl_uninstall(cmd_ctx *ctx, int argc, char **argv);
int cmd_istioctl_verify_install(cmd_ctx *ctx, int argc, char **argv);
int cmd_istioctl_profile(cmd_ctx *ctx, int argc, char **argv);
int cmd_istioctl_manifest(cmd_ctx *ctx, int argc, char **argv);
int cmd_istioctl_version(cmd_ctx *ctx, int argc, char **argv);
int cmd_kube_inject(cmd_ctx *ctx, int argc, char **argv);

/* istioctl */
int cmd_analyze(cmd_ctx *ctx, int argc, char **argv);
int cmd_istio_validate(cmd_ctx *ctx, int argc, char **argv);
int cmd_proxy_config(cmd_ctx *ctx, int argc, char **argv);
int cmd_proxy_status(cmd_ctx *ctx, int argc, char **argv);
int cmd_describe_istio(cmd_ctx *ctx, int argc, char **argv);
int cmd_istio_experimental(cmd_ctx *ctx, int argc, char **argv);

/* meshsim */
int cmd_reset(cmd_ctx *ctx, int argc, char **argv);
int cmd_meshsim_version(cmd_ctx *ctx, int argc, char **argv);
int cmd_env(cmd_ctx *ctx, int argc, char **argv);
int cmd_trace(cmd_ctx *ctx, int argc, char **argv);
int cmd_store_check(cmd_ctx *ctx, int argc, char **argv);   /* hidden: __store-check */
int cmd_probe_loop(cmd_ctx *ctx, int argc, char **argv);    /* hidden: __probe-loop (bench/) */
int cmd_shell(cmd_ctx *ctx, int argc, char **argv);
int cmd_doctest(cmd_ctx *ctx, int argc, char **argv);
int cmd_completion(cmd_ctx *ctx, int argc, char **argv);
/* `PROG __complete ARGS... WORD`: the candidates for WORD, then `:DIRECTIVE` */
int cmd_complete(cmd_ctx *ctx, const char *prog, int argc, char **argv);
/* kubectl, istioctl or meshsim by name (prog), __complete included */
int personality_main(cmd_ctx *ctx, const char *prog, int argc, char **argv);

#endif
