/* istioctl validate -f FILE...: the API server's validation (shared with
 * apply) plus Istio's own checks, with istioctl's messages and exit codes. */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "analyze/istio_validate.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "model/kinds.h"
#include "model/loader.h"
#include "model/validate.h"

typedef struct strs {
    char **v;
    size_t n, cap;
} strs;

static void strs_add(strs *s, char *owned)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = owned;
}

static void strs_free(strs *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void addf(strs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(strs *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *t = NULL;
    if (vasprintf(&t, fmt, ap) >= 0) strs_add(s, t);
    va_end(ap);
}

static bool protocol_prefix_known(const char *name)
{
    static const char *const protos[] = {"tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2",
                                         "https", "tls", "mongo", "redis", "mysql", NULL};
    const char *dash = strchr(name, '-');
    size_t n = dash ? (size_t)(dash - name) : strlen(name);
    for (const char *const *p = protos; *p; p++)
        if (strlen(*p) == n && !strncasecmp(name, *p, n)) return true;
    return false;
}

/* Go's %q of a map[string]string: map["a":"b" "c":"d"] (keys sorted). */
static void go_map_q(char *buf, size_t len, json_t *m)
{
    size_t off = (size_t)snprintf(buf, len, "map[");
    const char *keys[64];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) if (n < 64) keys[n++] = k;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t;
        }
    for (size_t i = 0; i < n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s\"%s\":\"%s\"", i ? " " : "", keys[i],
                                json_string_value(json_object_get(m, keys[i])) ? json_string_value(json_object_get(m, keys[i])) : "");
    if (off < len) snprintf(buf + off, len - off, "]");
}

static void validate_doc(cmd_ctx *ctx, json_t *obj, const char *def_ns, strs *errs, strs *warns)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    char prefix[800];
    snprintf(prefix, sizeof prefix, "%s/%s/%s:", kind ? kind : "", ns ? ns : "", name ? name : "");
    if (!kind || !api) return;
    char minor[16];
    snprintf(minor, sizeof minor, "%s", ctx->rel ? ctx->rel->minor : release_default()->minor);

    if (!strncmp(api, "networking.istio.io/", 20) || !strncmp(api, "security.istio.io/", 18)) {
        const char *k;
        json_t *v;
        size_t before = errs->n;
        json_object_foreach(obj, k, v)
            if (strcmp(k, "apiVersion") && strcmp(k, "kind") && strcmp(k, "metadata") && strcmp(k, "spec") && strcmp(k, "status"))
                addf(errs, "%s unknown field \"%s\"", prefix, k);
        if (errs->n != before) return;
        /* Istio's own checks first (their messages are istioctl's); what they
         * accept still has to pass the API server's schema, shared with apply */
        iv_result r;
        if (istio_validate(obj, ns ? ns : def_ns, &r)) {
            for (size_t i = 0; i < r.nerrors; i++) addf(errs, "%s %s", prefix, r.errors[i]);
            for (size_t i = 0; i < r.nwarnings; i++) addf(warns, "%s %s", prefix, r.warnings[i].text);
            bool istio_errors = r.nerrors > 0;
            iv_result_free(&r);
            if (istio_errors) return;
        }
        bool ok;
        const kind_info *ki = kind_for_object(api, kind, &ok);
        char msg[2048];
        if (ki && ok && validate_object(ki, obj, msg, sizeof msg) != VALID_OK) addf(errs, "%s %s", prefix, msg);
        return;
    }
    if (!strcmp(kind, "Service") && !(ns && !strcmp(ns, "istio-system"))) {
        size_t i;
        json_t *p;
        char who[600];
        snprintf(who, sizeof who, "%s/%s/:", name ? name : "", ns ? ns : "");
        json_array_foreach(json_object_get(json_object_get(obj, "spec"), "ports"), i, p) {
            const char *proto = json_string_value(json_object_get(p, "protocol"));
            if (proto && !strcasecmp(proto, "UDP")) continue;
            const char *ap = json_string_value(json_object_get(p, "appProtocol"));
            const char *pn = json_string_value(json_object_get(p, "name"));
            if (ap) {
                if (!protocol_prefix_known(ap) || strchr(ap, '-'))
                    addf(errs, "%s service \"%s\" doesn't follow Istio protocol selection. This is not recommended, See https://istio.io/v%s/docs/ops/configuration/traffic-management/protocol-selection/", prefix, who, minor);
            } else if (!pn) {
                addf(errs, "%s service \"%s\" has an unnamed port. This is not recommended, See https://istio.io/v%s/docs/ops/deployment/application-requirements/", prefix, who, minor);
            } else if (!protocol_prefix_known(pn)) {
                addf(errs, "%s service \"%s\" port \"%s\" does not follow the Istio naming convention. See https://istio.io/v%s/docs/ops/deployment/application-requirements/", prefix, who, pn, minor);
            }
        }
        return;
    }
    if (!strcmp(kind, "Deployment") && !(ns && !strcmp(ns, "istio-system"))) {
        json_t *l = json_object_get(json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "metadata"), "labels");
        bool has_name = json_object_get(l, "service.istio.io/canonical-name") || json_object_get(l, "app.kubernetes.io/name") || json_object_get(l, "app");
        bool has_rev = json_object_get(l, "service.istio.io/canonical-revision") || json_object_get(l, "app.kubernetes.io/version") || json_object_get(l, "version");
        if (!has_name || !has_rev) {
            char m[2048];
            go_map_q(m, sizeof m, l);
            fprintf(ctx->err, "deployment \"%s/%s:\" may not provide Istio metrics and telemetry labels: %s. See https://istio.io/v%s/docs/ops/deployment/application-requirements/\n",
                    name ? name : "", ns ? ns : "", m, minor);
        }
    }
}

