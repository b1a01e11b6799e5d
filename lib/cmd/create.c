/* kubectl create: the generators (namespace, serviceaccount, deployment,
 * configmap, secret generic|tls, role, rolebinding) and create -f.
 *
 * A generator builds the object exactly as kubectl's client builds it (so
 * --dry-run=client -o yaml prints the same bytes: creationTimestamp: null,
 * strategy: {}, resources: {}, status: {}), then either prints it or sends it
 * through the same validation and write path as apply. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include "cmd/cmd.h"
#include "model/base64.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/output.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/printer.h"
#include "model/validate.h"

typedef struct create_opts {
    const char *sub;            /* "namespace", ... */
    const char *name;
    const char *ns;
    const char *dry_run, *output, *type, *cert, *key, *role, *clusterrole;
    flag_list images, from_file, from_literal, from_env_file, verbs, resources, resource_names;
    flag_list users, groups, sas;
    long replicas, port;
    bool replicas_set, port_set;
} create_opts;

static json_t *meta(const char *name, const char *ns)
{
    json_t *m = json_object();
    json_object_set_new(m, "creationTimestamp", json_null());
    json_object_set_new(m, "name", json_string(name));
    if (ns) json_object_set_new(m, "namespace", json_string(ns));
    return m;
}

static json_t *base(const char *apiv, const char *kind, const char *name, const char *ns)
{
    json_t *o = json_object();
    json_object_set_new(o, "apiVersion", json_string(apiv));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "metadata", meta(name, ns));
    return o;
}

/* Container name from an image: the last path element without tag or digest. */
static char *container_name(const char *image)
{
    const char *slash = strrchr(image, '/');
    const char *b = slash ? slash + 1 : image;
    size_t n = strcspn(b, ":@");
    return strndup(b, n);
}

static bool utf8_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) return false;
        for (size_t j = 1; j < len; j++)
            if (((unsigned char)s[i + j] >> 6) != 2) return false;
        i += len;
    }
    return true;
}

/* Add key -> value to a ConfigMap (data or binaryData) or a Secret (base64 data). */
static int put_data(cmd_ctx *ctx, json_t *obj, bool secret, const char *key, const char *val, size_t n)
{
    json_t *data = json_object_get(obj, "data");
    if (json_object_get(data, key) || json_object_get(json_object_get(obj, "binaryData"), key)) {
        if (secret) fprintf(ctx->err, "error: cannot add key %s, another key by that name already exists\n", key);
        else fprintf(ctx->err, "error: cannot add key \"%s\", another key by that name already exists in Data for ConfigMap \"%s\"\n",
                     key, obj_name(obj));
        return 1;
    }
    if (secret) {
        char *e = base64_encode((const unsigned char *)val, n);
        json_object_set_new(data, key, json_string(e));
        free(e);
    } else if (utf8_text(val, n)) {
        json_object_set_new(data, key, json_stringn(val, n));
    } else {
        json_t *bin = json_object_get(obj, "binaryData");
        if (!bin) json_object_set_new(obj, "binaryData", bin = json_object());
        char *e = base64_encode((const unsigned char *)val, n);
        json_object_set_new(bin, key, json_string(e));
        free(e);
    }
    return 0;
}

static int add_file(cmd_ctx *ctx, json_t *obj, bool secret, const char *key, const char *path)
{
    size_t n;
    char *text = read_file(path, &n, 1 << 20);
    if (!text) {
        fprintf(ctx->err, "error: error reading %s: no such file or directory\n", path);
        return 1;
    }
    int rc = put_data(ctx, obj, secret, key, text, n);
    free(text);
    return rc;
}

