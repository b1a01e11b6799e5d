/* The `openssl` program inside containers: s_client (a real OpenSSL client
 * whose bytes travel the simulated network), x509, verify and version.
 * Internal to lib/probe; probe.h has the entry point probe_openssl_main. */
#ifndef MESHSIM_PROBE_OPENSSL_H
#define MESHSIM_PROBE_OPENSSL_H

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <stddef.h>
#include "probe/probe.h"

/* Open a connection to host:port through the simulated network and return a
 * connected socket (the caller closes it), or one of the negative results
 * below / a negative errno (-ECONNREFUSED, -ETIMEDOUT, ...). */
typedef int (*probe_dial_fn)(void *arg, const char *host, int port);
#define PROBE_DIAL_NXDOMAIN (-100000)     /* the name does not resolve */
#define PROBE_DIAL_DNS_TIMEOUT (-100001)  /* the resolver does not answer */

int openssl_s_client(exec_ctx *x, int argc, char **argv, probe_dial_fn dial, void *dial_arg);
int openssl_x509(exec_ctx *x, int argc, char **argv);
int openssl_verify(exec_ctx *x, int argc, char **argv);

/* A file as the container sees it ("-" = standard input): malloc'd, NUL
 * terminated, *len its size; NULL when there is no such file. */
char *openssl_read_file(exec_ctx *x, const char *path, size_t *len);

/* OpenSSL's distinguished-name style of its 3.0 apps ("C = US, O = x"). */
void openssl_print_name(BIO *b, X509_NAME *name);
#define OPENSSL_NAME_FLAGS ((XN_FLAG_ONELINE | ASN1_STRFLGS_UTF8_CONVERT) & ~ASN1_STRFLGS_ESC_MSB)

#endif
