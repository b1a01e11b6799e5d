/* istioctl analyze: Istio's analyzers over the store, over files, or both. */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analyze/analyze.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "model/loader.h"

/* Exit codes of istioctl (istioctl/cmd/sysexits.go). */
#define EXIT_USAGE 64
#define EXIT_DATA 65
#define EXIT_ISSUES 79

typedef struct an_opts {
    bool list, use_kube, color, color_seen, all_ns, recursive, ignore_unknown, verbose;
    const char *output, *ns, *out_thr, *fail_thr, *mesh_cfg, *timeout, *revision;
    flag_list suppress, analyzers;
} an_opts;

static bool valid_ext(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

typedef struct file_list {
    char **v;
    size_t n, cap;
} file_list;

static void files_add(file_list *f, const char *p)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = realloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = strdup(p);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* filepath.Walk order: lexical, files and directories interleaved. */
static int gather_dir(cmd_ctx *ctx, const char *dir, bool recursive, file_list *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(ctx->err, "Error: open %s: permission denied\n", dir);
        return -1;
    }
    file_list names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) files_add(&names, e->d_name);
    closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && !rc; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, names.v[i]) < 0) break;
        struct stat sb;
        if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
            if (recursive) rc = gather_dir(ctx, path, recursive, out);
        } else if (!valid_ext(path)) {
            fprintf(ctx->err, "Skipping file %s, recognized file extensions are: [.json .yaml .yml]\n", path);
        } else {
            files_add(out, path);
        }
        free(path);
    }
    for (size_t i = 0; i < names.n; i++) free(names.v[i]);
    free(names.v);
    return rc;
}

static int gather_files(cmd_ctx *ctx, const flag_result *fr, bool recursive, file_list *out)
{
    for (int i = 0; i < fr->npos; i++) {
        const char *f = fr->pos[i];
        if (!strcmp(f, "-")) {
            if (ctx->in_is_tty) fprintf(ctx->out, "Reading from stdin:\n");
            files_add(out, f);
            continue;
        }
        struct stat sb;
        if (stat(f, &sb)) {
            fprintf(ctx->err, "Error: stat %s: no such file or directory\n", f);
            return -1;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (gather_dir(ctx, f, recursive, out)) return -1;
        } else if (!valid_ext(f)) {
            fprintf(ctx->err, "Skipping file %s, recognized file extensions are: [.json .yaml .yml]\n", f);
        } else {
            files_add(out, f);
        }
    }
    return 0;
}

/* The ingress gateway istioctl assumes in files-only mode, so a Gateway
 * selecting istio=ingressgateway does not count as a dangling selector. */
static void add_default_ingress(az_input *in)
{
    json_t *svc = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:{s:s},s:[{s:s,s:i,s:i,s:s},{s:s,s:i,s:i,s:s}]}}", "apiVersion", "v1",
        "kind", "Service", "metadata", "name", "istio-ingressgateway", "namespace", "istio-system", "labels", "app",
        "istio-ingressgateway", "istio", "ingressgateway", "spec", "selector", "istio", "ingressgateway", "ports",
        "name", "http2", "port", 80, "targetPort", 8080, "protocol", "TCP", "name", "https", "port", 443,
        "targetPort", 8443, "protocol", "TCP");
    json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:[{s:s}]}}", "apiVersion", "v1", "kind", "Pod",
                            "metadata", "name", "istio-ingressgateway", "namespace", "istio-system", "labels", "app",
                            "istio-ingressgateway", "istio", "ingressgateway", "spec", "containers", "name",
                            "istio-proxy");
    az_input_add(in, svc, NULL, 0, true);
    az_input_add(in, pod, NULL, 0, true);
    json_decref(svc);
    json_decref(pod);
}

