/* kubectl apply's documents before the store.  See apply_docs.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/istio_validate.h"
#include "cmd/apply_docs.h"
#include "model/json_text.h"
#include "model/obj.h"
#include "model/validate.h"
#include "net/world.h"
#include "model/heap.h"
#include "store/keyset.h"

const char *apply_verb_ing(apply_mode m) { return m == MODE_REPLACE ? "replacing" : "creating"; }

/* What the annotation records: the manifest as given, namespace filled in. */
static char *last_applied_text(json_t *manifest)
{
    if (!obj_annotation(manifest, LAST_APPLIED)) {
        /* the usual case: nothing to strip, no copy needed */
        char *text = json_text_compact(manifest, true);
        size_t n = strlen(text);
        text = realloc(text, n + 2);
        text[n] = '\n';
        text[n + 1] = 0;
        return text;
    }
    json_t *copy = json_deep_copy(manifest);
    json_t *ann = obj_annotations(copy);
    if (ann) {
        json_object_del(ann, LAST_APPLIED);
        if (json_object_size(ann) == 0) json_object_del(obj_metadata(copy), "annotations");
    }
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    size_t n = strlen(text);
    text = realloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = 0;
    return text;
}

/* Does applying this manifest (obj) again leave the object apply writes
 * now unchanged?  Then its last-applied text is kept with the object and
 * the next apply of the same text answers "unchanged" without reading it.
 * Apply writes live <- merge3(live, obj, last) + annotation, admitted, then
 * stamped; applying obj again computes merge3(written, obj, obj) + the same
 * annotation, admits it and compares with what is stored.  merge3 keeps
 * every field of obj, so that is the stored object itself, unless
 * - obj sets what the API server stamps (uid, resourceVersion, ...) or the
 *   annotation apply writes, or
 * - admission (cluster_admit) changes objects of this kind: it does for
 *   Services, Namespaces, Pods and workloads, not for the kinds below
 *   (keep this list to kinds cluster_admit leaves alone). */
static bool applied_stays(const kind_info *k, json_t *obj)
{
    bool kind_ok = !strcmp(k->group, "networking.istio.io") || !strcmp(k->group, "security.istio.io") ||
                   !strcmp(k->group, "meshsim.dev") || !strcmp(k->kind, "ConfigMap") || !strcmp(k->kind, "Secret");
    if (!kind_ok) return false;
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) return false;
    static const char *const stamped[] = {"uid", "resourceVersion", "creationTimestamp", "generation", NULL};
    for (const char *const *f = stamped; *f; f++)
        if (json_object_get(md, *f)) return false;
    json_t *ann = json_object_get(md, "annotations");
    if (ann && (!json_is_object(ann) || json_object_get(ann, LAST_APPLIED))) return false;
    return true;
}

void prepared_free(prepared *p)
{
    free(p->map_error);
    free(p->error);
    free(p->text);
    memset(p, 0, sizeof *p);
}

char *apply_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) text = NULL;
    va_end(ap);
    return text ? text : strdup("error: out of memory\n");
}

/* Validation as the API server and istiod's webhook do it: NULL, or the
 * message kubectl prints. */
