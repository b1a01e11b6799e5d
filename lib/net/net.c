/* The simulated network: setup from the store, the pod's DNS, and the
 * connections a probe opens (where they land, or why they fail). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include "model/obj.h"
#include "net/capture.h"
#include "net/net_internal.h"
#include "net/trace.h"
#include "pki/pki.h"
#include "store/index.h"

static bool is_ipv4(const char *s)
{
    struct in_addr a;
    return s && inet_pton(AF_INET, s, &a) == 1;
}

/* The lazy mesh's source: the store's key table.  The mesh calls these with
 * its lock held, from the thread that routes; the store handle is the main
 * thread's, which does not use it while engine threads route. */
static json_t *source_by_key(void *ctx, const char *key, int offset, int limit)
{
    net_source *src = ctx;
    pthread_mutex_lock(&src->mu);
    json_t *a = store_list_by_key(src->st, key, offset, limit);
    pthread_mutex_unlock(&src->mu);
    return a;
}

static bool source_key_exists(void *ctx, const char *key)
{
    net_source *src = ctx;
    pthread_mutex_lock(&src->mu);
    bool found = store_key_exists(src->st, key);
    pthread_mutex_unlock(&src->mu);
    return found;
}

/* ---- the model kept between probes of one process ------------------------
 * What net_open builds from the store (objects, mesh, world, TLS contexts)
 * depends on nothing but the objects (and the PKI material they lead to),
 * so a process that runs many probes (__probe-loop, the shell) keeps the
 * last one for as long as the store's objects generation stays the same. */
typedef struct kept_model {
    bool valid;
    char dir[4096];
    long long generation;
    const istio_release *rel;
    net_source *src;
    json_t *objects;
    mesh *m;
    world *w;
    tls_host *tls;
    int ntls;
    tls_srv *srv;
    int nsrv;
} kept_model;

static kept_model kept;
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;

static void model_free(net_source *src, json_t *objects, mesh *m, world *w, tls_host *tls, int ntls, tls_srv *srv,
                       int nsrv)
{
    for (int i = 0; i < nsrv; i++) SSL_CTX_free(srv[i].ctx);
    free(srv);
    for (int i = 0; i < ntls; i++) SSL_CTX_free(tls[i].ctx);
    free(tls);
    world_free(w);
    mesh_free(m);
    json_decref(objects);
    if (src) {
        pthread_mutex_destroy(&src->mu);
        pthread_mutex_destroy(&src->memo_mu);
        free(src->dns);
        free(src->h2);
    }
    free(src);
}

static void kept_clear_locked(void)
{
    if (kept.valid) model_free(kept.src, kept.objects, kept.m, kept.w, kept.tls, kept.ntls, kept.srv, kept.nsrv);
    memset(&kept, 0, sizeof kept);
}

void net_forget_kept_model(void)
{
    pthread_mutex_lock(&kept_mu);
    kept_clear_locked();
    pthread_mutex_unlock(&kept_mu);
}

/* Take the kept model when it was built from this store's objects as they are. */
static bool take_kept(net *n)
{
    pthread_mutex_lock(&kept_mu);
    bool hit = kept.valid && kept.generation == n->generation && kept.rel == n->rel &&
               !strcmp(kept.dir, store_dir(n->st));
    if (hit) {
        n->src = kept.src;
        n->objects = kept.objects;
        n->m = kept.m;
        n->w = kept.w;
        n->tls = kept.tls;
        n->ntls = kept.ntls;
        n->srv = kept.srv;
        n->nsrv = kept.nsrv;
        memset(&kept, 0, sizeof kept);
    }
    pthread_mutex_unlock(&kept_mu);
    return hit;
}

/* Keep n's model for the next probe (replacing the one kept before). */
static void keep_model(net *n)
{
    pthread_mutex_lock(&kept_mu);
    kept_clear_locked();   /* (at exit it stays: reachable, and freeing it costs a short command) */
    kept = (kept_model){true, "", n->generation, n->rel, n->src, n->objects, n->m, n->w, n->tls, n->ntls,
                        n->srv, n->nsrv};
    snprintf(kept.dir, sizeof kept.dir, "%s", store_dir(n->st));
    pthread_mutex_unlock(&kept_mu);
    n->src = NULL;
    n->objects = NULL;
    n->m = NULL;
    n->w = NULL;
    n->tls = NULL;
    n->ntls = 0;
    n->srv = NULL;
    n->nsrv = 0;
}

