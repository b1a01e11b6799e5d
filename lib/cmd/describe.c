/* kubectl describe: kubectl's describers for the built-in kinds meshsim
 * serves, and its generic describer (every field, camelCase split into
 * words) for Istio's kinds.  Text is written with tabs and aligned the way
 * kubectl's tabwriter aligns it (padding 2). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/targets.h"
#include "model/obj.h"
#include "model/printer.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

typedef struct dbuf { char *s; size_t n, cap; } dbuf;

static void w(dbuf *b, int level, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void w(dbuf *b, int level, const char *f, ...)
{
    char *t = NULL;
    va_list ap;
    va_start(ap, f);
    int n = vasprintf(&t, f, ap);
    va_end(ap);
    if (n < 0) return;
    size_t need = b->n + (size_t)n + (size_t)level * 2 + 1;
    if (need > b->cap) b->s = realloc(b->s, b->cap = need * 2);
    for (int i = 0; i < level * 2; i++) b->s[b->n++] = ' ';
    memcpy(b->s + b->n, t, (size_t)n + 1);
    b->n += (size_t)n;
    free(t);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static size_t sorted_keys(json_t *m, const char ***out)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    *out = malloc((json_object_size(m) + 1) * sizeof **out);
    json_object_foreach(m, k, v) (*out)[n++] = k;
    qsort(*out, n, sizeof **out, cmp_str);
    return n;
}

/* Labels: "key=value" one per line; annotations "key: value", without
 * kubectl's own last-applied-configuration. */
static void map_multiline(dbuf *b, const char *title, json_t *m, bool annotations)
{
    w(b, 0, "%s:\t", title);
    const char **keys;
    size_t n = sorted_keys(m, &keys), shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (annotations && !strcmp(keys[i], LAST_APPLIED)) continue;
        const char *v = json_string_value(json_object_get(m, keys[i]));
        if (shown++) w(b, 0, "\t");
        w(b, 0, annotations ? "%s: %s\n" : "%s=%s\n", keys[i], v ? v : "");
    }
    if (!shown) w(b, 0, "<none>\n");
    free(keys);
}

static void header(dbuf *b, json_t *o, bool with_ns)
{
    w(b, 0, "Name:\t%s\n", obj_name(o));
    if (with_ns) w(b, 0, "Namespace:\t%s\n", obj_namespace(o));
}

static char *selector_text(json_t *m)
{
    const char **keys;
    size_t n = sorted_keys(m, &keys);
    dbuf b = {0};
    for (size_t i = 0; i < n; i++) w(&b, 0, "%s%s=%s", i ? "," : "", keys[i], json_string_value(json_object_get(m, keys[i])));
    free(keys);
    return b.s ? b.s : strdup("<none>");
}

