/* The analysis engine: host names, selectors, the driver (filtering, sorting,
 * de-duplication, precedence), Istio validation and the output formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "analyze/analyze.h"
#include "analyze/internal.h"
#include "analyze/istio_validate.h"
#include "model/loader.h"

static void add_yaml(az_input *in, const char *text, const char *source)
{
    loaded_docs d = {0};
    char err[512] = "";
    if (loader_load_buffer(&d, text, strlen(text), source ? source : "STDIN", err, sizeof err))
        fail_msg("load failed: %s", err);
    for (size_t i = 0; i < d.n; i++) az_input_add(in, d.docs[i].obj, source, d.docs[i].line, false);
    loaded_docs_free(&d);
}

static char *run_log(az_input *in, const az_options *opt)
{
    az_msgs m = {0};
    az_run(in, opt, &m);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    az_print_log(f, &m, false);
    fclose(f);
    az_msgs_free(&m);
    return buf;
}

static void test_host_matching_follows_istio(void **state)
{
    (void)state;
    assert_true(az_host_matches("foo.com", "foo.com"));
    assert_false(az_host_matches("foo.com", "bar.com"));
    assert_true(az_host_matches("*.com", "foo.com"));
    assert_true(az_host_matches("bar.com", "*.com"));
    assert_false(az_host_matches("*.foo.com", "foo.com"));
    assert_true(az_host_matches("*", "foo.com"));
    assert_true(az_host_matches("*", "*.com"));
    assert_true(az_host_matches("*.cnn.com", "*.com"));
    char buf[256];
    az_fqdn(buf, sizeof buf, "reviews", "default");
    assert_string_equal(buf, "reviews.default.svc.cluster.local");
    az_fqdn(buf, sizeof buf, "edition.cnn.com", "default");
    assert_string_equal(buf, "edition.cnn.com");
    az_fqdn(buf, sizeof buf, "*", "default");
    assert_string_equal(buf, "*");
}

static void test_service_fqdn_splits_into_name_and_namespace(void **state)
{
    (void)state;
    char n[64], ns[64];
    assert_true(az_split_svc_fqdn("istio-egressgateway.istio-system.svc.cluster.local", n, sizeof n, ns, sizeof ns));
    assert_string_equal(n, "istio-egressgateway");
    assert_string_equal(ns, "istio-system");
    assert_false(az_split_svc_fqdn("edition.cnn.com", n, sizeof n, ns, sizeof ns));
    assert_false(az_split_svc_fqdn("svc.cluster.local", n, sizeof n, ns, sizeof ns));
}

static void test_selector_string_sorts_keys(void **state)
{
    (void)state;
    json_t *m = json_pack("{s:s,s:s}", "istio", "egressgateway", "app", "istio-egressgateway");
    char buf[128];
    az_selector_string(m, buf, sizeof buf);
    assert_string_equal(buf, "app=istio-egressgateway,istio=egressgateway");
    json_decref(m);
    az_selector_string(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
}

static const char gw_missing_pod[] =
    "apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: gw, namespace: default}\n"
    "spec:\n  selector: {istio: egressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
    "    hosts: [edition.cnn.com]\n";

static void test_selector_not_found_is_reported_once(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in, gw_missing_pod, "gw.yaml");
    az_options opt = {0};
    opt.ns = "default";
    char *out = run_log(&in, &opt);
    /* three analyzers report it; duplicates are removed */
    assert_string_equal(out, "Error [IST0101] (Gateway default/gw gw.yaml:1) Referenced selector not found: "
                             "\"istio=egressgateway\"\n");
    free(out);
    az_input_free(&in);
}

static void test_namespace_filter_and_suppressions(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in, "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"
                  "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n",
             NULL);
    az_options opt = {0};
    opt.ns = "other";
    char *out = run_log(&in, &opt);
    assert_non_null(strstr(out, "(Namespace other)"));
    assert_null(strstr(out, "(Namespace default)"));
    free(out);

    opt.ns = NULL;
    az_suppression s = {"IST0102", "Namespace oth*"};
    opt.suppress = &s;
    opt.nsuppress = 1;
    out = run_log(&in, &opt);
    assert_non_null(strstr(out, "(Namespace default)"));
    assert_null(strstr(out, "(Namespace other)"));
    free(out);
    az_input_free(&in);
}

static void test_ignored_namespaces_are_not_read(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in, "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n---\n"
                  "apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\n"
                  "spec: {ports: [{name: dns, port: 53, protocol: UDP}]}\n",
             NULL);
    assert_int_equal(in.n, 0);
    az_input_free(&in);
}

static void test_later_sources_replace_earlier_objects(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in, gw_missing_pod, NULL);
    add_yaml(&in,
             "apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: gw, namespace: default}\n"
             "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
             "    hosts: ['*']\n",
             "new.yaml");
    assert_int_equal(in.n, 1);
    assert_string_equal(in.v[0].source, "new.yaml");
    az_options opt = {0};
    char *out = run_log(&in, &opt);
    assert_non_null(strstr(out, "\"istio=ingressgateway\""));
    free(out);
    az_input_free(&in);
}

