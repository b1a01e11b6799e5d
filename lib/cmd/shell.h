/* What `meshsim shell`, `meshsim doctest` and completion share: a reader that
 * cuts typed or pasted text into whole commands (heredocs, `\` continuations,
 * open quotes, compound sh commands), a session that runs them (kubectl,
 * istioctl and meshsim in-process, anything else through /bin/sh with the
 * session's variables), and the completion engine. */
#ifndef MESHSIM_SHELL_H
#define MESHSIM_SHELL_H

#include <stdbool.h>
#include <stdio.h>
#include "cmd/commands.h"

/* A growable list of strings (owned). */
typedef struct strlist {
    char **v;
    int n, cap;
} strlist;
void strlist_add(strlist *l, const char *s);
void strlist_addn(strlist *l, const char *s, size_t n);
bool strlist_has(const strlist *l, const char *s);
void strlist_free(strlist *l);

/* ---- reader ---------------------------------------------------------- */

/* One whole command as the user wrote it. */
typedef struct sh_cmd {
    char *text;        /* every line, heredoc bodies included: what sh -c runs */
    int first_line;    /* line number of its first line in the input (1-based) */
} sh_cmd;

typedef struct sh_reader {
    strlist lines;     /* lines of the command being gathered */
    strlist delims;    /* heredoc delimiters still to see, in order */
    bool strip_tabs[16];
    char quote;        /* open quote carried over from the previous line, or 0 */
    bool continued;    /* the previous line ended in a backslash */
    int line_no, first_line;
} sh_reader;

typedef enum { SH_DONE, SH_MORE, SH_EMPTY } sh_feed_rc;

/* Feed one line (no trailing newline).  SH_DONE fills *cmd (free with
 * sh_cmd_free); SH_MORE means the command goes on (show "> "); SH_EMPTY means
 * a blank or comment line outside any command. */
sh_feed_rc sh_reader_feed(sh_reader *r, const char *line, sh_cmd *cmd);
bool sh_reader_pending(const sh_reader *r);
void sh_reader_reset(sh_reader *r);
void sh_cmd_free(sh_cmd *c);

/* ---- words ------------------------------------------------------------ */

typedef const char *(*sh_lookup_fn)(void *ctx, const char *name);

/* Split a simple command into words as sh would (quotes, backslashes,
 * $NAME and ${NAME} from lookup).  A single `<<DELIM` operator is taken out
 * and reported in *heredoc (its delimiter; *heredoc_quoted when quoted).
 * Returns -1 when the text needs a real shell: other operators (| ; & > <
 * ( )), $( ), backquotes, globs, ~, or an unterminated quote.  Splitting
 * stops at the first newline that ends the command line; *rest points after
 * it (the heredoc body, if any). */
int sh_split_simple(const char *text, sh_lookup_fn lookup, void *lctx, strlist *words,
                    char **heredoc, bool *heredoc_quoted, const char **rest);
/* Tolerant split for completion: the words of an incomplete line, the last
 * one possibly unfinished (*open_word tells whether text ends inside a word). */
void sh_split_partial(const char *text, strlist *words, bool *open_word);

/* ---- session --------------------------------------------------------- */

typedef struct sh_session {
    strlist env;          /* NAME=value: what every command sees */
    char bindir[4096];    /* directory of the meshsim binary (first on PATH) */
    int last_status;
    bool child_stdin_null;/* give sh children /dev/null as stdin (scripts read from stdin) */
    bool exited;          /* an `exit [N]` line was run: the session is over */
} sh_session;

int sh_session_init(sh_session *s, const char *home);
void sh_session_free(sh_session *s);
const char *sh_session_get(sh_session *s, const char *name);
void sh_session_set(sh_session *s, const char *name, const char *value);
/* Run one command; out and err receive what it prints (they may be the same
 * stream).  Returns its exit status. */
int sh_session_run(sh_session *s, const sh_cmd *cmd, FILE *out, FILE *err);

/* Run every command of a stream (a script on stdin); stop at the first
 * failure when stop_on_error; with echo, print each command as `$ cmd`
 * (and comment lines as they are) first, as a transcript.  Returns the
 * last status. */
int sh_run_stream(sh_session *s, FILE *in, bool stop_on_error, bool echo);


/* ---- completion -------------------------------------------------------- */

/* cobra's directives */
enum { COMP_DEFAULT = 0, COMP_ERROR = 1, COMP_NOSPACE = 2, COMP_NOFILE = 4 };

/* Candidates for `cur` after args[0..n) of prog ("kubectl", "istioctl",
 * "meshsim"), filtered by prefix; returns a directive. */
int complete_words(cmd_ctx *ctx, const char *prog, int n, char **args, const char *cur, strlist *out);
/* The namespace commands use when none is given. */
char *current_namespace(cmd_ctx *ctx);

/* ---- doctest matching ------------------------------------------------ */

/* Does `got` look like `want` (the loose rules: `...` lines stand for any
 * lines; words may differ where both are IPs, durations, dates, times,
 * versions, or share a "name-" prefix; trailing spaces ignored)? */
bool doctest_output_matches(const char *got, const char *want);
bool doctest_word_like(const char *got, const char *want);

#endif
