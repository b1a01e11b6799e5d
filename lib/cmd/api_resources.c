/* kubectl api-resources: the kinds table as the discovery API would list it. */
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "model/kinds.h"
#include "model/printer.h"

/* Discovery lists groups in registration order (core first) and the
 * resources of a group by name. */
static int group_rank(const kind_info *k)
{
    for (const kind_info *x = kinds_table; x->kind; x++)
        if (!strcmp(x->group, k->group)) return (int)(x - kinds_table);
    return 0;
}

static int cmp_kinds(const void *a, const void *b)
{
    const kind_info *x = *(const kind_info *const *)a, *y = *(const kind_info *const *)b;
    int gx = group_rank(x), gy = group_rank(y);
    if (gx != gy) return gx - gy;
    return strcmp(x->plural, y->plural);
}

int cmd_api_resources(cmd_ctx *ctx, int argc, char **argv)
{
    const char *output = NULL, *group = NULL, *namespaced = NULL, *sort_by = NULL;
    bool no_headers = false, cached = false;
    flag_list verbs = {0}, categories = {0};
    const flag_spec specs[] = {
        {"output", 'o', FLAG_STR, &output, NULL},
        {"api-group", 0, FLAG_STR, &group, NULL},
        {"namespaced", 0, FLAG_STR, &namespaced, NULL},
        {"no-headers", 0, FLAG_BOOL, &no_headers, NULL},
        {"sort-by", 0, FLAG_STR, &sort_by, NULL},
        {"cached", 0, FLAG_BOOL, &cached, NULL},
        {"verbs", 0, FLAG_LIST, &verbs, NULL},
        {"categories", 0, FLAG_LIST, &categories, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl api-resources", ctx->err);
    flag_list_free(&verbs);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "api-resources");
        flags_free(&fr);
        flag_list_free(&categories);
        return prc > 0 ? 0 : 1;
    }
    int rc = 0;
    if (fr.npos) {
        fprintf(ctx->err, "error: unexpected arguments: [%s]\nSee 'kubectl api-resources -h' for help and examples\n", fr.pos[0]);
        rc = 1;
    } else if (output && strcmp(output, "wide") && strcmp(output, "name")) {
        fprintf(ctx->err, "error: --output %s is not available\n", output);
        rc = 1;
    } else if (namespaced && strcmp(namespaced, "true") && strcmp(namespaced, "false")) {
        fprintf(ctx->err, "Error: invalid argument \"%s\" for \"--namespaced\" flag: strconv.ParseBool: parsing \"%s\": "
                "invalid syntax\nSee 'kubectl api-resources --help' for usage.\n", namespaced, namespaced);
        rc = 1;
    }
    if (rc) { flags_free(&fr); flag_list_free(&categories); return rc; }
    const kind_info *list[64];
    size_t n = 0;
    for (const kind_info *k = kinds_table; k->kind && n < 64; k++) {
        if (group && strcmp(group, k->group)) continue;
        if (namespaced && k->namespaced != !strcmp(namespaced, "true")) continue;
        bool cat_ok = categories.n == 0;
        for (int i = 0; i < categories.n; i++) {
            size_t cl = strlen(categories.v[i]);
            for (const char *p = strstr(k->categories, categories.v[i]); p && !cat_ok; p = strstr(p + 1, categories.v[i]))
                cat_ok = (p == k->categories || p[-1] == ' ') && (p[cl] == 0 || p[cl] == ' ');
        }
        if (cat_ok) list[n++] = k;
    }
    qsort(list, n, sizeof list[0], cmp_kinds);
    if (output && !strcmp(output, "name")) {
        for (size_t i = 0; i < n; i++) fprintf(ctx->out, "%s\n", list[i]->resource);
    } else {
        table t;
        table_init(&t, 5);
        if (!no_headers) table_add(&t, (const char *const[]){"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"});
        for (size_t i = 0; i < n; i++) {
            char apiv[128], shorts[64];
            snprintf(shorts, sizeof shorts, "%s", list[i]->shortnames);
            for (char *p = shorts; *p; p++)
                if (*p == ' ') *p = ',';
            table_add(&t, (const char *const[]){list[i]->plural, shorts, kind_api_version(list[i], apiv, sizeof apiv),
                                                list[i]->namespaced ? "true" : "false", list[i]->kind});
        }
        table_print(&t, ctx->out, 3);
        table_free(&t);
    }
    flags_free(&fr);
    flag_list_free(&categories);
    return 0;
}
