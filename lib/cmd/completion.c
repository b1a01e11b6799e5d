/* Completion: `meshsim completion bash|zsh|fish` prints the shell scripts, and
 * the hidden `PROG __complete ARGS... CUR` (cobra's protocol: one candidate a
 * line, then `:DIRECTIVE`) answers them, as it answers Tab in `meshsim shell`.
 * Commands and flags come from each command's own --help, so new verbs are
 * completed as soon as they land; kinds come from the kinds table and
 * object names, namespaces, pods and containers from the store. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/shell.h"
#include "model/kinds.h"
#include "model/obj.h"

extern const char completion_script_bash[], completion_script_zsh[], completion_script_fish[];

static const char completion_usage[] =
    "Print the shell completion script for kubectl, istioctl and meshsim.\n\n"
    "Usage:\n"
    "  meshsim completion bash|zsh|fish\n\n"
    "Examples:\n"
    "  source <(meshsim completion bash)\n"
    "  source <(meshsim completion zsh)\n"
    "  meshsim completion fish | source\n";

int cmd_completion(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc >= 1 && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
        fputs(completion_usage, ctx->out);
        return 0;
    }
    if (argc != 1) {
        fprintf(ctx->err, "meshsim completion: name one shell: bash, zsh or fish\n");
        return 2;
    }
    const char *s = !strcmp(argv[0], "bash") ? completion_script_bash
                  : !strcmp(argv[0], "zsh")  ? completion_script_zsh
                  : !strcmp(argv[0], "fish") ? completion_script_fish : NULL;
    if (!s) {
        fprintf(ctx->err, "meshsim completion: unsupported shell \"%s\" (bash, zsh or fish)\n", argv[0]);
        return 2;
    }
    fputs(s, ctx->out);
    return 0;
}

/* ---- what the commands say about themselves ------------------------------ */

/* PROG PATH... --help, printed into a string, against no store at all (a
 * directory nobody can create), so asking can never change the cluster. */
static char *capture_help(const char *prog, int n, char **path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    FILE *null = fopen("/dev/null", "w"), *nin = fopen("/dev/null", "r");
    if (!m || !null || !nin) {
        if (m) fclose(m);
        if (null) fclose(null);
        if (nin) fclose(nin);
        free(buf);
        return NULL;
    }
    cmd_ctx c = {.in = nin, .out = m, .err = null, .home = "/proc/meshsim-no-store", .rel = release_default()};
    char *argv[n + 2];
    for (int i = 0; i < n; i++) argv[i] = path[i];
    argv[n] = "--help";
    argv[n + 1] = NULL;
    personality_main(&c, prog, n + 1, argv);
    if (c.st) cmd_finish(&c, 1);
    fclose(m);
    fclose(null);
    fclose(nin);
    return buf;
}

/* Names listed under a "... Commands:" heading ("  apply    Apply a ..."). */
static void help_commands(const char *prog, int n, char **path, strlist *out)
{
    char *help = capture_help(prog, n, path);
    if (!help) return;
    bool in_section = false;
    char *save = NULL;
    for (char *l = strtok_r(help, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] != ' ') {
            in_section = strstr(l, "Commands") || strstr(l, "commands:");
            continue;
        }
        if (!in_section || l[1] != ' ' || l[2] == ' ' || l[2] == '-') continue;
        size_t k = strcspn(l + 2, " ");
        if (k && l[2 + k] == ' ' && (l[3 + k] == ' ' || !l[3 + k])) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)k, l + 2);
            if (name[0] != '_' && !strlist_has(out, name)) strlist_add(out, name);
        }
    }
    free(help);
}

/* Flags named at the start of help lines ("  -n, --namespace string", "    --all=false:"). */
static void help_flags(const char *prog, int n, char **path, strlist *out)
{
    char *help = capture_help(prog, n, path);
    if (!help) return;
    char *save = NULL;
    for (char *l = strtok_r(help, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        while (*l == ' ' || *l == '\t') l++;
        while (*l == '-') {
            size_t k = strcspn(l, " ,=:[\t");
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)k, l);
            if (k > 1 && strcmp(name, "--") && !strlist_has(out, name)) strlist_add(out, name);
            l += k;
            if (l[0] == ',' && l[1] == ' ') l += 2;
            else break;
        }
    }
    free(help);
}

/* ---- what the store holds ----------------------------------------------------- */

