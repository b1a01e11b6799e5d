/* kubectl apply / create -f / replace -f: documents into the store.
 *
 * apply keeps kubectl's last-applied-configuration annotation and merges the
 * way client-side apply does: fields the manifest sets win, fields the
 * previous manifest set but this one dropped are removed, fields others set
 * (labels added by `kubectl label`, status, server defaults) stay. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/json_text.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/validate.h"
#include "net/world.h"
#include "analyze/istio_validate.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

typedef enum { MODE_APPLY, MODE_CREATE, MODE_REPLACE } apply_mode;

/* Three-way merge of maps: live <- desired, removing what only last had. */
static void merge3(json_t *live, json_t *desired, json_t *last)
{
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(live, tmp, k, v) {
        if (!json_object_get(desired, k) && last && json_object_get(last, k)) json_object_del(live, k);
    }
    json_object_foreach(desired, k, v) {
        json_t *lv = json_object_get(live, k);
        if (json_is_object(v) && json_is_object(lv))
            merge3(lv, v, last ? json_object_get(last, k) : NULL);
        else
            json_object_set(live, k, v);
    }
}

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

typedef struct apply_opts {
    apply_mode mode;
    const char *ns_flag;
    const char *dry_run;      /* NULL, "none", "client", "server" */
    const char *output;
    bool recursive, force;
    char default_ns[256];     /* the context's namespace, when a document has none */
} apply_opts;

static const char *dry_suffix(const apply_opts *o)
{
    if (!o->dry_run || !strcmp(o->dry_run, "none")) return "";
    return !strcmp(o->dry_run, "server") ? " (server dry run)" : " (dry run)";
}

static const char *verb_ing(apply_mode m) { return m == MODE_REPLACE ? "replacing" : "creating"; }

/* Namespaces seen to exist during this command (a set: a 10 000-document
 * stream names each of its namespaces hundreds of times).  Applying only
 * adds namespaces, so what is known stays true until the command ends. */
static json_t *known_ns;

static bool namespace_known(store *st, const char *ns)
{
    if (known_ns && json_object_get(known_ns, ns)) return true;
    if (!api_namespace_exists(st, ns)) return false;
    if (!known_ns) known_ns = json_object();
    json_object_set_new(known_ns, ns, json_true());
    return true;
}

static void forget_namespaces(void)
{
    json_decref(known_ns);
    known_ns = NULL;
}

/* What apply works out from a document alone, without the store: its kind,
 * its namespace filled in, the verdict of validation, the last-applied text.
 * A long stream has these worked out on two threads (prepare_all). */
typedef struct prepared {
    bool ready;
    char *map_error;    /* the builder's refusal (no kind, no such kind), or NULL */
    const kind_info *k;
    const char *ns, *name;   /* the object's (texts inside the document) */
    char *error;        /* the message to print, or NULL: the document may be stored */
    char *text;         /* last_applied_text, for apply */
    bool stays;         /* applied_stays(k, obj) of the document as given */
} prepared;

static void prepared_free(prepared *p)
{
    free(p->map_error);
    free(p->error);
    free(p->text);
    memset(p, 0, sizeof *p);
}

