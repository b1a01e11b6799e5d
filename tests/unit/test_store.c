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
    assert_non_null(strstr(err, "has schema version 7; this meshsim reads version 2"));
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

static long long wal_bytes(void)
{
    char path[300];
    struct stat sb;
    snprintf(path, sizeof path, "%s/state.db-wal", dir);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* 200 transactions of one new object each (a few pages apiece) */
static void write_many(store *st, const char *prefix)
{
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        assert_int_equal(store_begin(st), 0);
        json_t *o = cm(name);
        assert_int_equal(store_put(st, "configmaps", "default", name, o), 0);
        json_decref(o);
        assert_int_equal(store_commit(st), 0);
    }
}

/* The WAL is emptied once it holds 128 pages; a handle given a larger
 * budget lets it grow, and empties it when closed. */
static void test_wal_budget(void **state)
{
    (void)state;
    store *st = open_ok(NULL);
    assert_int_equal(store_commit(st), 0);
    /* the default budget, 512 KB, is passed by at most one commit's pages */
    write_many(st, "small");
    assert_true(wal_bytes() < 512 * 1024 + 8 * 4120);
    store_set_wal_budget(st, 64L * 1024 * 1024);
    write_many(st, "large");
    assert_true(wal_bytes() > 512 * 1024 + 8 * 4120);
    /* what it cached and mapped given back between transactions: it reads on */
    store_release_memory(st);
    assert_int_equal(store_begin(st), 0);
    assert_true(store_exists(st, "configmaps", "default", "large-100"));
    store_release_memory(st);   /* (inside a transaction: nothing done) */
    assert_true(store_exists(st, "configmaps", "default", "small-100"));
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_int_equal(wal_bytes(), 0);
    st = open_ok(NULL);
    assert_true(store_exists(st, "configmaps", "default", "large-199"));
    assert_true(store_exists(st, "configmaps", "default", "small-199"));
    store_close(st);
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
    store_extras x = {"r-a", "{\"app\":\"a\"}", NULL, NULL, false};
    assert_int_equal(store_put_ex(st, "configmaps", "default", "a", o, &x), 0);
    assert_int_equal(store_put(st, "configmaps", "default", "b", o), 0);
    assert_int_equal(store_put_ex(st, "configmaps", "other", "c", o, &(store_extras){"r-c", NULL, NULL, NULL, false}), 0);
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
    assert_string_equal(ver, "2");
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
        store_extras x = {"row", NULL, i % 3 ? "applied" : NULL, NULL, true};
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
            store_extras ux = {"row2", "{\"l\":\"v\"}", NULL, NULL, false};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_store_is_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_schema_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_kept_next_to_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_1_store_is_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_file_is_refused_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objects_counters_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_each_groups_by_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_dooms_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_handle_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_behind_is_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_behind_failure_dooms_the_transaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
