/* istioctl install / uninstall / verify-install. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/install_spec.h"
#include "cluster/cluster.h"
#include "cluster/install.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"

/* Istio 1.24 decorates each progress line with an icon. */
static const char *const icons[COMP_COUNT] = {"⛵️", "🧠", "🛬", "🛫"};

static bool new_style(const istio_release *rel) { return !(rel->cert_dir && *rel->cert_dir); }

/* The release the flags ask for (--set tag=1.24 or spec.tag in a file). */
static const istio_release *wanted_release(const istio_release *cur, json_t *file_spec, const flag_list *sets)
{
    const char *tag = obj_str(file_spec, "tag");
    for (int i = 0; i < sets->n; i++)
        if (!strncmp(sets->v[i], "tag=", 4) || !strncmp(sets->v[i], "spec.tag=", 9)) tag = strchr(sets->v[i], '=') + 1;
    const istio_release *r = tag ? release_lookup(tag) : NULL;
    return r ? r : cur;
}

/* The spec -f files and --set flags give, over the profile they name.
 * NULL after printing istioctl's error. */
json_t *install_spec_from_flags(cmd_ctx *ctx, const flag_list *files, const flag_list *sets,
                                const istio_release **relp)
{
    json_t *file_spec = json_object();
    char err[2048];
    for (int i = 0; i < files->n; i++) {
        loaded_docs d = {0};
        if (loader_load_path(&d, files->v[i], 0, ctx->in, err, sizeof err)) {
            fprintf(ctx->err, "Error: generate config: %s\n", err);
            loaded_docs_free(&d);
            json_decref(file_spec);
            return NULL;
        }
        for (size_t j = 0; j < d.n; j++) {
            json_t *o = d.docs[j].obj;
            if (strcmp(obj_kind(o), "IstioOperator")) {
                fprintf(ctx->err, "Error: generate config: %s: unknown kind \"%s\", expected IstioOperator\n",
                        d.docs[j].source, obj_kind(o));
                loaded_docs_free(&d);
                json_decref(file_spec);
                return NULL;
            }
            json_t *s = json_object_get(o, "spec");
            if (json_is_object(s)) iop_merge(file_spec, s);
        }
        loaded_docs_free(&d);
    }
    const istio_release *rel = wanted_release(*relp, file_spec, sets);
    const char *profile = obj_str_or(file_spec, "profile", "default");
    for (int i = 0; i < sets->n; i++)
        if (!strncmp(sets->v[i], "profile=", 8) || !strncmp(sets->v[i], "spec.profile=", 13)) profile = strchr(sets->v[i], '=') + 1;
    json_t *spec = install_profile(rel, profile);
    if (!spec) {
        fprintf(ctx->err, "Error: generate config: could not read profile \"%s\": profile does not exist\n", profile);
        json_decref(file_spec);
        return NULL;
    }
    iop_merge(spec, file_spec);
    json_decref(file_spec);
    if (iop_validate(spec, err, sizeof err)) {
        fprintf(ctx->err, "Error: generate config: %s\n", err);
        json_decref(spec);
        return NULL;
    }
    for (int i = 0; i < sets->n; i++) {
        const char *eq = strchr(sets->v[i], '=');
        if (!eq || eq == sets->v[i]) {
            fprintf(ctx->err, "Error: generate config: --set %s: expected key=value\n", sets->v[i]);
            json_decref(spec);
            return NULL;
        }
        char *path = strndup(sets->v[i], (size_t)(eq - sets->v[i]));
        int rc = iop_set(spec, path, eq + 1, err, sizeof err);
        free(path);
        if (rc) {
            fprintf(ctx->err, "Error: generate config: %s\n", err);
            json_decref(spec);
            return NULL;
        }
    }
    *relp = rel;
    return spec;
}

/* istioctl's confirm(): read one answer; only y/yes proceeds. */
static bool confirm(cmd_ctx *ctx, const char *prompt)
{
    fprintf(ctx->out, "%s ", prompt);
    fflush(ctx->out);
    char line[256];
    if (!fgets(line, sizeof line, ctx->in)) return false;   /* no answer: "Proceed? (y/N) Cancelled." */
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    return !strcmp(s, "y") || !strcmp(s, "yes");
}

