/* Running the commands of a shell session.  kubectl, istioctl and meshsim
 * lines run in this process (no fork, heredoc bodies read through fmemopen);
 * every other line goes to /bin/sh with the session's variables, and what sh
 * exported when it finished becomes the session's variables for the next
 * line (so `export SOURCE_POD=$(...)` persists, as in a terminal). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd/shell.h"

extern char **environ;

static const char *const inproc_names[] = {"kubectl", "istioctl", "meshsim", NULL};

const char *sh_session_get(sh_session *s, const char *name)
{
    size_t k = strlen(name);
    for (int i = 0; i < s->env.n; i++)
        if (!strncmp(s->env.v[i], name, k) && s->env.v[i][k] == '=') return s->env.v[i] + k + 1;
    return NULL;
}

void sh_session_set(sh_session *s, const char *name, const char *value)
{
    size_t k = strlen(name);
    size_t len = k + strlen(value) + 2;
    char *e = malloc(len);
    snprintf(e, len, "%s=%s", name, value);
    for (int i = 0; i < s->env.n; i++)
        if (!strncmp(s->env.v[i], name, k) && s->env.v[i][k] == '=') {
            free(s->env.v[i]);
            s->env.v[i] = e;
            return;
        }
    strlist_add(&s->env, e);
    free(e);
}

int sh_session_init(sh_session *s, const char *home)
{
    memset(s, 0, sizeof *s);
    if (cmd_bin_dir(s->bindir, sizeof s->bindir)) snprintf(s->bindir, sizeof s->bindir, ".");
    for (char **e = environ; e && *e; e++) strlist_add(&s->env, *e);
    const char *path = sh_session_get(s, "PATH");
    size_t len = strlen(s->bindir) + (path ? strlen(path) : 0) + 2;
    char *np = malloc(len);
    snprintf(np, len, "%s%s%s", s->bindir, path ? ":" : "", path ? path : "");
    sh_session_set(s, "PATH", np);
    free(np);
    char abs[PATH_MAX];
    if (home[0] != '/' && getcwd(abs, sizeof abs)) {
        size_t al = strlen(abs);
        snprintf(abs + al, sizeof abs - al, "/%s", home);
        sh_session_set(s, "MESHSIM_HOME", abs);
    } else {
        sh_session_set(s, "MESHSIM_HOME", home);
    }
    return 0;
}

void sh_session_free(sh_session *s) { strlist_free(&s->env); }

static const char *lookup(void *ctx, const char *name)
{
    sh_session *s = ctx;
    static char status[16];
    if (!strcmp(name, "?")) {
        snprintf(status, sizeof status, "%d", s->last_status);
        return status;
    }
    return sh_session_get(s, name);
}

/* Point fd `fd` at stream f for the duration of a command, so that anything
 * written to the raw descriptor lands where the stream goes. */
static int redirect_fd(FILE *f, int fd)
{
    if (!f || fileno(f) < 0 || fileno(f) == fd) return -1;
    fflush(fd == 1 ? stdout : stderr);
    int saved = dup(fd);
    dup2(fileno(f), fd);
    return saved;
}

static void restore_fd(int saved, int fd)
{
    if (saved < 0) return;
    fflush(fd == 1 ? stdout : stderr);
    dup2(saved, fd);
    close(saved);
}

static void sync_process_env(sh_session *s)
{
    clearenv();
    for (int i = 0; i < s->env.n; i++) {
        char *eq = strchr(s->env.v[i], '=');
        if (!eq || eq == s->env.v[i]) continue;
        char *name = strndup(s->env.v[i], (size_t)(eq - s->env.v[i]));
        setenv(name, eq + 1, 1);
        free(name);
    }
}

