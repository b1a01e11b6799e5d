/* The cluster model: what a new cluster holds, and the controllers that turn
 * what users apply into what runs (deployments -> replicasets -> pods,
 * services -> endpoints, sidecar injection). */
#ifndef MESHSIM_CLUSTER_H
#define MESHSIM_CLUSTER_H

#include <jansson.h>
#include "model/kinds.h"
#include "model/release.h"
#include "store/store.h"

#define CLUSTER_NODE_NAME "meshsim-control-plane"
#define CLUSTER_POD_CIDR "10.244.0.0/16"
#define CLUSTER_SERVICE_CIDR "10.96.0.0/12"
#define CLUSTER_DNS_IP "10.96.0.10"

/* Seed a new store with what a fresh kind cluster has. */
int cluster_bootstrap(store *st);

/* Run the controllers until nothing changes (called after every write command). */
int cluster_reconcile(store *st, const istio_release *rel);
/* The same, given objects the command stored as they were stored (see
 * cluster_written_add): the controllers' view takes them instead of
 * parsing their rows again (1 000 applied Deployments: 20 ms); and
 * objects it created but left to the reconcile to store (held, the same
 * form, or NULL: see ccache_held). */
int cluster_reconcile_written(store *st, const istio_release *rel, json_t *written, json_t *held);
/* Note obj as stored by api_create_applied or api_update_applied, in
 * written (a JSON object this builds); obj must not change afterwards.
 * A row written again since is told apart by its resourceVersion. */
void cluster_written_add(json_t *written, const kind_info *k, json_t *obj);
/* Wait until what the last cluster_reconcile worked from is freed (on a
 * second thread, while the command commits); cmd_finish calls it. */
void cluster_reconcile_done(void);
/* The process ends with this command: the views of its reconciles are left
 * to the system (kept reachable, for leak checkers) rather than freed:
 * freeing the view of 1 000 Deployments and their ReplicaSets took longer
 * than committing them.  For commands that know (cmd_ctx.last_command). */
void cluster_reconcile_leave_views(bool leave);

/* Mutating admission, before an object is stored: Service ClusterIPs,
 * sidecar injection into pods, defaults the API server fills in.
 * old is the stored object on update, NULL on create. */
int cluster_admit(store *st, const istio_release *rel, const kind_info *k, json_t *obj, json_t *old);

/* Allocate a pod IP (10.244.x.y) / service ClusterIP (10.96.x.y), unique per store. */
void ipam_pod_ip(store *st, char *buf, size_t len);
void ipam_service_ip(store *st, char *buf, size_t len);
/* n pod IPs at once (a ReplicaSet's new pods): the counter value of the
 * first (-1 on failure), and the address of counter value n. */
long long ipam_reserve_pod_ips(store *st, long long n);
void ipam_pod_ip_nth(long long n, char *buf, size_t len);

/* Generated names (names.c): the ReplicaSet's pod-template-hash (stable for
 * equal templates) and n random characters of Kubernetes' safe alphabet. */
#define CLUSTER_HASH_MAX 16
void cluster_template_hash(json_t *tmpl, char out[CLUSTER_HASH_MAX]);
void cluster_random_suffix(char *out, size_t n);

/* Pods (pods.c): what the API server and kubelet fill into a new pod
 * (defaults, IP, node, Running status); kept from old on update. */
void cluster_pod_defaults(store *st, json_t *pod, json_t *old);
/* Its two halves: the spec (the same for every pod of a template) and, for
 * a new pod, the status (IP, started containers). */
void cluster_pod_spec_defaults(json_t *pod, json_t *old);
void cluster_pod_status(store *st, json_t *pod);
void cluster_pod_status_ip(store *st, json_t *pod, const char *ip);   /* ip NULL: allocate one */
/* The same status for many new pods of one spec (a ReplicaSet's): what
 * they have alike is made once and shared between them (objects in the
 * controllers' view are never changed in place).  ip is the pod's (the
 * spec has no hostNetwork).  cluster_status_kit_new returns NULL when
 * the spec has too many containers (then use cluster_pod_status_ip). */
