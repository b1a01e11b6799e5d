/* The IstioOperator spec that istioctl's -f and --set flags describe,
 * shared by install, profile dump and manifest generate. */
#ifndef MESHSIM_INSTALL_SPEC_H
#define MESHSIM_INSTALL_SPEC_H

#include <jansson.h>
#include "cmd/cmd.h"
#include "cmd/flags.h"

/* The profile's spec with the files merged and the --set paths applied; the
 * release it selects (--set tag=1.24) goes to *relp.  NULL after printing
 * istioctl's error. */
json_t *install_spec_from_flags(cmd_ctx *ctx, const flag_list *files, const flag_list *sets,
                                const istio_release **relp);

#endif