/* "Fri, 27 Nov 2026 03:41:57 +0000" (RFC 1123 with numeric zone). */
static void time_text(char *buf, size_t len, const char *rfc3339)
{
    long long t = time_parse_rfc3339(rfc3339 ? rfc3339 : "");
    if (t < 0) { snprintf(buf, len, "<unknown>"); return; }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* ---- generic describer (Istio kinds, anything without its own) -------- */

/* camelCase -> "Camel Case"; a few acronyms stay upper case. */
static void smart_label(const char *field, char *buf, size_t len)
{
    for (const char *p = field; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-')) {
            snprintf(buf, len, "%s", field);
            return;
        }
    static const char *const acronyms[] = {"API", "URL", "UID", "OSB", "GUID", NULL};
    size_t o = 0;
    const char *p = field;
    while (*p && o + 8 < len) {
        const char *s = p++;
        while (*p && !(*p >= 'A' && *p <= 'Z')) p++;
        char word[128];
        size_t n = (size_t)(p - s) < sizeof word - 1 ? (size_t)(p - s) : sizeof word - 1;
        for (size_t i = 0; i < n; i++) word[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
        word[n] = 0;
        bool acr = false;
        for (const char *const *a = acronyms; *a; a++) acr |= !strcmp(*a, word);
        if (o) buf[o++] = ' ';
        for (size_t i = 0; i < n && o + 2 < len; i++) buf[o++] = acr || i == 0 ? word[i] : s[i];
    }
    buf[o] = 0;
}

static void scalar_text(json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_boolean(v)) snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else snprintf(buf, len, "<nil>");
}

static void unstructured(dbuf *b, int level, json_t *m, const char *prefix)
{
    const char **keys;
    size_t n = sorted_keys(m, &keys);
    for (size_t i = 0; i < n; i++) {
        char path[512], label[256];
        snprintf(path, sizeof path, "%s.%s", prefix, keys[i]);
        if (!strcmp(path, ".metadata.name") || !strcmp(path, ".metadata.namespace") ||
            !strcmp(path, ".metadata.labels") || !strcmp(path, ".metadata.annotations"))
            continue;
        json_t *v = json_object_get(m, keys[i]);
        smart_label(keys[i], label, sizeof label);
        if (json_is_object(v)) {
            w(b, level, "%s:\n", label);
            unstructured(b, level + 1, v, path);
        } else if (json_is_array(v)) {
            w(b, level, "%s:\n", label);
            size_t j;
            json_t *c;
            json_array_foreach(v, j, c) {
                if (json_is_object(c)) unstructured(b, level + 1, c, path);
                else {
                    char t[4096];
                    scalar_text(c, t, sizeof t);
                    w(b, level + 1, "%s\n", t);
                }
            }
        } else {
            char t[8192];
            scalar_text(v, t, sizeof t);
            w(b, level, "%s:\t%s\n", label, t);
        }
    }
    free(keys);
}

static void describe_generic(dbuf *b, json_t *o)
{
    header(b, o, true);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    unstructured(b, 0, o, "");
    w(b, 0, "Events:\t<none>\n");
}

/* ---- built-in describers ------------------------------------------------ */

static void describe_namespace(dbuf *b, json_t *o)
{
    header(b, o, false);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    w(b, 0, "Status:\t%s\n", obj_str_or(o, "status.phase", "Active"));
    w(b, 0, "\nNo resource quota.\n\nNo LimitRange resource.\n");
}

static void describe_configmap(dbuf *b, json_t *o)
{
    header(b, o, true);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    w(b, 0, "\nData\n====\n");
    const char **keys;
    json_t *data = obj_at(o, "data");
    size_t n = sorted_keys(data, &keys);
    for (size_t i = 0; i < n; i++) {
        w(b, 0, "%s:\n----\n", keys[i]);
        w(b, 0, "%s\n\n", json_string_value(json_object_get(data, keys[i])));
    }
    free(keys);
    w(b, 0, "\nBinaryData\n====\n");
    json_t *bin = obj_at(o, "binaryData");
    n = sorted_keys(bin, &keys);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(bin, keys[i]));
        size_t len = v ? strlen(v) / 4 * 3 - (strlen(v) > 1 && v[strlen(v) - 1] == '=') - (strlen(v) > 2 && v[strlen(v) - 2] == '=') : 0;
        w(b, 0, "%s: %zu bytes\n", keys[i], len);
    }
    free(keys);
    w(b, 0, "\nEvents:\t<none>\n");
}

static void describe_secret(dbuf *b, json_t *o)
{
    header(b, o, true);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    w(b, 0, "\nType:\t%s\n", obj_str_or(o, "type", "Opaque"));
    w(b, 0, "\nData\n====\n");
    const char **keys;
    json_t *data = obj_at(o, "data");
    size_t n = sorted_keys(data, &keys);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(data, keys[i]));
        size_t l = v ? strlen(v) : 0;
        size_t len = l / 4 * 3 - (l > 1 && v[l - 1] == '=') - (l > 2 && v[l - 2] == '=');
        w(b, 0, "%s:\t%zu bytes\n", keys[i], len);
    }
    free(keys);
}

static void describe_serviceaccount(dbuf *b, json_t *o)
{
    header(b, o, true);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    w(b, 0, "Image pull secrets:\t<none>\n");
    w(b, 0, "Mountable secrets:\t<none>\n");
    w(b, 0, "Tokens:\t<none>\n");
    w(b, 0, "Events:\t<none>\n");
}