static int run_inproc(sh_session *s, strlist *words, const char *body, size_t body_len, FILE *out, FILE *err)
{
    sync_process_env(s);
    FILE *in = stdin;
    /* scripts and pages are read from stdin: commands must not eat them */
    bool own_in = body || s->child_stdin_null;
    if (own_in) {
        in = body && body_len ? fmemopen((void *)body, body_len, "r") : fopen("/dev/null", "r");
        if (!in) {
            fprintf(err, "meshsim shell: cannot read the here-document: %s\n", strerror(errno));
            return 1;
        }
    }
    const char *home = sh_session_get(s, "MESHSIM_HOME");
    cmd_ctx ctx = {
        .in = in, .out = out, .err = err,
        .home = home && *home ? home : store_default_dir(),
        .rel = release_default(),
        .in_is_tty = own_in ? 0 : isatty(0),
    };
    fflush(out);
    fflush(err);
    int s1 = redirect_fd(out, 1), s2 = redirect_fd(err, 2);
    int rc = personality_main(&ctx, words->v[0], words->n - 1, words->v + 1);
    fflush(out);
    fflush(err);
    restore_fd(s1, 1);
    restore_fd(s2, 2);
    if (own_in) fclose(in);
    return rc;
}

/* Take the environment sh left in `path` (env -0 output) as the session's. */
static void adopt_env(sh_session *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    strlist fresh = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getdelim(&line, &cap, '\0', f)) > 0) {
        if (!strchr(line, '=') || !strncmp(line, "__MESHSIM_ENV=", 14)) continue;
        strlist_add(&fresh, line);
    }
    free(line);
    fclose(f);
    if (fresh.n == 0) { strlist_free(&fresh); return; }
    strlist_free(&s->env);
    s->env = fresh;
    const char *pwd = sh_session_get(s, "PWD");
    char cwd[PATH_MAX];
    if (pwd && (!getcwd(cwd, sizeof cwd) || strcmp(cwd, pwd))) {
        if (chdir(pwd)) { /* the directory went away: stay where we are */ }
    }
}

static int run_sh(sh_session *s, const char *text, FILE *out, FILE *err)
{
    char envfile[] = "/tmp/meshsim-shell-env.XXXXXX";
    int efd = mkstemp(envfile);
    if (efd < 0) {
        fprintf(err, "meshsim shell: cannot create a temporary file: %s\n", strerror(errno));
        return 1;
    }
    close(efd);
    size_t len = strlen(text) + 128;
    char *script = malloc(len);
    /* (exit N) hands the previous line's status to this one's $? */
    char status[32] = "";
    if (s->last_status) snprintf(status, sizeof status, "(exit %d)\n", s->last_status & 255);
    snprintf(script, len, "trap '/usr/bin/env -0 >\"$__MESHSIM_ENV\"' EXIT\n%s%s\n", status, text);
    strlist envp = {0};
    for (int i = 0; i < s->env.n; i++) strlist_add(&envp, s->env.v[i]);
    char ev[sizeof envfile + 16];
    snprintf(ev, sizeof ev, "__MESHSIM_ENV=%s", envfile);
    strlist_add(&envp, ev);
    fflush(out);
    fflush(err);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (fileno(out) != 1) dup2(fileno(out), 1);
        if (fileno(err) != 2) dup2(fileno(err), 2);
        if (s->child_stdin_null) {
            int nul = open("/dev/null", O_RDONLY);
            if (nul >= 0) dup2(nul, 0);
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        char *argv[] = {"sh", "-c", script, NULL};
        execve("/bin/sh", argv, envp.v);
        _exit(127);
    }
    int st = 0, rc;
    struct sigaction ign = {.sa_handler = SIG_IGN}, oldint, oldquit;
    sigaction(SIGINT, &ign, &oldint);
    sigaction(SIGQUIT, &ign, &oldquit);
    if (pid < 0) {
        fprintf(err, "meshsim shell: cannot start /bin/sh: %s\n", strerror(errno));
        rc = 1;
    } else {
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) fputc('\n', err);
    }
    sigaction(SIGINT, &oldint, NULL);
    sigaction(SIGQUIT, &oldquit, NULL);
    adopt_env(s, envfile);
    unlink(envfile);
    strlist_free(&envp);
    free(script);
    return rc;
}