static void components_text(json_t *spec, char *buf, size_t len)
{
    const char *on[COMP_COUNT];
    int n = 0;
    for (int c = 0; c < COMP_COUNT; c++)
        if (install_component_enabled(spec, (install_component)c)) on[n++] = install_component_title((install_component)c);
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s%s", i == 0 ? "" : (i == n - 1 ? (n > 2 ? ", and " : " and ") : ", "),
                 on[i], "");
    }
}

int cmd_istioctl_install(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list sets = {0}, files = {0};
    bool yes = false, dry = false, verify = false, force = false;
    const char *revision = NULL, *timeout = NULL, *manifests = NULL, *kubeconfig = NULL, *context = NULL, *istio_ns = NULL;
    const flag_spec specs[] = {
        {"set", 's', FLAG_LIST, &sets, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"skip-confirmation", 'y', FLAG_BOOL, &yes, NULL},
        {"dry-run", 0, FLAG_BOOL, &dry, NULL},
        {"verify", 0, FLAG_BOOL, &verify, NULL},
        {"force", 0, FLAG_BOOL, &force, NULL},
        {"revision", 'r', FLAG_STR, &revision, NULL},
        {"readiness-timeout", 0, FLAG_STR, &timeout, NULL},
        {"manifests", 'd', FLAG_STR, &manifests, NULL},
        {"kubeconfig", 'c', FLAG_STR, &kubeconfig, NULL},
        {"context", 0, FLAG_STR, &context, NULL},
        {"istioNamespace", 'i', FLAG_STR, &istio_ns, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl install", ctx->err);
    int rc = 0;
    json_t *spec = NULL;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "The install command generates an Istio install manifest and applies it to a cluster.\n\n"
                                       "Usage:\n  istioctl install [flags]\n\nAliases:\n  install, apply\n");
        rc = prc > 0 ? 0 : 64;
        goto out;
    }
    if (fr.npos) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl install\"\n", fr.pos[0]);
        rc = 64;
        goto out;
    }
    store *st = cmd_store(ctx);
    if (!st) { rc = 1; goto out; }
    const istio_release *rel = ctx->rel;
    spec = install_spec_from_flags(ctx, &files, &sets, &rel);
    if (!spec) { rc = 1; goto out; }
    if (revision) json_object_set_new(spec, "revision", json_string(revision));
    if (!yes && !dry) {
        char comps[256], prompt[512];
        components_text(spec, comps, sizeof comps);
        snprintf(prompt, sizeof prompt, "This will install the Istio %s \"%s\" profile (with components: %s) into the cluster. Proceed? (y/N)",
                 rel->tag, obj_str_or(spec, "profile", "default"), comps);
        if (!confirm(ctx, prompt)) {
            fprintf(ctx->out, "Cancelled.\n");
            rc = 1;
            goto out;
        }
    }
    char err[2048] = "";
    if (install_apply(st, rel, spec, err, sizeof err)) {
        store_rollback(st);
        fprintf(ctx->err, "✘ Installation failed: %s\nError: failed to install manifests: %s\n", err, err);
        rc = 1;
        goto out;
    }
    if (dry) store_rollback(st);
    else {
        store_meta_set(st, "istio_release", rel->tag);
        ctx->rel = rel;
    }
    for (int c = 0; c < COMP_COUNT; c++) {
        if (!install_component_enabled(spec, (install_component)c)) continue;
        if (new_style(rel)) fprintf(ctx->out, "✔ %s installed %s\n", install_component_title((install_component)c), icons[c]);
        else fprintf(ctx->out, "✔ %s installed\n", install_component_title((install_component)c));
    }
    fprintf(ctx->out, "✔ Installation complete\n");
    if (new_style(rel) && !dry) fprintf(ctx->out, "Made this installation the default for cluster-wide operations.\n");
out:
    json_decref(spec);
    flags_free(&fr);
    flag_list_free(&sets);
    flag_list_free(&files);
    if (rc && ctx->st) store_rollback(ctx->st);
    return ctx->st ? cmd_finish(ctx, rc) : rc;
}

