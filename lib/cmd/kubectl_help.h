/* --help text of kubectl's verbs (see kubectl_help.c). */
#ifndef MESHSIM_KUBECTL_HELP_H
#define MESHSIM_KUBECTL_HELP_H

#include <stdio.h>

/* Print the verb's help; -1 when it has none. */
int kubectl_help(FILE *out, const char *verb);

#endif