static char *message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *message(const char *fmt, ...)
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
        return message("Error from server (BadRequest): error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, msg);
    if (vs == VALID_INVALID) return message("%s\n", msg);
    if (vs == VALID_OK && !strcmp(k->kind, "ExternalService") && world_validate(obj, msg, sizeof msg))
        /* the outside world's own schema (meshsim-world(5)) */
        return message("The ExternalService \"%s\" is invalid: %s\n", obj_name(obj), msg);
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
        return message("Error from server: error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, msg);
    return NULL;
}

/* The builder's part: a kind and apiVersion the server maps.  NULL, or the
 * message kubectl prints. */
static char *mapping_error(loaded_doc *d)
{
    json_t *obj = d->obj;
    const char *kind = obj_str(obj, "kind"), *apiv = obj_str(obj, "apiVersion");
    if (!kind || !*kind || !apiv || !*apiv) {
        char *text = json_dumps(obj, JSON_COMPACT);
        char *m = message("error: unable to decode \"%s\": Object '%s' is missing in '%s'\n", d->source,
                          !kind || !*kind ? "Kind" : "apiVersion", text ? text : "");
        free(text);
        return m;
    }
    bool version_ok = false;
    const kind_info *k = kind_for_object(apiv, kind, &version_ok);
    if (!k || !version_ok)
        return message("error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": "
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
    p->ready = true;
    if ((p->map_error = mapping_error(d))) return;
    const char *kind = obj_str(obj, "kind"), *apiv = obj_str(obj, "apiVersion");
    bool version_ok = false;
    const kind_info *k = kind_for_object(apiv, kind, &version_ok);
    p->k = k;
    if (k->namespaced) {
        const char *ns = obj_str(obj, "metadata.namespace");
        if (ns && *ns && o->ns_flag && strcmp(ns, o->ns_flag)) {
            p->error = message("error: the namespace from the provided object \"%s\" does not match the namespace "
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
        p->error = message("error: error when retrieving current configuration of:\nResource: \"%s/%s, Resource=%s\", "
                           "GroupVersionKind: \"%s/%s, Kind=%s\"\nName: \"\", Namespace: \"%s\"\nfrom server for: \"%s\": "
                           "resource name may not be empty\n", grp, ver, k->plural, grp, ver, k->kind, ns, d->source);
        return;
    }
    p->ns = ns;
    p->name = obj_name(obj);
    p->error = validation_error(o, k, d, ns);
    if (p->error) return;
    p->stays = applied_stays(k, obj);
    if (o->mode == MODE_APPLY) p->text = last_applied_text(obj);
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

/* Below this many documents a second thread costs more than it saves. */
#define PREPARE_PARALLEL_MIN 256

/* Prepare every mappable document: a long stream on two threads (validation
 * and the last-applied text were a sixth of a 10 000-object apply). */
static void prepare_all(const apply_opts *o, loaded_docs *all, prepared *p)
{
    prepare_range first = {o, all, p, 0, all->n}, second = first;
    pthread_t worker;
    bool threaded = all->n >= PREPARE_PARALLEL_MIN;
    if (threaded) {
        first.to = second.from = all->n / 2;
        threaded = pthread_create(&worker, NULL, prepare_range_run, &second) == 0;
        if (!threaded) first.to = all->n;
    }
    prepare_range_run(&first);
    if (threaded) pthread_join(worker, NULL);
}

/* A long stream's documents are freed on a second thread, each soon after
 * it is applied: freeing 10 000 of them at the end was a tenth of applying
 * them again.  The thread frees what the loop has released. */
typedef struct doc_freer {
    loaded_docs *all;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;
    size_t released;   /* documents before this one are applied */
    bool running;
} doc_freer;

/* documents released at a time (each release may wake the thread) */
#define FREE_BATCH 256

static void *doc_freer_run(void *arg)
{
    doc_freer *f = arg;
    size_t freed = 0;
    pthread_mutex_lock(&f->mu);
    while (freed < f->all->n) {
        while (f->released == freed) pthread_cond_wait(&f->more, &f->mu);
        size_t upto = f->released;
        pthread_mutex_unlock(&f->mu);
        for (; freed < upto; freed++) {
            json_decref(f->all->docs[freed].obj);
            f->all->docs[freed].obj = NULL;
            free(f->all->docs[freed].source);
            f->all->docs[freed].source = NULL;
        }
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void doc_freer_start(doc_freer *f, loaded_docs *all)
{
    f->all = all;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->more, NULL);
    f->running = all->n >= PREPARE_PARALLEL_MIN && pthread_create(&f->thread, NULL, doc_freer_run, f) == 0;
}

/* The documents before upto are applied (all of them when upto is n). */
static void doc_freer_release(doc_freer *f, size_t upto)
{
    if (!f->running || (upto - f->released < FREE_BATCH && upto < f->all->n)) return;
    pthread_mutex_lock(&f->mu);
    f->released = upto;
    pthread_cond_signal(&f->more);
    pthread_mutex_unlock(&f->mu);
}

/* Wait for the thread, then free what is left. */
static void doc_freer_finish(doc_freer *f)
{
    if (f->running) {
        doc_freer_release(f, f->all->n);
        pthread_join(f->thread, NULL);
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->more);
    loaded_docs_free(f->all);
}

/* Apply one prepared document.  Returns 0 on success, 1 on a reported error. */
static int apply_one(cmd_ctx *ctx, store *st, apply_opts *o, loaded_doc *d, prepared *p)
{
    json_t *obj = d->obj;
    char disp[256];
    if (p->error) {
        fputs(p->error, ctx->err);
        return 1;
    }
    const kind_info *k = p->k;
    const char *ns = p->ns, *name = p->name;
    if (k->namespaced && !namespace_known(st, ns)) {
        fprintf(ctx->err, "Error from server (NotFound): error when %s \"%s\": namespaces \"%s\" not found\n",
                verb_ing(o->mode), d->source, ns);
        return 1;
    }
    kind_display(k, disp, sizeof disp);
    bool dry = o->dry_run && strcmp(o->dry_run, "none");
    const char *text = p->text;
    json_t *live = NULL;
    if (text) {
        /* the same manifest as the last apply, which left nothing to change:
         * unchanged, without reading the object (see applied_stays) */
        bool exists = false;
        char *applied = store_get_applied(st, k->resource, ns, name, &exists);
        bool same = applied && !strcmp(applied, text);
        free(applied);
        if (same && !(o->output && *o->output && strcmp(o->output, "name"))) {
            if (o->output && !strcmp(o->output, "name")) fprintf(ctx->out, "%s/%s\n", disp, name);
            else fprintf(ctx->out, "%s/%s unchanged%s\n", disp, name, dry_suffix(o));
            return 0;
        }
        if (exists) live = api_get(st, k, ns, name);
    } else {
        live = api_get(st, k, ns, name);
    }
    const char *verb;
    json_t *result = NULL;
    api_error e = {0};
    int rc = 0;
    if (o->mode == MODE_APPLY) {
        if (!live) {
            /* the document becomes the object: nothing reads it as given
             * any more (p->stays was decided before) */
            result = json_incref(obj);
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_string(text));
            verb = "created";
        } else {
            const char *old = obj_annotation(live, LAST_APPLIED);
            json_t *last = old ? json_loads(old, 0, NULL) : NULL;
            result = json_deep_copy(live);
            merge3(result, obj, last);
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_string(text));
            /* compare with what the API server would store: lists the manifest
             * replaces get their server-side defaults back (ports' protocol, ...) */
            json_t *admitted = json_deep_copy(result);
            cluster_admit(st, ctx->rel, k, admitted, live);
            verb = json_equal(admitted, live) ? "unchanged" : "configured";
            json_decref(admitted);
            json_decref(last);
        }
    } else if (o->mode == MODE_CREATE) {
        if (live) {
            fprintf(ctx->err, "Error from server (AlreadyExists): error when creating \"%s\": %s \"%s\" already exists\n",
                    d->source, k->resource, name);
            json_decref(live);
            return 1;
        }
        result = json_deep_copy(obj);
        verb = "created";
    } else {
        if (!live) {
            fprintf(ctx->err, "Error from server (NotFound): error when replacing \"%s\": %s \"%s\" not found\n",
                    d->source, k->resource, name);
            return 1;
        }
        result = json_deep_copy(obj);
        json_object_set(result, "status", json_object_get(live, "status"));
        if (!json_object_get(live, "status")) json_object_del(result, "status");
        verb = "replaced";
    }
    if (strcmp(verb, "unchanged") && (!dry || !strcmp(o->dry_run, "server"))) {
        if (cluster_admit(st, ctx->rel, k, result, live)) {
            fprintf(ctx->err, "Error from server: error when %s \"%s\": admission failed\n", verb_ing(o->mode), d->source);
            rc = 1;
        } else if (!dry) {
            const char *applied = text && p->stays ? text : NULL;
            api_status as = live ? api_update_applied(st, k, result, live, applied, &e)
                                 : api_create_applied(st, k, result, applied, &e);
            if (as != API_OK) {
                fprintf(ctx->err, "Error from server: error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, e.msg);
                rc = 1;
            }
        }
    }
    if (rc == 0) {
        if (o->output && *o->output && strcmp(o->output, "name")) output_object(ctx->out, ctx->err, o->output, result);
        else if (o->output && !strcmp(o->output, "name")) fprintf(ctx->out, "%s/%s\n", disp, name);
        else fprintf(ctx->out, "%s/%s %s%s\n", disp, name, verb, dry_suffix(o));
    }
    json_decref(live);
    json_decref(result);
    return rc;
}

/* Errors of one command, printed after everything else as kubectl does. */
typedef struct errlist {
    struct { char *text; const kind_info *k; char *source; char *name; } *v;
    size_t n;
} errlist;

/* Take text (malloc'd; empty or NULL means no error). */
static void errlist_add(errlist *el, char *text, loaded_doc *d)
{
    if (!text || !*text) { free(text); return; }
    el->v = realloc(el->v, (el->n + 1) * sizeof *el->v);
    bool vok;
    const kind_info *k = d ? kind_for_object(obj_api_version(d->obj), obj_kind(d->obj), &vok) : NULL;
    el->v[el->n].text = text;
    el->v[el->n].k = k;
    el->v[el->n].source = d ? strdup(d->source) : NULL;
    el->v[el->n].name = d && obj_name(d->obj) ? strdup(obj_name(d->obj)) : NULL;
    el->n++;
}

/* One error among several: kubectl prints each as its status message
 * (helpers.go MultipleErrors), so "error: " prefixes go and an invalid
 * object reads "Error from server (Invalid): ... is invalid: [a, b]". */
static void print_one_of_many(FILE *err, const char *text, const kind_info *k, const char *source,
                              const char *name, apply_mode mode)
{
    if (!strncmp(text, "error: ", 7)) { fputs(text + 7, err); return; }
    const char *inv = strstr(text, " is invalid: ");
    if (!strncmp(text, "The ", 4) && inv && k) {
        const char *causes = inv + 13;
        fprintf(err, "Error from server (Invalid): error when %s \"%s\": %s%s%s \"%s\" is invalid: ",
                mode == MODE_REPLACE ? "replacing" : "creating", source, k->kind, *k->group ? "." : "", k->group,
                name ? name : "");
        if (causes[0] == '\n') {
            fputc('[', err);
            bool first = true;
            for (const char *p = causes + 1; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len > 2 && !strncmp(p, "* ", 2)) {
                    fprintf(err, "%s%.*s", first ? "" : ", ", (int)(len - 2), p + 2);
                    first = false;
                }
                p += len + (nl ? 1 : 0);
            }
            fputs("]\n", err);
        } else {
            fputs(causes, err);
        }
        return;
    }
    fputs(text, err);
}

static void errlist_print(errlist *el, FILE *err, apply_mode mode)
{
    for (size_t i = 0; i < el->n; i++) {
        if (el->n == 1) fputs(el->v[i].text, err);
        else print_one_of_many(err, el->v[i].text, el->v[i].k, el->v[i].source, el->v[i].name, mode);
        free(el->v[i].text);
        free(el->v[i].source);
        free(el->v[i].name);
    }
    free(el->v);
    el->v = NULL;
    el->n = 0;
}


/* Is any -f source a pipe, a terminal or a socket (standard input included)? */
static bool inputs_may_block(const flag_list *files, FILE *in)
{
    for (int i = 0; i < files->n; i++) {
        struct stat sb;
        int r = strcmp(files->v[i], "-") ? stat(files->v[i], &sb) : fstat(fileno(in), &sb);
        if (r == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) return true;
    }
    return false;
}

static int apply_main(cmd_ctx *ctx, int argc, char **argv, apply_mode mode, const char *cmdpath)
{
    apply_opts o = {.mode = mode};
    flag_list files = {0};
    bool validate = true, save_config = false;
    const char *field_manager = NULL, *selector = NULL;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"namespace", 'n', FLAG_STR, &o.ns_flag, NULL},
        {"dry-run", 0, FLAG_STR, &o.dry_run, NULL},
        {"output", 'o', FLAG_STR, &o.output, NULL},
        {"recursive", 'R', FLAG_BOOL, &o.recursive, NULL},
        {"force", 0, FLAG_BOOL, &o.force, NULL},
        {"validate", 0, FLAG_BOOL, &validate, NULL},
        {"save-config", 0, FLAG_BOOL, &save_config, NULL},
        {"field-manager", 0, FLAG_STR, &field_manager, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, cmdpath, ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, cmdpath + 8);
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    if (o.dry_run && strcmp(o.dry_run, "client") && strcmp(o.dry_run, "server") && strcmp(o.dry_run, "none")) {
        fprintf(ctx->err, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", o.dry_run);
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    if (files.n == 0) {
        fprintf(ctx->err, "error: must specify one of -f and -k\n\n");
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    int rc = 0;
    /* Inputs that are pipes (-f -, -f <(istioctl kube-inject ...)) may come
     * from another meshsim command that needs the store itself: read them
     * before taking the store's write lock.  Regular files are read inside
     * the transaction (a writer killed mid-way leaves a consistent store). */
    store *st = NULL;
    if (!inputs_may_block(&files, ctx->in)) {
        st = cmd_store(ctx);
        if (!st) { flags_free(&fr); flag_list_free(&files); return 1; }
    }
    errlist el = {0};
    /* kubectl reads and maps every document first (decode and mapping errors
     * come first), applies the mappable ones, and prints every error after
     * the successes: one alone as it is, several one per line. */
    loaded_docs all = {0};
    /* where each file's documents end, and its load error: its documents'
     * mapping errors, worked out with the rest, come before that error */
    size_t *file_end = calloc((size_t)files.n + 1, sizeof *file_end);
    char **load_error = calloc((size_t)files.n + 1, sizeof *load_error);
    /* one stream collects every document's messages; each document's part
     * becomes its own error (a stream per document was a cost per object) */
    char *ebuf = NULL;
    size_t elen = 0;
    FILE *estream = open_memstream(&ebuf, &elen);
    for (int i = 0; i < files.n; i++) {
        char err[2048];
        int lrc = loader_load_path(&all, files.v[i], o.recursive, ctx->in, err, sizeof err);
        file_end[i] = all.n;
        if (lrc) load_error[i] = message("error: %s\n", err);
    }
    /* The store is opened only once every input is read: an input may be a
     * pipe from another meshsim command that needs the store itself
     * (`kubectl apply -f <(istioctl kube-inject ...)`). */
    if (!st) st = cmd_store(ctx);
    if (!st) {
        /* after the store's failure, what the builder had to say */
        for (int i = 0, j = 0; i < files.n; i++) {
            for (; (size_t)j < file_end[i]; j++) errlist_add(&el, mapping_error(&all.docs[j]), NULL);
            errlist_add(&el, load_error[i], NULL);
        }
        errlist_print(&el, ctx->err, mode);
        fclose(estream);
        free(ebuf);
        free(load_error);
        free(file_end);
        loaded_docs_free(&all);
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    /* one read of the store's meta (it is open), for documents without a namespace */
    if (!o.ns_flag) snprintf(o.default_ns, sizeof o.default_ns, "%s", cmd_default_namespace(ctx));
    prepared *prep = calloc(all.n + 1, sizeof *prep);
    prepare_all(&o, &all, prep);
    bool *ok = calloc(all.n + 1, sizeof *ok);
    for (int i = 0, j = 0; i < files.n; i++) {
        for (; (size_t)j < file_end[i]; j++) {
            ok[j] = !prep[j].map_error;
            if (prep[j].map_error) {
                errlist_add(&el, prep[j].map_error, NULL);
                prep[j].map_error = NULL;
            }
        }
        if (load_error[i]) errlist_add(&el, load_error[i], NULL);
    }
    free(load_error);
    free(file_end);
    /* a long stream's rows are inserted on a second thread (store.h) */
    bool write_behind = all.n >= PREPARE_PARALLEL_MIN;
    if (write_behind) store_write_behind(st, true);
    doc_freer freer = {0};
    doc_freer_start(&freer, &all);
    size_t applied = 0;
    for (size_t j = 0; j < all.n; j++) {
        doc_freer_release(&freer, j);
        applied++;
        if (!ok[j]) continue;
        size_t before = elen;
        cmd_ctx one = *ctx;
        one.err = estream;
        apply_one(&one, st, &o, &all.docs[j], &prep[j]);
        prepared_free(&prep[j]);
        fflush(estream);
        if (elen > before) errlist_add(&el, strndup(ebuf + before, elen - before), &all.docs[j]);
    }
    if (write_behind) store_write_behind(st, false);
    fclose(estream);
    free(ebuf);
    if (el.n) rc = 1;
    fflush(ctx->out);   /* successes print before the errors, as with unbuffered Go writers */
    errlist_print(&el, ctx->err, mode);
    free(ok);
    free(prep);
    /* the last ones are freed while the controllers run and the store commits */
    doc_freer_release(&freer, all.n);
    if (applied == 0 && rc == 0) {
        fprintf(ctx->err, "error: no objects passed to %s\n", mode == MODE_APPLY ? "apply" : mode == MODE_CREATE ? "create" : "replace");
        rc = 1;
    }
    forget_namespaces();
    /* every command that writes reconciles before it commits: when this one
     * wrote nothing (all unchanged, dry runs, errors), there is nothing new
     * for the controllers (their listing of the store was a tenth of an
     * unchanged 10 000-object re-apply) */
    if (store_object_writes(st) && cluster_reconcile(st, ctx->rel)) rc = 1;
    flags_free(&fr);
    flag_list_free(&files);
    rc = cmd_finish(ctx, rc);
    doc_freer_finish(&freer);
    return rc;
}

int cmd_apply(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_APPLY, "kubectl apply"); }
int cmd_create_from_files(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_CREATE, "kubectl create"); }
int cmd_replace(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_REPLACE, "kubectl replace"); }