int cmd_istioctl_uninstall(cmd_ctx *ctx, int argc, char **argv)
{
    bool yes = false, purge = false, dry = false, verbose = false;
    flag_list files = {0};
    const char *revision = NULL, *kubeconfig = NULL, *context = NULL, *istio_ns = NULL;
    const flag_spec specs[] = {
        {"skip-confirmation", 'y', FLAG_BOOL, &yes, NULL},
        {"purge", 0, FLAG_BOOL, &purge, NULL},
        {"dry-run", 0, FLAG_BOOL, &dry, NULL},
        {"verbose", 'v', FLAG_BOOL, &verbose, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"revision", 'r', FLAG_STR, &revision, NULL},
        {"kubeconfig", 'c', FLAG_STR, &kubeconfig, NULL},
        {"context", 0, FLAG_STR, &context, NULL},
        {"istioNamespace", 'i', FLAG_STR, &istio_ns, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl uninstall", ctx->err), rc = 0;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "The uninstall command uninstalls Istio from a cluster\n\nUsage:\n  istioctl uninstall [flags]\n");
        rc = prc > 0 ? 0 : 64;
    } else if (!purge && !revision && !files.n) {
        fprintf(ctx->err, "Error: at least one of the --revision (or --set revision=<revision>), --filename or --purge flags must be set\n");
        rc = 1;
    } else if (!yes && !dry && !confirm(ctx, purge ? "All Istio resources will be pruned from the cluster\nProceed? (y/N)"
                                                      : "Istio resources of this installation will be pruned from the cluster\nProceed? (y/N)")) {
        fprintf(ctx->out, "Cancelled.\n");
        rc = 1;
    } else {
        store *st = cmd_store(ctx);
        if (!st) rc = 1;
        else {
            json_t *removed = json_array();
            if (install_purge(st, ctx->rel, removed)) rc = 1;
            size_t i;
            json_t *r;
            json_array_foreach(removed, i, r) fprintf(ctx->out, "  Removed %s.\n", json_string_value(r));
            json_decref(removed);
            if (dry) store_rollback(st);
            if (!rc) fprintf(ctx->out, "✔ Uninstall complete\n");
        }
    }
    flags_free(&fr);
    flag_list_free(&files);
    return ctx->st ? cmd_finish(ctx, rc) : rc;
}

int cmd_istioctl_verify_install(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list files = {0};
    const char *revision = NULL, *istio_ns = NULL, *kubeconfig = NULL, *context = NULL;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"revision", 'r', FLAG_STR, &revision, NULL},
        {"istioNamespace", 'i', FLAG_STR, &istio_ns, NULL},
        {"kubeconfig", 'c', FLAG_STR, &kubeconfig, NULL},
        {"context", 0, FLAG_STR, &context, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl verify-install", ctx->err), rc = 0;
    flags_free(&fr);
    flag_list_free(&files);
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "verify-install verifies Istio installation status against the installation file\n"
                                       "you specified when you installed Istio.\n\nUsage:\n  istioctl verify-install [-f <deployment or istio operator file>] [--revision <revision>] [flags]\n");
        return prc > 0 ? 0 : 64;
    }
    store *st = cmd_store(ctx);
    if (!st) return 1;
    if (!cluster_istio_installed(st)) {
        fprintf(ctx->err, "Error: could not load IstioOperator from cluster: no Istio installation found in namespace \"istio-system\". Use --filename\n");
        return cmd_finish(ctx, 1);
    }
    char *text = store_meta_get(st, "istio_install_spec");
    json_t *spec = text && *text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *want = spec ? install_manifest(ctx->rel, spec) : json_array();
    int deployments = 0, failed = 0;
    size_t i;
    json_t *pair;
    json_array_foreach(want, i, pair) {
        json_t *o = json_array_get(pair, 1);
        bool ok;
        const kind_info *k = kind_for_object(obj_api_version(o), obj_kind(o), &ok);
        json_t *live = api_get(st, k, obj_namespace(o), obj_name(o));
        bool good = live != NULL;
        if (good && !strcmp(k->kind, "Deployment")) {
            deployments++;
            good = obj_int_or(live, "status.readyReplicas", 0) >= obj_int_or(live, "spec.replicas", 1);
        }
        if (good) fprintf(ctx->out, "✔ %s: %s.%s checked successfully\n", k->kind, obj_name(o), obj_namespace(o));
        else { fprintf(ctx->out, "✘ %s: %s.%s: not found or not ready\n", k->kind, obj_name(o), obj_namespace(o)); failed++; }
        json_decref(live);
    }
    fprintf(ctx->out, "Checked %d Istio Deployments\n", deployments);
    if (failed) {
        fprintf(ctx->out, "✘ Istio failed verification!\n");
        rc = 1;
    } else {
        fprintf(ctx->out, "✔ Istio is installed and verified successfully\n");
    }
    json_decref(want);
    json_decref(spec);
    return cmd_finish(ctx, rc);
}