typedef struct cluster_status_kit cluster_status_kit;
cluster_status_kit *cluster_status_kit_new(json_t *spec);
void cluster_status_kit_free(cluster_status_kit *k);
void cluster_pod_status_kit(cluster_status_kit *k, json_t *pod, const char *ip);
/* The same with the start time ts (any text, placeholders too; NULL: the
 * kit's last) and the random parts of the container ids: ids[i] for the
 * i-th of the kit's cluster_status_kit_containers (init containers last). */
size_t cluster_status_kit_containers(cluster_status_kit *k);
void cluster_pod_status_kit_as(cluster_status_kit *k, json_t *pod, const char *ip, const char *ts, char (*ids)[33]);
/* Do spec's containers (then init containers) have the kit's names and
 * images, so that the kit makes their statuses too? */
bool cluster_status_kit_fits(cluster_status_kit *k, json_t *spec);
/* The kit's values shared by the pods of its last cluster_pod_status_kit
 * and their texts, for cluster_dumps_sharing: how many (at most 3). */
int cluster_status_kit_shared(cluster_status_kit *k, json_t **nodes, const char **texts);
/* json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER), with the text of n
 * values inside objects (shared[i], by identity) given as texts[i]: pods of
 * one template share their spec, labels and annotations, serialised once.
 * malloc'd. */
char *cluster_dumps_sharing(json_t *obj, json_t *const *shared, const char *const *texts, int n);
void cluster_podspec_defaults(json_t *spec);

/* The pods of one template as texts (podtext.c).  They differ in a few
 * values only, so one pod built with placeholders for those values, stamped
 * with placeholders (api_stamp_set) and serialised as any pod gives every
 * pod's stored texts (body, listing row) by filling the values in.  A
 * placeholder is CLUSTER_POD_TOKEN (DEL, which JSON and the listing row keep
 * as it is) and a letter: the name's random suffix (the name is <base>
 * and the suffix), uid, creationTimestamp, resourceVersion, the containers'
 * start time, the pod IP, the spec (its text, shared) and container i's id
 * (its random part) with cluster_pod_token_id.  Texts of the template (labels, spec, names) must
 * hold no CLUSTER_POD_TOKEN. */
#define CLUSTER_POD_TOKEN '\x7f'
#define CLUSTER_POD_TOKEN_SUFFIX "\x7f" "N"
#define CLUSTER_POD_TOKEN_UID "\x7f" "U"
#define CLUSTER_POD_TOKEN_CREATED "\x7f" "C"
#define CLUSTER_POD_TOKEN_RV "\x7f" "R"
#define CLUSTER_POD_TOKEN_STARTED "\x7f" "S"
#define CLUSTER_POD_TOKEN_IP "\x7f" "I"
#define CLUSTER_POD_TOKEN_SPEC "\x7f" "P"
#define CLUSTER_POD_TOKEN_IDS 36   /* containers at most */
void cluster_pod_token_id(size_t i, char out[33]);
/* A template's own placeholders (ctl_replicasets.c, its template memo):
 * the Deployment's name, the pod-template-hash, the owner's uid.  Only
 * forms made from a template (cluster_pod_forms_from_template) know them. */
#define CLUSTER_POD_TOKEN_DEPLOYMENT "\x7f" "D"
#define CLUSTER_POD_TOKEN_HASH "\x7f" "H"
#define CLUSTER_POD_TOKEN_OWNER_UID "\x7f" "O"
#define CLUSTER_TEMPLATE_CODES "DHO"
/* From pod (the placeholders' pod, namespaced and named <base><suffix
 * placeholder>) and its body text (the spec's as a placeholder; malloc'd,
 * taken on success); spec (with its text, malloc'd: taken on success): the
 * spec the pods share, given to the view's objects of them; nids: how many
 * container ids.  NULL when a text has a placeholder of no value. */
typedef struct cluster_pod_forms cluster_pod_forms;
cluster_pod_forms *cluster_pod_forms_new(const kind_info *k, json_t *pod, char *body, json_t *spec,
                                         char *spec_text, size_t nids);
void cluster_pod_forms_free(cluster_pod_forms *f);
/* The forms of a template's pods with its own placeholders in, shared by
 * the pods' forms of the ReplicaSets made from it: from the body (malloc'd,
 * taken on success) and row texts.  Freed with its last user. */
