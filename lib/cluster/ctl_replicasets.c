/* The replicaset controller: as many pods as spec.replicas, each a copy of
 * the template named <replicaset>-<5 random characters>, owned by the
 * ReplicaSet; pods go through admission (injection, IP) like any other. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/columns.h"
#include "model/heap.h"
#include "model/json_text.h"
#include "model/obj.h"

#define RS_BURST 500

/* The pod every pod of rs starts from, admitted (sidecar injected) once
 * for all of them: metadata name (like theirs), namespace, labels and
 * annotations of the template, and its spec. */
static json_t *admitted_template(const cluster_admission_inputs *in, json_t *rs)
{
    char name[600];
    snprintf(name, sizeof name, "%s-xxxxx", obj_name(rs));
    json_t *tmpl = obj_at(rs, "spec.template");
    json_t *md = json_pack("{s:s,s:s}", "name", name, "namespace", obj_namespace(rs));
    json_t *labels = obj_at(tmpl, "metadata.labels"), *ann = obj_at(tmpl, "metadata.annotations");
    if (json_is_object(labels)) json_object_set_new(md, "labels", json_deep_copy(labels));
    if (json_is_object(ann) && json_object_size(ann)) json_object_set_new(md, "annotations", json_deep_copy(ann));
    json_t *spec = json_deep_copy(json_object_get(tmpl, "spec"));
    json_t *pod = json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", md,
                            "spec", spec ? spec : json_object());
    cluster_admit_pod_template_with(in, pod);
    cluster_pod_spec_defaults(pod, NULL);
    return pod;
}

/* The admitted template of a ReplicaSet's new pods, with its spec's text
 * (the same in every pod, serialised once) and their reserved IPs. */
#define NSHARED 4
#define NKIT 3   /* cluster_status_kit_shared */

typedef struct pod_template {
    json_t *pod;
    json_t *owner;        /* the pods' ownerReferences */
    json_t *words[4];     /* their apiVersion, kind, namespace and generateName strings */
    /* its spec, labels, annotations and the owner: the same objects in every pod */
    json_t *shared[NSHARED + NKIT];
    const char *texts[NSHARED + NKIT];
    cluster_status_kit *kit;   /* NULL: statuses made one by one */
    cluster_pod_forms *forms;  /* NULL: pods made as objects */
    long long next_ip;    /* counter value of the next reserved IP; 0 = allocate one by one */
} pod_template;

static char *pod_text(json_t *pod, void *ctx)
{
    pod_template *t = ctx;
    int n = NSHARED + cluster_status_kit_shared(t->kit, t->shared + NSHARED, t->texts + NSHARED);
    return cluster_dumps_sharing(pod, t->shared, t->texts, n);
}

static void template_texts(pod_template *t, json_t *rs)
{
    t->owner = cluster_owner_ref(rs, "apps/v1", "ReplicaSet");
    char gen[520];
    snprintf(gen, sizeof gen, "%s-", obj_name(rs));
    t->words[0] = json_string("v1");
    t->words[1] = json_string("Pod");
    t->words[2] = json_string(obj_namespace(rs));
    t->words[3] = json_string(gen);
    t->shared[0] = json_object_get(t->pod, "spec");
    t->shared[1] = obj_at(t->pod, "metadata.labels");
    t->shared[2] = obj_at(t->pod, "metadata.annotations");
    t->shared[3] = t->owner;
    for (int i = 0; i < NSHARED; i++)
        t->texts[i] = t->shared[i] ? cluster_dumps_sharing(t->shared[i], NULL, NULL, 0) : NULL;
}

static void template_free(pod_template *t)
{
    json_decref(t->pod);
    json_decref(t->owner);
    for (int i = 0; i < 4; i++) json_decref(t->words[i]);
    for (int i = 0; i < NSHARED; i++) free((char *)t->texts[i]);
    cluster_status_kit_free(t->kit);
    cluster_pod_forms_free(t->forms);
    memset(t, 0, sizeof *t);
}

/* A new pod of rs named name from its admitted template, without status:
 * all but the name shared with the ReplicaSet's other pods (objects in the
 * view are never changed in place). */