static void describe_service(cmd_ctx *ctx, dbuf *b, json_t *o)
{
    header(b, o, true);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    char *sel = selector_text(obj_at(o, "spec.selector"));
    w(b, 0, "Selector:\t%s\n", sel);
    free(sel);
    const char *type = obj_str_or(o, "spec.type", "ClusterIP");
    w(b, 0, "Type:\t%s\n", type);
    w(b, 0, "IP Family Policy:\t%s\n", obj_str_or(o, "spec.ipFamilyPolicy", "SingleStack"));
    w(b, 0, "IP Families:\tIPv4\n");
    const char *ip = obj_str_or(o, "spec.clusterIP", "None");
    w(b, 0, "IP:\t%s\n", ip);
    w(b, 0, "IPs:\t%s\n", ip);
    /* endpoints of the same name give the Endpoints line */
    json_t *ep = store_get(ctx->st, "endpoints", obj_namespace(o), obj_name(o));
    size_t i;
    json_t *p;
    json_array_foreach(obj_at(o, "spec.ports"), i, p) {
        const char *name = obj_str_or(p, "name", "<unset>");
        const char *proto = obj_str_or(p, "protocol", "TCP");
        w(b, 0, "Port:\t%s\t%lld/%s\n", name, obj_int_or(p, "port", 0), proto);
        json_t *tp = json_object_get(p, "targetPort");
        if (json_is_string(tp)) w(b, 0, "TargetPort:\t%s/%s\n", json_string_value(tp), proto);
        else w(b, 0, "TargetPort:\t%lld/%s\n", tp ? (long long)json_integer_value(tp) : obj_int_or(p, "port", 0), proto);
        dbuf eps = {0};
        size_t s, a, q;
        json_t *sub, *addr, *port;
        json_array_foreach(obj_at(ep, "subsets"), s, sub)
            json_array_foreach(json_object_get(sub, "ports"), q, port) {
                const char *pn = obj_str_or(port, "name", "");
                if (strcmp(pn, obj_str_or(p, "name", ""))) continue;
                json_array_foreach(json_object_get(sub, "addresses"), a, addr)
                    w(&eps, 0, "%s%s:%lld", eps.n ? "," : "", obj_str_or(addr, "ip", ""), obj_int_or(port, "port", 0));
            }
        w(b, 0, "Endpoints:\t%s\n", eps.s ? eps.s : "");
        free(eps.s);
    }
    json_decref(ep);
    w(b, 0, "Session Affinity:\t%s\n", obj_str_or(o, "spec.sessionAffinity", "None"));
    w(b, 0, "Internal Traffic Policy:\t%s\n", obj_str_or(o, "spec.internalTrafficPolicy", "Cluster"));
    w(b, 0, "Events:\t<none>\n");
}