typedef struct cluster_template_forms cluster_template_forms;
cluster_template_forms *cluster_template_forms_new(char *body, const char *row, size_t nids);
void cluster_template_forms_free(cluster_template_forms *t);
/* The pods' forms of one ReplicaSet made from template t: its namespace,
 * names' base, the template's values (Deployment, hash, owner uid), the
 * labels' text (NULL: none), spec_text as above (taken on success). */
cluster_pod_forms *cluster_pod_forms_from_template(const kind_info *k, const char *ns, const char *base,
                                                   cluster_template_forms *t, const char *const vals[3],
                                                   const char *labels, char *spec_text, size_t nids);
/* Create one more pod with IP ip: its name suffix, start time, container
 * ids, uid, creationTimestamp and resourceVersion drawn now, in the order
 * the objects' path draws them.  0, or -1. */
typedef struct cluster_cache cluster_cache;
int cluster_pod_forms_create(cluster_cache *c, cluster_pod_forms *f, const char *ip);
/* The replicaset controller makes its pods so (on by default); off, as
 * objects one by one: tests compare the two. */
void cluster_pod_forms_enable(bool on);

/* Sidecar injection (inject.c).  Is Istio's control plane installed (an
 * istiod Deployment in istio-system)?  Would the injector inject this pod of
 * namespace ns?  Inject the sidecar into a pod or a pod template (an object
 * with metadata and spec); returns 0, or 1 when it was already injected. */
#include <stdbool.h>
bool cluster_istio_installed(store *st);
bool cluster_wants_injection(store *st, json_t *pod, const char *ns);
int cluster_inject(const istio_release *rel, json_t *pod, const char *ns, const char *workload);
/* The same with the install's values.global.proxy (includeIPRanges,
 * excludeIPRanges, include/excludeInboundPorts, include/excludeOutboundPorts:
 * the capture settings istio-init gets unless the pod's
 * traffic.sidecar.istio.io annotations say otherwise); NULL = none.
 * cluster_proxy_values: those values of the current install (new object). */
int cluster_inject_with(const istio_release *rel, json_t *pod, const char *ns, const char *workload, json_t *proxy);
/* The same with the values every injection of rel shares (a new object of
 * cluster_inject_parts): they go into pod by reference, so pods injected
 * with one parts share those values and must not change them in place
 * (as the controllers' view never does).  The replicaset controller
 * injects every template of a reconcile with one parts. */
json_t *cluster_inject_parts(const istio_release *rel);
int cluster_inject_shared(const istio_release *rel, json_t *pod, const char *ns, const char *workload, json_t *proxy,
                          json_t *parts);
json_t *cluster_proxy_values(store *st);
/* parts for the install's proxy values: istio-init's arguments worked out
 * once for the pods without capture annotations (shared by them). */
void cluster_inject_parts_for(json_t *parts, const istio_release *rel, json_t *proxy);

/* Files Kubernetes puts into a container (podfiles.c): /etc/hostname,
 * /etc/hosts, /etc/resolv.conf, ConfigMap and Secret volume mounts.
 * container NULL = the first container.  0 with *content malloc'd, 1 when
 * the path is none of these, -1 on failure. */
int cluster_pod_file(store *st, json_t *pod, const char *container, const char *path, char **content);

/* The controllers' view of the store during one reconcile (cache.c): each
 * resource listed once, what the controllers write kept in step.  Lists
 * are new arrays ordered like store_list; ccache_get borrows (NULL when
 * absent).  Objects in the view are shared: copy before changing one. */
typedef struct cluster_cache cluster_cache;
cluster_cache *ccache_new(store *st, const istio_release *rel);
/* Objects stored by the command (cluster_written_add), for the listings. */
void ccache_written(cluster_cache *c, json_t *written);
/* Objects the command created but left to the reconcile to store (in the
 * form cluster_written_add makes, stamped): they join the views as new
 * objects, stored when the reconcile ends with what the controllers wrote
 * to them (ccache_flush).  0, or -1 when one could not be stored. */
int ccache_held(cluster_cache *c, json_t *held);
/* Was an object of resource written in this transaction: stored or held
 * by the command, or written by the reconcile so far? */
