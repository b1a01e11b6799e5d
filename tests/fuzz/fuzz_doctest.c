/* Fuzz target: what `meshsim doctest` and `meshsim shell` read from a page:
 * the command reader (heredocs, continuations, open quotes), the simple
 * word splitter, and the loose output matcher.  Input: page text; after a
 * NUL, the "expected output" to match the first part against.  Promises
 * checked: every command the reader completes is non-empty text with a
 * line number; a text always matches itself. */
#include <stdbool.h>
#include "fuzz.h"
#include "cmd/shell.h"

static const char *doctest_fuzz_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return !strcmp(name, "SOURCE_POD") ? "sleep-6bdb595bcb-x2vjg" : NULL;
}

FUZZ_TARGET(doctest)
{
    char *text = fuzz_cstr(data, size);
    size_t tlen = strlen(text);
    sh_reader r;
    memset(&r, 0, sizeof r);
    char *copy = strdup(text), *save = NULL;
    int last_line = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        sh_cmd c = {0};
        if (sh_reader_feed(&r, line, &c) == SH_DONE) {
            FUZZ_CHECK(c.text != NULL && c.first_line >= 1 && c.first_line > last_line - 1);
            last_line = c.first_line;
            strlist words = {0};
            char *heredoc = NULL;
            bool quoted = false;
            const char *rest = NULL;
            int rc = sh_split_simple(c.text, doctest_fuzz_lookup, NULL, &words, &heredoc, &quoted, &rest);
            FUZZ_CHECK(rc == -1 || rc >= 0);
            free(heredoc);
            strlist_free(&words);
            strlist partial = {0};
            bool open_word = false;
            sh_split_partial(c.text, &partial, &open_word);
            strlist_free(&partial);
            sh_cmd_free(&c);
        }
    }
    sh_reader_reset(&r);
    free(copy);
    FUZZ_CHECK(doctest_output_matches(text, text));
    if (tlen + 1 < size) {
        char *want = fuzz_cstr(data + tlen + 1, size - tlen - 1);
        (void)doctest_output_matches(text, want);
        free(want);
    }
    free(text);
    return 0;
}