static int fill_data(cmd_ctx *ctx, create_opts *o, json_t *obj, bool secret)
{
    json_object_set_new(obj, "data", json_object());
    for (int i = 0; i < o->from_file.n; i++) {
        const char *spec = o->from_file.v[i], *eq = strchr(spec, '=');
        char *key = eq ? strndup(spec, (size_t)(eq - spec)) : NULL;
        const char *path = eq ? eq + 1 : spec;
        struct stat sb;
        int rc = 0;
        if (!eq && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(path);
            struct dirent *de;
            while (d && (de = readdir(d)) && !rc) {
                char full[4096];
                snprintf(full, sizeof full, "%s/%s", path, de->d_name);
                if (stat(full, &sb) || !S_ISREG(sb.st_mode)) continue;
                rc = add_file(ctx, obj, secret, de->d_name, full);
            }
            if (d) closedir(d);
        } else {
            const char *slash = strrchr(path, '/');
            rc = add_file(ctx, obj, secret, key ? key : slash ? slash + 1 : path, path);
        }
        free(key);
        if (rc) return 1;
    }
    for (int i = 0; i < o->from_literal.n; i++) {
        const char *spec = o->from_literal.v[i], *eq = strchr(spec, '=');
        if (!eq || eq == spec) {
            fprintf(ctx->err, "error: invalid literal source %s, expected key=value\n", spec);
            return 1;
        }
        char *key = strndup(spec, (size_t)(eq - spec));
        int rc = put_data(ctx, obj, secret, key, eq + 1, strlen(eq + 1));
        free(key);
        if (rc) return 1;
    }
    for (int i = 0; i < o->from_env_file.n; i++) {
        size_t n;
        char *text = read_file(o->from_env_file.v[i], &n, 1 << 20);
        if (!text) {
            fprintf(ctx->err, "error: open %s: no such file or directory\n", o->from_env_file.v[i]);
            return 1;
        }
        int rc = 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
            while (*line == ' ' || *line == '\t') line++;
            if (!*line || *line == '#') continue;
            char *eq = strchr(line, '=');
            if (!eq) continue;
            *eq = 0;
            rc = put_data(ctx, obj, secret, line, eq + 1, strlen(eq + 1));
        }
        free(text);
        if (rc) return 1;
    }
    if (json_object_size(json_object_get(obj, "data")) == 0) json_object_del(obj, "data");
    return 0;
}

