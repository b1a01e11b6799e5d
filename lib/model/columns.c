/* Default `kubectl get` tables per kind.  See columns.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/columns.h"
#include "model/obj.h"
#include "model/printer.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, f);
    if (vasprintf(&s, f, ap) < 0) s = NULL;
    va_end(ap);
    return s ? s : strdup("");
}

/* A stored row holds this in place of each AGE cell: the age is of the
 * moment the row is printed, not of the moment it was written. */
#define AGE_MARK "\x1e"
#define CELL_SEP '\x1f'
/* Stored rows start with this: change it whenever row_cells prints other
 * cells, and rows written before are read from their objects instead. */
#define ROW_LAYOUT "r1:"

static char age_mark[] = AGE_MARK;   /* known by its address: not malloc'd */

static char *age(json_t *o, bool mark)
{
    if (mark) return age_mark;
    char buf[32];
    human_age(buf, sizeof buf, obj_str_or(o, "metadata.creationTimestamp", ""));
    return strdup(buf);
}

/* An array column of an Istio CRD prints as JSON (["a","b"]). */
static char *json_cell(json_t *v)
{
    if (!v) return strdup("");
    if (json_is_string(v)) return strdup(json_string_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    return s ? s : strdup("");
}

static bool is(const kind_info *k, const char *kind) { return !strcmp(k->kind, kind); }

void columns_for(const kind_info *k, bool wide, columns *c)
{
    static const char *pod[] = {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"};
    static const char *svc[] = {"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"};
    static const char *deploy[] = {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"};
    static const char *rs[] = {"NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"};
    static const char *ns[] = {"NAME", "STATUS", "AGE"};
    static const char *se[] = {"NAME", "HOSTS", "LOCATION", "RESOLUTION", "AGE"};
    static const char *vs[] = {"NAME", "GATEWAYS", "HOSTS", "AGE"};
    static const char *dr[] = {"NAME", "HOST", "AGE"};
    static const char *sa[] = {"NAME", "SECRETS", "AGE"};
    static const char *cm[] = {"NAME", "DATA", "AGE"};
    static const char *secret[] = {"NAME", "TYPE", "DATA", "AGE"};
    static const char *ep[] = {"NAME", "ENDPOINTS", "AGE"};
    static const char *netpol[] = {"NAME", "POD-SELECTOR", "AGE"};
    static const char *node[] = {"NAME", "STATUS", "ROLES", "AGE", "VERSION"};
    static const char *role[] = {"NAME", "CREATED AT"};
    static const char *binding[] = {"NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"};
    static const char *pa[] = {"NAME", "MODE", "AGE"};
    static const char *iop[] = {"NAME", "REVISION", "STATUS", "AGE"};
    static const char *plain[] = {"NAME", "AGE"};
    const char **h = plain;
    int n = 2, nwide = 2;
    if (is(k, "Pod")) { h = pod; n = 5; nwide = 9; }
    else if (is(k, "Service")) { h = svc; n = 6; nwide = 7; }
    else if (is(k, "Deployment")) { h = deploy; n = 5; nwide = 8; }
    else if (is(k, "ReplicaSet")) { h = rs; n = 5; nwide = 8; }
    else if (is(k, "Namespace")) { h = ns; n = nwide = 3; }
    else if (is(k, "ServiceEntry")) { h = se; n = nwide = 5; }
    else if (is(k, "VirtualService")) { h = vs; n = nwide = 4; }
    else if (is(k, "DestinationRule")) { h = dr; n = nwide = 3; }
    else if (is(k, "ServiceAccount")) { h = sa; n = nwide = 3; }
    else if (is(k, "ConfigMap")) { h = cm; n = nwide = 3; }
    else if (is(k, "Secret")) { h = secret; n = nwide = 4; }
    else if (is(k, "Endpoints")) { h = ep; n = nwide = 3; }
    else if (is(k, "NetworkPolicy")) { h = netpol; n = nwide = 3; }
    else if (is(k, "Node")) { h = node; n = nwide = 5; }
    else if (is(k, "Role") || is(k, "ClusterRole")) { h = role; n = nwide = 2; }
    else if (is(k, "RoleBinding") || is(k, "ClusterRoleBinding")) { h = binding; n = 3; nwide = 6; }
    else if (is(k, "PeerAuthentication")) { h = pa; n = nwide = 3; }
    else if (is(k, "IstioOperator")) { h = iop; n = nwide = 4; }
    c->n = wide ? nwide : n;
    for (int i = 0; i < c->n; i++) c->header[i] = h[i];
}

static char *pod_ready(json_t *o)
{
    size_t total = json_array_size(obj_at(o, "spec.containers"));
    bool running = !strcmp(obj_str_or(o, "status.phase", ""), "Running");
    return fmt("%zu/%zu", running ? total : 0, total);
}

static char *service_ports(json_t *o)
{
    size_t i;
    json_t *p;
    char *s = strdup("");
    json_array_foreach(obj_at(o, "spec.ports"), i, p) {
        char *next;
        long long node = obj_int_or(p, "nodePort", 0);
        if (node) next = fmt("%s%s%lld:%lld/%s", s, i ? "," : "", obj_int_or(p, "port", 0), node, obj_str_or(p, "protocol", "TCP"));
        else next = fmt("%s%s%lld/%s", s, i ? "," : "", obj_int_or(p, "port", 0), obj_str_or(p, "protocol", "TCP"));
        free(s);
        s = next;
    }
    if (!*s) { free(s); s = strdup("<none>"); }
    return s;
}

static char *map_text(json_t *m)
{
    if (!json_is_object(m) || !json_object_size(m)) return strdup("<none>");
    const char *k;
    json_t *v;
    char *s = strdup("");
    size_t i = 0;
    json_object_foreach(m, k, v) {
        char *next = fmt("%s%s%s=%s", s, i++ ? "," : "", k, json_string_value(v) ? json_string_value(v) : "");
        free(s);
        s = next;
    }
    return s;
}

static char *container_list(json_t *containers, const char *field)
{
    size_t i;
    json_t *c;
    char *s = strdup("");
    json_array_foreach(containers, i, c) {
        char *next = fmt("%s%s%s", s, i ? "," : "", obj_str_or(c, field, ""));
        free(s);
        s = next;
    }
    return s;
}

static char *endpoints_text(json_t *o)
{
    size_t i, j, k;
    json_t *sub, *a, *p;
    char *s = strdup("");
    int count = 0, shown = 0;
    json_array_foreach(obj_at(o, "subsets"), i, sub)
        json_array_foreach(json_object_get(sub, "addresses"), j, a)
            json_array_foreach(json_object_get(sub, "ports"), k, p) {
                count++;
                if (shown >= 3) continue;
                char *next = fmt("%s%s%s:%lld", s, shown ? "," : "", obj_str_or(a, "ip", ""), obj_int_or(p, "port", 0));
                free(s);
                s = next;
                shown++;
            }
    if (!count) { free(s); return strdup("<none>"); }
    if (count > 3) {
        char *next = fmt("%s + %d more...", s, count - 3);
        free(s);
        s = next;
    }
    return s;
}

static void row_cells(const kind_info *k, bool wide, json_t *o, char **c, bool mark)
{
    c[0] = strdup(obj_name(o));
    if (is(k, "Pod")) {
        c[1] = pod_ready(o);
        c[2] = strdup(obj_str_or(o, "status.phase", "Pending"));
        c[3] = strdup("0");
        c[4] = age(o, mark);
        if (wide) {
            c[5] = strdup(obj_str_or(o, "status.podIP", "<none>"));
            c[6] = strdup(obj_str_or(o, "spec.nodeName", "<none>"));
            c[7] = strdup("<none>");
            c[8] = strdup("<none>");
        }
    } else if (is(k, "Service")) {
        const char *type = obj_str_or(o, "spec.type", "ClusterIP");
        c[1] = strdup(type);
        c[2] = strdup(obj_str_or(o, "spec.clusterIP", "None"));
        if (!strcmp(type, "LoadBalancer")) {
            /* the load balancer's addresses, or <pending> until it has one */
            json_t *ing = obj_at(o, "status.loadBalancer.ingress");
            c[3] = json_array_size(ing) ? strdup(obj_str_or(json_array_get(ing, 0), "ip", "<pending>")) : strdup("<pending>");
        } else {
            c[3] = strdup(!strcmp(type, "ExternalName") ? obj_str_or(o, "spec.externalName", "<none>") : "<none>");
        }
        c[4] = service_ports(o);
        c[5] = age(o, mark);
        if (wide) c[6] = map_text(obj_at(o, "spec.selector"));
    } else if (is(k, "Deployment") || is(k, "ReplicaSet")) {
        long long want = obj_int_or(o, "spec.replicas", 1), ready = obj_int_or(o, "status.readyReplicas", 0);
        if (is(k, "Deployment")) {
            c[1] = fmt("%lld/%lld", ready, want);
            c[2] = fmt("%lld", obj_int_or(o, "status.updatedReplicas", 0));
            c[3] = fmt("%lld", obj_int_or(o, "status.availableReplicas", 0));
        } else {
            c[1] = fmt("%lld", want);
            c[2] = fmt("%lld", obj_int_or(o, "status.replicas", 0));
            c[3] = fmt("%lld", ready);
        }
        c[4] = age(o, mark);
        if (wide) {
            c[5] = container_list(obj_at(o, "spec.template.spec.containers"), "name");
            c[6] = container_list(obj_at(o, "spec.template.spec.containers"), "image");
            c[7] = map_text(obj_at(o, "spec.selector.matchLabels"));
        }
    } else if (is(k, "Namespace")) {
        c[1] = strdup(obj_str_or(o, "status.phase", "Active"));
        c[2] = age(o, mark);
    } else if (is(k, "ServiceEntry")) {
        c[1] = json_cell(obj_at(o, "spec.hosts"));
        c[2] = json_cell(obj_at(o, "spec.location"));
        c[3] = json_cell(obj_at(o, "spec.resolution"));
        c[4] = age(o, mark);
    } else if (is(k, "VirtualService")) {
        c[1] = json_cell(obj_at(o, "spec.gateways"));
        c[2] = json_cell(obj_at(o, "spec.hosts"));
        c[3] = age(o, mark);
    } else if (is(k, "DestinationRule")) {
        c[1] = json_cell(obj_at(o, "spec.host"));
        c[2] = age(o, mark);
    } else if (is(k, "ServiceAccount")) {
        c[1] = fmt("%zu", json_array_size(obj_at(o, "secrets")));
        c[2] = age(o, mark);
    } else if (is(k, "ConfigMap")) {
        c[1] = fmt("%zu", json_object_size(obj_at(o, "data")) + json_object_size(obj_at(o, "binaryData")));
        c[2] = age(o, mark);
    } else if (is(k, "Secret")) {
        c[1] = strdup(obj_str_or(o, "type", "Opaque"));
        c[2] = fmt("%zu", json_object_size(obj_at(o, "data")));
        c[3] = age(o, mark);
    } else if (is(k, "Endpoints")) {
        c[1] = endpoints_text(o);
        c[2] = age(o, mark);
    } else if (is(k, "NetworkPolicy")) {
        char *sel = map_text(obj_at(o, "spec.podSelector.matchLabels"));
        c[1] = strcmp(sel, "<none>") ? sel : (free(sel), strdup("<none>"));
        c[2] = age(o, mark);
    } else if (is(k, "Node")) {
        c[1] = strdup("Ready");
        c[2] = strdup("control-plane");
        c[3] = age(o, mark);
        c[4] = strdup("v1.32.2");
    } else if (is(k, "Role") || is(k, "ClusterRole")) {
        c[1] = strdup(obj_str_or(o, "metadata.creationTimestamp", ""));
    } else if (is(k, "RoleBinding") || is(k, "ClusterRoleBinding")) {
        c[1] = fmt("%s/%s", obj_str_or(o, "roleRef.kind", ""), obj_str_or(o, "roleRef.name", ""));
        c[2] = age(o, mark);
        if (wide) {
            const char *kinds[3] = {"User", "Group", "ServiceAccount"};
            for (int x = 0; x < 3; x++) {
                char *s = strdup("");
                size_t i;
                json_t *sub;
                json_array_foreach(obj_at(o, "subjects"), i, sub) {
                    if (strcmp(obj_str_or(sub, "kind", ""), kinds[x])) continue;
                    char *next = x == 2 ? fmt("%s%s%s/%s", s, *s ? ", " : "", obj_str_or(sub, "namespace", ""), obj_str_or(sub, "name", ""))
                                        : fmt("%s%s%s", s, *s ? ", " : "", obj_str_or(sub, "name", ""));
                    free(s);
                    s = next;
                }
                c[3 + x] = s;
            }
        }
    } else if (is(k, "PeerAuthentication")) {
        c[1] = json_cell(obj_at(o, "spec.mtls.mode"));
        c[2] = age(o, mark);
    } else if (is(k, "IstioOperator")) {
        c[1] = json_cell(obj_at(o, "spec.revision"));
        c[2] = json_cell(obj_at(o, "status.status"));
        c[3] = age(o, mark);
    } else {
        c[1] = age(o, mark);
    }
}

void columns_row(const kind_info *k, bool wide, json_t *o, char **cells)
{
    row_cells(k, wide, o, cells, false);
}

char *columns_encode(const kind_info *k, json_t *o)
{
    return columns_encode_created(k, o, obj_str_or(o, "metadata.creationTimestamp", ""));
}

char *columns_encode_created(const kind_info *k, json_t *o, const char *created)
{
    columns cols;
    columns_for(k, true, &cols);
    char *cells[COLUMNS_MAX] = {0};
    row_cells(k, true, o, cells, true);
    size_t len = strlen(ROW_LAYOUT) + strlen(created) + 1;
    bool ok = !strchr(created, CELL_SEP) && !strchr(created, AGE_MARK[0]);
    for (int i = 0; i < cols.n; i++) {
        if (!cells[i]) { ok = false; continue; }
        len += strlen(cells[i]) + 1;
        /* a cell that holds a separator cannot be stored this way */
        if (cells[i] != age_mark && (strchr(cells[i], CELL_SEP) || strchr(cells[i], AGE_MARK[0]))) ok = false;
    }
    char *enc = ok ? malloc(len) : NULL, *p = enc;
    if (enc) {
        p = stpcpy(stpcpy(p, ROW_LAYOUT), created);
        for (int i = 0; i < cols.n; i++) {
            *p++ = CELL_SEP;
            p = stpcpy(p, cells[i]);
        }
    }
    for (int i = 0; i < cols.n; i++)
        if (cells[i] != age_mark) free(cells[i]);
    return enc;
}

bool columns_decode(const kind_info *k, bool wide, const char *enc, char **cells)
{
    columns cols;
    columns_for(k, wide, &cols);
    if (strncmp(enc, ROW_LAYOUT, strlen(ROW_LAYOUT))) return false;
    enc += strlen(ROW_LAYOUT);
    const char *sep = strchr(enc, CELL_SEP);
    if (!sep) return false;
    char *created = strndup(enc, (size_t)(sep - enc));
    const char *p = sep + 1;
    int i = 0;
    for (; i < cols.n; i++) {
        const char *e = strchr(p, CELL_SEP);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 1 && p[0] == AGE_MARK[0]) {
            char buf[32];
            human_age(buf, sizeof buf, created);
            cells[i] = strdup(buf);
        } else {
            cells[i] = strndup(p, n);
        }
        if (!e) { i++; break; }
        p = e + 1;
    }
    free(created);
    if (i == cols.n) return true;
    /* fewer cells than the table has: written by another layout */
    while (i > 0) free(cells[--i]);
    return false;
}
