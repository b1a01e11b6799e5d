/* `meshsim shell`: an interactive prompt over the local cluster (GNU
 * readline: history kept in $MESHSIM_HOME/history, Tab completion from the
 * store), or a runner for `-c CMD` and scripts on standard input (CI). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "cmd/commands.h"
#include "model/heap.h"
#include "cmd/shell.h"

static const char shell_usage[] =
    "Run kubectl, istioctl and shell commands against the local cluster.\n\n"
    "Usage:\n"
    "  meshsim shell [-ex] [-c COMMANDS]\n"
    "  meshsim shell [-ex] < SCRIPT\n\n"
    "On a terminal: a prompt with history ($MESHSIM_HOME/history) and Tab completion of\n"
    "commands, flags, kinds, objects, namespaces, pods and containers.  kubectl, istioctl\n"
    "and meshsim lines run in-process; other lines run through /bin/sh, and variables\n"
    "they export persist between lines.  Here-documents and `\\` continuations work.\n\n"
    "Flags:\n"
    "  -c COMMANDS   run COMMANDS (one or more lines) and exit\n"
    "  -e            stop at the first command that fails\n"
    "  -x            print each command as `$ command` before its output (a transcript)\n"
    "  -h, --help    print this help\n";

/* ---- the interactive loop --------------------------------------------- */

static struct {
    sh_session *s;
    sh_reader r;
    cmd_ctx *ctx;
    char histfile[4200];
    char prompt[256];
    bool eof;
} ui;

static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    got_sigint = 1;
}

static cmd_ctx session_ctx(cmd_ctx *base)
{
    cmd_ctx c = *base;
    const char *home = sh_session_get(ui.s, "MESHSIM_HOME");
    if (home && *home) c.home = home;
    c.st = NULL;
    return c;
}

static const char *primary_prompt(void)
{
    cmd_ctx c = session_ctx(ui.ctx);
    FILE *null = fopen("/dev/null", "w");
    if (null) c.err = null;
    char *ns = current_namespace(&c);
    snprintf(ui.prompt, sizeof ui.prompt, "meshsim (%s)> ", ns ? ns : "default");
    free(ns);
    if (null) fclose(null);
    return ui.prompt;
}

static void on_line(char *line);

static void install_prompt(void)
{
    rl_callback_handler_install(sh_reader_pending(&ui.r) ? "> " : primary_prompt(), on_line);
}

static void remember(const char *text)
{
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (last && !strcmp(last->line, text)) return;
    add_history(text);
    struct stat sb;
    if (stat(ui.histfile, &sb) == 0) append_history(1, ui.histfile);
    else write_history(ui.histfile);
}

static void on_line(char *line)
{
    rl_callback_handler_remove();
    if (!line) {
        ui.eof = true;
        putchar('\n');
        return;
    }
    /* A pasted block or a recalled multi-line entry arrives as one string;
     * its empty lines matter (here-document bodies). */
    for (char *l = line;;) {
        char *nl = strchr(l, '\n');
        if (nl) *nl = 0;
        sh_cmd c = {0};
        if (sh_reader_feed(&ui.r, l, &c) == SH_DONE) {
            remember(c.text);
            got_sigint = 0;
            sh_session_run(ui.s, &c, stdout, stderr);
            fflush(stdout);
            got_sigint = 0;
            sh_cmd_free(&c);
            if (ui.s->exited) {
                ui.eof = true;
                free(line);
                return;
            }
        }
        if (!nl) break;
        l = nl + 1;
    }
    free(line);
    install_prompt();
}

static void cancel_line(void)
{
    got_sigint = 0;
    rl_echo_signal_char(SIGINT);
    rl_crlf();
    sh_reader_reset(&ui.r);
    rl_replace_line("", 0);
    rl_point = rl_end = 0;
    rl_on_new_line();
    rl_set_prompt(primary_prompt());
    rl_redisplay();
}

/* ---- completion from readline --------------------------------------------- */

static strlist rl_cands;

static char *next_candidate(const char *text, int state)
{
    static int i;
    (void)text;
    if (!state) i = 0;
    while (i < rl_cands.n) {
        const char *c = rl_cands.v[i++];
        const char *tab = strchr(c, '\t');
        return tab ? strndup(c, (size_t)(tab - c)) : strdup(c);
    }
    return NULL;
}