static void containers(dbuf *b, int level, json_t *list, bool pod, json_t *statuses, const char *extra,
                       const char *pod_uid)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        w(b, level, "%s%s:\n", extra, obj_str_or(c, "name", ""));
        if (pod) {
            /* the runtime's id: a stable 64-hex name derived from the pod and the container */
            char id[65];
            unsigned long long h = 1469598103934665603ULL;
            for (const char *p = pod_uid ? pod_uid : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
            for (const char *p = obj_str_or(c, "name", ""); *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
            for (int q = 0; q < 4; q++) {
                snprintf(id + q * 16, sizeof id - (size_t)q * 16, "%016llx", h);
                h = (h ^ (unsigned long long)q) * 1099511628211ULL;
            }
            w(b, level + 1, "Container ID:\tcontainerd://%s\n", id);
        }
        w(b, level + 1, "Image:\t%s\n", obj_str_or(c, "image", ""));
        if (pod) w(b, level + 1, "Image ID:\t\n");
        json_t *ports = json_object_get(c, "ports");
        if (json_array_size(ports) == 0) {
            w(b, level + 1, "Port:\t<none>\n");
            w(b, level + 1, "Host Port:\t<none>\n");
        } else {
            size_t k;
            json_t *p;
            json_array_foreach(ports, k, p) {
                w(b, level + 1, "Port:\t%lld/%s\n", obj_int_or(p, "containerPort", 0), obj_str_or(p, "protocol", "TCP"));
                w(b, level + 1, "Host Port:\t%lld/%s\n", obj_int_or(p, "hostPort", 0), obj_str_or(p, "protocol", "TCP"));
            }
        }
        const char *lists[] = {"command", "Command", "args", "Args"};
        for (int l = 0; l < 4; l += 2) {
            json_t *arr = json_object_get(c, lists[l]);
            if (!json_array_size(arr)) continue;
            w(b, level + 1, "%s:\n", lists[l + 1]);
            size_t k;
            json_t *s;
            json_array_foreach(arr, k, s) w(b, level + 2, "%s\n", json_string_value(s) ? json_string_value(s) : "");
        }
        if (pod) {
            bool running = statuses != NULL;
            w(b, level + 1, "State:\t%s\n", running ? "Running" : "Waiting");
            w(b, level + 1, "Ready:\t%s\n", running ? "True" : "False");
            w(b, level + 1, "Restart Count:\t0\n");
        }
        json_t *env = json_object_get(c, "env");
        if (!json_array_size(env)) w(b, level + 1, "Environment:\t<none>\n");
        else {
            w(b, level + 1, "Environment:\n");
            size_t k;
            json_t *e;
            json_array_foreach(env, k, e) {
                if (json_object_get(e, "valueFrom")) w(b, level + 2, "%s:\t (%s)\n", obj_str_or(e, "name", ""), "v1:field");
                else w(b, level + 2, "%s:\t%s\n", obj_str_or(e, "name", ""), obj_str_or(e, "value", ""));
            }
        }
        json_t *mounts = json_object_get(c, "volumeMounts");
        if (!json_array_size(mounts)) w(b, level + 1, "Mounts:\t<none>\n");
        else {
            w(b, level + 1, "Mounts:\n");
            size_t k;
            json_t *m;
            json_array_foreach(mounts, k, m)
                w(b, level + 2, "%s from %s (%s)\n", obj_str_or(m, "mountPath", ""), obj_str_or(m, "name", ""),
                  json_is_true(json_object_get(m, "readOnly")) ? "ro" : "rw");
        }
    }
}

