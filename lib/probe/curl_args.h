/* curl's command line (the subset a documentation page uses), parsed the way
 * curl 7.88 parses it: combined short flags (-sSL), a short option's value
 * attached or in the next word, long options with their value in the next
 * word, and curl's own messages for unknown options (exit 2). */
#ifndef MESHSIM_CURL_ARGS_H
#define MESHSIM_CURL_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#define CURL_ARGS_MAX 32

typedef struct curl_args {
    bool silent, show_error, location, verbose, head, include, insecure, fail, fail_with_body;
    bool compressed, get, no_keepalive, progress_off, ipv4, ipv6;
    int http_version;               /* 0 default, 10, 11, 2 (h2 upgrade/ALPN), 20 prior knowledge */
    const char *output;             /* -o */
    const char *dump_header;        /* -D */
    const char *write_out;          /* -w */
    const char *request;            /* -X */
    const char *user_agent;         /* -A (NULL: curl/<version>) */
    const char *proxy;              /* -x */
    const char *cacert, *cert, *key;
    /* --capath: OpenSSL looks certificates up there by subject hash (c_rehash
     * names), which only the image's /etc/ssl/certs has; the default CA file
     * stays in use, so the trust store is the same as without it */
    const char *capath;
    const char *referer, *user;
    const char *headers[CURL_ARGS_MAX];
    int nheaders;
    const char *resolve[CURL_ARGS_MAX];
    int nresolve;
    char *data;                     /* -d / --data-binary / --data-raw joined with '&' (malloc'd) */
    bool has_data;
    /* the -d words in order; '@file' ones are read by curl_args_data() */
    const char *data_parts[CURL_ARGS_MAX];
    int data_kind[CURL_ARGS_MAX];   /* 0 -d (strips newlines from files), 1 --data-binary, 2 --data-raw */
    int ndata;
    long long max_time_ms, connect_timeout_ms;   /* 0: none */
    long max_redirs;                /* -1: curl's default (50) */
    const char *urls[CURL_ARGS_MAX];
    int nurls;
} curl_args;

/* Parse argv (argv[0] is "curl").  Returns 0, or curl's exit code for a bad
 * command line (2) after printing curl's message to err. */
int curl_args_parse(int argc, char **argv, curl_args *a, FILE *err);
void curl_args_free(curl_args *a);

/* Build a->data from the -d words, reading "@file" ("@-": standard input)
 * with read_file (NULL content: curl warns and sends nothing for it). */
typedef char *(*curl_args_reader)(void *ctx, const char *path, size_t *len);
void curl_args_data(curl_args *a, curl_args_reader read_file, void *ctx, FILE *err);

#endif