/* Sort an object's keys so printing matches kubectl's struct order for data maps. */
static json_t *build(cmd_ctx *ctx, create_opts *o)
{
    const char *s = o->sub, *ns = o->ns;
    json_t *obj = NULL;
    if (!strcmp(s, "namespace") || !strcmp(s, "ns")) {
        obj = base("v1", "Namespace", o->name, NULL);
        json_object_set_new(obj, "spec", json_object());
        json_object_set_new(obj, "status", json_object());
    } else if (!strcmp(s, "serviceaccount") || !strcmp(s, "sa")) {
        obj = base("v1", "ServiceAccount", o->name, ns);
    } else if (!strcmp(s, "deployment") || !strcmp(s, "deploy")) {
        if (o->images.n == 0) {
            cmd_klog_command_failed(ctx->err, "required flag(s) \"image\" not set");
            return NULL;
        }
        obj = base("apps/v1", "Deployment", o->name, ns);
        json_t *labels = json_pack("{s:s}", "app", o->name);
        json_t *md = json_object_get(obj, "metadata");
        json_object_set(md, "labels", labels);
        json_t *containers = json_array();
        for (int i = 0; i < o->images.n; i++) {
            char *cn = container_name(o->images.v[i]);
            json_t *c = json_pack("{s:s,s:s}", "image", o->images.v[i], "name", cn);
            free(cn);
            if (i == 0 && o->port_set && o->port >= 0)
                json_object_set_new(c, "ports", json_pack("[{s:I}]", "containerPort", (json_int_t)o->port));
            json_object_set_new(c, "resources", json_object());
            json_array_append_new(containers, c);
        }
        json_t *tmd = json_pack("{s:n,s:O}", "creationTimestamp", "labels", labels);
        json_object_set_new(obj, "spec",
                            json_pack("{s:I,s:{s:O},s:{},s:{s:o,s:{s:o}}}", "replicas",
                                      (json_int_t)(o->replicas_set ? o->replicas : 1), "selector", "matchLabels",
                                      labels, "strategy", "template", "metadata", tmd, "spec", "containers",
                                      containers));
        json_object_set_new(obj, "status", json_object());
        json_decref(labels);
    } else if (!strcmp(s, "configmap") || !strcmp(s, "cm")) {
        obj = base("v1", "ConfigMap", o->name, ns);
        if (fill_data(ctx, o, obj, false)) { json_decref(obj); return NULL; }
    } else if (!strcmp(s, "secret generic") || !strcmp(s, "secret tls")) {
        obj = base("v1", "Secret", o->name, ns);
        if (!strcmp(s, "secret tls")) {
            if (!o->cert || !o->key) {
                fprintf(ctx->err, "error: key and cert must be specified\n");
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, "data", json_object());
            if (add_file(ctx, obj, true, "tls.crt", o->cert) || add_file(ctx, obj, true, "tls.key", o->key)) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, "type", json_string("kubernetes.io/tls"));
        } else {
            if (fill_data(ctx, o, obj, true)) { json_decref(obj); return NULL; }
            if (o->type && *o->type) json_object_set_new(obj, "type", json_string(o->type));
        }
    } else if (!strcmp(s, "role")) {
        if (o->verbs.n == 0) { fprintf(ctx->err, "error: at least one verb must be specified\n"); return NULL; }
        if (o->resources.n == 0) { fprintf(ctx->err, "error: at least one resource must be specified\n"); return NULL; }
        obj = base("rbac.authorization.k8s.io/v1", "Role", o->name, ns);
        json_t *verbs = json_array();
        for (int i = 0; i < o->verbs.n; i++) {
            char *copy = strdup(o->verbs.v[i]), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(verbs, json_string(t));
            free(copy);
        }
        json_t *rules = json_array();
        for (int i = 0; i < o->resources.n; i++) {
            char *copy = strdup(o->resources.v[i]), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                const kind_info *k = kind_lookup(t);
                if (!k) {
                    fprintf(ctx->err, "error: the server doesn't have a resource type \"%s\"\n", t);
                    free(copy);
                    json_decref(rules);
                    json_decref(verbs);
                    json_decref(obj);
                    return NULL;
                }
                json_t *rule = json_pack("{s:[s],s:[s],s:O}", "apiGroups", k->group, "resources", k->plural,
                                         "verbs", verbs);
                if (o->resource_names.n) {
                    json_t *rn = json_array();
                    for (int j = 0; j < o->resource_names.n; j++) json_array_append_new(rn, json_string(o->resource_names.v[j]));
                    json_object_set_new(rule, "resourceNames", rn);
                }
                json_array_append_new(rules, rule);
            }
            free(copy);
        }
        json_decref(verbs);
        json_object_set_new(obj, "rules", rules);
    } else if (!strcmp(s, "rolebinding")) {
        if (!o->role == !o->clusterrole) {
            fprintf(ctx->err, "error: exactly one of clusterrole or role must be specified\n");
            return NULL;
        }
        obj = base("rbac.authorization.k8s.io/v1", "RoleBinding", o->name, ns);
        json_object_set_new(obj, "roleRef", json_pack("{s:s,s:s,s:s}", "apiGroup", "rbac.authorization.k8s.io",
                                                     "kind", o->role ? "Role" : "ClusterRole", "name",
                                                     o->role ? o->role : o->clusterrole));
        json_t *subjects = json_array();
        for (int i = 0; i < o->users.n; i++)
            json_array_append_new(subjects, json_pack("{s:s,s:s,s:s}", "apiGroup", "rbac.authorization.k8s.io",
                                                      "kind", "User", "name", o->users.v[i]));
        for (int i = 0; i < o->groups.n; i++)
            json_array_append_new(subjects, json_pack("{s:s,s:s,s:s}", "apiGroup", "rbac.authorization.k8s.io",
                                                      "kind", "Group", "name", o->groups.v[i]));
        for (int i = 0; i < o->sas.n; i++) {
            const char *colon = strchr(o->sas.v[i], ':');
            if (!colon) {
                fprintf(ctx->err, "error: serviceaccount must be <namespace>:<name>\n");
                json_decref(subjects);
                json_decref(obj);
                return NULL;
            }
            json_array_append_new(subjects, json_pack("{s:s,s:s,s:s%}", "kind", "ServiceAccount", "name", colon + 1,
                                                      "namespace", o->sas.v[i], (size_t)(colon - o->sas.v[i])));
        }
        if (json_array_size(subjects)) json_object_set_new(obj, "subjects", subjects);
        else json_decref(subjects);
    }
    return obj;
}