static json_t *template_pod(pod_template *pt, const char *name)
{
    json_t *tmpl = pt->pod;
    json_t *md = json_object();
    json_object_set_new_nocheck(md, "name", json_string(name));
    json_object_set_nocheck(md, "generateName", pt->words[3]);
    json_object_set_nocheck(md, "namespace", pt->words[2]);
    json_object_set_nocheck(md, "ownerReferences", pt->owner);
    /* labels and annotations in the order admission left them */
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(tmpl, "metadata"), key, v)
        if (!strcmp(key, "labels") || !strcmp(key, "annotations")) json_object_set_nocheck(md, key, v);
    json_t *pod = json_object();
    json_object_set_nocheck(pod, "apiVersion", pt->words[0]);
    json_object_set_nocheck(pod, "kind", pt->words[1]);
    json_object_set_new_nocheck(pod, "metadata", md);
    json_object_set_nocheck(pod, "spec", json_object_get(tmpl, "spec"));
    return pod;
}

/* Create one pod for rs from its admitted template; on success append it
 * (as stored) to mine. */
static int create_pod(cluster_cache *c, const kind_info *pk, json_t *rs, pod_template *pt, json_t *mine)
{
    const char *ns = obj_namespace(rs);
    char prefix[600], name[600], suffix[CLUSTER_POD_SUFFIX_LEN + 1];
    snprintf(prefix, sizeof prefix, "%s-", obj_name(rs));
    if (cluster_pod_name(c, pk, ns, prefix, suffix, name, sizeof name)) return -1;
    json_t *pod = template_pod(pt, name);
    char ip[32];
    if (pt->next_ip > 0) ipam_pod_ip_nth(pt->next_ip++, ip, sizeof ip);
    if (pt->kit) cluster_pod_status_kit(pt->kit, pod, ip);
    else cluster_pod_status_ip(ccache_store(c), pod, pt->next_ip > 0 ? ip : NULL);
    int rc = -1;
    if (ccache_create_text(c, pk, pod, pod_text, pt) == 0) {
        json_array_append(mine, pod);
        rc = 1;
    }
    json_decref(pod);
    return rc;
}

/* Pods as texts (podtext.c) unless turned off (tests compare the two). */
static bool forms_off;
void cluster_pod_forms_enable(bool on) { forms_off = !on; }

static bool has_token(const char *s) { return s && strchr(s, CLUSTER_POD_TOKEN); }

/* The placeholders' status of the pods of templates whose containers have
 * one list of names and images, with its text: the same for all of them
 * (the 1 000 Deployments of one manifest often share one), made once per
 * thread by a kit like any pod's. */
typedef struct shape {
    cluster_status_kit *kit;
    json_t *status;
    char *text;
    size_t nids;
} shape;

static void shape_free(shape *s)
{
    cluster_status_kit_free(s->kit);
    json_decref(s->status);
    free(s->text);
    memset(s, 0, sizeof *s);
}

static bool shape_of(shape *s, json_t *spec)
{
    if (s->kit && cluster_status_kit_fits(s->kit, spec)) return s->text != NULL;
    shape_free(s);
    if (!(s->kit = cluster_status_kit_new(spec))) return false;
    s->nids = cluster_status_kit_containers(s->kit);
    if (s->nids > CLUSTER_POD_TOKEN_IDS) return false;
    char ids[64][33];
    for (size_t i = 0; i < s->nids; i++) cluster_pod_token_id(i, ids[i]);
    json_t *pod = json_object();
    cluster_pod_status_kit_as(s->kit, pod, CLUSTER_POD_TOKEN_IP, CLUSTER_POD_TOKEN_STARTED, ids);
    s->status = json_incref(json_object_get(pod, "status"));
    json_decref(pod);
    json_t *nodes[NKIT];
    const char *texts[NKIT];
    int n = cluster_status_kit_shared(s->kit, nodes, texts);
    s->text = cluster_dumps_sharing(s->status, nodes, texts, n);
    return s->text != NULL;
}

/* The pod of pt named name (ending in the suffix's placeholder) with
 * placeholders for what each pod draws and the status of shape sh, in
 * *pod, and its text (NULL when it cannot be made). */
