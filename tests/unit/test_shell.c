/* The shell's reader and word splitter, and doctest's loose output matching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "cmd/shell.h"

/* Feed lines until a command is complete; return its text (or NULL). */
static char *read_cmd(sh_reader *r, const char *const *lines, int *used)
{
    sh_cmd c = {0};
    for (int i = 0; lines[i]; i++) {
        sh_feed_rc rc = sh_reader_feed(r, lines[i], &c);
        if (rc == SH_DONE) {
            *used = i + 1;
            return c.text;
        }
    }
    *used = -1;
    return NULL;
}

static void test_heredoc_runs_to_its_delimiter(void **state)
{
    (void)state;
    sh_reader r = {0};
    const char *lines[] = {"kubectl apply -f - <<EOF", "kind: X", "", "  EOF", "EOF", "echo next", NULL};
    int used;
    char *t = read_cmd(&r, lines, &used);
    assert_int_equal(used, 5);
    assert_string_equal(t, "kubectl apply -f - <<EOF\nkind: X\n\n  EOF\nEOF");
    free(t);
    sh_reader_reset(&r);
}

static void test_quoted_and_dashed_heredocs(void **state)
{
    (void)state;
    sh_reader r = {0};
    const char *lines[] = {"cat <<'END' | kubectl apply -f -", "a: $X", "END", NULL};
    int used;
    char *t = read_cmd(&r, lines, &used);
    assert_int_equal(used, 3);
    free(t);
    const char *tabbed[] = {"cat <<-EOF", "\tbody", "\tEOF", NULL};
    t = read_cmd(&r, tabbed, &used);
    assert_int_equal(used, 3);
    free(t);
    sh_reader_reset(&r);
}

static void test_continuations_and_open_quotes(void **state)
{
    (void)state;
    sh_reader r = {0};
    const char *lines[] = {"istioctl install \\", "  --set a=b \\", "  --set c=d", NULL};
    int used;
    char *t = read_cmd(&r, lines, &used);
    assert_int_equal(used, 3);
    free(t);
    const char *quoted[] = {"echo 'one", "two' \"x", "y\"", NULL};
    t = read_cmd(&r, quoted, &used);
    assert_int_equal(used, 3);
    assert_string_equal(t, "echo 'one\ntwo' \"x\ny\"");
    free(t);
    /* a backslash inside single quotes is not a continuation */
    const char *sq[] = {"echo 'a\\'", NULL};
    t = read_cmd(&r, sq, &used);
    assert_int_equal(used, 1);
    free(t);
    sh_reader_reset(&r);
}

static void test_compound_commands_wait_for_their_end(void **state)
{
    (void)state;
    sh_reader r = {0};
    const char *lines[] = {"for i in 1 2; do", "  echo $i", "done", NULL};
    int used;
    char *t = read_cmd(&r, lines, &used);
    assert_int_equal(used, 3);
    free(t);
    sh_reader_reset(&r);
}

static void test_blank_and_comment_lines_are_empty(void **state)
{
    (void)state;
    sh_reader r = {0};
    sh_cmd c = {0};
    assert_int_equal(sh_reader_feed(&r, "", &c), SH_EMPTY);
    assert_int_equal(sh_reader_feed(&r, "   # note", &c), SH_EMPTY);
    assert_int_equal(sh_reader_feed(&r, "echo a # trailing comment with 'quote", &c), SH_DONE);
    sh_cmd_free(&c);
    sh_reader_reset(&r);
}

static const char *vars(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "POD")) return "sleep-1";
    if (!strcmp(name, "SPACED")) return "a b";
    return NULL;
}

static void test_split_expands_quotes_and_variables(void **state)
{
    (void)state;
    strlist w = {0};
    char *hd;
    bool hq;
    const char *rest;
    int rc = sh_split_simple("kubectl exec \"$POD\" -c sleep -- curl -w \"%{http_code}\\n\" 'a b' ${POD}x \\\n  end",
                             vars, NULL, &w, &hd, &hq, &rest);
    assert_int_equal(rc, 0);
    assert_null(hd);
    assert_int_equal(w.n, 12);
    assert_string_equal(w.v[11], "end");
    assert_string_equal(w.v[2], "sleep-1");
    assert_string_equal(w.v[7], "-w");
    assert_string_equal(w.v[8], "%{http_code}\\n");
    assert_string_equal(w.v[9], "a b");
    assert_string_equal(w.v[10], "sleep-1x");
    strlist_free(&w);
    rc = sh_split_simple("x \"$SPACED\" end", vars, NULL, &w, &hd, &hq, &rest);
    assert_int_equal(rc, 0);
    assert_string_equal(w.v[1], "a b");
    strlist_free(&w);
}