/* Kinds the network never looks at (workload controllers and the like):
 * not even parsed.  Pods, Services, Endpoints, Secrets, ConfigMaps,
 * Namespaces, Istio's kinds and the world's hosts are what it reads. */
static const char *const NOT_NETWORK[] = {
    "deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "controllerrevisions.apps",
    "jobs.batch", "cronjobs.batch", "serviceaccounts", "nodes", "events", "leases.coordination.k8s.io",
    "horizontalpodautoscalers.autoscaling", "poddisruptionbudgets.policy", "roles.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
    "clusterrolebindings.rbac.authorization.k8s.io", "customresourcedefinitions.apiextensions.k8s.io",
    "istiooperators.install.istio.io", NULL};

net *net_open(store *st, const istio_release *rel, json_t *client_pod, char *err, size_t errlen)
{
    net *n = calloc(1, sizeof *n);
    if (!n) { snprintf(err, errlen, "out of memory"); return NULL; }
    n->st = st;
    n->rel = rel ? rel : release_default();
    n->client_pod = client_pod;
    pthread_mutex_init(&n->mu, NULL);
    n->stats = stats_new();
    /* a model of uncommitted object writes is this probe's alone */
    n->keep = !store_objects_dirty(st);
    n->generation = store_objects_generation(st);
    if (!n->keep || !take_kept(n)) {
        /* every kind but the many ServiceEntries and VirtualServices, which
         * the mesh loads by host as routing needs them */
        n->objects = store_list_unkeyed(st, NOT_NETWORK);
        if (!n->objects) n->objects = json_array();
        n->src = calloc(1, sizeof *n->src);
        if (n->src) {
            n->src->st = st;
            pthread_mutex_init(&n->src->mu, NULL);
            pthread_mutex_init(&n->src->memo_mu, NULL);
            n->src->dns_client_blocked = -1;
            mesh_source src = {n->src, source_by_key, source_key_exists};
            n->m = mesh_build_lazy(n->objects, n->rel, &src);
        }
        n->w = world_build(n->objects);
    }
    if (n->src) n->src->st = st;
    if (!n->m || !n->w || !n->stats) {
        snprintf(err, errlen, "cannot build the network model");
        net_close(n);
        return NULL;
    }
    if (client_pod) {
        n->client = mesh_workload_by_pod(n->m, obj_namespace(client_pod), obj_name(client_pod));
        snprintf(n->client_ip, sizeof n->client_ip, "%s", obj_str_or(client_pod, "status.podIP", ""));
    }
    json_t *mc = mesh_config(n->m);
    const char *file = obj_str(mc, "accessLogFile");
    n->log_on = file && *file;
    const char *enc = obj_str(mc, "accessLogEncoding");
    n->log_json = enc && !strcasecmp(enc, "JSON");
    const char *fmt = obj_str(mc, "accessLogFormat");
    if (fmt && *fmt) n->log_format = strdup(fmt);
    n->base_ms = time_now_ms();
    n->next_port = 32768 + (int)(n->base_ms % 20000);
    return n;
}

