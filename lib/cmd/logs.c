/* kubectl logs: a container's log lines from the store (the proxies' access
 * logs are written there by the data plane).  -f returns at once: there is
 * nothing more to wait for. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cluster/cluster.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/pod_target.h"
#include "model/obj.h"
#include "model/selector.h"

typedef struct log_opts {
    long tail;
    long long since_ms;      /* keep lines at or after this time; 0 = all */
    bool timestamps, prefix;
    FILE *out;
} log_opts;

typedef struct collected {
    json_t *lines;           /* [[ts, text], ...] */
} collected;

static int collect(void *vctx, const char *ns, const char *pod, const char *container, long long ts, const char *line)
{
    (void)ns; (void)pod; (void)container;
    collected *c = vctx;
    json_array_append_new(c->lines, json_pack("[I,s]", (json_int_t)ts, line));
    return 0;
}

/* "5s", "2m", "1h" as Go's time.ParseDuration reads the simple cases. */
static long long parse_duration_ms(const char *s)
{
    long long total = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s) return -1;
        long long mult;
        if (!strncmp(end, "ms", 2)) { mult = 1; end += 2; }
        else if (*end == 's') { mult = 1000; end++; }
        else if (*end == 'm') { mult = 60000; end++; }
        else if (*end == 'h') { mult = 3600000; end++; }
        else return -1;
        double add = v * (double)mult;
        if (!(add >= 0 && add < 1e15)) return -1;   /* negative, NaN or beyond any log's age */
        total += (long long)add;
        s = end;
    }
    return total;
}