/* Go's struct order of the fields kubectl prints for the objects the
 * generators build (-o json of a typed object is not sorted). */
static void reorder(json_t *o, const char *const *order)
{
    if (!json_is_object(o)) return;
    json_t *copy = json_object();
    for (const char *const *k = order; *k; k++) {
        json_t *v = json_object_get(o, *k);
        if (v) json_object_set(copy, *k, v);
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
        if (!json_object_get(copy, key)) json_object_set(copy, key, v);
    json_object_clear(o);
    json_object_update(o, copy);
    json_decref(copy);
}

static void go_struct_order(json_t *o)
{
    static const char *const top[] = {"kind", "apiVersion", "metadata", "immutable", "data", "binaryData", "stringData",
                                      "type", "secrets", "imagePullSecrets", "automountServiceAccountToken", "rules",
                                      "subjects", "roleRef", "spec", "status", NULL};
    static const char *const meta[] = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                                       "generation", "creationTimestamp", "deletionTimestamp",
                                       "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                                       "finalizers", "managedFields", NULL};
    static const char *const dspec[] = {"replicas", "selector", "template", "strategy", "minReadySeconds",
                                        "revisionHistoryLimit", "paused", "progressDeadlineSeconds", NULL};
    static const char *const tmpl[] = {"metadata", "spec", NULL};
    static const char *const ctr[] = {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env",
                                      "resources", NULL};
    static const char *const port[] = {"name", "hostPort", "containerPort", "protocol", "hostIP", NULL};
    static const char *const rule[] = {"verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs", NULL};
    static const char *const subject[] = {"kind", "apiGroup", "name", "namespace", NULL};
    static const char *const roleref[] = {"apiGroup", "kind", "name", NULL};
    reorder(o, top);
    reorder(json_object_get(o, "metadata"), meta);
    json_t *spec = json_object_get(o, "spec");
    if (json_object_get(spec, "template")) {
        reorder(spec, dspec);
        json_t *t = json_object_get(spec, "template");
        reorder(t, tmpl);
        reorder(json_object_get(t, "metadata"), meta);
        size_t i, j;
        json_t *c, *p;
        json_array_foreach(obj_at(t, "spec.containers"), i, c) {
            reorder(c, ctr);
            json_array_foreach(json_object_get(c, "ports"), j, p) reorder(p, port);
        }
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(o, "rules"), i, r) reorder(r, rule);
    json_array_foreach(json_object_get(o, "subjects"), i, r) reorder(r, subject);
    reorder(json_object_get(o, "roleRef"), roleref);
}

static const char *const SUBCOMMANDS[] = {"namespace", "ns", "serviceaccount", "sa", "deployment", "deploy",
                                          "configmap", "cm", "secret", "role", "rolebinding", NULL};

static void create_usage(FILE *out)
{
    fprintf(out, "Create a resource from a file or from stdin.\n\n JSON and YAML formats are accepted.\n\n"
            "Available Commands:\n"
            "  configmap        Create a config map from a local file, directory or literal value\n"
            "  deployment       Create a deployment with the specified name\n"
            "  namespace        Create a namespace with the specified name\n"
            "  role             Create a role with single rule\n"
            "  rolebinding      Create a role binding for a particular role or cluster role\n"
            "  secret           Create a secret using a specified subcommand\n"
            "  serviceaccount   Create a service account with the specified name\n\n"
            "Usage:\n  kubectl create -f FILENAME [options]\n\n"
            "Use \"kubectl create <command> --help\" for more information about a given command.\n");
}

int cmd_create(cmd_ctx *ctx, int argc, char **argv)
{
    /* create -f ... goes to the manifest path */
    int first = 0;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "-n") || !strcmp(argv[first], "--namespace") || !strcmp(argv[first], "-o") ||
            !strcmp(argv[first], "--output") || !strcmp(argv[first], "--dry-run"))
            first++;
        first++;
    }
    bool generator = false;
    if (first < argc)
        for (const char *const *s = SUBCOMMANDS; *s; s++) generator |= !strcmp(argv[first], *s);
    if (!generator) {
        for (int i = 0; i < argc; i++)
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { create_usage(ctx->out); return 0; }
        if (first < argc) {
            /* an unknown generator: kubectl's root command complains about the argument */
            bool has_f = false;
            for (int i = 0; i < argc; i++) has_f |= !strncmp(argv[i], "-f", 2) || !strncmp(argv[i], "--filename", 10);
            if (!has_f) {
                fprintf(ctx->err, "error: Unexpected args: [");
                for (int i = first; i < argc; i++)
                    if (argv[i][0] != '-') fprintf(ctx->err, "%s%s", i == first ? "" : " ", argv[i]);
                fprintf(ctx->err, "]\nSee 'kubectl create -h' for help and examples\n");
                return 1;
            }
        }
        return cmd_create_from_files(ctx, argc, argv);
    }
    create_opts o = {0};
    char cmdpath[64];
    char sub[32];
    snprintf(sub, sizeof sub, "%s", argv[first]);
    int rest = first + 1;
    if (!strcmp(sub, "secret")) {
        if (rest >= argc || (strcmp(argv[rest], "generic") && strcmp(argv[rest], "tls"))) {
            fprintf(ctx->err, "error: unknown command \"%s\" for \"kubectl create secret\"\n",
                    rest < argc ? argv[rest] : "");
            return 1;
        }
        snprintf(sub, sizeof sub, "secret %s", argv[rest]);
        rest++;
    }
    snprintf(cmdpath, sizeof cmdpath, "kubectl create %s", sub);
    o.sub = sub;
    bool save_config = false, validate = true, append_hash = false;
    const char *field_manager = NULL;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &o.ns, NULL},
        {"dry-run", 0, FLAG_STR, &o.dry_run, NULL},
        {"output", 'o', FLAG_STR, &o.output, NULL},
        {"image", 0, FLAG_LIST, &o.images, NULL},
        {"replicas", 'r', FLAG_INT, &o.replicas, &o.replicas_set},
        {"port", 0, FLAG_INT, &o.port, &o.port_set},
        {"from-file", 0, FLAG_LIST, &o.from_file, NULL},
        {"from-literal", 0, FLAG_LIST, &o.from_literal, NULL},
        {"from-env-file", 0, FLAG_LIST, &o.from_env_file, NULL},
        {"type", 0, FLAG_STR, &o.type, NULL},
        {"cert", 0, FLAG_STR, &o.cert, NULL},
        {"key", 0, FLAG_STR, &o.key, NULL},
        {"verb", 0, FLAG_LIST, &o.verbs, NULL},
        {"resource", 0, FLAG_LIST, &o.resources, NULL},
        {"resource-name", 0, FLAG_LIST, &o.resource_names, NULL},
        {"role", 0, FLAG_STR, &o.role, NULL},
        {"clusterrole", 0, FLAG_STR, &o.clusterrole, NULL},
        {"user", 0, FLAG_LIST, &o.users, NULL},
        {"group", 0, FLAG_LIST, &o.groups, NULL},
        {"serviceaccount", 0, FLAG_LIST, &o.sas, NULL},
        {"save-config", 0, FLAG_BOOL, &save_config, NULL},
        {"validate", 0, FLAG_BOOL, &validate, NULL},
        {"append-hash", 0, FLAG_BOOL, &append_hash, NULL},
        {"field-manager", 0, FLAG_STR, &field_manager, NULL},
        {0},
    };
    /* argv without the subcommand word(s) */
    char *args[argc + 1];
    int n = 0;
    for (int i = 0; i < argc; i++)
        if (i < first || i >= rest) args[n++] = argv[i];
    args[n] = NULL;
    flag_result fr;
    int prc = flags_parse(specs, n, args, &fr, cmdpath, ctx->err);
    int rc = 0;
    json_t *obj = NULL;
    if (prc > 0) {
        fprintf(ctx->out, "Create a %s with the specified name.\n\nUsage:\n  %s NAME [options]\n", sub, cmdpath);
        goto done;
    }
    if (prc < 0) { rc = 1; goto done; }
    if (fr.npos != 1) {
        fprintf(ctx->err, "error: exactly one NAME is required, got %d\nSee '%s -h' for help and examples\n", fr.npos,
                cmdpath);
        rc = 1;
        goto done;
    }
    if (o.dry_run && strcmp(o.dry_run, "client") && strcmp(o.dry_run, "server") && strcmp(o.dry_run, "none")) {
        fprintf(ctx->err, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", o.dry_run);
        rc = 1;
        goto done;
    }
    o.name = fr.pos[0];
    obj = build(ctx, &o);
    if (!obj) { rc = 1; goto done; }
    const char *kind = obj_kind(obj);
    bool ok = false;
    const kind_info *k = kind_for_object(obj_api_version(obj), kind, &ok);
    char disp[256];
    kind_display(k, disp, sizeof disp);
    bool client = o.dry_run && !strcmp(o.dry_run, "client");
    bool server = o.dry_run && !strcmp(o.dry_run, "server");
    json_t *result = json_incref(obj);
    if (!client) {
        store *st = cmd_store(ctx);
        if (!st) { rc = 1; json_decref(result); goto done; }
        const char *ns = k->namespaced ? (o.ns ? o.ns : cmd_default_namespace(ctx)) : "";
        if (k->namespaced) obj_set_str(obj, "metadata.namespace", ns);
        char msg[4096];
        valid_status vs = validate_object(k, obj, msg, sizeof msg);
        json_t *live = vs == VALID_OK ? api_get(st, k, ns, o.name) : NULL;
        api_error e = {0};
        if (vs == VALID_INVALID) { fprintf(ctx->err, "%s\n", msg); rc = 1; }
        else if (vs != VALID_OK) { fprintf(ctx->err, "Error from server%s: %s\n", vs == VALID_BAD_REQUEST ? " (BadRequest)" : "", msg); rc = 1; }
        else if (k->namespaced && !api_namespace_exists(st, ns)) {
            fprintf(ctx->err, "Error from server (NotFound): namespaces \"%s\" not found\n", ns);
            rc = 1;
        } else if (live) {
            fprintf(ctx->err, "Error from server (AlreadyExists): %s \"%s\" already exists\n", k->resource, o.name);
            rc = 1;
        } else {
            json_decref(result);
            result = json_deep_copy(obj);
            json_object_del(obj_metadata(result), "creationTimestamp");
            json_t *tmd = obj_at(result, "spec.template.metadata");
            if (json_is_object(tmd)) json_object_del(tmd, "creationTimestamp");
            if (json_is_object(json_object_get(result, "status")) && !json_object_size(json_object_get(result, "status")))
                json_object_del(result, "status");
            if (cluster_admit(st, ctx->rel, k, result, NULL)) {
                fprintf(ctx->err, "Error from server: admission failed\n");
                rc = 1;
            } else if (!server && api_create(st, k, result, &e) != API_OK) {
                fprintf(ctx->err, "Error from server: %s\n", e.msg);
                rc = 1;
            }
            if (!rc && !server && cluster_reconcile(st, ctx->rel)) rc = 1;
        }
        json_decref(live);
        rc = cmd_finish(ctx, rc);
    }
    if (!rc) {
        if (o.output && !strcmp(o.output, "name")) fprintf(ctx->out, "%s/%s\n", disp, o.name);
        else if (o.output && !strcmp(o.output, "json")) {
            go_struct_order(result);
            rc = print_json_ordered(ctx->out, result) ? 1 : 0;
        } else if (o.output && *o.output) rc = output_object(ctx->out, ctx->err, o.output, result);
        else fprintf(ctx->out, "%s/%s created%s\n", disp, o.name, client ? " (dry run)" : server ? " (server dry run)" : "");
    }
    json_decref(result);
done:
    json_decref(obj);
    flags_free(&fr);
    flag_list *lists[] = {&o.images, &o.from_file, &o.from_literal, &o.from_env_file, &o.verbs, &o.resources,
                          &o.resource_names, &o.users, &o.groups, &o.sas};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) flag_list_free(lists[i]);
    return rc;
}