int sh_session_run(sh_session *s, const sh_cmd *cmd, FILE *out, FILE *err)
{
    strlist words = {0};
    char *hd = NULL;
    bool hq = false;
    const char *rest = NULL;
    bool inproc = false;
    const char *body = NULL;
    size_t body_len = 0;
    if (sh_split_simple(cmd->text, lookup, s, &words, &hd, &hq, &rest) == 0 && words.n > 0 && !hd
        && (!rest || !*rest) && !strcmp(words.v[0], "exit") && words.n <= 2) {
        /* `exit` ends the session itself, not just the sh that would run it */
        int rc = words.n == 2 ? atoi(words.v[1]) & 255 : s->last_status;
        strlist_free(&words);
        s->exited = true;
        s->last_status = rc;
        return rc;
    }
    strlist_free(&words);
    free(hd);
    hd = NULL;
    if (sh_split_simple(cmd->text, lookup, s, &words, &hd, &hq, &rest) == 0 && words.n > 0) {
        for (const char *const *n = inproc_names; *n; n++)
            if (!strcmp(words.v[0], *n)) inproc = true;
        if (inproc && !hd && rest && *rest) inproc = false;   /* several lines: sh's business */
        if (inproc && hd) {
            /* the body runs from rest to the delimiter line, which ends the text */
            const char *end = rest ? rest + strlen(rest) : NULL;
            const char *last = end;
            while (last && last > rest && last[-1] != '\n') last--;
            if (!rest || strcmp(last, hd)) inproc = false;
            else {
                body = rest;
                body_len = (size_t)(last - rest);
                /* an unquoted heredoc expands $ and ` : let sh do that */
                if (!hq && memchr(body, '$', body_len)) inproc = false;
                if (!hq && memchr(body, '`', body_len)) inproc = false;
                if (!hq && memchr(body, '\\', body_len)) inproc = false;
            }
        }
    }
    int rc = inproc ? run_inproc(s, &words, body, body_len, out, err) : run_sh(s, cmd->text, out, err);
    free(hd);
    strlist_free(&words);
    s->last_status = rc;
    return rc;
}

int sh_run_stream(sh_session *s, FILE *in, bool stop_on_error, bool echo)
{
    sh_reader r = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
        sh_cmd c = {0};
        sh_feed_rc fr = sh_reader_feed(&r, line, &c);
        if (echo && fr == SH_EMPTY) {
            const char *p = line + strspn(line, " \t");
            if (*p == '#') printf("%s\n", line);
            else if (!*p) putchar('\n');
            fflush(stdout);
        }
        if (fr != SH_DONE) continue;
        if (echo) {
            printf("$ %s\n", c.text);
            fflush(stdout);
        }
        FILE *cap = echo ? tmpfile() : NULL;
        if (cap) {
            /* a transcript: the output, merged as on a terminal, and ending
             * in a newline so the next `$ ` starts a line of its own */
            rc = sh_session_run(s, &c, cap, cap);
            fflush(cap);
            rewind(cap);
            char buf[8192];
            size_t k;
            int last = '\n';
            while ((k = fread(buf, 1, sizeof buf, cap)) > 0) {
                fwrite(buf, 1, k, stdout);
                last = (unsigned char)buf[k - 1];
            }
            if (last != '\n') putchar('\n');
            fclose(cap);
        } else {
            rc = sh_session_run(s, &c, stdout, stderr);
        }
        sh_cmd_free(&c);
        fflush(stdout);
        if ((rc && stop_on_error) || s->exited) break;
    }
    if (sh_reader_pending(&r) && !(rc && stop_on_error) && !s->exited) {
        fprintf(stderr, "meshsim shell: line %d: unexpected end of file (an unfinished command: "
                        "open quote, here-document or `\\`)\n", r.first_line);
        rc = 2;
    }
    sh_reader_reset(&r);
    free(line);
    return rc;
}