static void describe_pod(dbuf *b, json_t *o)
{
    char ts[64];
    header(b, o, true);
    w(b, 0, "Priority:\t0\n");
    w(b, 0, "Service Account:\t%s\n", obj_str_or(o, "spec.serviceAccountName", "default"));
    w(b, 0, "Node:\t%s/%s\n", obj_str_or(o, "spec.nodeName", "<none>"), obj_str_or(o, "status.hostIP", ""));
    time_text(ts, sizeof ts, obj_str(o, "status.startTime") ? obj_str(o, "status.startTime") : obj_str(o, "metadata.creationTimestamp"));
    w(b, 0, "Start Time:\t%s\n", ts);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    const char *phase = obj_str_or(o, "status.phase", "Pending");
    w(b, 0, "Status:\t%s\n", phase);
    const char *ip = obj_str_or(o, "status.podIP", "");
    w(b, 0, "IP:\t%s\n", ip);
    if (*ip) {
        w(b, 0, "IPs:\n");
        w(b, 1, "IP:\t%s\n", ip);
    } else {
        w(b, 0, "IPs:\t<none>\n");
    }
    json_t *owners = obj_at(o, "metadata.ownerReferences");
    if (json_array_size(owners))
        w(b, 0, "Controlled By:\t%s/%s\n", obj_str_or(json_array_get(owners, 0), "kind", ""),
          obj_str_or(json_array_get(owners, 0), "name", ""));
    bool running = !strcmp(phase, "Running");
    if (json_array_size(obj_at(o, "spec.initContainers"))) {
        w(b, 0, "Init Containers:\n");
        containers(b, 1, obj_at(o, "spec.initContainers"), true, running ? json_true() : NULL, "", obj_str(o, "metadata.uid"));
    }
    w(b, 0, "Containers:\n");
    containers(b, 1, obj_at(o, "spec.containers"), true, running ? json_true() : NULL, "", obj_str(o, "metadata.uid"));
    w(b, 0, "Conditions:\n");
    w(b, 1, "Type\tStatus\n");
    const char *conds[] = {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"};
    for (int i = 0; i < 5; i++) w(b, 1, "%s \t%s \n", conds[i], running || i == 4 || i == 1 ? "True" : "False");
    w(b, 0, "Volumes:\t<none>\n");
    w(b, 0, "QoS Class:\tBestEffort\n");
    w(b, 0, "Node-Selectors:\t<none>\n");
    w(b, 0, "Tolerations:\tnode.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n");
    w(b, 0, "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n");
    w(b, 0, "Events:\t<none>\n");
}

static void describe_deployment(cmd_ctx *ctx, dbuf *b, json_t *o)
{
    char ts[64];
    header(b, o, true);
    time_text(ts, sizeof ts, obj_str(o, "metadata.creationTimestamp"));
    w(b, 0, "CreationTimestamp:\t%s\n", ts);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    char *sel = selector_text(obj_at(o, "spec.selector.matchLabels"));
    w(b, 0, "Selector:\t%s\n", sel);
    free(sel);
    long long want = obj_int_or(o, "spec.replicas", 1), upd = obj_int_or(o, "status.updatedReplicas", 0),
              total = obj_int_or(o, "status.replicas", 0), avail = obj_int_or(o, "status.availableReplicas", 0);
    w(b, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n", want, upd,
      total, avail, obj_int_or(o, "status.unavailableReplicas", total - avail > 0 ? total - avail : 0));
    const char *strategy = obj_str_or(o, "spec.strategy.type", "RollingUpdate");
    w(b, 0, "StrategyType:\t%s\n", strategy);
    w(b, 0, "MinReadySeconds:\t%lld\n", obj_int_or(o, "spec.minReadySeconds", 0));
    if (!strcmp(strategy, "RollingUpdate"))
        w(b, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n",
          obj_str_or(o, "spec.strategy.rollingUpdate.maxUnavailable", "25%"),
          obj_str_or(o, "spec.strategy.rollingUpdate.maxSurge", "25%"));
    w(b, 0, "Pod Template:\n");
    json_t *tl = obj_at(o, "spec.template.metadata.labels");
    w(b, 1, "Labels:\t");
    const char **keys;
    size_t n = sorted_keys(tl, &keys);
    for (size_t i = 0; i < n; i++) {
        if (i) w(b, 1, "\t");
        w(b, 0, "%s=%s\n", keys[i], json_string_value(json_object_get(tl, keys[i])));
    }
    if (!n) w(b, 0, "<none>\n");
    free(keys);
    const char *sa = obj_str(o, "spec.template.spec.serviceAccountName");
    if (sa) w(b, 1, "Service Account:\t%s\n", sa);
    if (json_array_size(obj_at(o, "spec.template.spec.initContainers"))) {
        w(b, 1, "Init Containers:\n");
        containers(b, 1, obj_at(o, "spec.template.spec.initContainers"), false, NULL, " ", NULL);
    }
    w(b, 1, "Containers:\n");
    containers(b, 1, obj_at(o, "spec.template.spec.containers"), false, NULL, " ", NULL);
    w(b, 1, "Volumes:\t<none>\n");
    w(b, 1, "Node-Selectors:\t<none>\n");
    w(b, 1, "Tolerations:\t<none>\n");
    w(b, 0, "Conditions:\n");
    w(b, 1, "Type\tStatus\tReason\n");
    w(b, 1, "----\t------\t------\n");
    bool ok = avail >= want;
    w(b, 1, "Available \t%s\t%s\n", ok ? "True" : "False", ok ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable");
    w(b, 1, "Progressing \tTrue\tNewReplicaSetAvailable\n");
    w(b, 0, "OldReplicaSets:\t<none>\n");
    /* the newest ReplicaSet owned by this Deployment */
    json_t *rss = store_list(ctx->st, "replicasets.apps", obj_namespace(o));
    const char *rsname = NULL;
    long long rsr = 0, rsa = 0;
    size_t i;
    json_t *rs;
    json_array_foreach(rss, i, rs) {
        json_t *own = json_array_get(obj_at(rs, "metadata.ownerReferences"), 0);
        if (own && !strcmp(obj_str_or(own, "name", ""), obj_name(o))) {
            rsname = obj_name(rs);
            rsr = obj_int_or(rs, "status.replicas", 0);
            rsa = obj_int_or(rs, "spec.replicas", 1);
        }
    }
    if (rsname) w(b, 0, "NewReplicaSet:\t%s (%lld/%lld replicas created)\n", rsname, rsr, rsa);
    else w(b, 0, "NewReplicaSet:\t<none>\n");
    json_decref(rss);
    w(b, 0, "Events:\t<none>\n");
}

static void peers(dbuf *b, json_t *list, const char *dir)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        if (i) w(b, 3, "----------\n");
        json_t *ps = json_object_get(p, "podSelector"), *nss = json_object_get(p, "namespaceSelector"),
               *ipb = json_object_get(p, "ipBlock");
        if (ps) {
            char *s = selector_text(json_object_get(ps, "matchLabels"));
            w(b, 3, "PodSelector: %s\n", json_object_size(json_object_get(ps, "matchLabels")) ? s : "<none>");
            free(s);
        }
        if (nss) {
            char *s = selector_text(json_object_get(nss, "matchLabels"));
            w(b, 3, "NamespaceSelector: %s\n", json_object_size(json_object_get(nss, "matchLabels")) ? s : "<none>");
            free(s);
        }
        if (ipb) {
            w(b, 3, "IPBlock:\n");
            w(b, 4, "CIDR: %s\n", obj_str_or(ipb, "cidr", ""));
            w(b, 4, "Except: ");
            size_t k;
            json_t *e;
            json_array_foreach(json_object_get(ipb, "except"), k, e) w(b, 0, "%s%s", k ? ", " : "", json_string_value(e));
            w(b, 0, "\n");
        }
    }
    if (!json_array_size(list)) w(b, 2, "%s: <any> (traffic not restricted by %s)\n", dir, !strcmp(dir, "From") ? "source" : "destination");
}

