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
int cmd_kubectl_version(cmd_ctx *ctx, int argc, char **argv);

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

#endif
