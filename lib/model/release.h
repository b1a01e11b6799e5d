/* The emulated Istio release.  Where Istio changed an observable default over
 * time (access-log format, stat names, gateway target ports, certificate
 * paths, images) the release table decides it. */
#ifndef MESHSIM_RELEASE_H
#define MESHSIM_RELEASE_H

typedef struct istio_release {
    const char *tag;               /* "1.5.10" */
    const char *minor;             /* "1.5" */
    const char *access_log_format; /* Istio's default text format for that release */
    const char *stat_suffix;       /* "" before 1.23, ";" after (cluster alt_stat_name) */
    int gw_http_target;            /* gateway Service port 80 targets this pod port */
    int gw_https_target;           /* port 443 targets this pod port */
    const char *cert_dir;          /* "/etc/certs" or "" when certificates come via SDS only */
    const char *proxy_image;       /* "docker.io/istio/proxyv2:1.5.10" */
    const char *pilot_image;
    const char *client_app;        /* "sleep" or "curl": the docs' client sample of that era */
} istio_release;

extern const istio_release release_table[];
/* The release meshsim emulates when nothing says otherwise (the seed page's). */
const istio_release *release_default(void);
/* By tag or minor ("1.24", "1.24.3"); NULL when unknown. */
const istio_release *release_lookup(const char *tag);

#define MESHSIM_VERSION "0.1.0"
#define KUBECTL_EMULATED_VERSION "v1.32.4"

#endif