char *current_namespace(cmd_ctx *ctx)
{
    bool opened = !ctx->st;
    /* a new MESHSIM_HOME: the prompt of a cluster about to be created */
    if (opened && !cmd_store(ctx)) return strdup("default");
    char *ns = strdup(cmd_default_namespace(ctx));
    if (opened && ctx->st) cmd_finish(ctx, 0);
    return ns;
}

static bool prefixed(const char *s, const char *cur) { return !strncmp(s, cur, strlen(cur)); }

static void add_if(strlist *out, const char *cand, const char *cur)
{
    if (prefixed(cand, cur) && !strlist_has(out, cand)) strlist_add(out, cand);
}

static void add_kinds(const char *cur, strlist *out)
{
    for (const kind_info *k = kinds_table; k->kind; k++) add_if(out, k->plural, cur);
}

/* Names of objects of `type` (prefix "type/" when slash). */
static void add_names(cmd_ctx *ctx, const char *type, const char *ns, bool all, bool slash,
                      const char *cur, strlist *out)
{
    const kind_info *k = kind_lookup(type);
    if (!k) return;
    store *st = cmd_store(ctx);
    if (!st) return;
    json_t *arr = store_list(st, k->resource, k->namespaced ? (all ? NULL : ns) : "");
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        char cand[512];
        if (slash) snprintf(cand, sizeof cand, "%s/%s", type, obj_name(o));
        else snprintf(cand, sizeof cand, "%s", obj_name(o));
        add_if(out, cand, cur);
    }
    json_decref(arr);
}

static bool has_proxy(json_t *pod)
{
    size_t j;
    json_t *c;
    json_array_foreach(obj_at(pod, "spec.containers"), j, c)
        if (!strcmp(obj_str_or(c, "name", ""), "istio-proxy")) return true;
    return false;
}

/* "name.namespace", as istioctl names pods; only pods with a proxy to ask. */
static void add_pods_dotted(cmd_ctx *ctx, const char *ns, const char *cur, strlist *out)
{
    store *st = cmd_store(ctx);
    if (!st) return;
    json_t *arr = store_list(st, "pods", ns);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (!has_proxy(o)) continue;
        char cand[512];
        snprintf(cand, sizeof cand, "%s.%s", obj_name(o), obj_namespace(o));
        add_if(out, cand, cur);
    }
    json_decref(arr);
}

static void add_containers(cmd_ctx *ctx, const char *pod, const char *ns, const char *cur, strlist *out)
{
    store *st = cmd_store(ctx);
    if (!st) return;
    json_t *arr = json_array();
    if (pod) {
        json_t *p = store_get(st, "pods", ns, pod);
        if (p) json_array_append_new(arr, p);
    } else {
        json_decref(arr);
        arr = store_list(st, "pods", ns);
    }
    size_t i, j;
    json_t *o, *c;
    json_array_foreach(arr, i, o) {
        json_array_foreach(obj_at(o, "spec.containers"), j, c) {
            const char *name = obj_str(c, "name");
            if (name) add_if(out, name, cur);
        }
    }
    json_decref(arr);
}

/* "key=value" of the labels objects of `type` carry, for -l. */
static void add_labels(cmd_ctx *ctx, const char *type, const char *ns, bool all, const char *cur, strlist *out)
{
    const kind_info *k = kind_lookup(type);
    store *st = k ? cmd_store(ctx) : NULL;
    if (!st) return;
    json_t *arr = store_list(st, k->resource, k->namespaced ? (all ? NULL : ns) : "");
    size_t i;
    json_t *o, *v;
    const char *key;
    json_array_foreach(arr, i, o) {
        json_object_foreach(obj_labels(o), key, v) {
            if (!json_is_string(v)) continue;
            char cand[512];
            snprintf(cand, sizeof cand, "%s=%s", key, json_string_value(v));
            add_if(out, cand, cur);
        }
    }
    json_decref(arr);
}

/* ---- reading the words typed so far ---------------------------------------------- */

typedef struct typed {
    const char *ns;
    bool all_ns;
    strlist pos;            /* positional words (the command path included) */
    const char *value_of;   /* cur is the value of this flag */
    bool after_dashdash;
} typed;