bool ccache_resource_written(cluster_cache *c, const char *resource);
/* From now until the reconcile ends, the store writes behind
 * (store_write_behind): for a controller about to write many objects,
 * whose rows are then inserted while the next controllers work. */
void ccache_write_behind(cluster_cache *c);
/* The end of the reconcile: the rows written behind are all in (0, or -1
 * when one failed). */
int ccache_write_behind_done(cluster_cache *c);
/* While writing behind, store what is pending in k's view now (a
 * controller that has settled them: they are written while the next
 * controllers work).  0, or -1. */
int ccache_flush_written_behind(cluster_cache *c, const kind_info *k);
void ccache_free(cluster_cache *c);
store *ccache_store(cluster_cache *c);
const istio_release *ccache_release(cluster_cache *c);
json_t *ccache_list(cluster_cache *c, const kind_info *k);
json_t *ccache_get(cluster_cache *c, const kind_info *k, const char *ns, const char *name);
bool ccache_has_view(cluster_cache *c, const kind_info *k);
/* Write bookkeeping, so a round can skip a controller none of whose inputs
 * changed since it last settled: a sequence number counting writes, the
 * number of the last write of a kind and of the last delete.  A controller
 * that stopped before settling (a burst limit, a cascade) calls
 * ccache_again so it runs next round whatever changed. */
long long ccache_seq(cluster_cache *c);
long long ccache_last_write(cluster_cache *c, const kind_info *k);
long long ccache_last_delete(cluster_cache *c);
/* The last write of a kind other than ccache_write_status_if_changed's. */
long long ccache_last_spec_write(cluster_cache *c, const kind_info *k);
void ccache_again(cluster_cache *c);
bool ccache_take_again(cluster_cache *c);
/* A JSON object controllers may keep derived values in for the reconcile. */
json_t *ccache_memo(cluster_cache *c);
/* The API write path, then the view (obj is stamped and kept: do not change
 * it after).  An object created or updated in a view is stored by
 * ccache_flush, which cluster_reconcile calls when the controllers are done
 * (and ccache_delete before a delete): written once however often it
 * changed, the texts of many made on two threads. */
int ccache_create(cluster_cache *c, const kind_info *k, json_t *obj);
int ccache_update(cluster_cache *c, const kind_info *k, json_t *obj);
int ccache_delete(cluster_cache *c, const kind_info *k, const char *ns, const char *name);
int ccache_flush(cluster_cache *c);
/* A copy of stored (an object of the view) to change and write back: the
 * object and its metadata are new (the API stamps the metadata), and its
 * annotations when asked; the rest is shared with stored, so replace a
 * member (json_object_set) rather than change it in place.  Comparing and
 * storing it skip the shared parts (json_equal checks identity first). */
json_t *ccache_writable(json_t *stored, bool annotations);
/* Write obj when it differs from stored (1 written, 0 same, -1 error). */
int ccache_write_if_changed(cluster_cache *c, const kind_info *k, json_t *obj, json_t *stored);
/* The same for a write that changes only obj's status (and bookkeeping
 * annotations no controller decides on): controllers that read only
 * specs need not run again for it (see controllers.c). */
int ccache_write_status_if_changed(cluster_cache *c, const kind_info *k, json_t *obj, json_t *stored);
/* ccache_create of an object the caller made as texts (api_store_prepared:
 * its body (or body, piece and tail: store_extras), listing row and
 * labels), absent from the view.  The view keeps
 * lazy->make(ctx) in its place, made when a controller reads the object
 * (the pods a ReplicaSet creates are seldom read in the reconcile that
 * creates them); lazy->drop(ctx) when the view no longer needs ctx (also
 * on failure).  0, or -1. */
typedef struct ccache_lazy {
    json_t *(*make)(void *ctx);
    void (*drop)(void *ctx);
    void *ctx;
} ccache_lazy;
int ccache_create_prepared(cluster_cache *c, const kind_info *k, const char *ns, const char *name, const char *body,
                           const char *piece, const char *tail, const char *row, const char *labels,
                           const ccache_lazy *lazy);
/* Is there such an object (without making a lazy one)?  The objects of one
 * namespace (ccache_list's order; a new array). */