static char *placeholder_pod(pod_template *pt, shape *sh, const char *name, json_t **pod)
{
    *pod = template_pod(pt, name);
    json_object_set(*pod, "status", sh->status);
    api_stamp stamp = {CLUSTER_POD_TOKEN_UID, CLUSTER_POD_TOKEN_CREATED, CLUSTER_POD_TOKEN_RV};
    api_stamp_set(*pod, &stamp);
    /* the spec's text is the pods' longest part: a placeholder until filled */
    json_t *shared[NSHARED + 1];
    const char *texts[NSHARED + 1];
    for (int i = 0; i < NSHARED; i++) {
        shared[i] = pt->shared[i];
        texts[i] = pt->texts[i];
    }
    texts[0] = CLUSTER_POD_TOKEN_SPEC;
    shared[NSHARED] = sh->status;
    texts[NSHARED] = sh->text;
    return cluster_dumps_sharing(*pod, shared, texts, NSHARED + 1);
}

/* The template's pod with placeholders, as its pods' texts: NULL when they
 * are made as objects (on the host network, too many containers, a text of
 * the template holding a placeholder's character). */
static cluster_pod_forms *template_forms(const kind_info *pk, json_t *rs, pod_template *pt, shape *sh)
{
    if (forms_off || has_token(obj_name(rs)) || has_token(obj_namespace(rs)) || !pt->texts[0]) return NULL;
    for (int i = 0; i < NSHARED; i++)
        if (has_token(pt->texts[i])) return NULL;
    if (!shape_of(sh, pt->shared[0])) return NULL;
    char name[600];
    snprintf(name, sizeof name, "%s-%s", obj_name(rs), CLUSTER_POD_TOKEN_SUFFIX);
    json_t *pod;
    char *body = placeholder_pod(pt, sh, name, &pod);
    cluster_pod_forms *f =
        body ? cluster_pod_forms_new(pk, pod, body, pt->shared[0], (char *)pt->texts[0], sh->nids) : NULL;
    if (f) pt->texts[0] = NULL;   /* the forms' now (pods made as objects share no text of it) */
    else free(body);
    json_decref(pod);
    return f;
}

/* A ReplicaSet of this sync: its pods (of its namespace, from one listing
 * of every pod indexed by owner: listing the namespace per ReplicaSet made
 * reconciling 1 000 Deployments quadratic), how many pods it creates now,
 * and their template, prepared before (on a second thread when many
 * ReplicaSets create pods: admitting, serialising and encoding a
 * template is most of what a ReplicaSet of few pods costs). */
typedef struct rs_job {
    json_t *rs, *mine;
    long long want, have, create;
    cluster_admission_inputs in;
    bool host_network;
    pod_template pt;
    json_t *update;   /* rs with its status once every pod is made as text (NULL: unchanged) */
} rs_job;

/* The status of rs with its pods mine and running more pods made as texts. */
static json_t *replicaset_status(json_t *rs, json_t *mine, long long running)
{
    long long total = running, ready = running;
    size_t i;
    json_t *p;
    json_array_foreach(mine, i, p) {
        total++;
        if (!strcmp(obj_str_or(p, "status.phase", ""), "Running")) ready++;
    }
    json_t *status = json_pack("{s:I,s:I,s:I}", "replicas", (json_int_t)total, "fullyLabeledReplicas", (json_int_t)total,
                               "observedGeneration", (json_int_t)obj_int_or(rs, "metadata.generation", 1));
    if (ready) {
        json_object_set_new(status, "readyReplicas", json_integer(ready));
        json_object_set_new(status, "availableReplicas", json_integer(ready));
    }
    if (!total) json_object_del(status, "fullyLabeledReplicas");
    return status;
}

/* rs with status, to store (NULL when that is its status already). */
static json_t *replicaset_update(json_t *rs, json_t *status)
{
    if (json_equal(status, json_object_get(rs, "status"))) {
        json_decref(status);
        return NULL;
    }
    json_t *copy = ccache_writable(rs, false);
    json_object_set_new(copy, "status", status);
    return copy;
}