static bool valid_ext(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir, strs *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    strs names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) strs_add(&names, strdup(e->d_name));
    closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, names.v[i]) < 0) continue;
        struct stat sb;
        if (!stat(p, &sb) && S_ISDIR(sb.st_mode)) {
            walk(p, out);
            free(p);
        } else if (valid_ext(p)) {
            strs_add(out, p);
        } else {
            free(p);
        }
    }
    strs_free(&names);
}

int cmd_istio_validate(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list files = {0};
    bool referential = true;
    const char *ns = NULL;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"referential", 'x', FLAG_BOOL, &referential, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl validate", ctx->err);
    if (prc > 0)
        fprintf(ctx->out, "Validate Istio policy and rules files\n\n"
                          "Usage:\n  istioctl validate -f FILENAME [options] [flags]\n\n"
                          "Aliases:\n  validate, v\n\n"
                          "Examples:\n  # Validate bookinfo-gateway.yaml\n"
                          "  istioctl validate -f samples/bookinfo/networking/bookinfo-gateway.yaml\n\n"
                          "Flags:\n  -f, --filename strings   Inputs of files to validate\n"
                          "  -h, --help               help for validate\n");
    if (prc) {
        flags_free(&fr);
        flag_list_free(&files);
        return prc < 0 ? 64 : 0;
    }
    int rc = 0;
    if (fr.npos) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl validate\"\n", fr.pos[0]);
        rc = 64;
        goto out;
    }
    if (!files.n) {
        fprintf(ctx->err, "Error: error: you must specify resources by --filename.\nExample resource specifications include:\n"
                          "   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n");
        rc = 1;
        goto out;
    }
    const char *def_ns = ns && *ns ? ns : cmd_default_namespace(ctx);
    strs errs = {0}, paths = {0};
    strs *warns = NULL;   /* per processed path */
    for (int i = 0; i < files.n; i++) {
        const char *f = files.v[i];
        struct stat sb;
        if (strcmp(f, "-") && stat(f, &sb)) {
            addf(&errs, "cannot stat file \"%s\": stat %s: no such file or directory", f, f);
            continue;
        }
        if (strcmp(f, "-") && S_ISDIR(sb.st_mode)) walk(f, &paths);
        else strs_add(&paths, strdup(f));
    }
    warns = calloc(paths.n + 1, sizeof *warns);
    for (size_t i = 0; i < paths.n; i++) {
        loaded_docs docs = {0};
        char err[2048];
        int lrc = loader_load_path(&docs, paths.v[i], 0, ctx->in, err, sizeof err);
        for (size_t d = 0; d < docs.n; d++)
            if (json_is_object(docs.docs[d].obj)) validate_doc(ctx, docs.docs[d].obj, def_ns, &errs, &warns[i]);
        if (lrc) addf(&errs, "failed to decode file %s: %s", paths.v[i], err);
        loaded_docs_free(&docs);
    }
    /* istioctl writes these reports to standard error */
    for (size_t i = 0; i < paths.n; i++) {
        const char *p = paths.v[i];
        if (warns[i].n) {
            if (strcmp(p, "-")) fprintf(ctx->err, "\"%s\" has warnings: ", p);
            fprintf(ctx->err, "\n");
            for (size_t w = 0; w < warns[i].n; w++) fprintf(ctx->err, "\t* %s\n", warns[i].v[w]);
            if (strcmp(p, "-")) fprintf(ctx->err, "\n");
        } else if (!errs.n) {
            if (!strcmp(p, "-")) fprintf(ctx->err, "validation succeed\n");
            else fprintf(ctx->err, "\"%s\" is valid\n", p);
        }
        if (!strcmp(p, "-") && !errs.n) break;
    }
    if (errs.n) {
        if (errs.n == 1) fprintf(ctx->err, "Error: 1 error occurred:\n\t* %s\n\n\n", errs.v[0]);
        else {
            fprintf(ctx->err, "Error: %zu errors occurred:\n", errs.n);
            for (size_t e = 0; e < errs.n; e++) fprintf(ctx->err, "\t* %s\n", errs.v[e]);
            fprintf(ctx->err, "\n\n");
        }
        rc = 1;
    }
    for (size_t i = 0; i < paths.n; i++) strs_free(&warns[i]);
    free(warns);
    strs_free(&errs);
    strs_free(&paths);
out:
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
