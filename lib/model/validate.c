/* Object validation.  See validate.h. */
#include <stdio.h>
#include <string.h>
#include "model/validate.h"
#include "model/obj.h"

static int label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < n)) return 0;
    }
    return 1;
}

int valid_dns_label(const char *name) { return label_ok(name, strlen(name)); }

int valid_dns_subdomain(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 253) return 0;
    for (const char *p = name;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!label_ok(p, len)) return 0;
        if (!dot) return 1;
        p = dot + 1;
    }
}

/* Namespaces, Services and a few others need DNS labels, most kinds subdomains. */
static int needs_label(const kind_info *k)
{
    return !strcmp(k->kind, "Namespace") || !strcmp(k->kind, "Service");
}

valid_status validate_object(const kind_info *k, json_t *obj, char *msg, size_t len)
{
    const char *name = obj_str(obj, "metadata.name");
    if (!name || !*name) {
        snprintf(msg, len, "resource name may not be empty");
        return VALID_INVALID;
    }
    if (needs_label(k) ? !valid_dns_label(name) : !valid_dns_subdomain(name)) {
        snprintf(msg, len,
                 "The %s \"%s\" is invalid: metadata.name: Invalid value: \"%s\": %s", k->kind, name, name,
                 needs_label(k)
                     ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                       "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
                       "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                     : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                       "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                       "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        return VALID_INVALID;
    }
    return VALID_OK;
}