/* Templates prepared once for many ReplicaSets.  A Deployment's
 * ReplicaSet is named <deployment>-<hash> and its template often differs
 * from other Deployments' only there, in the hash label and in labels
 * whose value is the Deployment's name (app: NAME): the 1 000 Deployments
 * of one manifest.  Admission, serialisation and encoding only copy those
 * values (the workload's name is the pod name less its last two parts),
 * so a template prepared with placeholders for them gives every such
 * ReplicaSet's texts by filling them in; admitting and serialising each
 * template was half of reconciling 1 000 Deployments.  The placeholders are
 * CLUSTER_POD_TOKEN and letters only forms made from a template know: each
 * ReplicaSet's pods share the entry's body and row forms, given its values
 * (cluster_pod_forms_from_template); its names' base, labels and spec are
 * filled in.  A ReplicaSet's own text with such a letter is prepared alone. */
#define MEMO_ENTRIES 4

typedef struct memo_entry {
    json_t *trs;               /* the ReplicaSet with placeholders (tokenized_replicaset)... */
    size_t placed;             /* (how many) */
    cluster_admission_inputs in;   /* ...and what admission reads besides: its key */
    bool usable;               /* false: its ReplicaSets are prepared one by one */
    char *labels, *spec_text;   /* the pods' texts, placeholders in */
    cluster_template_forms *forms;     /* their body's and row's */
    size_t nids;
} memo_entry;

typedef struct template_memo {
    memo_entry e[MEMO_ENTRIES];
    int n, next;
} template_memo;

static void memo_entry_free(memo_entry *m)
{
    json_decref(m->trs);
    cluster_template_forms_free(m->forms);
    free(m->labels);
    free(m->spec_text);
    memset(m, 0, sizeof *m);
}

static void memo_free(template_memo *m)
{
    for (int i = 0; i < m->n; i++) memo_entry_free(&m->e[i]);
    m->n = m->next = 0;
}

/* text with the template placeholders replaced by vals (deployment, hash,
 * owner uid), the pods' own left; NULL for NULL. */
static char *fill_template(const char *text, const char *const vals[3])
{
    if (!text) return NULL;
    size_t n = strlen(text), extra = 0, lens[3];
    for (int i = 0; i < 3; i++) lens[i] = strlen(vals[i]);
    const char *codes = CLUSTER_TEMPLATE_CODES;   /* in vals' order */
    for (const char *p = strchr(text, CLUSTER_POD_TOKEN); p; p = strchr(p + 1, CLUSTER_POD_TOKEN)) {
        const char *c = p[1] ? strchr(codes, p[1]) : NULL;
        if (c) extra += lens[c - codes];
    }
    char *out = malloc(n + extra + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = text; *p;) {
        const char *c = p[0] == CLUSTER_POD_TOKEN && p[1] ? strchr(codes, p[1]) : NULL;
        if (!c) { *o++ = *p++; continue; }
        memcpy(o, vals[c - codes], lens[c - codes]);
        o += lens[c - codes];
        p += 2;
    }
    *o = 0;
    return out;
}

/* rs with the placeholders for what memo entries leave out, or NULL when
 * its template is not one of those (see above); vals: what they stand for
 * (the Deployment's part of its name, malloc'd; the hash; the uid),
 * *placed: how many placeholders. */