static char **shell_complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    strlist_free(&rl_cands);
    char *before = strndup(rl_line_buffer, (size_t)start);
    strlist words = {0};
    bool open = false;
    sh_split_partial(before, &words, &open);
    free(before);
    int dir = COMP_NOFILE;
    if (words.n == 0) {
        static const char *const first[] = {"kubectl", "istioctl", "meshsim", "export", "exit", NULL};
        for (const char *const *f = first; *f; f++)
            if (!strncmp(*f, text, strlen(text))) strlist_add(&rl_cands, *f);
    } else {
        const char *prog = strrchr(words.v[0], '/') ? strrchr(words.v[0], '/') + 1 : words.v[0];
        int skip = 1;
        if (!strcmp(prog, "meshsim") && words.n > 1 && (!strcmp(words.v[1], "kubectl") || !strcmp(words.v[1], "istioctl"))) {
            prog = words.v[1];
            skip = 2;
        }
        if (!strcmp(prog, "kubectl") || !strcmp(prog, "istioctl") || !strcmp(prog, "meshsim")) {
            cmd_ctx c = session_ctx(ui.ctx);
            FILE *null = fopen("/dev/null", "w");
            if (null) c.err = null;
            dir = complete_words(&c, prog, words.n - skip, words.v + skip, text, &rl_cands);
            if (null) fclose(null);
        } else {
            dir = COMP_DEFAULT;
        }
    }
    strlist_free(&words);
    if (rl_cands.n == 0) {
        if (!(dir & COMP_NOFILE)) rl_attempted_completion_over = 0;   /* file names */
        return NULL;
    }
    if (dir & COMP_NOSPACE) rl_completion_append_character = '\0';
    return rl_completion_matches(text, next_candidate);
}

static int interactive(sh_session *s, cmd_ctx *ctx)
{
    memset(&ui, 0, sizeof ui);
    ui.s = s;
    ui.ctx = ctx;
    const char *home = sh_session_get(s, "MESHSIM_HOME");
    mkdir(home, 0700);
    snprintf(ui.histfile, sizeof ui.histfile, "%s/history", home);
    rl_readline_name = "meshsim";
    rl_catch_signals = 0;
    rl_attempted_completion_function = shell_complete;
    rl_completer_word_break_characters = " \t\n\"'|;&<>()";
    history_comment_char = '#';
    history_write_timestamps = 1;      /* timestamps keep multi-line entries whole */
    history_multiline_entries = 1;
    using_history();
    stifle_history(2000);
    read_history(ui.histfile);
    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    install_prompt();
    while (!ui.eof) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(0, &fds);
        int r = select(1, &fds, NULL, NULL, NULL);
        if (r < 0) {
            if (errno != EINTR) break;
            if (got_sigint) cancel_line();
            continue;
        }
        rl_callback_read_char();
    }
    if (!ui.eof) rl_callback_handler_remove();
    history_truncate_file(ui.histfile, 2000);
    sigaction(SIGINT, &old, NULL);
    sh_reader_reset(&ui.r);
    strlist_free(&rl_cands);
    clear_history();
    return s->last_status;
}

/* ---- the command ------------------------------------------------------------ */

int cmd_shell(cmd_ctx *ctx, int argc, char **argv)
{
    const char *script = NULL;
    bool stop = false, echo = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(shell_usage, ctx->out);
            return 0;
        } else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            script = argv[++i];
        } else if (!strcmp(argv[i], "-e")) {
            stop = true;
        } else if (!strcmp(argv[i], "-x")) {
            echo = true;
        } else if (!strcmp(argv[i], "-ex") || !strcmp(argv[i], "-xe")) {
            stop = echo = true;
        } else {
            fprintf(ctx->err, "meshsim shell: unknown argument \"%s\"\nSee 'meshsim shell --help' for usage.\n", argv[i]);
            return 2;
        }
    }
    heap_use_small_pages();   /* a session that may last hours */
    sh_session s;
    sh_session_init(&s, ctx->home);
    int rc;
    if (script) {
        FILE *in = fmemopen((void *)script, strlen(script), "r");
        if (!in) {
            sh_session_free(&s);
            return 1;
        }
        rc = sh_run_stream(&s, in, stop, echo);
        fclose(in);
    } else if (ctx->in_is_tty && isatty(1)) {
        rc = interactive(&s, ctx);
    } else {
        s.child_stdin_null = true;
        rc = sh_run_stream(&s, ctx->in, stop, echo);
    }
    sh_session_free(&s);
    return rc;
}