static void print_container(store *st, const log_opts *o, json_t *pod, const char *container)
{
    collected c = {json_array()};
    /* what istio-init printed and the proxies' start-up lines follow from
     * the pod; what the engine logged since is stored */
    if (cluster_init_container_log(pod, container, collect, &c)) cluster_container_start_log(st, pod, container, collect, &c);
    store_log_each(st, obj_namespace(pod), obj_name(pod), container, collect, &c);
    size_t n = json_array_size(c.lines), first = 0;
    if (o->tail >= 0 && (size_t)o->tail < n) first = n - (size_t)o->tail;
    for (size_t i = first; i < n; i++) {
        json_t *l = json_array_get(c.lines, i);
        long long ts = json_integer_value(json_array_get(l, 0));
        if (o->since_ms && ts < o->since_ms) continue;
        if (o->prefix) fprintf(o->out, "[pod/%s/%s] ", obj_name(pod), container);
        if (o->timestamps) {
            char buf[32];
            time_t secs = (time_t)(ts / 1000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
            fprintf(o->out, "%s.%03lld000000Z ", buf, ts % 1000);
        }
        const char *text = json_string_value(json_array_get(l, 1));
        size_t len = strlen(text);
        fprintf(o->out, "%s%s", text, len && text[len - 1] == '\n' ? "" : "\n");
    }
    json_decref(c.lines);
}

static int print_pod(cmd_ctx *ctx, store *st, log_opts *o, json_t *pod, const char *container, bool all, bool quiet)
{
    if (all) {
        const char *lists[] = {"spec.initContainers", "spec.containers"};
        for (int l = 0; l < 2; l++) {
            size_t i;
            json_t *c;
            json_array_foreach(obj_at(pod, lists[l]), i, c) print_container(st, o, pod, obj_str_or(c, "name", ""));
        }
        return 0;
    }
    json_t *c = pod_target_container(pod, container, ctx->err, quiet, "logs");
    if (!c) return 1;
    print_container(st, o, pod, obj_str_or(c, "name", ""));
    return 0;
}

int cmd_logs(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL, *container = NULL, *label_sel = NULL, *since = NULL, *since_time = NULL;
    const char *timeout = NULL;
    long tail = -2, max_req = 5, limit = 0;
    bool timestamps = false, all = false, prefix = false, follow = false, previous = false, ignore = false;
    bool quiet = false, all_pods = false;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"container", 'c', FLAG_STR, &container, NULL},
        {"selector", 'l', FLAG_STR, &label_sel, NULL},
        {"tail", 0, FLAG_INT, &tail, NULL},
        {"since", 0, FLAG_STR, &since, NULL},
        {"since-time", 0, FLAG_STR, &since_time, NULL},
        {"timestamps", 0, FLAG_BOOL, &timestamps, NULL},
        {"all-containers", 0, FLAG_BOOL, &all, NULL},
        {"all-pods", 0, FLAG_BOOL, &all_pods, NULL},
        {"prefix", 0, FLAG_BOOL, &prefix, NULL},
        {"follow", 'f', FLAG_BOOL, &follow, NULL},
        {"previous", 'p', FLAG_BOOL, &previous, NULL},
        {"ignore-errors", 0, FLAG_BOOL, &ignore, NULL},
        {"max-log-requests", 0, FLAG_INT, &max_req, NULL},
        {"limit-bytes", 0, FLAG_INT, &limit, NULL},
        {"pod-running-timeout", 0, FLAG_STR, &timeout, NULL},
        {"quiet", 'q', FLAG_BOOL, &quiet, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl logs", ctx->err), rc = 0;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Print the logs for a container in a pod or specified resource.\n\nUsage:\n  kubectl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [options]\n");
        flags_free(&fr);
        return prc > 0 ? 0 : 1;
    }
    log_opts o = {.tail = tail, .timestamps = timestamps, .prefix = prefix, .out = ctx->out};
    if (since) {
        long long d = parse_duration_ms(since);
        if (d < 0) {
            fprintf(ctx->err, "Error: invalid argument \"%s\" for \"--since\" flag: time: invalid duration \"%s\"\n"
                    "See 'kubectl logs --help' for usage.\n", since, since);
            flags_free(&fr);
            return 1;
        }
        o.since_ms = time_now_ms() - d;
    } else if (since_time) {
        long long t = time_parse_rfc3339(since_time);
        if (t < 0) {
            fprintf(ctx->err, "error: --since-time must be a valid RFC3339 timestamp\n");
            flags_free(&fr);
            return 1;
        }
        o.since_ms = t * 1000;
    }
    if (label_sel && fr.npos) {
        fprintf(ctx->err, "error: only a selector (-l) or a POD name is allowed\n");
        rc = 1;
    } else if (!label_sel && fr.npos == 0) {
        fprintf(ctx->err, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                          "POD or TYPE/NAME is a required argument for the logs command\n"
                          "See 'kubectl logs -h' for help and examples\n");
        rc = 1;
    } else if (fr.npos > 2) {
        fprintf(ctx->err, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                          "POD or TYPE/NAME is a required argument for the logs command\n"
                          "See 'kubectl logs -h' for help and examples\n");
        rc = 1;
    }
    if (rc) { flags_free(&fr); return rc; }
    if (fr.npos == 2) {
        if (container) {
            fprintf(ctx->err, "error: only one of -c or an inline [CONTAINER] arg is allowed\n");
            flags_free(&fr);
            return 1;
        }
        container = fr.pos[1];
    }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); return 1; }
    const char *where = ns ? ns : cmd_default_namespace(ctx);
    if (label_sel) {
        /* kubectl shows the last 10 lines of each pod when a selector is given */
        if (o.tail == -2) o.tail = 10;
        char err[512];
        selector *sel = selector_parse(label_sel, err, sizeof err);
        if (!sel) {
            fprintf(ctx->err, "error: %s\n", err);
            rc = 1;
        } else {
            json_t *pods = store_list(st, "pods", where);
            size_t i, n = 0;
            json_t *p;
            json_array_foreach(pods, i, p) {
                if (!selector_matches(sel, obj_labels(p))) continue;
                n++;
                rc |= print_pod(ctx, st, &o, p, container, all, quiet);
            }
            if (!n) fprintf(ctx->err, "No resources found in %s namespace.\n", where);
            json_decref(pods);
            selector_free(sel);
        }
    } else {
        if (o.tail == -2) o.tail = -1;
        json_t *pod = pod_target_resolve(st, fr.pos[0], where, ctx->err);
        if (!pod) rc = 1;
        else rc = print_pod(ctx, st, &o, pod, container, all, quiet);
        json_decref(pod);
    }
    flags_free(&fr);
    return cmd_finish(ctx, rc);
}