static json_t *tokenized_replicaset(json_t *rs, const char *vals[3], size_t *placed)
{
    const char *name = obj_name(rs), *uid = obj_str(rs, "metadata.uid");
    json_t *tmpl = obj_at(rs, "spec.template");
    json_t *labels = obj_at(tmpl, "metadata.labels");
    const char *hash = json_string_value(json_object_get(labels, "pod-template-hash"));
    size_t nl = strlen(name), hl = hash ? strlen(hash) : 0;
    if (!uid || !hl || nl <= hl + 1 || strcmp(name + nl - hl, hash) || name[nl - hl - 1] != '-' ||
        has_token(name) || has_token(uid) || !json_is_object(tmpl))
        return NULL;
    char *dep = strndup(name, nl - hl - 1);
    if (!dep) return NULL;
    json_t *t = json_copy(tmpl), *md = json_copy(json_object_get(tmpl, "metadata")), *ls = json_object();
    json_object_set_new(t, "metadata", md);
    json_object_set_new(md, "labels", ls);
    const char *key;
    json_t *v;
    *placed = 3;   /* the name's two and the uid */
    json_object_foreach(labels, key, v) {
        const char *s = json_string_value(v);
        if (has_token(key) || has_token(s)) {
            json_decref(t);
            free(dep);
            return NULL;
        }
        /* (istio's and the injector's labels decide things: kept as they are) */
        bool hash_label = !strcmp(key, "pod-template-hash");
        bool named = !hash_label && s && !strcmp(s, dep) && !strstr(key, "istio") && !strstr(key, "sidecar");
        json_object_set_new(ls, key, hash_label ? json_string(CLUSTER_POD_TOKEN_HASH)
                                     : named    ? json_string(CLUSTER_POD_TOKEN_DEPLOYMENT)
                                                : json_incref(v));
        if (hash_label || named) ++*placed;
    }
    vals[0] = dep;
    vals[1] = hash;
    vals[2] = uid;
    return json_pack("{s:{s:s,s:s,s:s},s:{s:o}}", "metadata", "name",
                     CLUSTER_POD_TOKEN_DEPLOYMENT "-" CLUSTER_POD_TOKEN_HASH, "namespace", obj_namespace(rs), "uid",
                     CLUSTER_POD_TOKEN_OWNER_UID, "spec", "template", t);
}

/* How many placeholder characters v's keys and strings hold. */
static size_t tokens_in(json_t *v)
{
    size_t n = 0;
    if (json_is_string(v)) {
        for (const char *p = strchr(json_string_value(v), CLUSTER_POD_TOKEN); p; p = strchr(p + 1, CLUSTER_POD_TOKEN)) n++;
    } else if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m) n += has_token(key) + tokens_in(m);   /* (a key with one is refused whole) */
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) n += tokens_in(m);
    }
    return n;
}

/* Is m the entry of a tokenized ReplicaSet with these admission inputs?
 * (They are the same objects for the ReplicaSets of one namespace.) */
static bool memo_is(const memo_entry *m, json_t *trs, size_t placed, const cluster_admission_inputs *in)
{
    return m->placed == placed && m->in.installed == in->installed && m->in.nso == in->nso &&
           m->in.parts == in->parts && m->in.proxy == in->proxy && json_equal(m->trs, trs);
}

/* The memo entry for trs: the pods' texts of its template with the
 * placeholders in, prepared as prepare does (entry->usable false when
 * they cannot be: on the host network, too many containers). */
static void memo_prepare(const kind_info *pk, rs_job *j, json_t *trs, shape *sh, memo_entry *m)
{
    pod_template t = {0};
    t.pod = admitted_template(&j->in, trs);
    template_texts(&t, trs);
    if (!json_is_true(obj_at(t.pod, "spec.hostNetwork")) && t.texts[0] && shape_of(sh, t.shared[0])) {
        json_t *pod;
        char *body = placeholder_pod(
            &t, sh, CLUSTER_POD_TOKEN_DEPLOYMENT "-" CLUSTER_POD_TOKEN_HASH "-" CLUSTER_POD_TOKEN_SUFFIX, &pod);
        char *row = body ? columns_encode(pk, pod) : NULL;
        m->forms = row ? cluster_template_forms_new(body, row, sh->nids) : NULL;
        if (!m->forms) free(body);
        free(row);
        json_t *labels = obj_labels(pod);
        if (labels && json_object_size(labels)) m->labels = json_text_compact(labels, false);
        m->spec_text = strdup(t.texts[0]);
        m->nids = sh->nids;
        m->usable = m->forms && m->spec_text && (!labels || !json_object_size(labels) || m->labels);
        json_decref(pod);
    }
    template_free(&t);
}

/* Job j prepared from the memo (its entry made first when missing):
 * false when j's template is not one the memo serves. */
