/* The programs a container image has, for kubectl exec: the probes (curl,
 * openssl, pilot-agent) and small shell utilities (exec_utils.c). */
#ifndef MESHSIM_EXEC_PROGRAMS_H
#define MESHSIM_EXEC_PROGRAMS_H

#include "probe/probe.h"

/* The program `name` (a path's last component counts) in the container's
 * image, or NULL when the image has no such executable. */
probe_main_fn exec_program(const char *image, const char *name);

/* The utilities. */
int exec_sh_main(exec_ctx *x, int argc, char **argv);
int exec_cat_main(exec_ctx *x, int argc, char **argv);
int exec_env_main(exec_ctx *x, int argc, char **argv);
int exec_hostname_main(exec_ctx *x, int argc, char **argv);
int exec_sleep_main(exec_ctx *x, int argc, char **argv);
int exec_time_main(exec_ctx *x, int argc, char **argv);
int exec_echo_main(exec_ctx *x, int argc, char **argv);
int exec_grep_main(exec_ctx *x, int argc, char **argv);
int exec_head_main(exec_ctx *x, int argc, char **argv);
int exec_tail_main(exec_ctx *x, int argc, char **argv);
int exec_wc_main(exec_ctx *x, int argc, char **argv);
int exec_true_main(exec_ctx *x, int argc, char **argv);

#endif