static int load_mesh_config_file(cmd_ctx *ctx, az_input *in, const char *path)
{
    loaded_docs docs = {0};
    char err[1024];
    if (loader_load_path(&docs, path, 0, ctx->in, err, sizeof err) || !docs.n) {
        loaded_docs_free(&docs);
        return -1;   /* istioctl ignores an unreadable mesh config file */
    }
    json_decref(in->mesh_config);
    in->mesh_config = json_incref(docs.docs[0].obj);
    loaded_docs_free(&docs);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "Analyze Istio configuration and print validation messages\n\n"
                 "Usage:\n  istioctl analyze <file>... [flags]\n\n"
                 "Flags:\n"
                 "  -A, --all-namespaces            Analyze all namespaces\n"
                 "      --color                     Default true.  Disable with '=false' or set $TERM to dumb\n"
                 "      --failure-threshold Level   The severity level of analysis at which to set a non-zero exit code. Valid values: [Info Warning Error] (default Error)\n"
                 "  -h, --help                      help for analyze\n"
                 "      --ignore-unknown            Don't complain about un-parseable input documents\n"
                 "  -L, --list-analyzers            List the analyzers available to run. Suppresses normal execution.\n"
                 "      --meshConfigFile string     Overrides the mesh config values to use for analysis.\n"
                 "  -n, --namespace string          Config namespace\n"
                 "  -o, --output string             Output format: one of [log json yaml sarif] (default \"log\")\n"
                 "      --output-threshold Level    The severity level of analysis at which to display messages. Valid values: [Info Warning Error] (default Info)\n"
                 "  -R, --recursive                 Process directory arguments recursively.\n"
                 "  -S, --suppress stringArray      Suppress reporting a message code on a specific resource. Values are supplied in the form <code>=<resource> (e.g. '--suppress \"IST0102=DestinationRule primary-dr.default\"'). Can be repeated.\n"
                 "  -k, --use-kube                  Use live Kubernetes cluster for analysis. Set --use-kube=false to analyze files only. (default true)\n");
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const az_analyzer_info *)a)->name, ((const az_analyzer_info *)b)->name);
}

static void list_analyzers(FILE *out)
{
    size_t n;
    const az_analyzer_info *all = az_analyzers(&n);
    az_analyzer_info *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, all, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_names);
    for (size_t i = 0; i < n; i++) fprintf(out, "* %s:\n    %s\n", sorted[i].name, sorted[i].description);
    free(sorted);
}

static bool color_default(void)
{
    const char *term = getenv("TERM");
    if (term && !strcasecmp(term, "dumb")) return false;
    return isatty(STDOUT_FILENO);
}