int net_close(net *n)
{
    if (!n) return 0;
    int rc = 0;
    net_wait(n);
    if (n->st) {
        for (int i = 0; i < n->nlogs; i++) {
            log_line *l = &n->logs[i];
            /* one store line per text line */
            char *save = NULL;
            for (char *t = strtok_r(l->text, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
                if (store_log_append(n->st, l->ns, l->pod, l->container, l->ts_ms, t)) rc = -1;
        }
        if (n->stats && stats_flush(n->stats, n->st)) rc = -1;
    }
    for (int i = 0; i < n->nlogs; i++) {
        free(n->logs[i].ns);
        free(n->logs[i].pod);
        free(n->logs[i].container);
        free(n->logs[i].text);
    }
    free(n->logs);
    stats_free(n->stats);
    /* not when this probe itself wrote objects: its lazy loads may have seen them */
    if (n->keep && n->m && n->w && !rc && (!n->st || !store_objects_dirty(n->st))) {
        keep_model(n);
    } else {
        model_free(n->src, n->objects, n->m, n->w, n->tls, n->ntls, n->srv, n->nsrv);
    }
    free(n->log_format);
    pthread_mutex_destroy(&n->mu);
    free(n);
    return rc;
}

void net_set_local(net *n, int port, const char *const *paths, net_local_fn fn, void *ctx)
{
    if (n->nlocal == (int)(sizeof n->local / sizeof n->local[0])) return;
    n->local[n->nlocal].port = port;
    n->local[n->nlocal].paths = paths;
    n->local[n->nlocal].fn = fn;
    n->local[n->nlocal].ctx = ctx;
    n->nlocal++;
}

static int local_server(const net *n, const char *ip, int port)
{
    if (strncmp(ip, "127.", 4)) return -1;
    for (int i = 0; i < n->nlocal; i++)
        if (n->local[i].port == port) return i;
    return -1;
}

/* ---- engine threads ---------------------------------------------------------
 * Each connection is served by a thread of its own (conn_thread), taken from
 * threads kept between probes: a process running probe after probe made and
 * joined a thread per connection.  A connection never waits for a thread
 * busy with another one: without an idle thread, a new one is made.  At exit
 * the threads are stopped and joined (nothing of theirs left allocated). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    conn *head, *tail;      /* connections waiting for a thread */
    int queued, idle;
    pthread_t *threads;     /* every thread made, for the join at exit */
    int nthreads, cap;
    bool stopping, at_exit;
    pid_t pid;              /* the process that made them (not a fork()ed child) */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static void *pool_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        if (pool.head) {
            conn *c = pool.head;
            pool.head = c->queued;
            if (!pool.head) pool.tail = NULL;
            pool.queued--;
            net *n = c->n;
            pthread_mutex_unlock(&pool.mu);
            conn_thread(c);     /* frees c */
            ERR_clear_error();  /* nothing of this connection's TLS errors for the next */
            pthread_mutex_lock(&pool.mu);
            n->running--;
            pthread_cond_broadcast(&pool.done);
            continue;
        }
        if (pool.stopping) break;
        pool.idle++;
        pthread_cond_wait(&pool.work, &pool.mu);
        pool.idle--;
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

static void pool_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    if (pool.pid != getpid()) {   /* a child's copy: the threads are not its own */
        pthread_mutex_unlock(&pool.mu);
        return;
    }
    pool.stopping = true;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.nthreads; i++) pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.nthreads = pool.cap = 0;
}

/* Hand c to an engine thread; -1 when none can be made. */
static int pool_serve(net *n, conn *c)
{
    int rc = 0;
    pthread_mutex_lock(&pool.mu);
    c->queued = NULL;
    if (pool.tail) pool.tail->queued = c;
    else pool.head = c;
    pool.tail = c;
    pool.queued++;
    if (pool.idle >= pool.queued) {
        pthread_cond_signal(&pool.work);
    } else {
        if (!pool.at_exit) {
            pool.at_exit = atexit(pool_stop) == 0;
            pool.pid = getpid();
        }
        if (pool.nthreads == pool.cap) {
            int cap = pool.cap ? pool.cap * 2 : 8;
            pthread_t *nt = realloc(pool.threads, (size_t)cap * sizeof *nt);
            if (nt) {
                pool.threads = nt;
                pool.cap = cap;
            }
        }
        if (!pool.at_exit || pool.nthreads == pool.cap ||
            pthread_create(&pool.threads[pool.nthreads], NULL, pool_thread, NULL)) {
            /* still the last one queued: nobody took it while we held the lock */
            conn **p = &pool.head;
            while (*p != c) p = &(*p)->queued;
            *p = NULL;
            pool.tail = NULL;
            for (conn *q = pool.head; q; q = q->queued) pool.tail = q;
            pool.queued--;
            rc = -1;
        } else {
            pool.nthreads++;
        }
    }
    if (!rc) n->running++;
    pthread_mutex_unlock(&pool.mu);
    return rc;
}

