/* The state store's promises: private files, foreign schema versions and
 * foreign files refused, a failed write dooms the whole transaction (never
 * a piecemeal commit), integrity check and counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store/index.h"
#include "store/store.h"
#include "store/store_internal.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/meshsim-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    strcat(dir, "/home");   /* let store_open create it */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 5), dir);
    return system(cmd) == 0 ? 0 : -1;
}

static store *open_ok(bool *created)
{
    char err[1024] = "";
    store *st = store_open(dir, created, err, sizeof err);
    if (!st) fail_msg("store_open: %s", err);
    return st;
}

static json_t *cm(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name);
}

static void test_new_store_is_private(void **state)
{
    (void)state;
    mode_t old = umask(0);
    bool created = false;
    store *st = open_ok(&created);
    umask(old);
    assert_true(created);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    char path[400];
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/state.db", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    st = open_ok(&created);
    assert_false(created);
    store_close(st);
}

static void test_other_schema_version_is_refused(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    assert_int_equal(store_meta_set(st, "schema_version", "7"), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    char err[1024] = "";
    assert_null(store_open(dir, NULL, err, sizeof err));
    assert_non_null(strstr(err, "has schema version 7; this meshsim reads version 4"));
}

static void test_foreign_file_is_refused_untouched(void **state)
{
    (void)state;
    char path[400];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/state.db", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++) fputc("not a database\n"[i % 15], f);
    fclose(f);
    char err[1024] = "";
    assert_null(store_open(dir, NULL, err, sizeof err));
    assert_non_null(strstr(err, "is not a meshsim state store (file is not a database)"));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 4096);
}

static void test_objects_counters_and_counts(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    json_t *o = cm("a");
    assert_int_equal(store_put(st, "configmaps", "default", "a", o), 0);
    assert_int_equal(store_put(st, "configmaps", "default", "b", o), 0);
    assert_int_equal(store_put(st, "configmaps", "other", "c", o), 0);
    json_decref(o);
    long long a = store_counter_next(st, "rv"), b = store_counter_next(st, "rv");
    assert_true(a > 0 && b == a + 1);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_delete(st, "configmaps", "default", "zzz"), 1);   /* absent */
    char msg[256];
    assert_int_equal(store_integrity_check(st, msg, sizeof msg), 0);
    assert_string_equal(msg, "ok");
    store_close(st);
}

/* Two counters drawn in turn (a pod's IP, then its resourceVersion) are
 * both kept in memory, read back through the meta table and stored at the
 * commit. */
static void test_counters_drawn_in_turn(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    long long a0 = store_counter_next(st, "a"), b0 = store_counter_next(st, "b");
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(store_counter_next(st, "a"), a0 + i);
        assert_int_equal(store_counter_next(st, "b"), b0 + i);
    }
    char *seen = store_meta_get(st, "counter:a");
    assert_non_null(seen);
    assert_int_equal(atoll(seen), a0 + 5);
    free(seen);
    assert_int_equal(store_counter_next(st, "b"), b0 + 6);
    assert_int_equal(store_counter_next(st, "a"), a0 + 6);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    st = open_ok(NULL);
    assert_int_equal(store_counter_next(st, "b"), b0 + 7);
    assert_int_equal(store_counter_next(st, "a"), a0 + 7);
    store_rollback(st);
    store_close(st);
}

static int count_cb(void *ctx, const char *resource, const char *ns, long long n)
{
    char *buf = ctx;
    char line[200];
    snprintf(line, sizeof line, "%s/%s=%lld;", resource, ns, n);
    strcat(buf, line);
    return 0;
}

static void test_count_each_groups_by_namespace(void **state)
{
    (void)state;
    test_objects_counters_and_counts(state);
    store *st = open_ok(NULL);
    char buf[1000] = "";
    assert_int_equal(store_count_each(st, count_cb, buf), 0);
    assert_string_equal(buf, "configmaps/default=2;configmaps/other=1;");
    store_close(st);
}