static bool takes_value(const char *f)
{
    static const char *const v[] = {"-n", "--namespace", "-c", "--container", "-o", "--output", "-f", "--filename",
                                    "-l", "--selector", "--field-selector", "--context", "--kubeconfig", "--cluster",
                                    "--user", "-s", "--server", "--request-timeout", "--set", "-r", "--revision",
                                    "--profile", "-i", "--istioNamespace", "--timeout", "-k", "--kustomize",
                                    "--tail", "--since", "-p", "--patch", "--type", "--replicas", "--image",
                                    "--manifests", "-d", "--dir", "--port", "--address", "--for", NULL};
    for (const char *const *p = v; *p; p++)
        if (!strcmp(f, *p)) return true;
    return false;
}

static void read_typed(int n, char **args, typed *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        const char *a = args[i];
        if (t->after_dashdash) continue;
        if (!strcmp(a, "--")) { t->after_dashdash = true; continue; }
        if (a[0] == '-' && a[1]) {
            if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces")) t->all_ns = true;
            else if (!strncmp(a, "--namespace=", 12)) t->ns = a + 12;
            else if (!strncmp(a, "-n", 2) && a[2] && a[2] != '=') t->ns = a + 2;
            if (takes_value(a)) {
                if (i + 1 < n) {
                    if (!strcmp(a, "-n") || !strcmp(a, "--namespace")) t->ns = args[i + 1];
                    i++;
                } else {
                    t->value_of = a;
                }
            }
            continue;
        }
        strlist_add(&t->pos, a);
    }
}

static int complete_flag_value(cmd_ctx *ctx, const char *flag, typed *t, const char *pod, const char *cur, strlist *out)
{
    if (!strcmp(flag, "-l") || !strcmp(flag, "--selector")) {
        /* the labels of the objects the command is about: its type, else pods */
        const char *type = t->pos.n > 1 && !strchr(t->pos.v[1], '/') ? t->pos.v[1] : "pods";
        if (t->pos.n > 0 && strcmp(t->pos.v[0], "get") && strcmp(t->pos.v[0], "delete") && strcmp(t->pos.v[0], "describe")
            && strcmp(t->pos.v[0], "label") && strcmp(t->pos.v[0], "annotate"))
            type = "pods";
        add_labels(ctx, type, t->ns, t->all_ns, cur, out);
        return COMP_NOFILE;
    }
    if (!strcmp(flag, "-n") || !strcmp(flag, "--namespace")) {
        add_names(ctx, "namespaces", "", false, false, cur, out);
        return COMP_NOFILE;
    }
    if (!strcmp(flag, "-c") || !strcmp(flag, "--container")) {
        add_containers(ctx, pod, t->ns, cur, out);
        return COMP_NOFILE;
    }
    if (!strcmp(flag, "-o") || !strcmp(flag, "--output")) {
        static const char *const fmts[] = {"json", "yaml", "wide", "name", "jsonpath=", "custom-columns=", NULL};
        for (const char *const *f = fmts; *f; f++) add_if(out, *f, cur);
        return COMP_NOFILE | (strchr(cur, '=') ? 0 : 0);
    }
    if (!strcmp(flag, "-f") || !strcmp(flag, "--filename") || !strcmp(flag, "-k") || !strcmp(flag, "--kustomize")
        || !strcmp(flag, "--kubeconfig") || !strcmp(flag, "-d") || !strcmp(flag, "--dir"))
        return COMP_DEFAULT;
    return COMP_NOFILE;
}