int cmd_analyze(cmd_ctx *ctx, int argc, char **argv)
{
    an_opts o = {.use_kube = true, .output = "log"};
    const flag_spec specs[] = {
        {"list-analyzers", 'L', FLAG_BOOL, &o.list, NULL},
        {"use-kube", 'k', FLAG_BOOL, &o.use_kube, NULL},
        {"color", 0, FLAG_BOOL, &o.color, &o.color_seen},
        {"verbose", 'v', FLAG_BOOL, &o.verbose, NULL},
        {"failure-threshold", 0, FLAG_STR, &o.fail_thr, NULL},
        {"output-threshold", 0, FLAG_STR, &o.out_thr, NULL},
        {"output", 'o', FLAG_STR, &o.output, NULL},
        {"meshConfigFile", 0, FLAG_STR, &o.mesh_cfg, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &o.all_ns, NULL},
        {"namespace", 'n', FLAG_STR, &o.ns, NULL},
        {"suppress", 'S', FLAG_LIST, &o.suppress, NULL},
        {"timeout", 0, FLAG_STR, &o.timeout, NULL},
        {"recursive", 'R', FLAG_BOOL, &o.recursive, NULL},
        {"ignore-unknown", 0, FLAG_BOOL, &o.ignore_unknown, NULL},
        {"revision", 'r', FLAG_STR, &o.revision, NULL},
        {"analyzer", 0, FLAG_LIST, &o.analyzers, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl analyze", ctx->err);
    int rc = 0;
    file_list files = {0};
    az_input in = {0};
    az_msgs msgs = {0};
    az_suppression *sup = NULL;
    if (prc < 0) { rc = EXIT_USAGE; goto out; }
    if (prc > 0) { usage(ctx->out); goto out; }

    char fmt[32];
    snprintf(fmt, sizeof fmt, "%s", o.output);
    for (char *p = fmt; *p; p++) *p = (char)tolower((unsigned char)*p);
    o.output = fmt;
    if (strcmp(o.output, "log") && strcmp(o.output, "json") && strcmp(o.output, "yaml") && strcmp(o.output, "sarif")) {
        fprintf(ctx->err, "Error: %s not a valid option for format. See istioctl analyze --help\n", o.output);
        rc = EXIT_USAGE;
        goto out;
    }
    int fail_level = AZ_ERROR, out_level = AZ_INFO;
    const char *thr[2] = {o.fail_thr, o.out_thr};
    const char *thr_name[2] = {"failure-threshold", "output-threshold"};
    for (int t = 0; t < 2; t++) {
        if (!thr[t]) continue;
        int l = az_level_parse(thr[t]);
        if (l < 0) {
            fprintf(ctx->err, "Error: invalid argument \"%s\" for \"--%s\" flag: \"%s\" not a valid option, please choose from: [Info Warning Error]\n",
                    thr[t], thr_name[t], thr[t]);
            rc = EXIT_USAGE;
            goto out;
        }
        if (t == 0) fail_level = l;
        else out_level = l;
    }
    if (o.list) {
        list_analyzers(ctx->out);
        goto out;
    }
    if (gather_files(ctx, &fr, o.recursive, &files)) { rc = 1; goto out; }

    const char *ns = o.ns && *o.ns ? o.ns : cmd_default_namespace(ctx);
    const istio_release *rel = ctx->rel ? ctx->rel : release_default();
    if (o.use_kube) {
        store *st = cmd_store(ctx);
        if (!st) { rc = 1; goto out; }
        rel = ctx->rel;
        if (!o.all_ns) {
            json_t *nso = store_get(st, "namespaces", "", ns);
            if (!nso) {
                fprintf(ctx->err, "namespace \"%s\" not found\n", ns);
                rc = cmd_finish(ctx, 0);
                goto out;
            }
            json_decref(nso);
        }
        json_t *all = store_list_all(st);
        size_t i;
        json_t *obj;
        json_array_foreach(all, i, obj) az_input_add(&in, obj, NULL, 0, false);
        json_decref(all);
        az_input_find_mesh_config(&in);
        cmd_finish(ctx, 0);
    } else {
        add_default_ingress(&in);
    }
    if (o.mesh_cfg) load_mesh_config_file(ctx, &in, o.mesh_cfg);

    /* the files, collectively one source on top of the store */
    int parse_errors = 0;
    char **file_errors = calloc(files.n + 1, sizeof *file_errors);
    size_t nfile_errors = 0;
    for (size_t f = 0; f < files.n; f++) {
        loaded_docs docs = {0};
        char err[2048];
        int lrc = loader_load_path(&docs, files.v[f], 0, ctx->in, err, sizeof err);
        for (size_t d = 0; d < docs.n; d++) {
            json_t *obj = docs.docs[d].obj;
            if (!json_is_object(obj)) continue;
            json_t *md = json_object_get(obj, "metadata");
            /* cluster-scoped kinds ignore it (az_input_add) */
            if (json_is_object(md) && !json_object_get(md, "namespace"))
                json_object_set_new(md, "namespace", json_string(ns));
            az_input_add(&in, obj, strcmp(files.v[f], "-") ? files.v[f] : "-", docs.docs[d].line, false);
        }
        if (lrc) file_errors[nfile_errors++] = strdup(err);
        loaded_docs_free(&docs);
    }
    /* istioctl adds the files as one source: one multi-error, one parse failure */
    if (nfile_errors) {
        if (nfile_errors == 1) fprintf(ctx->err, "Error(s) adding files: 1 error occurred:\n");
        else fprintf(ctx->err, "Error(s) adding files: %zu errors occurred:\n", nfile_errors);
        for (size_t e = 0; e < nfile_errors; e++) {
            fprintf(ctx->err, "\t* %s\n", file_errors[e]);
            free(file_errors[e]);
        }
        fprintf(ctx->err, "\n");
        parse_errors = 1;
    }
    free(file_errors);

    sup = calloc((size_t)o.suppress.n + 1, sizeof *sup);
    size_t nsup = 0;
    for (int s = 0; s < o.suppress.n; s++) {
        const char *v = o.suppress.v[s], *eq = strchr(v, '=');
        if (!eq || strchr(eq + 1, '=')) {
            fprintf(ctx->err, "Error: %s is not a valid suppression value. See istioctl analyze --help\n", v);
            rc = 1;
            goto out;
        }
        char *code = strndup(v, (size_t)(eq - v));
        if (!az_code_lookup(code))
            fprintf(ctx->err, "Warning: Supplied message code '%s' is an unknown message code and will not have any effect.\n", code);
        sup[nsup++] = (az_suppression){code, eq + 1};
    }
    az_options opt = {o.all_ns ? NULL : ns, sup, nsup, o.analyzers.v, (size_t)o.analyzers.n};
    az_run(&in, &opt, &msgs);

    char target[300];
    if (o.all_ns) snprintf(target, sizeof target, "all namespaces");
    else snprintf(target, sizeof target, "namespace: %s", ns);
    if (o.verbose) {
        fprintf(ctx->err, "Analyzed resources in %s\nExecuted analyzers:\n", target);
        size_t na;
        const az_analyzer_info *ai = az_analyzers(&na);
        for (size_t a = 0; a < na; a++) {
            bool ran = !o.analyzers.n;
            for (int k = 0; k < o.analyzers.n && !ran; k++) ran = !strcmp(o.analyzers.v[k], ai[a].name);
            if (ran) fprintf(ctx->err, "\t %s\n", ai[a].name);
        }
        fprintf(ctx->err, "\n");
    }

    /* output threshold filters what is printed, not the exit code */
    az_msgs shown = {calloc(msgs.n + 1, sizeof(az_msg)), 0, msgs.n};
    bool failed = false;
    for (size_t i = 0; i < msgs.n; i++) {
        if ((int)msgs.v[i].code->level <= out_level) shown.v[shown.n++] = msgs.v[i];
        if ((int)msgs.v[i].code->level <= fail_level) failed = true;
    }
    bool color = o.color_seen ? o.color : color_default();
    if (!strcmp(o.output, "json")) az_print_json(ctx->out, &shown, rel->minor);
    else if (!strcmp(o.output, "yaml")) az_print_yaml(ctx->out, &shown, rel->minor);
    else if (!strcmp(o.output, "sarif")) az_print_sarif(ctx->out, &shown, rel->minor, rel->tag);
    else az_print_log(ctx->out, &shown, color);
    fflush(ctx->out);   /* istioctl writes the messages before the verdict */

    if (!shown.n) {
        if (!parse_errors) {
            if (files.n) {
                fprintf(ctx->err, "\u2714 No validation issues found when analyzing ");
                for (size_t f = 0; f < files.n; f++) fprintf(ctx->err, "%s%s", f ? "\n" : "", files.v[f]);
                fprintf(ctx->err, ".\n");
            } else {
                fprintf(ctx->err, "\u2714 No validation issues found when analyzing %s.\n", target);
            }
        } else {
            fprintf(ctx->err, "No validation issues found when analyzing %s (but %d %s could not be parsed).\n", target,
                    parse_errors, parse_errors == 1 ? "file" : "files");
        }
    }
    free(shown.v);
    if (!strcmp(o.output, "log")) {
        if (failed) {
            char base[256];
            az_doc_base(base, sizeof base, rel->minor);
            fprintf(ctx->err, "Error: Analyzers found issues when analyzing %s.\n"
                              "See %s for more information about causes and resolutions.\n", target, base);
            rc = EXIT_ISSUES;
        } else if (parse_errors && !o.ignore_unknown) {
            fprintf(ctx->err, "Error: Some files couldn't be parsed.\n");
            rc = EXIT_DATA;
        }
    }
out:
    if (sup) {
        for (size_t s = 0; sup[s].code; s++) free((char *)sup[s].code);
        free(sup);
    }
    az_msgs_free(&msgs);
    az_input_free(&in);
    for (size_t f = 0; f < files.n; f++) free(files.v[f]);
    free(files.v);
    flag_list_free(&o.suppress);
    flag_list_free(&o.analyzers);
    flags_free(&fr);
    return rc;
}