/* In a child with a small file-size limit (and SIGXFSZ ignored, so writes
 * fail with EFBIG the way they fail on a full disk): a big transaction must
 * fail as a whole, and nothing of it may be committed; with write-behind
 * (store_write_behind) too, where the failing rows are the writer's. */
static void fill_past_the_limit(bool behind)
{
    store *st = open_ok(NULL);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {256 * 1024, 256 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        char err[1024];
        store *c = store_open(dir, NULL, err, sizeof err);
        if (!c) _exit(10);
        if (behind) store_write_behind(c, true);
        char big[2048];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        for (int i = 0; i < 3000; i++) {
            char name[32];
            snprintf(name, sizeof name, "cm-%d", i);
            json_t *o = json_pack("{s:s, s:{s:s}, s:{s:s}}", "kind", "ConfigMap", "metadata", "name", name,
                                  "data", "big", big);
            /* whether a put fails first depends on when SQLite's page
             * cache spills to disk: the commit must refuse either way */
            store_put(c, "configmaps", "default", name, o);
            json_decref(o);
        }
        int rc = store_commit(c);
        int has_msg = strlen(store_errmsg(c)) > 0;
        store_close(c);
        _exit(rc == -1 && has_msg ? 0 : 11);   /* 0: refused, with a message */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    st = open_ok(NULL);
    char buf[1000] = "";
    assert_int_equal(store_count_each(st, count_cb, buf), 0);
    assert_string_equal(buf, "");   /* all or nothing: nothing */
    char msg[256];
    assert_int_equal(store_integrity_check(st, msg, sizeof msg), 0);
    store_close(st);
}

static void test_failed_write_dooms_the_transaction(void **state)
{
    (void)state;
    fill_past_the_limit(false);
}

static void test_write_behind_failure_dooms_the_transaction(void **state)
{
    (void)state;
    fill_past_the_limit(true);
}

static void test_rollback_discards(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_begin(st), 0);
    json_t *o = cm("gone");
    assert_int_equal(store_put(st, "configmaps", "default", "gone", o), 0);
    json_decref(o);
    store_rollback(st);
    json_t *g = store_get(st, "configmaps", "default", "gone");
    assert_null(g);
    store_close(st);
}

/* A handle kept from one command to the next (the shell, __probe-loop):
 * each transaction counts its own object writes, and sees what another
 * connection committed in between, generation included. */
static void test_kept_handle_transactions(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    json_t *o = cm("first");
    assert_int_equal(store_put(st, "configmaps", "default", "first", o), 0);
    json_decref(o);
    assert_int_equal(store_object_writes(st), 1);
    assert_int_equal(store_commit(st), 0);
    long long g0 = store_objects_generation(st);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_object_writes(st), 0);
    assert_false(store_objects_dirty(st));
    assert_int_equal(store_commit(st), 0);

    store *other = open_ok(NULL);
    o = cm("second");
    assert_int_equal(store_put(other, "configmaps", "default", "second", o), 0);
    json_decref(o);
    assert_int_equal(store_commit(other), 0);
    store_close(other);

    assert_int_equal(store_begin(st), 0);
    assert_true(store_exists(st, "configmaps", "default", "second"));
    assert_true(store_objects_generation(st) != g0);
    assert_int_equal(store_object_writes(st), 0);
    assert_int_equal(store_delete(st, "configmaps", "default", "first"), 0);
    assert_int_equal(store_object_writes(st), 1);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
}

/* The journal mode state.db's own header records (what the next open finds). */
static bool in_wal_mode(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char hdr[20] = {0};
    bool wal = f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr && hdr[18] == 2 && hdr[19] == 2;
    if (f) fclose(f);
    return wal;
}

static char *journal_mode_of(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    char *mode = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        mode = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return mode;
}

/* A store keeps its transactions in a rollback journal: a commit writes
 * each page into state.db once, and leaves an empty state.db-journal. */
