/* kubectl apply / create -f / replace -f: documents into the store.
 *
 * apply keeps kubectl's last-applied-configuration annotation and merges the
 * way client-side apply does: fields the manifest sets win, fields the
 * previous manifest set but this one dropped are removed, fields others set
 * (labels added by `kubectl label`, status, server defaults) stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd/apply_docs.h"
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"

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

static const char *dry_suffix(const apply_opts *o)
{
    if (!o->dry_run || !strcmp(o->dry_run, "none")) return "";
    return !strcmp(o->dry_run, "server") ? " (server dry run)" : " (dry run)";
}

/* The line of an applied document: "disp/name" for -o name, else
 * "disp/name verb" and the dry run's suffix, put in pieces (printf's
 * parsing of its format was a share of a 10 000-document apply's main
 * thread). */
static void print_applied(FILE *out, const apply_opts *o, const char *disp, const char *name, const char *verb)
{
    bool just_name = o->output && !strcmp(o->output, "name");
    const char *parts[] = {disp, "/", name, just_name ? "" : " ", just_name ? "" : verb, just_name ? "" : dry_suffix(o)};
    flockfile(out);
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) fputs_unlocked(parts[i], out);
    putc_unlocked('\n', out);
    funlockfile(out);
}

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
    /* a client-side dry run asks the server only for the object (which
     * is then simply not found): the namespace is the server's to check */
    bool client_dry = o->dry_run && !strcmp(o->dry_run, "client");
    if (k->namespaced && !client_dry && !namespace_known(st, ns)) {
        fprintf(ctx->err, "Error from server (NotFound): error when %s \"%s\": namespaces \"%s\" not found\n",
                apply_verb_ing(o->mode), d->source, ns);
        return 1;
    }
    kind_display(k, disp, sizeof disp);
    bool dry = o->dry_run && strcmp(o->dry_run, "none");
    /* no -o that prints the object: just its line */
    bool plain_output = !(o->output && *o->output && strcmp(o->output, "name"));
    const char *text = p->text;
    json_t *live = NULL;
    if (text) {
        /* the same manifest as the last apply, which left nothing to change:
         * unchanged, without reading the object (see applied_stays) */
        bool exists = false;
        char *applied = store_get_applied(st, k->resource, ns, name, &exists);
        /* the store keeps the manifest's digest (a store written before
         * digests: the manifest itself) */
        bool same = applied && (!strcmp(applied, p->digest) || !strcmp(applied, text));
        free(applied);
        if (same && plain_output) {
            print_applied(ctx->out, o, disp, name, "unchanged");
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
    if (o->mode == MODE_APPLY && !live && !dry && p->stays && plain_output) {
        /* created as is: admission leaves these kinds alone (applied_stays),
         * and nothing prints the object, so its stored text is made
         * without setting the annotation and stamps on the document */
        api_status as = api_create_applied_as_is(st, k, obj, LAST_APPLIED, text, p->digest, &e);
        if (as == API_OK) {
            print_applied(ctx->out, o, disp, name, "created");
            return 0;
        }
        if (as != API_ERR_INVALID) {
            fprintf(ctx->err, "Error from server: error when creating \"%s\": %s\n", d->source, e.msg);
            return 1;
        }
        /* a document this path does not take goes the usual way */
    }
    if (o->mode == MODE_APPLY) {
        if (!live) {
            /* the document becomes the object: nothing reads it as given
             * any more (p->stays was decided before) */
            result = json_incref(obj);
            /* (text is jansson's own output: valid UTF-8, no second check) */
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_stringn_nocheck(text, strlen(text)));
            verb = "created";
        } else {
            const char *old = obj_annotation(live, LAST_APPLIED);
            json_t *last = old ? json_loads(old, 0, NULL) : NULL;
            result = json_deep_copy(live);
            merge3(result, obj, last);
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_stringn_nocheck(text, strlen(text)));
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
            fprintf(ctx->err, "Error from server: error when %s \"%s\": admission failed\n", apply_verb_ing(o->mode), d->source);
            rc = 1;
        } else if (!dry && !live && o->held && p->may_hold && plain_output) {
            /* stamped as created; stored by the reconcile, with its status */
            api_stamp_new(st, result);
            cluster_written_add(o->held, k, result);
        } else if (!dry) {
            const char *applied = text && p->stays ? p->digest : NULL;
            api_status as = live ? api_update_applied(st, k, result, live, applied, &e)
                                 : api_create_applied(st, k, result, applied, &e);
            if (as != API_OK) {
                fprintf(ctx->err, "Error from server: error when %s \"%s\": %s\n", apply_verb_ing(o->mode), d->source, e.msg);
                rc = 1;
            } else if (plain_output) {   /* (nothing below changes it) */
                cluster_written_add(o->written, k, result);
            }
        }
    }
    if (rc == 0) {
        if (!plain_output) output_object(ctx->out, ctx->err, o->output, result);
        else print_applied(ctx->out, o, disp, name, verb);
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
        if (lrc) load_error[i] = apply_message("error: %s\n", err);
    }
    /* The store is opened only once every input is read: an input may be a
     * pipe from another meshsim command that needs the store itself
     * (`kubectl apply -f <(istioctl kube-inject ...)`). */
    if (!st) st = cmd_store(ctx);
    if (!st) {
        /* after the store's failure, what the builder had to say */
        for (int i = 0, j = 0; i < files.n; i++) {
            for (; (size_t)j < file_end[i]; j++) errlist_add(&el, apply_mapping_error(&all.docs[j]), NULL);
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
    apply_prepare_all(&o, &all, prep);
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
    o.written = json_object();
    /* a long stream's rows are inserted on a second thread (store.h) */
    bool write_behind = all.n >= APPLY_LONG_STREAM;
    if (write_behind) store_write_behind(st, true);
    if (write_behind && mode == MODE_APPLY) {
        o.held = json_object();
        apply_mark_held(&all, prep);
    }
    size_t applied = 0;
    for (size_t j = 0; j < all.n; j++) {
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
    /* freed while the controllers run and the store commits */
    doc_freer freer;
    doc_freer_start(&freer, &all, ctx->last_command);
    if (applied == 0 && rc == 0) {
        fprintf(ctx->err, "error: no objects passed to %s\n", mode == MODE_APPLY ? "apply" : mode == MODE_CREATE ? "create" : "replace");
        rc = 1;
    }
    forget_namespaces();
    /* every command that writes reconciles before it commits: when this one
     * wrote nothing (all unchanged, dry runs, errors), there is nothing new
     * for the controllers (their listing of the store was a tenth of an
     * unchanged 10 000-object re-apply) */
    if ((store_object_writes(st) || json_object_size(o.held)) && cluster_reconcile_written(st, ctx->rel, o.written, o.held))
        rc = 1;
    json_decref(o.written);
    json_decref(o.held);
    flags_free(&fr);
    flag_list_free(&files);
    rc = cmd_finish(ctx, rc);
    doc_freer_finish(&freer);
    return rc;
}

int cmd_apply(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_APPLY, "kubectl apply"); }
int cmd_create_from_files(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_CREATE, "kubectl create"); }
int cmd_replace(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_REPLACE, "kubectl replace"); }