static bool prepare_from_memo(const kind_info *pk, rs_job *j, shape *sh, template_memo *memo)
{
    const char *vals[3] = {NULL};
    size_t placed = 0;
    json_t *trs = tokenized_replicaset(j->rs, vals, &placed);
    memo_entry *m = NULL;
    for (int i = 0; trs && i < memo->n && !m; i++)
        if (memo_is(&memo->e[i], trs, placed, &j->in)) m = &memo->e[i];
    /* a new entry, unless the ReplicaSet holds a placeholder character of its
     * own (it is then prepared alone; one equal to an entry holds none) */
    if (trs && !m && tokens_in(trs) == placed) {
        int at = memo->n < MEMO_ENTRIES ? memo->n++ : memo->next++ % MEMO_ENTRIES;
        m = &memo->e[at];
        memo_entry_free(m);
        m->trs = json_incref(trs);
        m->placed = placed;
        m->in = j->in;
        memo_prepare(pk, j, trs, sh, m);
    }
    json_decref(trs);
    bool done = false;
    if (m && m->usable) {
        /* (the body and row are the entry's, filled in pod by pod; the pods'
         * names begin with the ReplicaSet's, <deployment>-<hash>) */
        char base[600], *labels = fill_template(m->labels, vals), *spec_text = fill_template(m->spec_text, vals);
        snprintf(base, sizeof base, "%s-", obj_name(j->rs));
        if (spec_text && (labels || !m->labels))
            j->pt.forms = cluster_pod_forms_from_template(pk, obj_namespace(j->rs), base, m->forms, vals, labels,
                                                          spec_text, m->nids);
        if (!j->pt.forms) free(spec_text);
        free(labels);
        done = j->pt.forms != NULL;
    }
    free((char *)vals[0]);   /* (tokenized_replicaset's copy) */
    return done;
}

/* sh, memo: this thread's placeholders' status (see shape) and templates
 * prepared once (NULL: prepare j's own). */
static void prepare_template(const kind_info *pk, rs_job *j, shape *sh, template_memo *memo)
{
    if (memo && !forms_off && prepare_from_memo(pk, j, sh, memo)) return;
    pod_template *pt = &j->pt;
    pt->pod = admitted_template(&j->in, j->rs);
    j->host_network = json_is_true(obj_at(pt->pod, "spec.hostNetwork"));
    template_texts(pt, j->rs);
    if (!j->host_network) pt->forms = template_forms(pk, j->rs, pt, sh);
    /* pods made as objects: their statuses from a kit */
    if (!j->host_network && !pt->forms) pt->kit = cluster_status_kit_new(pt->shared[0]);
}

/* The template, and the ReplicaSet's status once its pods are made as
 * texts (on the preparing thread, like the template). */
static void prepare(const kind_info *pk, rs_job *j, shape *sh, template_memo *memo)
{
    prepare_template(pk, j, sh, memo);
    json_decref(j->update);
    j->update = j->pt.forms ? replicaset_update(j->rs, replicaset_status(j->rs, j->mine, j->create)) : NULL;
}

/* The ReplicaSets' templates, prepared in order by a second thread, which
 * also frees them once used (what a thread made is cheaper freed there);
 * this thread prepares the next one itself rather than wait for it. */
enum { UNCLAIMED, PREPARING, PREPARED };

typedef struct preparer {
    rs_job *jobs;
    atomic_int *state;           /* per job */
    size_t n, used, freed;       /* jobs[0, used) used, [0, freed) freed */
    bool stop;
    const kind_info *pk;
    shape shapes[2];             /* the second thread's and this one's (see prepare) */
    template_memo memos[2];
    pthread_mutex_t mu;
    pthread_cond_t cv;
} preparer;

static bool claim(preparer *p, size_t i)
{
    int expect = UNCLAIMED;
    return atomic_compare_exchange_strong(&p->state[i], &expect, PREPARING);
}