static void test_rollback_journal(void **state)
{
    (void)state;
    char path[300], journal[320];
    snprintf(path, sizeof path, "%s/state.db", dir);
    snprintf(journal, sizeof journal, "%s-journal", path);
    store *st = open_ok(NULL);
    json_t *a = cm("a");
    assert_int_equal(store_put(st, "configmaps", "default", "a", a), 0);
    assert_int_equal(store_commit(st), 0);
    struct stat sb;
    assert_int_equal(stat(journal, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_not_equal(stat(wal, &sb), 0);
    assert_false(in_wal_mode(path));
    store_close(st);
    json_decref(a);
}

/* A store holding configmap "a", closed; path: its state.db. */
static void store_with_a(char *path, size_t len)
{
    snprintf(path, len, "%s/state.db", dir);
    store *st = open_ok(NULL);
    json_t *a = cm("a");
    assert_int_equal(store_put(st, "configmaps", "default", "a", a), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    json_decref(a);
}

/* A store an older meshsim left in WAL mode leaves it at the first open
 * that has it to itself; while another connection reads it, an open uses
 * it as it is, without waiting for the switch. */
static void test_wal_store_switched_when_alone(void **state)
{
    (void)state;
    char path[300];
    store_with_a(path, sizeof path);
    store *st;
    json_t *b = cm("b");
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    char *mode = NULL;
    assert_int_equal(sqlite3_exec(other, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
    assert_string_equal(mode = journal_mode_of(other), "wal");
    free(mode);
    assert_true(in_wal_mode(path));
    /* another connection in the middle of reading: no switch then */
    assert_int_equal(sqlite3_exec(other, "BEGIN; SELECT count(*) FROM objects;", NULL, NULL, NULL), SQLITE_OK);
    st = open_ok(NULL);
    assert_int_equal(store_put(st, "configmaps", "default", "b", b), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_true(in_wal_mode(path));
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    /* alone: switched, and what was written in WAL mode is all there */
    st = open_ok(NULL);
    assert_true(store_exists(st, "configmaps", "default", "a"));
    assert_true(store_exists(st, "configmaps", "default", "b"));
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_false(in_wal_mode(path));
    json_decref(b);
}

/* fsync is off unless MESHSIM_SYNC asks (store.c, store_open): SQLite's
 * setting as each value leaves it, an unknown value the safest. */
static int sync_setting(const char *value)
{
    if (value) setenv("MESHSIM_SYNC", value, 1);
    else unsetenv("MESHSIM_SYNC");
    store *st = open_ok(NULL);
    sqlite3_stmt *s = store_stmt(st, "PRAGMA synchronous");
    assert_non_null(s);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int level = sqlite3_column_int(s, 0);
    store_stmt_done(st, s);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    unsetenv("MESHSIM_SYNC");
    return level;
}

/* A new store's pages are 16 KB (fewer frames for a big commit to write
 * and copy); one made with SQLite's default 4 KB keeps them. */
static int page_size_of(const char *path_in_dir)
{
    sqlite3 *db = NULL;
    int size = -1;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(path_in_dir, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        size = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return size;
}

static void test_page_size_of_new_and_old_stores(void **state)
{
    (void)state;
    char path[300];
    store_with_a(path, sizeof path);
    json_t *b = cm("b");
    assert_int_equal(page_size_of(path), 16384);
    /* an older store, 4 KB pages, opened and written: its pages stay */
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-journal'", path, path);
    assert_int_equal(system(cmd), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE t(x);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store *st = open_ok(NULL);
    assert_int_equal(store_put(st, "configmaps", "default", "b", b), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_int_equal(page_size_of(path), 4096);
    json_decref(b);
}

static void test_sync_follows_meshsim_sync(void **state)
{
    (void)state;
    assert_int_equal(sync_setting(NULL), 0);
    assert_int_equal(sync_setting("off"), 0);
    assert_int_equal(sync_setting("normal"), 1);
    assert_int_equal(sync_setting("FULL"), 2);
    assert_int_equal(sync_setting("sometimes"), 2);
}

static int row_cb(void *ctx, const store_row *r)
{
    char *buf = ctx;
    char line[300];
    snprintf(line, sizeof line, "%s/%s row=%s labels=%s body=%s;", r->ns, r->name, r->row ? r->row : "-",
             r->labels ? r->labels : "-", r->body ? "yes" : "no");
    strcat(buf, line);
    return 0;
}

/* Listings read the rows kept next to the objects; the body only where a
 * row is missing. */
static void test_rows_kept_next_to_objects(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    json_t *o = cm("a");
    store_extras x = {.row = "r-a", .labels = "{\"app\":\"a\"}"};
    assert_int_equal(store_put_ex(st, "configmaps", "default", "a", o, &x), 0);
    assert_int_equal(store_put(st, "configmaps", "default", "b", o), 0);
    assert_int_equal(store_put_ex(st, "configmaps", "other", "c", o, &(store_extras){.row = "r-c"}), 0);
    json_decref(o);
    char buf[1000] = "";
    assert_int_equal(store_each_row(st, "configmaps", NULL, false, row_cb, buf), 0);
    assert_string_equal(buf, "default/a row=r-a labels={\"app\":\"a\"} body=no;default/b row=- labels=- body=yes;"
                             "other/c row=r-c labels=- body=no;");
    buf[0] = 0;
    assert_int_equal(store_each_row(st, "configmaps", "other", false, row_cb, buf), 0);
    assert_string_equal(buf, "other/c row=r-c labels=- body=no;");
    buf[0] = 0;
    assert_int_equal(store_each_row(st, "configmaps", "other", true, row_cb, buf), 0);
    assert_string_equal(buf, "other/c row=r-c labels=- body=yes;");
    /* a plain put forgets the row */
    o = cm("a");
    assert_int_equal(store_put(st, "configmaps", "default", "a", o), 0);
    json_decref(o);
    buf[0] = 0;
    assert_int_equal(store_each_row(st, "configmaps", "default", false, row_cb, buf), 0);
    assert_string_equal(buf, "default/a row=- labels=- body=yes;default/b row=- labels=- body=yes;");
    assert_int_equal(store_commit(st), 0);
    store_close(st);
}

/* A store of schema version 1 (objects without rows) is upgraded in place:
 * every object kept, rows empty until written again. */
static void test_version_1_store_is_upgraded(void **state)
{
    (void)state;
    char path[400];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/state.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE objects(resource TEXT NOT NULL, namespace TEXT NOT NULL,"
        " name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(resource, namespace, name)) WITHOUT ROWID;"
        "INSERT INTO meta VALUES('schema_version','1');"
        "INSERT INTO objects VALUES('configmaps','default','old','{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"old\"}}');",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    bool created = true;
    store *st = open_ok(&created);
    assert_false(created);
    json_t *o = store_get(st, "configmaps", "default", "old");
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "old");
    json_decref(o);
    char buf[1000] = "";
    assert_int_equal(store_each_row(st, "configmaps", NULL, false, row_cb, buf), 0);
    assert_string_equal(buf, "default/old row=- labels=- body=yes;");
    char *ver = store_meta_get(st, "schema_version");
    assert_string_equal(ver, "4");
    free(ver);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
}

/* A sequence of writes and reads as kubectl apply of a long stream makes
 * them (new objects, an object written twice, one deleted and written
 * again, lookups of present and absent objects, a listing in the middle),
 * with or without write-behind; returns what the store then holds. */
static char *write_sequence(bool behind)
{
    store *st = open_ok(NULL);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_begin(st), 0);
    json_t *pre = cm("before");
    assert_int_equal(store_put(st, "configmaps", "default", "before", pre), 0);
    json_decref(pre);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_begin(st), 0);
    if (behind) store_write_behind(st, true);
    for (int i = 0; i < 600; i++) {
        char name[32], host[64];
        snprintf(name, sizeof name, "se-%d", i);
        snprintf(host, sizeof host, "h%d.example.com", i < 500 ? i % 250 : i);   /* the last 100: one owner */
        json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:[s]}}", "apiVersion", "networking.istio.io/v1",
                              "kind", "ServiceEntry", "metadata", "name", name, "namespace", i % 2 ? "a" : "b",
                              "spec", "hosts", host);
        store_extras x = {.row = "row", .applied = i % 3 ? "applied" : NULL, .is_new = true};
        /* each object is absent until written, present after */
        assert_false(store_exists(st, "serviceentries.networking.istio.io", i % 2 ? "a" : "b", name));
        assert_int_equal(store_put_ex(st, "serviceentries.networking.istio.io", i % 2 ? "a" : "b", name, o, &x), 0);
        json_decref(o);
        bool exists = false;
        char *applied = store_get_applied(st, "serviceentries.networking.istio.io", i % 2 ? "a" : "b", name, &exists);
        assert_true(exists);
        if (i % 3) assert_string_equal(applied, "applied");
        else assert_null(applied);
        free(applied);
        assert_true(store_exists(st, "configmaps", "default", "before"));
        if (i == 300) {
            /* a listing sees every write before it */
            json_t *l = store_list(st, "serviceentries.networking.istio.io", NULL);
            assert_int_equal(json_array_size(l), 301);
            json_decref(l);
            assert_true(store_key_exists(st, "host:h100.example.com"));
            assert_int_equal(store_delete(st, "serviceentries.networking.istio.io", "a", "se-7"), 0);
            assert_false(store_exists(st, "serviceentries.networking.istio.io", "a", "se-7"));
        }
        if (i == 400) {
            /* written again: an update replaces the keys */
            json_t *u = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:[s]}}", "apiVersion", "networking.istio.io/v1",
                                  "kind", "ServiceEntry", "metadata", "name", "se-9", "namespace", "a",
                                  "spec", "hosts", "moved.example.com");
            store_extras ux = {.row = "row2", .labels = "{\"l\":\"v\"}"};
            assert_int_equal(store_put_ex(st, "serviceentries.networking.istio.io", "a", "se-9", u, &ux), 0);
            json_decref(u);
            json_t *got = store_get(st, "serviceentries.networking.istio.io", "a", "se-9");
            assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(got, "spec"), "hosts"), 0)),
                                "moved.example.com");
            json_decref(got);
        }
    }
    /* a key's only owner deleted: the key goes */
    assert_int_equal(store_delete(st, "serviceentries.networking.istio.io", "b", "se-550"), 0);
    if (behind) store_write_behind(st, false);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    /* what a later command reads: every object, its row and labels, its keys */
    st = open_ok(NULL);
    json_t *all = store_list_all(st);
    char *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    char rows[65536] = "";
    assert_int_equal(store_each_row(st, "serviceentries.networking.istio.io", NULL, false, row_cb, rows), 0);
    const char *keys[] = {"host:h9.example.com", "host:moved.example.com", "host:h550.example.com", "host:h599.example.com"};
    char *out = NULL;
    assert_true(asprintf(&out, "%s\n%s\n%d%d%d%d", text, rows, store_key_exists(st, keys[0]),
                         store_key_exists(st, keys[1]), store_key_exists(st, keys[2]), store_key_exists(st, keys[3])) > 0);
    free(text);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    return out;
}