bool ccache_contains(cluster_cache *c, const kind_info *k, const char *ns, const char *name);
/* A new pod's name (names.c): prefix (the ReplicaSet's name and "-") and 5 random
 * characters (also left in suffix), one no pod of ns in the view has.
 * 0, or -1 when 50 draws all collided. */
#define CLUSTER_POD_SUFFIX_LEN 5
int cluster_pod_name(cluster_cache *c, const kind_info *pk, const char *ns, const char *prefix,
                     char suffix[CLUSTER_POD_SUFFIX_LEN + 1], char *name, size_t len);
json_t *ccache_list_in(cluster_cache *c, const kind_info *k, const char *ns);
/* ccache_create storing the text serialize(obj, ctx) makes (see api_create_text). */
int ccache_create_text(cluster_cache *c, const kind_info *k, json_t *obj, char *(*serialize)(json_t *, void *), void *ctx);

/* The same decisions from the controllers' view: admission of the pods a
 * ReplicaSet creates, done once on a template pod (named like its pods,
 * metadata labels and annotations, spec) for all of them; each pod then
 * only gets cluster_pod_defaults.  In two steps, the second touching
 * neither the view nor the store (the replicaset controller admits
 * templates on a second thread): what admission of pod (or a pod
 * template: metadata and spec) of namespace ns reads (borrowed from the
 * view; the injector's parts only when it is injected), then the
 * admission. */
typedef struct cluster_admission_inputs {
    const istio_release *rel;
    bool installed;             /* istiod's Deployment exists */
    json_t *nso, *proxy, *parts;   /* the namespace; cluster_proxy_values, cluster_inject_parts */
} cluster_admission_inputs;
void ccache_admission_inputs(cluster_cache *c, json_t *pod, const char *ns, cluster_admission_inputs *in);
void cluster_admit_pod_template_with(const cluster_admission_inputs *in, json_t *pod);
/* The injector's decision from what it reads: istiod runs, the namespace. */
bool cluster_injection_decided(bool installed, json_t *nso, json_t *pod, const char *ns);

/* The log an istio-init container printed when it ran (initlog.c): the
 * istio-iptables output of its release for its arguments, one call of fn
 * per line (stamped with the time it ran).  0, or 1 when container is no
 * istio-iptables init container of pod (nothing written). */
int cluster_init_container_log(json_t *pod, const char *container, store_log_fn fn, void *ctx);
/* The start-up lines a running container wrote (ctl_kubelet.c): Istio's
 * proxies and istiod, worked out from the pod; 0, or 1 when there are none
 * (or an older meshsim stored them as log rows: st may say so). */
int cluster_container_start_log(store *st, json_t *pod, const char *container, store_log_fn fn, void *ctx);

/* The controllers, one per file; cluster_reconcile runs them in order. */
int controller_service_accounts(cluster_cache *c);
int controller_deployments(cluster_cache *c);
int controller_deployment_status(cluster_cache *c);
int controller_replicasets(cluster_cache *c);
int controller_garbage(cluster_cache *c);
int controller_endpoints(cluster_cache *c);
int controller_ca_root_cert(cluster_cache *c);
/* Does istiod of this release publish istio-ca-root-cert ConfigMaps (1.5 and later)? */
bool cluster_release_has_ca_root_configmap(const istio_release *rel);

/* fn(ctx, i) for every i in [0, n), on this thread and, when n >= min, a
 * second one as well (parallel.c): for steps that touch neither the store
 * nor the view, whose items are independent. */
void cluster_parallel(size_t n, size_t min, void (*fn)(void *ctx, size_t i), void *ctx);

/* Controller helpers (controllers.c): is obj controlled by the owner with
 * this uid; a one-element ownerReferences array naming owner; write obj when
 * it differs from stored (1 written, 0 same, -1 error). */
bool cluster_owned_by(json_t *obj, const char *uid);
json_t *cluster_owner_ref(json_t *owner, const char *api_version, const char *kind);
int cluster_write_if_changed(store *st, const kind_info *k, json_t *obj, json_t *stored);
/* objs grouped by their controller's uid: {uid: [obj, ...]} (borrowed
 * elements, new object), so a controller lists a kind once per round
 * instead of once per owner. */
json_t *cluster_index_by_owner(json_t *objs);

#endif