static void publish(preparer *p, size_t i)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->state[i], PREPARED);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Free the jobs used since last time. */
static void free_used(preparer *p, bool wait)
{
    pthread_mutex_lock(&p->mu);
    while (wait && p->used == p->freed && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
    size_t upto = p->used;
    pthread_mutex_unlock(&p->mu);
    for (; p->freed < upto; p->freed++) template_free(&p->jobs[p->freed].pt);
}

static bool stopped(preparer *p)
{
    pthread_mutex_lock(&p->mu);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    return stop;
}

static void *prepare_all(void *arg)
{
    preparer *p = arg;
    heap_thread_use_huge_pages();
    for (size_t i = 0; i < p->n && !stopped(p); i++) {
        if (claim(p, i)) {
            prepare(p->pk, &p->jobs[i], &p->shapes[0], &p->memos[0]);
            publish(p, i);
        }
        free_used(p, false);
    }
    while (p->freed < p->n && !stopped(p)) free_used(p, true);
    return NULL;
}

/* Job i prepared, here if nobody has begun it.  While the second thread
 * is at it, this one prepares the jobs after it that nobody has begun
 * rather than wait: waking a waiting thread costs tens of microseconds on
 * the VMs of bench/, and 1 000 ReplicaSets waited 20 ms in all. */
static void get_prepared(preparer *p, size_t i)
{
    if (claim(p, i)) {
        prepare(p->pk, &p->jobs[i], &p->shapes[1], &p->memos[1]);
        atomic_store(&p->state[i], PREPARED);
        return;
    }
    for (size_t ahead = i + 1; ahead < p->n && atomic_load(&p->state[i]) != PREPARED; ahead++) {
        if (!claim(p, ahead)) continue;
        prepare(p->pk, &p->jobs[ahead], &p->shapes[1], &p->memos[1]);
        atomic_store(&p->state[ahead], PREPARED);
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->state[i]) != PREPARED) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void mark_used(preparer *p, size_t upto)
{
    pthread_mutex_lock(&p->mu);
    p->used = upto;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Only this sync changes the ReplicaSet's pods. */
static int sync_replicaset(cluster_cache *c, const kind_info *rsk, const kind_info *pk, rs_job *j, shape *own,
                           template_memo *own_memo)
{
    json_t *rs = j->rs, *mine = j->mine, *p;
    const char *ns = obj_namespace(rs);
    long long want = j->want, have = j->have;
    size_t i;
    int changed = 0;
    /* like the real controller, create in bounded batches per sync */
    long long made_running = 0;   /* pods made as texts: Running */
    pod_template *pt = &j->pt;
    if (j->create > 0) {
        if (!pt->pod && !pt->forms) prepare(pk, j, own, own_memo);
        if (!j->host_network) pt->next_ip = ipam_reserve_pod_ips(ccache_store(c), j->create);
        if (pt->next_ip <= 0 && !pt->pod) {   /* from the memo: the objects' way needs the template itself */
            template_free(pt);
            prepare(pk, j, own, NULL);
        }
        if (pt->next_ip <= 0) {   /* addresses one by one */
            cluster_status_kit_free(pt->kit);
            cluster_pod_forms_free(pt->forms);
            pt->kit = NULL;
            pt->forms = NULL;
        }
    }
    for (long long k = 0; k < j->create; k++, have++) {
        if (pt->forms) {
            char ip[32];
            ipam_pod_ip_nth(pt->next_ip++, ip, sizeof ip);
            if (cluster_pod_forms_create(c, pt->forms, ip) < 0) { changed = -1; break; }
            made_running++;
        } else if (create_pod(c, pk, rs, pt, mine) < 0) {
            changed = -1;
            break;
        }
        changed++;
    }
    if (changed < 0) return -1;
    if (have < want) ccache_again(c);   /* the rest in the next round's burst */
    /* scale down: the controller deletes the newest pods first */
    while (have > want) {
        json_t *victim = NULL;
        size_t at = 0;
        json_array_foreach(mine, i, p) {
            if (!victim || strcmp(obj_str_or(p, "metadata.creationTimestamp", ""),
                                  obj_str_or(victim, "metadata.creationTimestamp", "")) >= 0) {
                victim = p;
                at = i;
            }
        }
        if (!victim) break;
        if (ccache_delete(c, pk, ns, obj_name(victim)) < 0) return -1;
        json_array_remove(mine, at);
        have--;
        changed++;
    }

    /* status from the pods as they are now: as prepared when they were all
     * made as texts (see prepare) */
    json_t *copy = pt->forms && made_running == j->create && j->update
                       ? json_incref(j->update)
                       : replicaset_update(rs, replicaset_status(rs, mine, made_running));
    if (!copy) return changed;
    int rc = ccache_write_status_if_changed(c, rsk, copy, rs);
    json_decref(copy);
    return rc < 0 ? -1 : changed + rc;
}

/* Fewer ReplicaSets creating pods than this are prepared on this thread. */
#define PREPARE_BEHIND 8
/* When this many pods or more are made, their rows are written behind
 * (store_write_behind): SQLite inserts them on another thread while this
 * one makes the next (the inserts were two thirds of this thread's work
 * for 1 000 Deployments). */
#define PODS_BEHIND 256

int controller_replicasets(cluster_cache *c)
{
    const kind_info *rsk = kind_lookup("replicasets.apps"), *pk = kind_lookup("pods");
    json_t *all = ccache_list(c, rsk);
    size_t n = json_array_size(all);
    json_t *pods = n ? ccache_list(c, pk) : json_array();
    json_t *by_owner = cluster_index_by_owner(pods);
    rs_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs) {
        json_decref(by_owner);
        json_decref(pods);
        json_decref(all);
        return -1;
    }
    size_t i, creating = 0;
    long long pods_made = 0;
    json_t *rs, *p;
    json_array_foreach(all, i, rs) {
        rs_job *j = &jobs[i];
        j->rs = rs;
        j->mine = json_array();
        const char *ns = obj_namespace(rs);
        size_t k;
        json_array_foreach(json_object_get(by_owner, obj_str_or(rs, "metadata.uid", "")), k, p)
            if (!strcmp(obj_namespace(p), ns)) json_array_append(j->mine, p);
        j->want = obj_int_or(rs, "spec.replicas", 1);
        j->have = (long long)json_array_size(j->mine);
        j->create = j->have < j->want ? (j->want - j->have < RS_BURST ? j->want - j->have : RS_BURST) : 0;
        if (j->create > 0) {
            ccache_admission_inputs(c, obj_at(rs, "spec.template"), ns, &j->in);
            creating++;
            pods_made += j->create;
        }
    }
    /* the templates on a second thread, the writes here */
    atomic_int *state = calloc(n ? n : 1, sizeof *state);
    for (i = 0; state && i < n; i++) atomic_init(&state[i], jobs[i].create > 0 ? UNCLAIMED : PREPARED);
    preparer prep = {.jobs = jobs, .state = state, .n = n, .pk = pk, .mu = PTHREAD_MUTEX_INITIALIZER,
                     .cv = PTHREAD_COND_INITIALIZER};
    pthread_t helper;
    bool behind = state && creating >= PREPARE_BEHIND && pthread_create(&helper, NULL, prepare_all, &prep) == 0;
    if (pods_made >= PODS_BEHIND) ccache_write_behind(c);
    int changed = 0;
    for (i = 0; i < n; i++) {
        if (behind) get_prepared(&prep, i);
        int k = sync_replicaset(c, rsk, pk, &jobs[i], &prep.shapes[1], &prep.memos[1]);
        if (behind) mark_used(&prep, i + 1);
        else template_free(&jobs[i].pt);
        if (k < 0) { changed = -1; break; }
        changed += k;
    }
    if (behind) {
        pthread_mutex_lock(&prep.mu);
        prep.stop = true;   /* (after a failure, the rest is freed here) */
        pthread_cond_broadcast(&prep.cv);
        pthread_mutex_unlock(&prep.mu);
        pthread_join(helper, NULL);
    }
    shape_free(&prep.shapes[0]);
    shape_free(&prep.shapes[1]);
    memo_free(&prep.memos[0]);
    memo_free(&prep.memos[1]);
    /* the ReplicaSets are settled: stored while the Deployments' statuses are worked out */
    if (changed >= 0 && ccache_flush_written_behind(c, rsk)) changed = -1;
    free(state);
    for (i = 0; i < n; i++) {
        template_free(&jobs[i].pt);
        json_decref(jobs[i].update);
        json_decref(jobs[i].mine);
    }
    free(jobs);
    json_decref(by_owner);
    json_decref(pods);
    json_decref(all);
    return changed;
}