/* Write-behind changes nothing a reader can see, during the transaction or
 * after it (store_write_behind). */
static void test_write_behind_is_invisible(void **state)
{
    (void)state;
    char *plain = write_sequence(false);
    assert_int_equal(teardown(NULL), 0);
    assert_int_equal(setup(NULL), 0);
    char *behind = write_sequence(true);
    assert_string_equal(plain, behind);
    /* se-9 moved (h9's other owner, se-259, keeps it), se-550 deleted */
    assert_non_null(strstr(plain, "\n1101"));
    free(plain);
    free(behind);
}

/* ---- shared texts (lib/store/shared.h): pods of one template keep their
 * long spec once; every reader gets back the very text that was put. */

/* A pod whose spec is long (like an injected one's), named name, with
 * `variant` in its spec so two templates differ. */
static char *pod_text(const char *name, int variant)
{
    json_t *containers = json_array();
    for (int i = 0; i < 12; i++)
        json_array_append_new(containers, json_pack("{s:s,s:s,s:[s,s,s],s:{s:i}}", "name", i ? "istio-proxy" : "app",
            "image", variant ? "docker.io/istio/proxyv2:1.24.3" : "docker.io/istio/proxyv2:1.4.6",
            "args", "proxy", "sidecar", "--domain=$(POD_NAMESPACE).svc.cluster.local \u00e9\"q\"", "resources", "n", i));
    json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:o,s:s},s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Pod",
        "metadata", "name", name, "namespace", "default", "annotations", "note", "\"spec\":{} inside a string",
        "other", "{\"spec\":{\"containers\":[]}}",
        "spec", "containers", containers, "serviceAccountName", "default",
        "status", "phase", "Running", "podIP", name);
    char *text = json_dumps(pod, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(pod);
    return text;
}