void net_wait(net *n)
{
    pthread_mutex_lock(&pool.mu);
    while (n->running) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

bool net_captured(const net *n, const char *ip, int port)
{
    return n->client && n->client->sidecar && !n->bypass && capture_outbound(n->client_pod, ip, port, NULL, 0);
}

void net_bypass_sidecar(net *n) { n->bypass = true; }

long long net_vclock_ms(net *n)
{
    pthread_mutex_lock(&n->mu);
    long long v = n->vclock_ms;
    pthread_mutex_unlock(&n->mu);
    return v;
}

void net_vclock_advance(net *n, long long ms)
{
    if (ms <= 0) return;
    pthread_mutex_lock(&n->mu);
    n->vclock_ms += ms;
    pthread_mutex_unlock(&n->mu);
}

void net_set_deadline(net *n, long long at_ms)
{
    pthread_mutex_lock(&n->mu);
    n->deadline_ms = at_ms;
    n->deadline_hit = false;
    pthread_mutex_unlock(&n->mu);
}

bool net_deadline_hit(net *n)
{
    pthread_mutex_lock(&n->mu);
    bool hit = n->deadline_hit;
    pthread_mutex_unlock(&n->mu);
    return hit;
}

bool net_spend(net *n, long long ms)
{
    bool ok = true;
    pthread_mutex_lock(&n->mu);
    if (ms < 0) ms = 0;
    if (n->deadline_ms && n->vclock_ms + ms > n->deadline_ms) {
        if (n->vclock_ms < n->deadline_ms) n->vclock_ms = n->deadline_ms;
        n->deadline_hit = true;
        ok = false;
    } else {
        n->vclock_ms += ms;
    }
    pthread_mutex_unlock(&n->mu);
    return ok;
}

long long net_now_ms(net *n) { return n->base_ms + net_vclock_ms(n); }
long long net_now(net *n) { return net_now_ms(n); }
const char *net_client_ip(const net *n) { return n->client_ip; }
int net_last_local_port(net *n) { return n->last_local_port; }
bool net_access_log_on(net *n) { return n->log_on; }

void net_add_container_log(net *n, const char *ns, const char *pod, const char *container, long long ts_ms,
                           const char *text)
{
    pthread_mutex_lock(&n->mu);
    if (n->nlogs == n->caplogs) {
        int cap = n->caplogs ? n->caplogs * 2 : 16;
        log_line *nl = realloc(n->logs, (size_t)cap * sizeof *nl);
        if (!nl) { pthread_mutex_unlock(&n->mu); return; }
        n->logs = nl;
        n->caplogs = cap;
    }
    n->logs[n->nlogs++] = (log_line){strdup(ns), strdup(pod), strdup(container), ts_ms, strdup(text)};
    pthread_mutex_unlock(&n->mu);
}

void net_add_log(net *n, const char *ns, const char *pod, long long ts_ms, const char *text)
{
    net_add_container_log(n, ns, pod, "istio-proxy", ts_ms, text);
}

const mesh_workload *net_pod_by_ip(net *n, const char *ip)
{
    return ip && *ip ? mesh_workload_by_ip(n->m, ip) : NULL;
}

/* ---- kube-proxy ---------------------------------------------------------- */

static int container_port_by_name(json_t *pod, const char *name)
{
    size_t i, j;
    json_t *c, *p;
    json_array_foreach(obj_at(pod, "spec.containers"), i, c)
        json_array_foreach(obj_at(c, "ports"), j, p) {
            const char *pn = obj_str(p, "name");
            if (pn && !strcmp(pn, name)) return (int)obj_int_or(p, "containerPort", 0);
        }
    return 0;
}

int net_kube_proxy(net *n, const char *ip, int port, char out_ip[46], int *out_port)
{
    size_t i, j, k;
    json_t *o;
    json_array_foreach(n->objects, i, o) {
        const char *kind = obj_kind(o);
        if (!kind || strcmp(kind, "Service")) continue;
        const char *cip = obj_str(o, "spec.clusterIP");
        if (!cip || strcmp(cip, ip)) continue;
        json_t *sp, *match = NULL;
        json_array_foreach(obj_at(o, "spec.ports"), j, sp)
            if (obj_int_or(sp, "port", -1) == port) { match = sp; break; }
        if (!match) return -1;
        json_t *sel = obj_at(o, "spec.selector");
        if (!json_is_object(sel) || json_object_size(sel) == 0) return -1;
        json_t *pod;
        json_array_foreach(n->objects, k, pod) {
            const char *pk = obj_kind(pod);
            if (!pk || strcmp(pk, "Pod") || strcmp(obj_namespace(pod), obj_namespace(o))) continue;
            if (!labels_match_map(obj_labels(pod), sel)) continue;
            const char *pip = obj_str(pod, "status.podIP");
            if (!pip || !*pip) continue;
            json_t *tp = obj_at(match, "targetPort");
            int target = port;
            if (json_is_integer(tp)) target = (int)json_integer_value(tp);
            else if (json_is_string(tp)) {
                target = container_port_by_name(pod, json_string_value(tp));
                if (!target) target = atoi(json_string_value(tp));
            }
            snprintf(out_ip, 46, "%s", pip);
            *out_port = target;
            return 0;
        }
        return -1;
    }
    return 1;
}

/* ---- applications in pods ----------------------------------------------- */

const char *net_app_container(const mesh_workload *w, int port)
{
    size_t i, j;
    json_t *c, *p;
    const char *fallback = NULL;
    json_array_foreach(obj_at(w->pod, "spec.containers"), i, c) {
        const char *name = obj_str_or(c, "name", "");
        const char *image = obj_str_or(c, "image", "");
        if (!strcmp(name, "istio-proxy") || (!strstr(image, "httpbin") && !strstr(image, "nginx"))) continue;
        json_array_foreach(obj_at(c, "ports"), j, p)
            if (obj_int_or(p, "containerPort", -1) == port) return name;
        if (!fallback) fallback = name;
    }
    return fallback ? fallback : "";
}

const char *net_app_of(const mesh_workload *w, int port, bool *listens)
{
    *listens = false;
    size_t i, j;
    json_t *c, *p;
    json_array_foreach(obj_at(w->pod, "spec.containers"), i, c) {
        const char *name = obj_str_or(c, "name", "");
        const char *image = obj_str_or(c, "image", "");
        if (!strcmp(name, "istio-proxy")) continue;
        const char *app = strstr(image, "httpbin") ? "httpbin" : strstr(image, "nginx") ? "nginx" : "";
        if (!*app) continue;
        int dflt = 80;
        bool declared = false;
        json_array_foreach(obj_at(c, "ports"), j, p) {
            declared = true;
            if (obj_int_or(p, "containerPort", -1) == port) { *listens = true; return app; }
        }
        /* images listen where they listen, declared or not */
        if (port == dflt || (!declared && port == dflt)) { *listens = true; return app; }
    }
    return "";
}

/* ---- TLS contexts of the world ------------------------------------------ */

/* The server context of a world host, made the first time a connection
 * reaches it (from an engine thread): only the hosts a probe talks TLS to
 * cost a certificate. */
SSL_CTX *net_world_ctx(net *n, json_t *svc)
{
    if (!svc || !n->src) return NULL;
    pthread_mutex_lock(&n->src->mu);
    SSL_CTX *ctx = NULL;
    bool known = false;
    for (int i = 0; i < n->ntls && !known; i++)
        if (n->tls[i].svc == svc) {
            ctx = n->tls[i].ctx;
            known = true;
        }
    if (!known) {
        bool tls = false;
        size_t j;
        json_t *p;
        json_array_foreach(obj_at(svc, "spec.ports"), j, p) {
            const char *proto = obj_str_or(p, "protocol", "");
            if (!strcasecmp(proto, "HTTPS") || !strcasecmp(proto, "TLS")) tls = true;
        }
        ctx = tls ? pki_world_server_ctx(n->src->st, svc) : NULL;
        tls_host *nt = realloc(n->tls, (size_t)(n->ntls + 1) * sizeof *nt);
        if (nt) {
            n->tls = nt;
            n->tls[n->ntls++] = (tls_host){svc, ctx};   /* NULL too: made once, failed once */
        } else {
            SSL_CTX_free(ctx);
            ctx = NULL;
        }
    }
    pthread_mutex_unlock(&n->src->mu);
    return ctx;
}

int net_world_hosts(net *n, const char **names, int max)
{
    int k = 0;
    size_t i, j;
    json_t *o, *h;
    json_array_foreach(n->objects, i, o) {
        const char *kind = obj_kind(o);
        if (!kind || strcmp(kind, "ExternalService")) continue;
        json_array_foreach(obj_at(o, "spec.hosts"), j, h) {
            const char *s = json_string_value(h);
            if (s && !strchr(s, '*') && k < max) names[k++] = s;
        }
    }
    return k;
}

/* ---- DNS ------------------------------------------------------------------ */

/* What the pod's resolver answers for a name depends on the model and on
 * the client workload only: remembered with the model (net_source). */
#define DNS_MEMO_MAX 256
struct dns_memo {
    const mesh_workload *client;
    char name[256];
    int max, count;
    char addrs[16][46];
};

static bool dns_memo_get(net *n, const char *name, int max, char addrs[][46], int *count)
{
    if (!n->src || max > 16 || strlen(name) >= 256) return false;
    bool hit = false;
    pthread_mutex_lock(&n->src->memo_mu);
    for (int i = 0; i < n->src->ndns && !hit; i++) {
        const dns_memo *d = &n->src->dns[i];
        if (d->client != n->client || d->max != max || strcmp(d->name, name)) continue;
        memcpy(addrs, d->addrs, (size_t)d->count * sizeof d->addrs[0]);
        *count = d->count;
        hit = true;
    }
    pthread_mutex_unlock(&n->src->memo_mu);
    return hit;
}

static void dns_memo_put(net *n, const char *name, int max, char addrs[][46], int count)
{
    if (!n->src || max > 16 || count > max || strlen(name) >= 256) return;
    pthread_mutex_lock(&n->src->memo_mu);
    net_source *src = n->src;
    if (src->ndns == src->capdns && src->capdns < DNS_MEMO_MAX) {
        int cap = src->capdns ? src->capdns * 2 : 16;
        dns_memo *nd = realloc(src->dns, (size_t)cap * sizeof *nd);
        if (nd) {
            src->dns = nd;
            src->capdns = cap;
        }
    }
    if (src->ndns < src->capdns) {
        dns_memo *d = &src->dns[src->ndns++];
        d->client = n->client;
        snprintf(d->name, sizeof d->name, "%s", name);
        d->max = max;
        d->count = count;
        memcpy(d->addrs, addrs, (size_t)count * sizeof d->addrs[0]);
    }
    pthread_mutex_unlock(&src->memo_mu);
}

static net_dns_status resolve(net *n, const char *name, char addrs[][46], int max, int *count)
{
    *count = 0;
    if (max <= 0) return NET_DNS_NXDOMAIN;
    if (is_ipv4(name)) {
        snprintf(addrs[0], 46, "%s", name);
        *count = 1;
        return NET_DNS_OK;
    }
    if (!strcasecmp(name, "localhost")) {
        snprintf(addrs[0], 46, "127.0.0.1");
        *count = 1;
        return NET_DNS_OK;
    }
    /* The resolver asks kube-dns (UDP 53); NetworkPolicy may stop that.
     * The same for every name of this probe: decided once. */
    if (!n->dns_decided && n->src) {
        pthread_mutex_lock(&n->src->memo_mu);
        if (n->src->dns_client_blocked >= 0 && !strcmp(n->src->dns_client_ip, n->client_ip)) {
            n->dns_decided = true;
            n->dns_blocked = n->src->dns_client_blocked == 1;
        }
        pthread_mutex_unlock(&n->src->memo_mu);
    }
    if (!n->dns_decided) {
        n->dns_decided = true;
        char dns_ip[46];
        int dns_port = 53;
        json_t *svc = NULL;
        size_t i;
        json_t *o;
        json_array_foreach(n->objects, i, o) {
            const char *kind = obj_kind(o);
            if (kind && !strcmp(kind, "Service") && !strcmp(obj_namespace(o), "kube-system") &&
                !strcmp(obj_name(o), "kube-dns")) { svc = o; break; }
        }
        if (svc && *n->client_ip && obj_str(svc, "spec.clusterIP") &&
            net_kube_proxy(n, obj_str(svc, "spec.clusterIP"), 53, dns_ip, &dns_port) == 0) {
            char why[256];
            n->dns_blocked = !mesh_netpol_allows(n->m, n->client_ip, dns_ip, dns_port, "UDP", why, sizeof why);
        }
        if (n->src) {
            pthread_mutex_lock(&n->src->memo_mu);
            snprintf(n->src->dns_client_ip, sizeof n->src->dns_client_ip, "%s", n->client_ip);
            n->src->dns_client_blocked = n->dns_blocked;
            pthread_mutex_unlock(&n->src->memo_mu);
        }
    }
    if (n->dns_blocked) return NET_DNS_TIMEOUT;
    int k = 0;
    if (!dns_memo_get(n, name, max, addrs, &k)) {
        k = mesh_dns_lookup(n->m, n->client, name, addrs, max);
        if (k <= 0) k = world_resolve(n->w, name, addrs, max);
        if (k < 0) k = 0;
        dns_memo_put(n, name, max, addrs, k);
    }
    *count = k;
    return k > 0 ? NET_DNS_OK : NET_DNS_NXDOMAIN;
}

/* ---- connections ---------------------------------------------------------- */

/* Where a packet from a pod without a sidecar to ip:port lands. */
static net_conn_status first_contact(net *n, const char *ip, int port, const char *host, char *why, size_t wl)
{
    char dip[46];
    int dport = port;
    snprintf(dip, sizeof dip, "%s", ip);
    int kp = net_kube_proxy(n, ip, port, dip, &dport);
    if (kp < 0) {
        snprintf(why, wl, "service %s:%d has no ready endpoint", ip, port);
        return NET_REFUSED;
    }
    if (*n->client_ip && strcmp(dip, n->client_ip) &&
        !mesh_netpol_allows(n->m, n->client_ip, dip, dport, "TCP", why, wl))
        return NET_TIMEDOUT;
    if (local_server(n, dip, dport) >= 0) return NET_CONNECTED;
    if (!strncmp(dip, "127.", 4) || (*n->client_ip && !strcmp(dip, n->client_ip))) {
        if (n->client) {
            bool listens;
            net_app_of(n->client, dport, &listens);
            if (listens) return NET_CONNECTED;
        }
        snprintf(why, wl, "nothing listens on port %d of the pod", dport);
        return NET_REFUSED;
    }
    const mesh_workload *w = net_pod_by_ip(n, dip);
    if (w) {
        if (w->gateway) {
            mesh_request rq = {.src_ip = n->client_ip, .dst_ip = dip, .dst_port = dport};
            mesh_decision d;
            memset(&d, 0, sizeof d);
            mesh_route(n->m, w, &rq, &d);
            if (d.action == HOP_FAIL && d.status == 0 && !strcmp(d.details, "no listener")) {
                snprintf(why, wl, "gateway %s/%s has no listener on port %d", w->ns, w->name, dport);
                return NET_REFUSED;
            }
            return NET_CONNECTED;
        }
        if (w->sidecar) return NET_CONNECTED;     /* the inbound sidecar accepts */
        bool listens;
        net_app_of(w, dport, &listens);
        if (listens) return NET_CONNECTED;
        snprintf(why, wl, "nothing listens on port %d of pod %s/%s", dport, w->ns, w->name);
        return NET_REFUSED;
    }
    json_t *svc = world_endpoint(n->w, dip, dport, host);
    if (svc) {
        if (world_port_protocol(svc, dport)) return NET_CONNECTED;
        snprintf(why, wl, "%s does not answer on port %d", obj_name(svc), dport);
        return NET_TIMEDOUT;
    }
    snprintf(why, wl, "no host has address %s", dip);
    return NET_TIMEDOUT;
}

net_conn_status net_reachable(net *n, const char *ip, int port, const char *host)
{
    char why[256];
    if (net_captured(n, ip, port)) return NET_CONNECTED;
    return first_contact(n, ip, port, host, why, sizeof why);
}

static net_conn_status listen_for(net *n, const char *ip, int port, const char *host,
                                  struct sockaddr_in *lo, char *why, size_t whylen)
{
    snprintf(why, whylen, "connected");
    /* iptables sends the pod's outbound TCP to its sidecar (never loopback
     * traffic, and only what istio-init's ranges and ports take) */
    if (!net_captured(n, ip, port)) {
        net_conn_status s = first_contact(n, ip, port, host, why, whylen);
        if (s != NET_CONNECTED) return s;
    }
    tls_servers_prepare(n);  /* the cluster's TLS contexts, before any thread needs them */
    conn *c = calloc(1, sizeof *c);
    if (!c) return NET_REFUSED;
    c->n = n;
    c->fd = -1;
    snprintf(c->dst_ip, sizeof c->dst_ip, "%s", ip);
    c->dst_port = port;
    snprintf(c->host, sizeof c->host, "%s", host ? host : "");
    snprintf(c->src_ip, sizeof c->src_ip, "%s", !strncmp(ip, "127.", 4) ? "127.0.0.1"
                                                : *n->client_ip ? n->client_ip : "10.244.0.1");
    c->src_port = __atomic_fetch_add(&n->next_port, 1, __ATOMIC_RELAXED);
    int ls = local_server(n, ip, port);
    if (ls >= 0) {
        /* answered from here, on the main thread: the engine thread only serves them */
        int k = 0;
        while (n->local[ls].paths[k]) k++;
        c->answers = calloc((size_t)k, sizeof *c->answers);
        pthread_mutex_lock(&n->src->mu);   /* they may read the store; engine threads may run */
        for (int i = 0; c->answers && i < k; i++) {
            c->answers[i].path = strdup(n->local[ls].paths[i]);
            c->answers[i].status = 200;
            c->answers[i].body = n->local[ls].fn(n->local[ls].ctx, n->local[ls].paths[i], &c->answers[i].status);
            c->nanswers++;
        }
        pthread_mutex_unlock(&n->src->mu);
    }
    n->last_local_port = c->src_port;

    c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof a) || listen(c->lfd, 1) ||
        getsockname(c->lfd, (struct sockaddr *)&a, &al)) {
        snprintf(why, whylen, "loopback listener: %s", strerror(errno));
        if (c->lfd >= 0) close(c->lfd);
        free(c);
        return NET_REFUSED;
    }
    if (pool_serve(n, c)) {
        close(c->lfd);
        free(c);
        return NET_REFUSED;
    }
    *lo = a;
    return NET_CONNECTED;
}