static char *validation_error(const apply_opts *o, const kind_info *k, loaded_doc *d, const char *ns)
{
    json_t *obj = d->obj;
    char msg[2048];
    valid_status vs = validate_object(k, obj, msg, sizeof msg);
    if (vs == VALID_BAD_REQUEST)
        return apply_message("Error from server (BadRequest): error when %s \"%s\": %s\n", apply_verb_ing(o->mode), d->source, msg);
    if (vs == VALID_INVALID) return apply_message("%s\n", msg);
    if (vs == VALID_OK && !strcmp(k->kind, "ExternalService") && world_validate(obj, msg, sizeof msg))
        /* the outside world's own schema (meshsim-world(5)) */
        return apply_message("The ExternalService \"%s\" is invalid: %s\n", obj_name(obj), msg);
    if (vs == VALID_OK && !strcmp(k->group, "networking.istio.io")) {
        /* istiod's validating webhook: Istio's own checks beyond the schema */
        iv_result r = {0};
        if (istio_validate(obj, ns, &r) && r.nerrors) {
            int n = snprintf(msg, sizeof msg, "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: ");
            if (r.nerrors == 1) {
                snprintf(msg + n, sizeof msg - (size_t)n, "%s", r.errors[0]);
            } else {
                n += snprintf(msg + n, sizeof msg - (size_t)n, "%zu errors occurred:", r.nerrors);
                for (size_t i = 0; i < r.nerrors && (size_t)n < sizeof msg; i++)
                    n += snprintf(msg + n, sizeof msg - (size_t)n, "\n\t* %s", r.errors[i]);
                if ((size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, "\n\n");
            }
            vs = VALID_DENIED;
        }
        iv_result_free(&r);
    }
    if (vs == VALID_DENIED)
        return apply_message("Error from server: error when %s \"%s\": %s\n", apply_verb_ing(o->mode), d->source, msg);
    return NULL;
}

/* The builder's part: a kind and apiVersion the server maps.  NULL, or the
 * message kubectl prints. */
char *apply_mapping_error(loaded_doc *d)
{
    json_t *obj = d->obj;
    const char *kind = obj_str(obj, "kind"), *apiv = obj_str(obj, "apiVersion");
    if (!kind || !*kind || !apiv || !*apiv) {
        char *text = json_dumps(obj, JSON_COMPACT);
        char *m = apply_message("error: unable to decode \"%s\": Object '%s' is missing in '%s'\n", d->source,
                          !kind || !*kind ? "Kind" : "apiVersion", text ? text : "");
        free(text);
        return m;
    }
    bool version_ok = false;
    const kind_info *k = kind_for_object(apiv, kind, &version_ok);
    if (!k || !version_ok)
        return apply_message("error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": "
                       "no matches for kind \"%s\" in version \"%s\"\nensure CRDs are installed first\n",
                       obj_name(obj) ? obj_name(obj) : "", obj_namespace(obj), d->source, kind, apiv);
    return NULL;
}

/* Work out p for one document: first whether it maps at all.  Reads
 * nothing but the document and o (o->default_ns filled in beforehand), so
 * documents can be prepared in parallel. */
static void prepare_doc(const apply_opts *o, loaded_doc *d, prepared *p)
{
    json_t *obj = d->obj;
    if ((p->map_error = apply_mapping_error(d))) return;
    const char *kind = obj_str(obj, "kind"), *apiv = obj_str(obj, "apiVersion");
    bool version_ok = false;
    const kind_info *k = kind_for_object(apiv, kind, &version_ok);
    p->k = k;
    if (k->namespaced) {
        const char *ns = obj_str(obj, "metadata.namespace");
        if (ns && *ns && o->ns_flag && strcmp(ns, o->ns_flag)) {
            p->error = apply_message("error: the namespace from the provided object \"%s\" does not match the namespace "
                               "\"%s\". You must pass '--namespace=%s' to perform this operation.\n", ns, o->ns_flag, ns);
            return;
        }
        if (!ns || !*ns) obj_set_str(obj, "metadata.namespace", o->ns_flag ? o->ns_flag : o->default_ns);
    } else if (json_is_object(obj_at(obj, "metadata"))) {
        json_object_del(obj_metadata(obj), "namespace");
    }
    const char *ns = k->namespaced ? obj_namespace(obj) : "";
    if (o->mode == MODE_APPLY && (!obj_name(obj) || !*obj_name(obj))) {
        char gvk[256];
        snprintf(gvk, sizeof gvk, "%s", apiv);
        char *slash = strrchr(gvk, '/');
        const char *grp = slash ? (*slash = 0, gvk) : "", *ver = slash ? slash + 1 : gvk;
        p->error = apply_message("error: error when retrieving current configuration of:\nResource: \"%s/%s, Resource=%s\", "
                           "GroupVersionKind: \"%s/%s, Kind=%s\"\nName: \"\", Namespace: \"%s\"\nfrom server for: \"%s\": "
                           "resource name may not be empty\n", grp, ver, k->plural, grp, ver, k->kind, ns, d->source);
        return;
    }
    p->ns = ns;
    p->name = obj_name(obj);
    p->error = validation_error(o, k, d, ns);
    if (p->error) return;
    p->stays = applied_stays(k, obj);
    if (o->mode == MODE_APPLY) {
        p->text = last_applied_text(obj);
        digest_text(p->text, strlen(p->text), p->digest);
    }
}

typedef struct prepare_range {
    const apply_opts *o;
    loaded_docs *all;
    prepared *p;
    size_t from, to;
} prepare_range;

static void *prepare_range_run(void *arg)
{
    prepare_range *r = arg;
    for (size_t j = r->from; j < r->to; j++) prepare_doc(r->o, &r->all->docs[j], &r->p[j]);
    return NULL;
}

static void *prepare_range_thread(void *arg)
{
    heap_thread_use_huge_pages();
    return prepare_range_run(arg);
}

/* Prepare every mappable document: a long stream on two threads (validation
 * and the last-applied text were a sixth of a 10 000-object apply). */
void apply_prepare_all(const apply_opts *o, loaded_docs *all, prepared *p)
{
    prepare_range first = {o, all, p, 0, all->n}, second = first;
    pthread_t worker;
    bool threaded = all->n >= APPLY_LONG_STREAM;
    if (threaded) {
        first.to = second.from = all->n / 2;
        threaded = pthread_create(&worker, NULL, prepare_range_thread, &second) == 0;
        if (!threaded) first.to = all->n;
    }
    prepare_range_run(&first);
    if (threaded) pthread_join(worker, NULL);
}

/* Which objects the reconcile may store for the command (see apply_one):
 * Deployments, whose status the controllers write at once, so that each is
 * stored once, as it ends up (storing them twice was a tenth of applying
 * 1 000).  Not one named twice in the stream: the second document must find
 * the first in the store.  Not istiod's: admitting a pod asks the store
 * whether it exists (cluster_wants_injection). */
static bool kind_held(const prepared *p)
{
    return p->k && !p->error && !p->map_error && !strcmp(p->k->kind, "Deployment") &&
           !(!strcmp(p->ns, "istio-system") && !strcmp(p->name, "istiod"));
}

void apply_mark_held(loaded_docs *all, prepared *p)
{
    keyset seen = {0}, twice = {0};
    for (size_t j = 0; j < all->n; j++) {
        if (!kind_held(&p[j])) continue;
        uint64_t h = keyset_hash(p[j].k->resource, p[j].ns, p[j].name);
        if (keyset_has(&seen, h)) keyset_add(&twice, h);   /* (a collision only holds fewer) */
        else keyset_add(&seen, h);
    }
    for (size_t j = 0; j < all->n; j++)
        p[j].may_hold = kind_held(&p[j]) && !keyset_has(&twice, keyset_hash(p[j].k->resource, p[j].ns, p[j].name));
    keyset_free(&seen);
    keyset_free(&twice);
}

static void *doc_freer_run(void *all)
{
    loaded_docs_free(all);
    return NULL;
}

/* The documents of the process's last command, left to the system (see
 * doc_freer_start); still reachable from here, so leak checkers count them
 * as kept, not lost (as git's UNLEAK does). */
static loaded_docs left_at_exit;

void doc_freer_start(doc_freer *f, loaded_docs *all, bool process_ends)
{
    if (process_ends && all->n >= APPLY_LONG_STREAM && !left_at_exit.docs) {
        left_at_exit = *all;
        memset(all, 0, sizeof *all);
        f->running = false;
        return;
    }
    f->running = all->n >= APPLY_LONG_STREAM && pthread_create(&f->thread, NULL, doc_freer_run, all) == 0;
    if (!f->running) loaded_docs_free(all);
}

void doc_freer_finish(doc_freer *f)
{
    if (f->running) pthread_join(f->thread, NULL);
    f->running = false;
}