static long long count_rows(const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/state.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void put_pod(store *st, const char *name, int variant, char **text)
{
    *text = pod_text(name, variant);
    json_t *o = json_loads(*text, 0, NULL);
    assert_non_null(o);
    store_extras x = {.row = "row", .body = *text};
    assert_int_equal(store_put_ex(st, "pods", "default", name, o, &x), 0);
    json_decref(o);
}

static int body_cb(void *ctx, const store_row *r)
{
    char **texts = ctx;
    int i = r->name[1] - '0';
    assert_non_null(r->body);
    assert_string_equal(r->body, texts[i]);
    texts[9] = (char *)r->body;   /* seen */
    return 0;
}

static void assert_same_text(json_t *o, const char *text)
{
    assert_non_null(o);
    char *again = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(again, text);
    free(again);
}

/* Pods p0..p(n-1) read back as texts[0..n-1]. */
static void assert_pods_read_back(store *st, char **texts, int n)
{
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        json_t *o = store_get(st, "pods", "default", name);
        assert_same_text(o, texts[i]);
        json_decref(o);
    }
}

/* Pods put in parts (body, piece, tail: store_extras), on this thread and
 * written behind, read back as the whole texts, sharing their spec with
 * pods put whole; a piece too short to share is kept in the text. */
static void put_in_parts(store *st, const char *name, const char *text, const char *piece_at, size_t piece_len)
{
    size_t head = (size_t)(piece_at - text);
    char *body = strndup(text, head), *piece = strndup(piece_at, piece_len);
    assert_non_null(body);
    assert_non_null(piece);
    store_extras x = {.row = "row", .body = body, .piece = piece, .tail = piece_at + piece_len, .is_new = true};
    assert_int_equal(store_put_ex(st, "pods", "default", name, NULL, &x), 0);
    free(body);
    free(piece);   /* the store keeps what it needs */
}