static void test_only_selected_analyzers_run(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in, gw_missing_pod, NULL);
    add_yaml(&in, "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n", NULL);
    const char *only[] = {"injection.Analyzer"};
    az_options opt = {0};
    opt.only = only;
    opt.nonly = 1;
    char *out = run_log(&in, &opt);
    assert_non_null(strstr(out, "IST0102"));
    assert_null(strstr(out, "IST0101"));
    free(out);
    az_input_free(&in);
}

static void test_validation_names_rules_and_matches(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[256];
    const char vs[] = "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: v}\n"
                      "spec:\n  hosts: [a.com]\n  http:\n"
                      "  - name: first\n    match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: a.com}}]\n"
                      "  - name: second\n    match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: a.com}}]\n"
                      "  - route: [{destination: {host: a.com}}]\n";
    assert_int_equal(loader_load_buffer(&d, vs, strlen(vs), "vs", err, sizeof err), 0);
    iv_result r;
    assert_true(istio_validate(d.docs[0].obj, "default", &r));
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nwarnings, 2);
    assert_int_equal(r.warnings[0].type, IV_WARN_INEFFECTIVE);
    assert_string_equal(r.warnings[0].text,
                        "virtualService rule \"second\" match #0 is not used (duplicate/overlapping match in rule \"first\")");
    assert_int_equal(r.warnings[1].type, IV_WARN_UNREACHABLE);
    assert_string_equal(r.warnings[1].a, "\"second\"");
    assert_string_equal(r.warnings[1].b, "all matches used by prior rules");
    iv_result_free(&r);
    loaded_docs_free(&d);
}

static void test_validation_errors(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[256];
    const char vs[] = "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: v}\n"
                      "spec:\n  hosts: ['*', a.com]\n  tls:\n  - match: [{sniHosts: [b.com]}]\n";
    assert_int_equal(loader_load_buffer(&d, vs, strlen(vs), "vs", err, sizeof err), 0);
    iv_result r;
    assert_true(istio_validate(d.docs[0].obj, "default", &r));
    assert_int_equal(r.nerrors, 3);   /* b.com is a subset of "*": no SNI error */
    assert_string_equal(r.errors[0], "wildcard host * is not allowed for virtual services bound to the mesh gateway");
    assert_string_equal(r.errors[1], "duplicate hosts in virtual service: * & a.com");
    assert_string_equal(r.errors[2], "TLS route is required");
    iv_result_free(&r);
    /* not an Istio networking kind */
    json_t *pod = json_pack("{s:s,s:s}", "apiVersion", "v1", "kind", "Pod");
    assert_false(istio_validate(pod, "default", &r));
    json_decref(pod);
    loaded_docs_free(&d);
}

static void test_json_escapes_like_go(void **state)
{
    (void)state;
    az_input in = {0};
    add_yaml(&in,
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n"
             "  annotations: {\"sidecar.istio.io/a<b>&c\": x}\nspec: {containers: [{name: c}]}\n",
             NULL);
    az_msgs m = {0};
    az_options opt = {0};
    az_run(&in, &opt, &m);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    az_print_json(f, &m, "1.24");
    fclose(f);
    assert_non_null(strstr(buf, "\"message\": \"Unknown annotation: sidecar.istio.io/a\\u003cb\\u003e\\u0026c\""));
    assert_non_null(strstr(buf, "https://istio.io/v1.24/docs/reference/config/analysis/ist0108/?ref=istioctl-analyze"));
    free(buf);
    az_msgs_free(&m);
    az_input_free(&in);
}

static void test_every_code_has_a_level_and_template(void **state)
{
    (void)state;
    size_t n = 0;
    for (const az_code *c = az_codes; c->code; c++, n++) {
        assert_int_equal(strlen(c->code), 7);
        assert_non_null(c->tmpl);
        assert_true(c->level == AZ_ERROR || c->level == AZ_WARNING || c->level == AZ_INFO);
    }
    assert_true(n >= 60);
    assert_int_equal(az_code_lookup("IST0101")->level, AZ_ERROR);
    assert_int_equal(az_code_lookup("MSH0004")->level, AZ_WARNING);
    assert_null(az_code_lookup("IST9999"));
    assert_int_equal(az_level_parse("warning"), AZ_WARNING);
    assert_int_equal(az_level_parse("fatal"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_matching_follows_istio),
        cmocka_unit_test(test_service_fqdn_splits_into_name_and_namespace),
        cmocka_unit_test(test_selector_string_sorts_keys),
        cmocka_unit_test(test_selector_not_found_is_reported_once),
        cmocka_unit_test(test_namespace_filter_and_suppressions),
        cmocka_unit_test(test_ignored_namespaces_are_not_read),
        cmocka_unit_test(test_later_sources_replace_earlier_objects),
        cmocka_unit_test(test_only_selected_analyzers_run),
        cmocka_unit_test(test_validation_names_rules_and_matches),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_json_escapes_like_go),
        cmocka_unit_test(test_every_code_has_a_level_and_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