net_dns_status net_resolve(net *n, const char *name, char addrs[][46], int max, int *count)
{
    net_dns_status s = resolve(n, name, addrs, max, count);
    trace_dns(n, name, s, addrs, *count);
    return s;
}

net_dns_status net_resolve_ahead(net *n, const char *name, char addrs[][46], int max, int *count)
{
    return resolve(n, name, addrs, max, count);
}

net_conn_status net_listen(net *n, const char *ip, int port, const char *host,
                           struct sockaddr_in *lo, char *why, size_t whylen)
{
    net_conn_status s = listen_for(n, ip, port, host, lo, why, whylen);
    trace_connect(n, ip, port, host, s, why);
    return s;
}

net_conn_status net_connect(net *n, const char *ip, int port, const char *host, int *fd,
                            char *why, size_t whylen)
{
    struct sockaddr_in lo;
    net_conn_status s = net_listen(n, ip, port, host, &lo, why, whylen);
    if (s != NET_CONNECTED) return s;
    int f = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f < 0 || connect(f, (struct sockaddr *)&lo, sizeof lo)) {
        snprintf(why, whylen, "loopback connect: %s", strerror(errno));
        if (f >= 0) close(f);
        return NET_REFUSED;
    }
    *fd = f;
    return NET_CONNECTED;
}