static void test_pods_put_in_parts(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    char *whole;
    put_pod(st, "p0", 0, &whole);
    /* the spec as the split finds it: the value after the first "spec": key */
    json_t *o = json_loads(whole, 0, NULL);
    char *spec = json_dumps(json_object_get(o, "spec"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    assert_non_null(strstr(whole, spec));
    char *texts[4] = {whole, pod_text("p1", 0), pod_text("p2", 0), pod_text("p3", 0)};
    put_in_parts(st, "p1", texts[1], strstr(texts[1], spec), strlen(spec));
    store_write_behind(st, true);
    put_in_parts(st, "p2", texts[2], strstr(texts[2], spec), strlen(spec));
    /* a short piece (the pod's status object): kept whole */
    const char *status = strstr(texts[3], "{\"phase\"");
    assert_non_null(status);
    put_in_parts(st, "p3", texts[3], status, strlen(status) - 1);
    assert_int_equal(store_write_behind(st, false), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count_rows("SELECT count(*) FROM shared"), 1);
    assert_int_equal(count_rows("SELECT count(DISTINCT sid) FROM objects WHERE resource='pods' AND name IN ('p0','p1','p2')"), 1);
    assert_int_equal(count_rows("SELECT count(*) FROM objects WHERE resource='pods' AND sid IS NOT NULL"), 3);
    assert_pods_read_back(st, texts, 4);
    for (int i = 0; i < 4; i++) free(texts[i]);
    free(spec);
    store_close(st);
}

static void test_pods_share_their_spec(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    char *texts[10] = {0};
    /* p0..p2 of one template, p3 of another, p4 put without a text */
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        put_pod(st, name, i == 3, &texts[i]);
    }
    texts[4] = pod_text("p4", 0);
    json_t *p4 = json_loads(texts[4], 0, NULL);
    assert_int_equal(store_put(st, "pods", "default", "p4", p4), 0);
    json_decref(p4);
    assert_int_equal(store_commit(st), 0);
    /* two texts kept, each once; every pod refers to one */
    assert_int_equal(count_rows("SELECT count(*) FROM shared"), 2);
    assert_int_equal(count_rows("SELECT count(*) FROM objects WHERE resource='pods' AND sid IS NOT NULL"), 5);
    assert_true(count_rows("SELECT max(length(body) + length(tail)) FROM objects") < (long long)strlen(texts[0]) / 2);

    assert_pods_read_back(st, texts, 5);
    json_t *all = store_list(st, "pods", "default");
    assert_int_equal(json_array_size(all), 5);
    for (int i = 0; i < 5; i++) assert_same_text(json_array_get(all, i), texts[i]);
    json_decref(all);
    all = store_list_all(st);
    assert_int_equal(json_array_size(all), 5);
    json_decref(all);
    /* the streamed bodies (kubectl get -o json) are the texts as put */
    assert_int_equal(store_each_row(st, "pods", NULL, true, body_cb, texts), 0);
    assert_non_null(texts[9]);
    /* a search finds text inside the shared piece */
    all = store_list_containing(st, "pods", "proxyv2:1.24.3");
    assert_int_equal(json_array_size(all), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(all, 0), "metadata"), "name")), "p3");
    json_decref(all);
    char msg[256];
    assert_int_equal(store_integrity_check(st, msg, sizeof msg), 0);

    /* a rolled-back transaction leaves no shared row behind, and the next
     * one does not trust what the handle learned in it */
    assert_int_equal(store_begin(st), 0);
    char *t5;
    put_pod(st, "p5", 7, &t5);
    free(t5);
    store_rollback(st);
    assert_int_equal(count_rows("SELECT count(*) FROM shared"), 2);
    assert_int_equal(store_begin(st), 0);
    put_pod(st, "p5", 0, &texts[5]);
    assert_int_equal(store_commit(st), 0);
    json_t *o = store_get(st, "pods", "default", "p5");
    assert_same_text(o, texts[5]);
    json_decref(o);

    /* texts nobody uses any more go at commit */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_delete(st, "pods", "default", "p3"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count_rows("SELECT count(*) FROM shared"), 1);
    assert_int_equal(store_begin(st), 0);
    json_t *plain = cm("p0");   /* replaced by an object with a short spec */
    assert_int_equal(store_put(st, "pods", "default", "p0", plain), 0);
    json_decref(plain);
    for (int i = 1; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        store_delete(st, "pods", "default", name);
    }
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count_rows("SELECT count(*) FROM shared"), 0);
    o = store_get(st, "pods", "default", "p0");
    assert_non_null(o);
    assert_null(json_object_get(o, "spec"));
    json_decref(o);
    store_close(st);
    for (int i = 0; i < 6; i++) free(texts[i]);
}

