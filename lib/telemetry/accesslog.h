/* Envoy access-log lines: the command-operator formatter (%START_TIME%,
 * %REQ(X?Y)%, %RESPONSE_CODE%, ...) in TEXT or JSON encoding.  One entry is
 * what one proxy knows about one HTTP request or one TCP connection. */
#ifndef MESHSIM_ACCESSLOG_H
#define MESHSIM_ACCESSLOG_H

#include <stddef.h>
#include "net/http1.h"

typedef struct access_entry {
    long long start_ms;                 /* epoch milliseconds (virtual clock) */
    const char *protocol;               /* "HTTP/1.1", "HTTP/2"; NULL for TCP */
    const char *method, *path, *authority, *scheme;  /* request pseudo-headers (HTTP) */
    const http_msg *req, *resp;         /* fields for %REQ(..)% / %RESP(..)%; may be NULL */
    int response_code;                  /* 0: no response (TCP) */
    const char *response_flags;         /* "UH", "NR,UF" ... ; "" = none */
    const char *response_code_details;
    const char *connection_termination_details;
    const char *upstream_transport_failure_reason;
    long long bytes_received, bytes_sent;
    long long duration_ms;
    long long upstream_service_time_ms; /* < 0: none */
    const char *upstream_host;          /* "151.101.65.67:80" */
    const char *upstream_cluster;       /* "outbound|80||edition.cnn.com" */
    const char *stat_suffix;            /* alt_stat_name delimiter of the release ("" or ";") */
    const char *upstream_local, *downstream_local, *downstream_remote;
    const char *sni, *route_name;
    const char *mixer_status;           /* %DYNAMIC_METADATA(istio.mixer:status)% */
} access_entry;

/* Format one entry with an Envoy format string (TEXT).  Returns a malloc'd
 * string, including the format's trailing newline if it has one. */
char *accesslog_format_text(const char *fmt, const access_entry *e);

/* JSON encoding: fmt is a JSON object of key -> format string, or NULL for
 * Istio's default keys.  Returns a malloc'd line with a trailing newline. */
char *accesslog_format_json(const char *fmt, const access_entry *e);

/* The Istio default JSON key map (as a JSON object text). */
extern const char accesslog_default_json[];

#endif