static void test_split_takes_out_one_heredoc(void **state)
{
    (void)state;
    strlist w = {0};
    char *hd;
    bool hq;
    const char *rest;
    assert_int_equal(sh_split_simple("kubectl apply -f - <<'EOF'\nbody\nEOF", vars, NULL, &w, &hd, &hq, &rest), 0);
    assert_string_equal(hd, "EOF");
    assert_true(hq);
    assert_int_equal(w.n, 4);
    assert_string_equal(rest, "body\nEOF");
    free(hd);
    strlist_free(&w);
}

static void test_split_leaves_the_rest_to_sh(void **state)
{
    (void)state;
    const char *needs_sh[] = {"a | b", "a; b", "a > f", "a $(b)", "a `b`", "a *.yaml", "a ~/x", "a $SPACED",
                              "a \"unterminated", "a && b", "(a)", "a <<<x", NULL};
    for (const char *const *t = needs_sh; *t; t++) {
        strlist w = {0};
        char *hd;
        bool hq;
        const char *rest;
        int rc = sh_split_simple(*t, vars, NULL, &w, &hd, &hq, &rest);
        if (rc != -1) fail_msg("expected sh for: %s", *t);
        strlist_free(&w);
    }
}

static void test_partial_split_for_completion(void **state)
{
    (void)state;
    strlist w = {0};
    bool open;
    sh_split_partial("echo x | kubectl get po", &w, &open);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.v[0], "kubectl");
    assert_true(open);
    strlist_free(&w);
    sh_split_partial("kubectl get ", &w, &open);
    assert_int_equal(w.n, 2);
    assert_false(open);
    strlist_free(&w);
}

static void test_word_like(void **state)
{
    (void)state;
    assert_true(doctest_word_like("10.244.0.7", "172.30.109.80"));
    assert_true(doctest_word_like("10.96.0.10:80", "151.101.65.67:443"));
    assert_true(doctest_word_like("5s", "18m"));
    assert_true(doctest_word_like("3d4h", "2m30s"));
    assert_true(doctest_word_like("1.4.6", "v1.24.3"));
    assert_true(doctest_word_like("sleep-776b7bcdcd-z7mc4", "sleep-5f4d-x"));
    assert_true(doctest_word_like("[2026-11-27T03:00:00.000Z]", "[2019-09-03T20:57:49.103Z]"));
    assert_true(doctest_word_like("\"ea379962-9b5c-4431-ab66-f01994f5a5a5\"", "\"0a1b2c3d-0000-1111-2222-333344445555\""));
    assert_true(doctest_word_like("anything", "..."));
    assert_false(doctest_word_like("sleep", "httpbin"));
    assert_false(doctest_word_like("200", "503"));
    assert_false(doctest_word_like("sleep-1", "httpbin-1"));
    assert_false(doctest_word_like("10.0.0.1", "10s"));
}

static void test_output_matching(void **state)
{
    (void)state;
    assert_true(doctest_output_matches("NAME   AGE\nsleep-1   5s  \n\n", "NAME AGE\nsleep-2 3m"));
    assert_false(doctest_output_matches("a\nb\n", "a\n"));
    assert_false(doctest_output_matches("a b\n", "a\n"));
    assert_true(doctest_output_matches("x\nHTTP/1.1 301 Moved Permanently\ny\nlocation: z\n\nHTTP/2 200\n",
                                       "...\nHTTP/1.1 301 Moved Permanently\n...\nHTTP/2 200\n..."));
    assert_false(doctest_output_matches("HTTP/2 200\nHTTP/1.1 301 Moved Permanently\n",
                                        "...\nHTTP/1.1 301 Moved Permanently\n...\nHTTP/2 200\n"));
    assert_true(doctest_output_matches("a\nb\nc\n", "a\n...\nc"));
    assert_false(doctest_output_matches("a\nb\n", "a\n...\nc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heredoc_runs_to_its_delimiter),
        cmocka_unit_test(test_quoted_and_dashed_heredocs),
        cmocka_unit_test(test_continuations_and_open_quotes),
        cmocka_unit_test(test_compound_commands_wait_for_their_end),
        cmocka_unit_test(test_blank_and_comment_lines_are_empty),
        cmocka_unit_test(test_split_expands_quotes_and_variables),
        cmocka_unit_test(test_split_takes_out_one_heredoc),
        cmocka_unit_test(test_split_leaves_the_rest_to_sh),
        cmocka_unit_test(test_partial_split_for_completion),
        cmocka_unit_test(test_word_like),
        cmocka_unit_test(test_output_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
