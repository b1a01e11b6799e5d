/* Which programs each container image has.  The client images of Istio's
 * samples (curlimages/curl and the older sleep images) are Alpine with
 * busybox, curl and openssl; Istio's proxy image adds pilot-agent; any other
 * image gets the few tools nearly every image has. */
#include <string.h>
#include "cmd/exec_programs.h"

typedef struct program {
    const char *name;
    probe_main_fn fn;
} program;

static const program client_image[] = {
    {"curl", probe_curl_main}, {"openssl", probe_openssl_main}, {"sh", exec_sh_main}, {"ash", exec_sh_main},
    {"cat", exec_cat_main}, {"env", exec_env_main}, {"hostname", exec_hostname_main}, {"sleep", exec_sleep_main},
    {"time", exec_time_main}, {"echo", exec_echo_main}, {"grep", exec_grep_main}, {"head", exec_head_main},
    {"tail", exec_tail_main}, {"wc", exec_wc_main}, {"true", exec_true_main}, {0, 0},
};

static const program proxy_image[] = {
    {"pilot-agent", probe_pilot_agent_main}, {"curl", probe_curl_main}, {"openssl", probe_openssl_main},
    {"sh", exec_sh_main}, {"bash", exec_sh_main}, {"cat", exec_cat_main}, {"env", exec_env_main},
    {"hostname", exec_hostname_main}, {"sleep", exec_sleep_main}, {"echo", exec_echo_main},
    {"grep", exec_grep_main}, {"head", exec_head_main}, {"tail", exec_tail_main}, {"wc", exec_wc_main},
    {"true", exec_true_main}, {0, 0},
};

static const program other_image[] = {
    {"cat", exec_cat_main}, {"env", exec_env_main}, {"hostname", exec_hostname_main}, {"sleep", exec_sleep_main},
    {0, 0},
};

static bool is_client_image(const char *image)
{
    return strstr(image, "curl") || strstr(image, "/sleep") || !strncmp(image, "sleep", 5) ||
           strstr(image, "netshoot") || strstr(image, "busybox") || strstr(image, "alpine");
}

probe_main_fn exec_program(const char *image, const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const program *table = strstr(image, "proxyv2") || strstr(image, "istio/proxy") ? proxy_image
                         : is_client_image(image) ? client_image : other_image;
    for (const program *p = table; p->name; p++)
        if (!strcmp(p->name, base)) return p->fn;
    return NULL;
}