/* A store of schema version 2 (no shared texts) is upgraded in place: its
 * objects read as before, new pods are kept the new way. */
static void test_version_2_store_is_upgraded(void **state)
{
    (void)state;
    char path[400];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/state.db", dir);
    char *old = pod_text("old", 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE objects(id INTEGER PRIMARY KEY, resource TEXT NOT NULL, namespace TEXT NOT NULL,"
        " name TEXT NOT NULL, row TEXT, labels TEXT, applied TEXT, body TEXT NOT NULL);"
        "CREATE UNIQUE INDEX objects_by_key ON objects(resource, namespace, name);"
        "CREATE INDEX objects_rows ON objects(resource, namespace, name, row, labels);"
        "INSERT INTO meta VALUES('schema_version','2');", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO objects(resource,namespace,name,row,body)"
                                            " VALUES('pods','default','old','r',?1)", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, old, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);

    bool created = true;
    store *st = open_ok(&created);
    assert_false(created);
    char *ver = store_meta_get(st, "schema_version");
    assert_string_equal(ver, "4");
    free(ver);
    json_t *o = store_get(st, "pods", "default", "old");
    assert_same_text(o, old);
    json_decref(o);
    char *fresh;
    put_pod(st, "new", 0, &fresh);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_int_equal(count_rows("SELECT count(*) FROM objects WHERE sid IS NOT NULL"), 1);
    st = open_ok(&created);
    json_t *all = store_list(st, "pods", NULL);
    assert_int_equal(json_array_size(all), 2);
    assert_same_text(json_array_get(all, 0), fresh);
    assert_same_text(json_array_get(all, 1), old);
    json_decref(all);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    free(old);
    free(fresh);
    /* the unique index of versions 2 and 3 is gone (OBJECTS_INDEX) */
    assert_int_equal(count_rows("SELECT count(*) FROM sqlite_master WHERE name='objects_by_key'"), 0);
}

/* One row per object, kept by the writes themselves (no unique index):
 * replacing an object, directly and through the write-behind thread,
 * leaves one row; a second row is what the integrity check reports. */
static void test_one_row_per_object(void **state)
{
    (void)state;
    char msg[512];
    store *st = open_ok(NULL);
    json_t *a = cm("a"), *b = cm("b");
    for (int i = 0; i < 3; i++) assert_int_equal(store_put(st, "configmaps", "default", "a", a), 0);
    store_write_behind(st, true);
    for (int i = 0; i < 3; i++) assert_int_equal(store_put(st, "configmaps", "default", "a", a), 0);
    store_extras fresh = {.is_new = true};
    assert_int_equal(store_put_ex(st, "configmaps", "default", "b", b, &fresh), 0);
    assert_int_equal(store_put(st, "configmaps", "default", "b", b), 0);
    json_decref(a);
    json_decref(b);
    store_write_behind(st, false);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count_rows("SELECT count(*) FROM objects WHERE resource='configmaps'"), 2);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_integrity_check(st, msg, sizeof msg), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    /* a second row, as a write that skipped its replacing would leave */
    char path[400];
    snprintf(path, sizeof path, "%s/state.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO objects(resource,namespace,name,body)"
                                      " SELECT resource,namespace,name,body FROM objects WHERE name='a'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    st = open_ok(NULL);
    assert_int_equal(store_integrity_check(st, msg, sizeof msg), -1);
    assert_string_equal(msg, "object configmaps default/a is stored more than once");
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_store_is_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_schema_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_row_per_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_kept_next_to_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_1_store_is_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_file_is_refused_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objects_counters_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_drawn_in_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_each_groups_by_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_dooms_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_handle_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_store_switched_when_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_follows_meshsim_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_size_of_new_and_old_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_behind_is_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_behind_failure_dooms_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pods_share_their_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pods_put_in_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_2_store_is_upgraded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