static void describe_netpol(dbuf *b, json_t *o)
{
    char ts[64];
    header(b, o, true);
    long long t = time_parse_rfc3339(obj_str_or(o, "metadata.creationTimestamp", ""));
    time_t tt = (time_t)(t < 0 ? 0 : t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    w(b, 0, "Created on:\t%s\n", ts);
    map_multiline(b, "Labels", obj_labels(o), false);
    map_multiline(b, "Annotations", obj_annotations(o), true);
    w(b, 0, "Spec:\n");
    json_t *ml = obj_at(o, "spec.podSelector.matchLabels");
    char *s = selector_text(ml);
    /* kubectl writes the selector at the next indent level after "PodSelector: " */
    w(b, 1, "PodSelector: ");
    w(b, 2, "%s\n", json_object_size(ml) ? s : "<none> (Allowing the specific traffic to all pods in this namespace)");
    free(s);
    json_t *types = obj_at(o, "spec.policyTypes");
    bool ingress = json_array_size(types) == 0, egress = false;
    size_t i;
    json_t *ty;
    json_array_foreach(types, i, ty) {
        ingress |= !strcmp(json_string_value(ty) ? json_string_value(ty) : "", "Ingress");
        egress |= !strcmp(json_string_value(ty) ? json_string_value(ty) : "", "Egress");
    }
    const char *dirs[2] = {"ingress", "egress"};
    bool on[2] = {ingress, egress};
    for (int d = 0; d < 2; d++) {
        w(b, 1, "Allowing %s traffic:\n", dirs[d]);
        json_t *rules = obj_at(o, d ? "spec.egress" : "spec.ingress");
        if (!on[d]) { w(b, 2, "<none> (Selected pods are isolated for %s connectivity)\n", dirs[d]); continue; }
        if (!json_array_size(rules)) { w(b, 2, "<none> (Selected pods are isolated for %s connectivity)\n", dirs[d]); continue; }
        json_t *r;
        json_array_foreach(rules, i, r) {
            if (i) w(b, 2, "----------\n");
            json_t *ports = json_object_get(r, "ports");
            size_t k;
            json_t *p;
            json_array_foreach(ports, k, p) {
                json_t *port = json_object_get(p, "port");
                char pt[64];
                if (json_is_string(port)) snprintf(pt, sizeof pt, "%s", json_string_value(port));
                else if (port) snprintf(pt, sizeof pt, "%lld", (long long)json_integer_value(port));
                else snprintf(pt, sizeof pt, "<any>");
                w(b, 2, "%s Port: %s/%s\n", d ? "To" : "To", pt, obj_str_or(p, "protocol", "TCP"));
            }
            if (!json_array_size(ports)) w(b, 2, "To Port: <any> (traffic allowed to all ports)\n");
            json_t *pl = json_object_get(r, d ? "to" : "from");
            if (json_array_size(pl)) w(b, 2, "%s:\n", d ? "To" : "From");
            peers(b, pl, d ? "To" : "From");
        }
    }
    w(b, 1, "Policy Types: ");
    if (!json_array_size(types)) w(b, 0, "Ingress");
    json_array_foreach(types, i, ty) w(b, 0, "%s%s", i ? ", " : "", json_string_value(ty));
    w(b, 0, "\n");
}

int cmd_describe(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL, *selector = NULL;
    flag_list files = {0};
    bool all_ns = false, show_events = true, recursive = false;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all_ns, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"show-events", 0, FLAG_BOOL, &show_events, NULL},
        {"recursive", 'R', FLAG_BOOL, &recursive, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl describe", ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "describe");
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    if (fr.npos == 0 && files.n == 0) {
        fprintf(ctx->err, "error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.\n");
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); flag_list_free(&files); return 1; }
    /* "describe KIND PREFIX" matches names by prefix, as kubectl does */
    const char *prefix = NULL;
    int nargs = fr.npos;
    if (fr.npos == 2 && !strchr(fr.pos[0], '/')) { prefix = fr.pos[1]; nargs = 1; }
    target_query q = {fr.pos, nargs, files.v, files.n, recursive, ns ? ns : cmd_default_namespace(ctx), all_ns, selector, NULL, ctx->in};
    targets t = {0};
    int rc = targets_resolve(st, &q, ctx->err, &t) ? 1 : 0;
    dbuf b = {0};
    size_t shown = 0;
    bool exact = false;
    for (size_t i = 0; prefix && i < t.n; i++) exact |= !strcmp(obj_name(t.v[i].obj), prefix);
    for (size_t i = 0; i < t.n; i++) {
        json_t *o = t.v[i].obj;
        if (prefix && (exact ? strcmp(obj_name(o), prefix) : strncmp(obj_name(o), prefix, strlen(prefix)))) continue;
        if (shown++) w(&b, 0, "\n\n");
        const char *kind = t.v[i].k->kind;
        if (!strcmp(kind, "Namespace")) describe_namespace(&b, o);
        else if (!strcmp(kind, "ConfigMap")) describe_configmap(&b, o);
        else if (!strcmp(kind, "Secret")) describe_secret(&b, o);
        else if (!strcmp(kind, "ServiceAccount")) describe_serviceaccount(&b, o);
        else if (!strcmp(kind, "Service")) describe_service(ctx, &b, o);
        else if (!strcmp(kind, "Pod")) describe_pod(&b, o);
        else if (!strcmp(kind, "Deployment")) describe_deployment(ctx, &b, o);
        else if (!strcmp(kind, "NetworkPolicy")) describe_netpol(&b, o);
        else describe_generic(&b, o);
    }
    if (b.s) {
        /* blocks are separated by blank lines: print each through its own tabwriter flush */
        tabwriter_print(ctx->out, b.s, 0, 2);
    }
    if (prefix && !shown && !rc) {
        const kind_info *k = kind_lookup(fr.pos[0]);
        if (k) {
            fprintf(ctx->err, "Error from server (NotFound): %s \"%s\" not found\n", k->resource, prefix);
            rc = 1;
        }
    } else if (!shown && !rc) {
        const kind_info *k = fr.npos ? kind_lookup(fr.pos[0]) : NULL;
        if ((k && !k->namespaced) || all_ns) fprintf(ctx->err, "No resources found\n");
        else fprintf(ctx->err, "No resources found in %s namespace.\n", q.ns);
    }
    free(b.s);
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
}