static bool among(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

static int complete_kubectl(cmd_ctx *ctx, int n, char **args, const char *cur, strlist *out)
{
    typed t;
    read_typed(n, args, &t);
    const char *ns = t.ns ? t.ns : NULL;
    char *cns = ns ? NULL : current_namespace(ctx);
    if (!ns) ns = cns;
    t.ns = ns;
    int dir = COMP_NOFILE;
    const char *verb = t.pos.n ? t.pos.v[0] : NULL;
    static const char *const typed_verbs[] = {"get", "describe", "delete", "edit", "label", "annotate", "patch",
                                              "scale", "wait", "explain", "set", NULL};
    static const char *const pod_verbs[] = {"exec", "logs", "attach", "port-forward", "debug", "top", NULL};
    const char *pod = verb && among(verb, pod_verbs) && t.pos.n > 1 ? t.pos.v[1] : NULL;
    if (t.after_dashdash) {
        dir = COMP_DEFAULT;
    } else if (t.value_of) {
        dir = complete_flag_value(ctx, t.value_of, &t, pod, cur, out);
    } else if (!strncmp(cur, "--namespace=", 12) || !strncmp(cur, "--container=", 12) || !strncmp(cur, "--output=", 9)
               || !strncmp(cur, "--selector=", 11)) {
        char flag[32];
        size_t k = (size_t)(strchr(cur, '=') - cur);
        snprintf(flag, sizeof flag, "%.*s", (int)k, cur);
        strlist vals = {0};
        dir = complete_flag_value(ctx, flag, &t, pod, cur + k + 1, &vals);
        for (int i = 0; i < vals.n; i++) {
            char c[600];
            snprintf(c, sizeof c, "%s=%s", flag, vals.v[i]);
            add_if(out, c, cur);
        }
        strlist_free(&vals);
    } else if (cur[0] == '-') {
        strlist flags = {0};
        static const char *const global[] = {"--namespace", "-n", "--all-namespaces", "-A", "--context",
                                             "--kubeconfig", "--help", NULL};
        if (verb) help_flags("kubectl", 1, (char **)&verb, &flags);
        if (verb && flags.n <= 2) {
            /* a verb whose help names no flags: the ones most verbs take */
            static const char *const common[] = {"--output", "-o", "--selector", "-l", "--filename", "-f", NULL};
            for (const char *const *c = common; *c; c++) add_if(out, *c, cur);
        }
        for (const char *const *g = global; *g; g++) add_if(out, *g, cur);
        for (int i = 0; i < flags.n; i++) add_if(out, flags.v[i], cur);
        strlist_free(&flags);
    } else if (!verb) {
        strlist verbs = {0};
        help_commands("kubectl", 0, NULL, &verbs);
        for (int i = 0; i < verbs.n; i++) add_if(out, verbs.v[i], cur);
        strlist_free(&verbs);
    } else {
        /* words after the verb; verbs with subcommands (rollout status) shift by one */
        int p = t.pos.n - 1;
        char **pos = t.pos.v + 1;
        strlist subs = {0};
        help_commands("kubectl", 1, (char **)&verb, &subs);
        if (subs.n && p == 0) {
            for (int i = 0; i < subs.n; i++) add_if(out, subs.v[i], cur);
        } else {
            bool typed_verb = among(verb, typed_verbs) || !strcmp(verb, "rollout");
            if (subs.n) { p--; pos++; }
            if (typed_verb) {
                const char *slash = strchr(cur, '/');
                if (p == 0 && slash) {
                    char type[128];
                    snprintf(type, sizeof type, "%.*s", (int)(slash - cur), cur);
                    add_names(ctx, type, ns, t.all_ns, true, cur, out);
                } else if (p == 0) {
                    if (!strcmp(verb, "rollout")) {
                        static const char *const wl[] = {"deployments", "daemonsets", "statefulsets", NULL};
                        for (const char *const *w = wl; *w; w++) add_if(out, *w, cur);
                    } else {
                        add_kinds(cur, out);
                    }
                } else if (!strchr(pos[0], '/') && strcmp(verb, "explain")) {
                    add_names(ctx, pos[0], ns, t.all_ns, false, cur, out);
                    for (int i = 1; i < p; i++)
                        for (int j = 0; j < out->n; j++)
                            if (!strcmp(out->v[j], pos[i])) {
                                free(out->v[j]);
                                memmove(out->v + j, out->v + j + 1, (size_t)(out->n - j) * sizeof *out->v);
                                out->n--;
                                break;
                            }
                }
            } else if (among(verb, pod_verbs)) {
                if (p == 0) add_names(ctx, "pods", ns, t.all_ns, false, cur, out);
                else if (p == 1 && !strcmp(verb, "logs")) add_containers(ctx, pos[0], ns, cur, out);
            } else if (among(verb, (const char *const[]){"apply", "replace", "create", NULL})) {
                dir = COMP_DEFAULT;
            }
        }
        strlist_free(&subs);
    }
    strlist_free(&t.pos);
    free(cns);
    return dir;
}

static int complete_istioctl(cmd_ctx *ctx, int n, char **args, const char *cur, strlist *out)
{
    typed t;
    read_typed(n, args, &t);
    int dir = COMP_NOFILE;
    /* walk down the command tree as far as the typed words name subcommands */
    int depth = 0;
    strlist subs = {0};
    help_commands("istioctl", 0, NULL, &subs);
    while (depth < t.pos.n && strlist_has(&subs, t.pos.v[depth])) {
        depth++;
        strlist_free(&subs);
        help_commands("istioctl", depth, t.pos.v, &subs);
    }
    int p = t.pos.n - depth;
    bool wants_pod = false;
    for (int i = 0; i < depth; i++) {
        const char *w = t.pos.v[i];
        if (!strcmp(w, "proxy-config") || !strcmp(w, "pc") || !strcmp(w, "proxy-status") || !strcmp(w, "ps")
            || !strcmp(w, "envoy") || !strcmp(w, "pod"))
            wants_pod = true;
    }
    if (t.value_of) {
        dir = complete_flag_value(ctx, t.value_of, &t, NULL, cur, out);
    } else if (cur[0] == '-') {
        strlist flags = {0};
        help_flags("istioctl", depth, t.pos.v, &flags);
        for (int i = 0; i < flags.n; i++) add_if(out, flags.v[i], cur);
        strlist_free(&flags);
    } else if (p == 0 && subs.n) {
        for (int i = 0; i < subs.n; i++) add_if(out, subs.v[i], cur);
    } else if (p == 0 && wants_pod) {
        add_pods_dotted(ctx, t.ns, cur, out);
    } else if (depth > 0 && (!strcmp(t.pos.v[0], "analyze") || !strcmp(t.pos.v[0], "kube-inject")
                             || !strcmp(t.pos.v[0], "validate"))) {
        dir = COMP_DEFAULT;
    }
    strlist_free(&subs);
    strlist_free(&t.pos);
    return dir;
}

static int complete_meshsim(cmd_ctx *ctx, int n, char **args, const char *cur, strlist *out)
{
    if (n > 0 && (!strcmp(args[0], "kubectl") || !strcmp(args[0], "istioctl")))
        return complete_words(ctx, args[0], n - 1, args + 1, cur, out);
    if (n == 0) {
        strlist cmds = {0};
        help_commands("meshsim", 0, NULL, &cmds);
        for (int i = 0; i < cmds.n; i++) add_if(out, cmds.v[i], cur);
        strlist_free(&cmds);
        return COMP_NOFILE;
    }
    if (cur[0] == '-') {
        strlist flags = {0};
        help_flags("meshsim", 1, args, &flags);
        for (int i = 0; i < flags.n; i++) add_if(out, flags.v[i], cur);
        strlist_free(&flags);
        return COMP_NOFILE;
    }
    if (!strcmp(args[0], "completion") && n == 1) {
        static const char *const shells[] = {"bash", "zsh", "fish", NULL};
        for (const char *const *s = shells; *s; s++) add_if(out, *s, cur);
        return COMP_NOFILE;
    }
    if (!strcmp(args[0], "doctest")) return COMP_DEFAULT;
    return COMP_NOFILE;
}

int complete_words(cmd_ctx *ctx, const char *prog, int n, char **args, const char *cur, strlist *out)
{
    int dir;
    if (!strcmp(prog, "kubectl")) dir = complete_kubectl(ctx, n, args, cur, out);
    else if (!strcmp(prog, "istioctl")) dir = complete_istioctl(ctx, n, args, cur, out);
    else dir = complete_meshsim(ctx, n, args, cur, out);
    if (ctx->st) cmd_finish(ctx, 0);
    return dir;
}

int cmd_complete(cmd_ctx *ctx, const char *prog, int argc, char **argv)
{
    const char *cur = argc > 0 ? argv[argc - 1] : "";
    strlist out = {0};
    FILE *err = ctx->err;
    FILE *null = fopen("/dev/null", "w");
    if (null) ctx->err = null;   /* a missing store is no reason to print */
    int dir = complete_words(ctx, prog, argc > 0 ? argc - 1 : 0, argv, cur, &out);
    ctx->err = err;
    if (null) fclose(null);
    for (int i = 0; i < out.n; i++) fprintf(ctx->out, "%s\n", out.v[i]);
    fprintf(ctx->out, ":%d\n", dir);
    fflush(ctx->out);
    fprintf(ctx->err, "Completion ended with directive: %s\n",
            dir == COMP_NOFILE ? "ShellCompDirectiveNoFileComp" : dir == COMP_DEFAULT ? "ShellCompDirectiveDefault"
            : dir == COMP_NOSPACE ? "ShellCompDirectiveNoSpace" : "ShellCompDirectiveError");
    strlist_free(&out);
    return 0;
}
