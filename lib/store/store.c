/* The SQLite state store.  See store.h for the contract. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store/store.h"
#include "store/index.h"
#include "store/shared.h"
#include "store/store_internal.h"
#include "store/keyset.h"
#include "store/snapshot.h"
#include "store/writer.h"

/* 2: objects carry what listings need next to the body (row, labels).
 * 3: a body may be kept split around a shared text (sid, tail: shared.h). */
#define STORE_SCHEMA_VERSION "4"

#define STMT_CACHE 32
#define COUNTER_CACHE 8

struct store {
    sqlite3 *db;
    /* Prepared statements, kept for the life of the handle (keyed by the
     * address of their literal SQL): applying 10 000 objects would otherwise
     * parse the same SQL 40 000 times. */
    struct { const char *sql; sqlite3_stmt *s; } cache[STMT_CACHE];
    int ncache;
    char dir[4096];
    int in_tx;
    /* The first write that failed in this transaction (disk full, read-only,
     * I/O error): the transaction must not be committed half done. */
    int failed;
    char failure[512];
    /* Counters this transaction advanced, written back at commit: a
     * resourceVersion per object was two statements per object. */
    struct { char key[128]; long long value; } counters[COUNTER_CACHE];
    int ncounters;
    long long object_writes;   /* objects put or deleted in this transaction */
    /* of those, deletes and objects written with owners (see store_may_orphan) */
    long long owner_changes;
    /* the resources they were of (store_resource_written); too many: all */
    const char *written_resources[24];
    int nwritten_resources;
    bool many_resources;
    /* this transaction has bumped the objects generation (index.c) */
    int gen_bumped;
    /* while a command writes a long run of objects (store_write_behind):
     * the writer, the objects each resource had when it started (read at
     * its first lookup), and the objects written or deleted since */
    store_writer *writer;
    struct { char resource[128]; snapshot *objects; } known[16];
    int nknown;
    keyset written;
    struct { char *text; size_t len; } *pieces;   /* copies the writer reads (kept_piece) */
    size_t npieces, cpieces;
    void *shared;   /* shared.c's state */
};

static int flush_counters(store *st);
static void forget_resources(store *st);

/* Remember why a statement failed; the command's commit will refuse. */
static void note_failure(store *st)
{
    if (st->failed) return;
    st->failed = 1;
    snprintf(st->failure, sizeof st->failure, "%s", sqlite3_errmsg(st->db));
}

/* A write failed: -1, the failure noted. */
static int write_failed(store *st)
{
    note_failure(st);
    return -1;
}

static int out_of_memory(store *st)
{
    if (!st->failed) {
        st->failed = 1;
        snprintf(st->failure, sizeof st->failure, "out of memory");
    }
    return -1;
}

/* Step a statement that returns no rows: 0, or -1 with the failure noted. */
static int step_done(store *st, sqlite3_stmt *s)
{
    if (sqlite3_step(s) == SQLITE_DONE) return 0;
    note_failure(st);
    return -1;
}

/* Why the store in dir cannot be written, in words a user can act on. */
static void open_failure(sqlite3 *db, const char *dir, const char *path, const char *what,
                         char *err, size_t errlen)
{
    int code = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_CANTOPEN;
    const char *msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (code == SQLITE_NOTADB)
        snprintf(err, errlen, "%s is not a meshsim state store (%s); move it away or run `meshsim reset`",
                 path, msg);
    else if (access(dir, W_OK) != 0)
        snprintf(err, errlen, "cannot write to state directory %s: %s", dir, strerror(errno));
    else if (code == SQLITE_READONLY || (db && sqlite3_db_readonly(db, "main") == 1))
        snprintf(err, errlen, "state store %s is read-only: %s", path, msg);
    else
        snprintf(err, errlen, "cannot %s state store %s: %s", what, path, msg);
}

/* A rowid table, its key in an index, and what listings read in a second
 * (covering) index: scanning a WITHOUT ROWID table reads each whole record
 * (SQLite compares keys on the full payload), and listing through the key
 * index reads a table page per object; a table of 3 000 pods is 30 MB. */
#define OBJECTS_TABLE(name) \
    "CREATE TABLE IF NOT EXISTS " name "(id INTEGER PRIMARY KEY, resource TEXT NOT NULL," \
    " namespace TEXT NOT NULL, name TEXT NOT NULL, row TEXT, labels TEXT, applied TEXT, body TEXT NOT NULL," \
    " sid INTEGER, tail TEXT, keys BLOB);"
/* One index finds an object by its key and lists a resource's rows without
 * reading their bodies.  It is not UNIQUE (its key is longer than an
 * object's): writes keep one row per key themselves (store_put_ex, the
 * writer), and store_integrity_check looks.  A second, unique index on the
 * key alone (schema 3) cost a sixth of a long apply's inserts. */
#define OBJECTS_INDEX \
    "CREATE INDEX IF NOT EXISTS objects_rows ON objects(resource, namespace, name, row, labels);" \
    "CREATE INDEX IF NOT EXISTS objects_by_sid ON objects(sid) WHERE sid IS NOT NULL;"

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    OBJECTS_TABLE("objects")
    "CREATE TABLE IF NOT EXISTS blobs(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS logs(id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, pod TEXT NOT NULL,"
    " container TEXT NOT NULL, ts_ms INTEGER NOT NULL, line TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS logs_by_pod ON logs(namespace, pod, container, id);"
    "CREATE TABLE IF NOT EXISTS stats(namespace TEXT NOT NULL, pod TEXT NOT NULL, name TEXT NOT NULL,"
    " value INTEGER NOT NULL, PRIMARY KEY(namespace, pod, name)) WITHOUT ROWID;";

const char *store_default_dir(void)
{
    static char buf[4096];
    const char *h = getenv("MESHSIM_HOME");
    if (h && *h) return h;
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && *xdg) snprintf(buf, sizeof buf, "%s/meshsim", xdg);
    else snprintf(buf, sizeof buf, "%s/.local/state/meshsim", getenv("HOME") ? getenv("HOME") : ".");
    return buf;
}

/* mkdir -p with private permissions for the last component. */
static int mkdirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

/* Waiting for another process's transaction: a retry every 0.2 to 1 ms,
 * for up to 30 s.  SQLite's own busy timeout sleeps longer and longer (up to
 * 100 ms a try), and a process that runs transaction after transaction
 * (__probe-loop, the shell) releases the lock for microseconds between two:
 * a sleeper that long could wait for the whole loop (tests/cli/kept_store.bats). */
#define BUSY_WAIT_MS 30000

static int busy_wait(void *arg, int tries)
{
    (void)arg;
    /* tries count from 0; a try waits 0.6 ms on average */
    if (tries > BUSY_WAIT_MS * 10 / 6) return 0;
    /* spread, so that two waiters do not retry in step */
    unsigned r = ((unsigned)tries ^ (unsigned)getpid()) * 2654435761u;
    struct timespec pause = {0, (long)(200 + (r >> 16) % 800) * 1000};
    nanosleep(&pause, NULL);
    return 1;
}

/* Run sql, waiting out other processes.  The busy handler covers most
 * waits, but not all: SQLite reports SQLITE_BUSY at once where waiting
 * could deadlock (two processes opening a brand-new database at once).
 * Retry then, for as long as the busy timeout would have waited. */
static int exec_waiting(sqlite3 *db, const char *sql)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < BUSY_WAIT_MS / 10; attempt++) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) return rc;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return rc;
}

/* Pages of 16 KB (a new store's; an older store keeps its own): a
 * 10 000-object apply's commit writes a quarter as many pages (a system
 * call or two each: 25 -> 18 ms, with the WAL of then) and its B-trees
 * split a quarter as often (the write-behind thread: 61 -> 50 ms).  Every
 * small transaction writes whole pages, though: 64 KB pages made a probe
 * in a kept process take 0.87 ms instead of 0.35; 16 KB ones do not show. */
#define PAGE_SIZE "16384"
/* The rollback journal, not the WAL: a command's transaction writes its
 * pages into state.db once, keeping the pages it changes in state.db-journal
 * until it commits.  A WAL writes every page twice (into the WAL at commit,
 * then into state.db at the checkpoint), and each new page cost the page
 * cache a fresh page: a 10 000-object apply took 165 ms with the WAL and 146
 * ms without it, a 1 000-Deployment apply 245 and 212 ms.  What the WAL
 * gives in exchange, readers that do not wait for a writer, meshsim does not
 * use: every command holds the write lock from its start (BEGIN IMMEDIATE in
 * store_open and store_begin), so commands run one after the other either
 * way.  A killed writer leaves a "hot" journal, and the next open puts the
 * pages back: the store is as it was before that command.  TRUNCATE rather
 * than DELETE: a commit empties the journal instead of unlinking it. */
#define JOURNAL_MODE "TRUNCATE"
#define MMAP_SIZE "1073741824"
/* 4 MB of page cache (reads go through the mapping; the cache holds the
 * pages a transaction changes).  A transaction that changes more writes
 * the surplus into state.db as it goes, from the write-behind thread, and
 * reuses the buffers: with 16 MB, a 10 000-object apply's 11 MB of new
 * pages each took a fresh page of memory and were all written at commit
 * (apply loop 48 -> 41 ms, commit 6 -> 2 ms). */
#define CACHE_SIZE "-4096"

/* SQLite's synchronous setting: OFF, or what MESHSIM_SYNC names (normal,
 * full).  An unknown value gets the safest. */
static const char *sync_mode(void)
{
    const char *v = getenv("MESHSIM_SYNC");
    if (!v || !*v || !strcasecmp(v, "off") || !strcmp(v, "0")) return "OFF";
    if (!strcasecmp(v, "normal")) return "NORMAL";
    return "FULL";
}

void store_release_memory(store *st)
{
    if (st->in_tx) return;
    sqlite3_db_release_memory(st->db);
    /* unmapped now, mapped again by the next read */
    sqlite3_exec(st->db, "PRAGMA mmap_size=0; PRAGMA mmap_size=" MMAP_SIZE, NULL, NULL, NULL);
}

/* What brings a store of an older schema version to this one, or NULL. */
static const char *upgrade_sql(const char *version)
{
    /* version 1 had the body only: the derived columns start empty
     * (readers fall back on the body) until an object is written again */
    if (!strcmp(version, "1"))
        return "DROP TABLE IF EXISTS objects_v2;" OBJECTS_TABLE("objects_v2")
               "INSERT INTO objects_v2(resource,namespace,name,body) SELECT resource,namespace,name,body FROM objects;"
               "DROP TABLE objects; ALTER TABLE objects_v2 RENAME TO objects;" OBJECTS_INDEX
               /* the lookup keys filed again at the next open (index.c) */
               "DELETE FROM meta WHERE key='obj_keys_version';";
    /* version 2 lacked sid and tail (store_shared_open added them, empty);
     * versions 2 and 3 had the unique index on the key (see OBJECTS_INDEX) */
    if (!strcmp(version, "2") || !strcmp(version, "3")) return "DROP INDEX IF EXISTS objects_by_key";
    return NULL;
}

static void no_memory_statistics(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

store *store_open(const char *dir, bool *created, char *err, size_t errlen)
{
    char path[4200];
    struct stat sb;
    if (mkdirs(dir)) {
        snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    /* Every command writes (the journal, the transaction): refuse up front,
     * rather than half way through a command. */
    if (access(dir, W_OK) != 0) {
        snprintf(err, errlen, "cannot write to state directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/state.db", dir);
    bool fresh = stat(path, &sb) != 0;
    if (!fresh && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "state store %s is not a regular file", path);
        return NULL;
    }
    /* SQLite's memory statistics take a global mutex on every allocation;
     * nothing reads them (it must be said before SQLite's first use: later,
     * the call is refused and nothing changes) */
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, no_memory_statistics);
    store *st = calloc(1, sizeof *st);
    if (!st) { snprintf(err, errlen, "out of memory"); return NULL; }
    snprintf(st->dir, sizeof st->dir, "%s", dir);
    mode_t old = umask(077);
    /* NOMUTEX: SQLite's own locking per call was a tenth of the write-behind
     * thread's time; a handle is never used by two threads at once (the
     * writer and the lookups take writer.c's conn lock, and everything else
     * waits for the writer first: settle()). */
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    umask(old);
    /* SQLite falls back to read-only when it cannot write the file: every
     * command writes, so that is a failure to open. */
    if (rc == SQLITE_OK && sqlite3_db_readonly(st->db, "main") == 1) rc = SQLITE_READONLY;
    if (rc != SQLITE_OK) {
        open_failure(st->db, dir, path, "open", err, errlen);
        store_close(st);   /* finalizes cached statements, so the handle really closes */
        return NULL;
    }
    /* Parallel CI jobs share one store: wait for each other rather than fail. */
    sqlite3_busy_handler(st->db, busy_wait, NULL);
    /* A killed writer leaves the last committed state intact (the journal
     * it leaves puts it back), and that needs no fsync at all: what a process
     * wrote survives its death in the page cache.  fsync only guards against
     * an operating system crash or a power cut, and it was a fifth of a
     * 10 000-object apply (25 ms of ~185); a simulated cluster can be applied
     * again, so it is off unless MESHSIM_SYNC asks for it (as CI runs etcd
     * with --unsafe-no-fsync). */
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas, "PRAGMA page_size=" PAGE_SIZE "; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF;"
             " PRAGMA cache_size=" CACHE_SIZE "; PRAGMA mmap_size=" MMAP_SIZE ";", sync_mode());
    int pragmas_rc = exec_waiting(st->db, pragmas);
    /* A store an older meshsim left in WAL mode leaves it at an open that
     * has it to itself; while another process reads it, it is used as it
     * is (SQLite refuses the switch at once then: no waiting for it). */
    sqlite3_busy_handler(st->db, NULL, NULL);
    sqlite3_exec(st->db, "PRAGMA journal_mode=" JOURNAL_MODE, NULL, NULL, NULL);
    sqlite3_busy_handler(st->db, busy_wait, NULL);
    if (pragmas_rc != SQLITE_OK ||
        exec_waiting(st->db, "BEGIN IMMEDIATE") != SQLITE_OK ||
        sqlite3_exec(st->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK || store_shared_open(st) != 0 ||
        store_index_open(st) != 0) {
        open_failure(st->db, dir, path, "initialise", err, errlen);
        store_close(st);   /* finalizes cached statements, so the handle really closes */
        return NULL;
    }
    /* A store made by another schema version is refused, never misread. */
    char *ver = store_meta_get(st, "schema_version");
    if (!ver) {
        if (sqlite3_exec(st->db, OBJECTS_INDEX, NULL, NULL, NULL) != SQLITE_OK ||
            store_meta_set(st, "schema_version", STORE_SCHEMA_VERSION)) {
            open_failure(st->db, dir, path, "initialise", err, errlen);
            store_close(st);
            return NULL;
        }
        fresh = true;
    } else if (upgrade_sql(ver)) {
        if (sqlite3_exec(st->db, upgrade_sql(ver), NULL, NULL, NULL) != SQLITE_OK ||
            store_meta_set(st, "schema_version", STORE_SCHEMA_VERSION)) {
            open_failure(st->db, dir, path, "upgrade", err, errlen);
            free(ver);
            store_close(st);
            return NULL;
        }
        fresh = false;
    } else if (strcmp(ver, STORE_SCHEMA_VERSION) != 0) {
        snprintf(err, errlen, "state store %s has schema version %s; this meshsim reads version %s"
                 " (run `meshsim reset` to start a new cluster)", path, ver, STORE_SCHEMA_VERSION);
        free(ver);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        store_close(st);   /* finalizes cached statements, so the handle really closes */
        return NULL;
    } else {
        fresh = false;   /* another process created it while we waited for the lock */
    }
    free(ver);
    chmod(path, 0600);
    st->in_tx = 1;    /* the schema transaction doubles as the command's transaction */
    if (created) *created = fresh;
    return st;
}

void store_close(store *st)
{
    if (!st) return;
    store_write_behind(st, false);
    for (int i = 0; i < st->ncache; i++) sqlite3_finalize(st->cache[i].s);
    if (st->in_tx && !sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    store_shared_forget(st);
    sqlite3_close_v2(st->db);
    forget_resources(st);
    free(st);
}

const char *store_dir(const store *st) { return st->dir; }
long long store_object_writes(const store *st) { return st->object_writes; }
bool store_may_orphan(const store *st) { return st->owner_changes > 0; }

/* The transaction wrote an object of resource (a copy of the name is kept
 * until the next transaction begins). */
static void note_resource(store *st, const char *resource)
{
    if (store_resource_written(st, resource)) return;
    int max = (int)(sizeof st->written_resources / sizeof st->written_resources[0]);
    char *copy = st->nwritten_resources < max ? strdup(resource) : NULL;
    if (!copy) { st->many_resources = true; return; }
    st->written_resources[st->nwritten_resources++] = copy;
}

static void forget_resources(store *st)
{
    for (int i = 0; i < st->nwritten_resources; i++) free((char *)st->written_resources[i]);
    st->nwritten_resources = 0;
    st->many_resources = false;
}

bool store_resource_written(const store *st, const char *resource)
{
    if (st->many_resources) return true;
    for (int i = 0; i < st->nwritten_resources; i++)
        if (!strcmp(st->written_resources[i], resource)) return true;
    return false;
}

/* the text test of store_list_containing(..., "\"ownerReferences\"") */
static void note_owners(store *st, const char *body)
{
    if (strstr(body, "\"ownerReferences\"")) st->owner_changes++;
}

/* ---- for index.c (store_internal.h) ---- */
sqlite3 *store_sqlite(store *st) { return st->db; }
void store_note_write_failure(store *st) { note_failure(st); }
int store_write_failed(store *st) { return st->failed; }
int store_generation_bumped(store *st) { return st->gen_bumped; }
void store_set_generation_bumped(store *st) { st->gen_bumped = 1; }
void **store_shared_slot(store *st) { return &st->shared; }
int store_in_transaction(const store *st) { return st->in_tx; }
static sqlite3_stmt *prep(store *st, const char *sql);
static void done(store *st, sqlite3_stmt *s);
static void settle(store *st);
sqlite3_stmt *store_stmt(store *st, const char *sql) { return prep(st, sql); }
void store_stmt_done(store *st, sqlite3_stmt *s) { done(st, s); }
const char *store_errmsg(store *st)
{
    settle(st);   /* a row the writer failed to write is the error */
    return st->failed ? st->failure : sqlite3_errmsg(st->db);
}

int store_begin(store *st)
{
    if (st->in_tx) return 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return -1;
    st->in_tx = 1;
    st->failed = 0;
    st->gen_bumped = 0;
    st->object_writes = 0;
    st->owner_changes = 0;
    forget_resources(st);
    return 0;
}

int store_commit(store *st)
{
    store_write_behind(st, false);
    if (!st->in_tx) return 0;
    flush_counters(st);   /* a failure dooms the transaction below */
    store_shared_commit(st);   /* likewise */
    store_shared_forget(st);
    if (st->failed) {
        /* a write of this transaction was lost: keep the store as it was */
        store_rollback(st);
        st->failed = 1;
        return -1;
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        note_failure(st);
        store_rollback(st);
        st->failed = 1;
        return -1;
    }
    st->in_tx = 0;
    return 0;
}

void store_rollback(store *st)
{
    store_write_behind(st, false);
    st->ncounters = 0;
    store_shared_forget(st);
    if (!st->in_tx) return;
    /* SQLite may already have rolled back by itself (SQLITE_FULL, IOERR) */
    if (sqlite3_get_autocommit(st->db) == 0) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_tx = 0;
    st->failed = 0;
}

/* Wait for the writer's queue to empty (see writer.h); a row it failed to
 * write fails the transaction as a failed write of ours would. */
static void settle(store *st)
{
    char why[512];
    if (st->writer && writer_drain(st->writer, why, sizeof why) && !st->failed) {
        st->failed = 1;
        snprintf(st->failure, sizeof st->failure, "%s", why);
    }
}

/* sql is always a string literal, so its address names the statement.
 * Give statements back with done(), which resets a cached one.  Rows the
 * writer has queued are written first. */
static sqlite3_stmt *prep_settled(store *st, const char *sql);
static sqlite3_stmt *prep(store *st, const char *sql)
{
    settle(st);
    return prep_settled(st, sql);
}

static sqlite3_stmt *prep_settled(store *st, const char *sql)
{
    for (int i = 0; i < st->ncache; i++)
        if (st->cache[i].sql == sql) return st->cache[i].s;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        note_failure(st);
        return NULL;
    }
    if (st->ncache < STMT_CACHE) {
        st->cache[st->ncache].sql = sql;
        st->cache[st->ncache++].s = s;
    }
    return s;
}

static void done(store *st, sqlite3_stmt *s)
{
    for (int i = 0; i < st->ncache; i++)
        if (st->cache[i].s == s) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            return;
        }
    sqlite3_finalize(s);
}

/* Statements that write.  When a write failed, SQLite may have rolled the
 * whole transaction back by itself (SQLITE_FULL, SQLITE_IOERR); later
 * statements would then run, and commit, one by one.  Refuse them instead:
 * the command's writes are all or nothing. */
static sqlite3_stmt *prep_write(store *st, const char *sql)
{
    settle(st);   /* the connection's state is the writer's until then */
    if (st->in_tx && !st->failed && sqlite3_get_autocommit(st->db)) {
        st->failed = 1;
        snprintf(st->failure, sizeof st->failure, "the transaction was aborted: %s", sqlite3_errmsg(st->db));
    }
    if (st->failed) return NULL;
    return prep(st, sql);
}

/* Every statement is stepped and reset before its function returns, while
 * the caller's strings live: SQLite need not copy them. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static int meta_write(store *st, const char *key, const char *value)
{
    sqlite3_stmt *s = prep_write(st, "INSERT OR REPLACE INTO meta(key,value) VALUES(?1,?2)");
    if (!s) return -1;
    bind_text(s, 1, key); bind_text(s, 2, value);
    int rc = step_done(st, s);
    done(st, s);
    return rc;
}

/* Write the cached counters back and forget them (before commit, and
 * before anyone reads or sets meta directly). */
static int flush_counters(store *st)
{
    int rc = 0;
    for (int i = 0; i < st->ncounters; i++) {
        char val[32];
        snprintf(val, sizeof val, "%lld", st->counters[i].value);
        if (meta_write(st, st->counters[i].key, val)) rc = -1;
    }
    st->ncounters = 0;
    return rc;
}

/* While the writer runs, the snapshot that answers for an object (one this
 * run has not written or deleted), or NULL: a stream of 10 000 objects
 * asks for each whether it exists and what was applied last, and one scan
 * of a resource is a quarter of the cost of those queries; nor does such a
 * lookup wait for the writer's rows. */
static snapshot *snapshot_for(store *st, const char *resource, const char *ns, const char *name)
{
    if (!st->writer || strlen(resource) >= sizeof st->known[0].resource) return NULL;
    int i = 0;
    while (i < st->nknown && strcmp(st->known[i].resource, resource)) i++;
    if (i == st->nknown) {
        if (st->nknown == (int)(sizeof st->known / sizeof st->known[0])) return NULL;
        sqlite3_stmt *s = prep(st, "SELECT namespace, name, applied FROM objects WHERE resource=?1");
        snapshot *objects = s ? snapshot_new() : NULL;
        if (!objects) { if (s) done(st, s); return NULL; }
        bind_text(s, 1, resource);
        int rc, failed = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && !failed)
            failed = snapshot_add(objects, (const char *)sqlite3_column_text(s, 0),
                                  (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2));
        done(st, s);
        if (failed || rc != SQLITE_DONE) { snapshot_free(objects); return NULL; }
        snprintf(st->known[i].resource, sizeof st->known[i].resource, "%s", resource);
        st->known[i].objects = objects;
        st->nknown++;
    }
    return keyset_has(&st->written, keyset_hash(resource, ns, name)) ? NULL : st->known[i].objects;
}

/* One object looked up by its key: between the writer's rows, unless the
 * writer has that object queued.  lookup_end() after done(). */
static sqlite3_stmt *lookup_begin(store *st, const char *sql, const char *resource, const char *ns, const char *name)
{
    if (st->writer && writer_pending(st->writer, resource, ns, name)) settle(st);
    if (st->writer) writer_lock(st->writer);
    sqlite3_stmt *s = prep_settled(st, sql);
    if (!s && st->writer) writer_unlock(st->writer);
    if (s) { bind_text(s, 1, resource); bind_text(s, 2, ns); bind_text(s, 3, name); }
    return s;
}

static void lookup_end(store *st, sqlite3_stmt *s)
{
    done(st, s);
    if (st->writer) writer_unlock(st->writer);
}

json_t *store_get(store *st, const char *resource, const char *ns, const char *name)
{
    snapshot *known = snapshot_for(st, resource, ns, name);
    if (known && !snapshot_find(known, ns, name, NULL)) return NULL;
    sqlite3_stmt *s = lookup_begin(st, "SELECT " STORE_BODY " FROM objects WHERE resource=?1 AND namespace=?2 AND name=?3",
                                   resource, ns, name);
    if (!s) return NULL;
    json_t *o = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        o = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
    lookup_end(st, s);
    return o;
}

char *store_get_applied(store *st, const char *resource, const char *ns, const char *name, bool *exists)
{
    *exists = false;
    snapshot *known = snapshot_for(st, resource, ns, name);
    if (known) {
        const char *applied = NULL;
        *exists = snapshot_find(known, ns, name, &applied);
        return applied ? strdup(applied) : NULL;
    }
    sqlite3_stmt *s = lookup_begin(st, "SELECT applied FROM objects WHERE resource=?1 AND namespace=?2 AND name=?3",
                                   resource, ns, name);
    if (!s) return NULL;
    char *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *exists = true;
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (t) v = strdup(t);
    }
    lookup_end(st, s);
    return v;
}

bool store_exists(store *st, const char *resource, const char *ns, const char *name)
{
    snapshot *known = snapshot_for(st, resource, ns, name);
    if (known) return snapshot_find(known, ns, name, NULL);
    sqlite3_stmt *s = lookup_begin(st, "SELECT 1 FROM objects WHERE resource=?1 AND namespace=?2 AND name=?3",
                                   resource, ns, name);
    if (!s) return false;
    bool found = sqlite3_step(s) == SQLITE_ROW;
    lookup_end(st, s);
    return found;
}

int store_put(store *st, const char *resource, const char *ns, const char *name, json_t *obj)
{
    return store_put_ex(st, resource, ns, name, obj, NULL);
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
    if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, i);
}

const char store_put_object_sql[] =
    "INSERT INTO objects(resource,namespace,name,row,labels,applied,body,sid,tail,keys)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
/* what store_put_object_sql replaces, unless the object is new */
const char store_delete_object_sql[] = "DELETE FROM objects WHERE resource=?1 AND namespace=?2 AND name=?3 RETURNING keys";

int store_delete_row(sqlite3_stmt *del, const char *resource, const char *ns, const char *name, char **old,
                     size_t *old_len)
{
    *old = NULL;
    *old_len = 0;
    bind_text(del, 1, resource); bind_text(del, 2, ns); bind_text(del, 3, name);
    int rc, deleted = 0;
    while ((rc = sqlite3_step(del)) == SQLITE_ROW) {
        deleted = 1;
        int n = sqlite3_column_bytes(del, 0);
        const void *keys = sqlite3_column_blob(del, 0);
        if (n > 0 && keys && !*old) {
            if (!(*old = malloc((size_t)n))) { rc = SQLITE_NOMEM; break; }
            memcpy(*old, keys, (size_t)n);
            *old_len = (size_t)n;
        }
    }
    sqlite3_reset(del);
    if (rc != SQLITE_DONE) {
        free(*old);
        *old = NULL;
        *old_len = 0;
        return -1;
    }
    return deleted;
}

int store_write_row(sqlite3_stmt *del_obj, sqlite3_stmt *put, sqlite3_stmt *del_key, sqlite3_stmt *ins_key,
                    const object_row *r, bool is_new)
{
    char *old = NULL;   /* the keys of the row it replaces (one row per object: OBJECTS_INDEX) */
    size_t old_len = 0;
    int rc = !is_new && store_delete_row(del_obj, r->resource, r->ns, r->name, &old, &old_len) < 0 ? -1 : 0;
    if (!rc) {
        store_bind_object(put, r);
        rc = sqlite3_step(put) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(put);
    }
    if (!rc) rc = index_replace_keys(del_key, ins_key, r->resource, r->ns, r->name, old, old_len, r->keys, r->keys_len);
    free(old);
    return rc;
}

void store_bind_object(sqlite3_stmt *s, const object_row *r)
{
    bind_text(s, 1, r->resource); bind_text(s, 2, r->ns); bind_text(s, 3, r->name);
    bind_opt(s, 4, r->row);
    bind_opt(s, 5, r->labels);
    bind_opt(s, 6, r->applied);
    sqlite3_bind_text(s, 7, r->body, r->body_len ? (int)r->body_len : -1, SQLITE_STATIC);
    if (r->sid) {
        sqlite3_bind_int64(s, 8, r->sid);
        sqlite3_bind_text(s, 9, r->tail, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, 8);
        sqlite3_bind_null(s, 9);
    }
    if (r->keys_len) sqlite3_bind_blob(s, 10, r->keys, (int)r->keys_len, SQLITE_STATIC);
    else sqlite3_bind_null(s, 10);
}

/* The store's copy of piece, kept until the writer stops: the last one
 * when it is the same (the pods of one template come one after another). */
static const char *kept_piece(store *st, const char *piece, size_t len)
{
    if (st->npieces && st->pieces[st->npieces - 1].len == len && !memcmp(st->pieces[st->npieces - 1].text, piece, len))
        return st->pieces[st->npieces - 1].text;
    if (st->npieces == st->cpieces) {
        size_t cap = st->cpieces ? st->cpieces * 2 : 64;
        void *p = realloc(st->pieces, cap * sizeof *st->pieces);
        if (!p) return NULL;
        st->pieces = p;
        st->cpieces = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return NULL;
    memcpy(copy, piece, len);
    copy[len] = 0;
    st->pieces[st->npieces].text = copy;
    st->pieces[st->npieces++].len = len;
    return copy;
}

static void forget_pieces(store *st)
{
    for (size_t i = 0; i < st->npieces; i++) free(st->pieces[i].text);
    free(st->pieces);
    st->pieces = NULL;
    st->npieces = st->cpieces = 0;
}

/* Hand the row to the writer thread. */
static int put_behind(store *st, const object_row *row, bool is_new, bool split, const char *piece, size_t piece_len)
{
    if (st->failed || store_index_note_write(st)) return -1;
    const char *kept = piece ? kept_piece(st, piece, piece_len) : NULL;
    if (piece && !kept) return out_of_memory(st);
    writer_row r = {*row, is_new, split, kept, piece_len, keyset_hash(row->resource, row->ns, row->name)};
    keyset_add(&st->written, r.hash);
    if (writer_enqueue(st->writer, &r)) { settle(st); return -1; }
    return 0;
}

int store_put_ex(store *st, const char *resource, const char *ns, const char *name, json_t *obj,
                 const store_extras *x)
{
    char *body = x && x->body ? NULL : json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!body && !(x && x->body)) return -1;
    const char *text = body ? body : x->body, *piece = body ? NULL : x->piece;
    size_t piece_len = piece ? strlen(piece) : 0;
    object_row r = {resource, ns, name, x ? x->row : NULL, x ? x->labels : NULL, x ? x->applied : NULL,
                    text, 0, 0, piece ? (x->tail ? x->tail : "") : NULL, NULL, 0};
    /* a new object leaves no shared row unused (a replaced one may) */
    if (!(x && x->is_new)) store_shared_note_write(st, resource);
    /* a long repeated piece (a template's pod spec) is kept once (shared.h);
     * writing behind, the writer does that (it may write the shared table) */
    bool lay_out_behind = st->writer && store_shared_encodes(resource);
    char *whole = NULL;
    if (!lay_out_behind) {
        int laid = store_shared_lay_out(st, &r, piece, piece_len, &whole);
        if (laid) {
            free(body);
            return laid == -2 ? out_of_memory(st) : -1;
        }
        if (whole) text = whole;
        piece = NULL;
    }
    /* its lookup keys worked out here, where obj is (or from the text whole) */
    char *keys = NULL;
    if (index_object_keys(resource, ns, obj, text, &keys, &r.keys_len)) {
        free(whole);
        free(body);
        return out_of_memory(st);
    }
    r.keys = keys;
    int rc;
    bool is_new = x && x->is_new;
    if (st->writer) {
        rc = put_behind(st, &r, is_new, lay_out_behind, piece, piece_len);
    } else {
        sqlite3_stmt *s[4] = {prep_write(st, store_delete_object_sql), prep(st, store_put_object_sql),
                              prep(st, index_delete_key_sql), prep(st, index_insert_key_sql)};
        if (!s[0] || !s[1] || !s[2] || !s[3] || store_index_note_write(st)) rc = -1;
        else if (store_write_row(s[0], s[1], s[2], s[3], &r, is_new)) rc = write_failed(st);
        else rc = 0;
        for (int i = 0; i < 4; i++)
            if (s[i]) done(st, s[i]);
    }
    free(keys);
    if (!rc) {
        st->object_writes++;
        note_owners(st, text);
        note_resource(st, resource);
    }
    free(whole);
    free(body);
    return rc;
}

bool store_writing_behind(store *st) { return st->writer != NULL; }

int store_write_behind(store *st, bool on)
{
    if (on && !st->writer && st->in_tx && !st->failed) {
        settle(st);
        st->writer = writer_start(st->db);
    } else if (!on && st->writer) {
        settle(st);
        writer_stop(st->writer, NULL, 0);
        st->writer = NULL;
        for (int i = 0; i < st->nknown; i++) snapshot_free(st->known[i].objects);
        st->nknown = 0;
        keyset_free(&st->written);
        forget_pieces(st);
    }
    return st->failed ? -1 : 0;
}

int store_delete(store *st, const char *resource, const char *ns, const char *name)
{
    sqlite3_stmt *s = prep_write(st, store_delete_object_sql);
    if (!s) return -1;
    if (st->writer) keyset_add(&st->written, keyset_hash(resource, ns, name));   /* its snapshot is stale */
    store_shared_note_write(st, resource);
    char *old = NULL;
    size_t old_len = 0;
    int deleted = store_delete_row(s, resource, ns, name, &old, &old_len);
    done(st, s);
    int rc = deleted < 0 ? write_failed(st) : 0;
    if (deleted > 0) {
        st->object_writes++;
        st->owner_changes++;
        note_resource(st, resource);
        rc = store_index_drop(st, resource, ns, name, old, old_len);
    }
    free(old);
    return rc ? rc : (deleted > 0 ? 0 : 1);
}

json_t *store_collect(store *st, sqlite3_stmt *s)
{
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (o) json_array_append_new(arr, o);
    }
    done(st, s);
    return arr;
}

json_t *store_list(store *st, const char *resource, const char *ns)
{
    sqlite3_stmt *s = ns
        ? prep(st, "SELECT " STORE_BODY " FROM objects WHERE resource=?1 AND namespace=?2 ORDER BY namespace, name")
        : prep(st, "SELECT " STORE_BODY " FROM objects WHERE resource=?1 ORDER BY namespace, name");
    if (!s) return json_array();
    bind_text(s, 1, resource);
    if (ns) bind_text(s, 2, ns);
    return store_collect(st, s);
}

int store_each_row(store *st, const char *resource, const char *ns, bool bodies, store_row_fn fn, void *ctx)
{
    /* without `bodies`, from the covering index only; a body is then read
     * for the few rows that have no row text */
    sqlite3_stmt *s;
    if (bodies)
        s = ns ? prep(st, "SELECT namespace, name, row, labels, " STORE_BODY " FROM objects"
                          " WHERE resource=?1 AND namespace=?2 ORDER BY namespace, name")
               : prep(st, "SELECT namespace, name, row, labels, " STORE_BODY " FROM objects"
                          " WHERE resource=?1 ORDER BY namespace, name");
    else
        s = ns ? prep(st, "SELECT namespace, name, row, labels FROM objects INDEXED BY objects_rows"
                          " WHERE resource=?1 AND namespace=?2 ORDER BY namespace, name")
               : prep(st, "SELECT namespace, name, row, labels FROM objects INDEXED BY objects_rows"
                          " WHERE resource=?1 ORDER BY namespace, name");
    if (!s) return -1;
    bind_text(s, 1, resource);
    if (ns) bind_text(s, 2, ns);
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        store_row r = {(const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                       (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3),
                       bodies ? (const char *)sqlite3_column_text(s, 4) : NULL};
        sqlite3_stmt *b = NULL;
        if (!bodies && !r.row) {
            b = prep(st, "SELECT " STORE_BODY " FROM objects WHERE resource=?1 AND namespace=?2 AND name=?3");
            if (b) {
                bind_text(b, 1, resource); bind_text(b, 2, r.ns); bind_text(b, 3, r.name);
                if (sqlite3_step(b) == SQLITE_ROW) r.body = (const char *)sqlite3_column_text(b, 0);
            }
        }
        rc = fn(ctx, &r);
        if (b) done(st, b);
        if (rc) break;
    }
    done(st, s);
    return rc;
}

json_t *store_list_containing(store *st, const char *resource, const char *text)
{
    sqlite3_stmt *s = prep(st, "SELECT " STORE_BODY " FROM objects WHERE resource=?1 AND instr(" STORE_BODY ", ?2) > 0"
                               " ORDER BY namespace, name");
    if (!s) return json_array();
    bind_text(s, 1, resource);
    bind_text(s, 2, text);
    return store_collect(st, s);
}

json_t *store_list_all(store *st)
{
    sqlite3_stmt *s = prep(st, "SELECT " STORE_BODY " FROM objects ORDER BY resource, namespace, name");
    return s ? store_collect(st, s) : json_array();
}

/* The stored value of key, without the counters kept in memory. */
static char *meta_read(store *st, const char *key)
{
    sqlite3_stmt *s = prep(st, "SELECT value FROM meta WHERE key=?1");
    if (!s) return NULL;
    bind_text(s, 1, key);
    char *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) v = strdup((const char *)sqlite3_column_text(s, 0));
    done(st, s);
    return v;
}

char *store_meta_get(store *st, const char *key)
{
    if (st->ncounters && !strncmp(key, "counter:", 8)) flush_counters(st);
    return meta_read(st, key);
}

int store_meta_set(store *st, const char *key, const char *value)
{
    if (st->ncounters && !strncmp(key, "counter:", 8)) flush_counters(st);
    return meta_write(st, key, value);
}

long long store_counter_next(store *st, const char *name)
{
    /* the cached counters first, without making the key (a printf per
     * object stamped) */
    for (int i = 0; i < st->ncounters; i++)
        if (!strncmp(st->counters[i].key, "counter:", 8) && !strcmp(st->counters[i].key + 8, name))
            return ++st->counters[i].value;
    char key[256];
    snprintf(key, sizeof key, "counter:%s", name);
    /* a counter not kept yet: the others stay kept (flushing them here
     * made two counters drawn in turn, a pod's IP and resourceVersion,
     * write the meta table at every draw) */
    char *cur = meta_read(st, key);
    long long n = cur ? atoll(cur) + 1 : 1;
    free(cur);
    size_t klen = strlen(key);
    if (st->in_tx && st->ncounters < COUNTER_CACHE && klen < sizeof st->counters[0].key) {
        memcpy(st->counters[st->ncounters].key, key, klen + 1);
        st->counters[st->ncounters++].value = n;
        return n;
    }
    char val[32];
    snprintf(val, sizeof val, "%lld", n);
    /* on failure the transaction is doomed (store_commit refuses it) */
    return meta_write(st, key, val) ? -1 : n;
}

int store_blob_put(store *st, const char *key, const void *data, size_t len)
{
    sqlite3_stmt *s = prep_write(st, "INSERT OR REPLACE INTO blobs(key,value) VALUES(?1,?2)");
    if (!s) return -1;
    bind_text(s, 1, key);
    sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_TRANSIENT);
    int rc = step_done(st, s);
    done(st, s);
    return rc;
}

void *store_blob_get(store *st, const char *key, size_t *len)
{
    sqlite3_stmt *s = prep(st, "SELECT value FROM blobs WHERE key=?1");
    if (!s) return NULL;
    bind_text(s, 1, key);
    void *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(s, 0);
        v = malloc((size_t)n + 1);
        if (v) {
            memcpy(v, sqlite3_column_blob(s, 0), (size_t)n);
            ((char *)v)[n] = 0;   /* PEM blobs are usable as strings */
            if (len) *len = (size_t)n;
        }
    }
    done(st, s);
    return v;
}

int store_log_append(store *st, const char *ns, const char *pod, const char *container,
                     long long ts_ms, const char *line)
{
    sqlite3_stmt *s = prep_write(st, "INSERT INTO logs(namespace,pod,container,ts_ms,line) VALUES(?1,?2,?3,?4,?5)");
    if (!s) return -1;
    bind_text(s, 1, ns); bind_text(s, 2, pod); bind_text(s, 3, container);
    sqlite3_bind_int64(s, 4, ts_ms);
    bind_text(s, 5, line);
    int rc = step_done(st, s);
    done(st, s);
    return rc;
}

int store_log_each(store *st, const char *ns, const char *pod, const char *container,
                   store_log_fn fn, void *ctx)
{
    sqlite3_stmt *s = container
        ? prep(st, "SELECT namespace,pod,container,ts_ms,line FROM logs WHERE namespace=?1 AND pod=?2 AND container=?3 ORDER BY id")
        : prep(st, "SELECT namespace,pod,container,ts_ms,line FROM logs WHERE namespace=?1 AND pod=?2 ORDER BY id");
    if (!s) return -1;
    bind_text(s, 1, ns); bind_text(s, 2, pod);
    if (container) bind_text(s, 3, container);
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        rc = fn(ctx, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                (const char *)sqlite3_column_text(s, 2), sqlite3_column_int64(s, 3),
                (const char *)sqlite3_column_text(s, 4));
        if (rc) break;
    }
    done(st, s);
    return rc;
}

int store_log_delete_pod(store *st, const char *ns, const char *pod)
{
    sqlite3_stmt *s = prep_write(st, "DELETE FROM logs WHERE namespace=?1 AND pod=?2");
    if (!s) return -1;
    bind_text(s, 1, ns); bind_text(s, 2, pod);
    int rc = step_done(st, s);
    done(st, s);
    s = prep_write(st, "DELETE FROM stats WHERE namespace=?1 AND pod=?2");
    if (s) {
        bind_text(s, 1, ns); bind_text(s, 2, pod);
        if (step_done(st, s)) rc = -1;
        done(st, s);
    }
    return rc;
}

static int stat_write(store *st, const char *sql, const char *ns, const char *pod, const char *name,
                      long long v)
{
    sqlite3_stmt *s = prep_write(st, sql);
    if (!s) return -1;
    bind_text(s, 1, ns); bind_text(s, 2, pod); bind_text(s, 3, name);
    sqlite3_bind_int64(s, 4, v);
    int rc = step_done(st, s);
    done(st, s);
    return rc;
}

int store_stat_add(store *st, const char *ns, const char *pod, const char *name, long long delta)
{
    return stat_write(st, "INSERT INTO stats(namespace,pod,name,value) VALUES(?1,?2,?3,?4)"
                          " ON CONFLICT(namespace,pod,name) DO UPDATE SET value=value+excluded.value",
                      ns, pod, name, delta);
}

int store_stat_set(store *st, const char *ns, const char *pod, const char *name, long long value)
{
    return stat_write(st, "INSERT OR REPLACE INTO stats(namespace,pod,name,value) VALUES(?1,?2,?3,?4)",
                      ns, pod, name, value);
}

int store_stat_each(store *st, const char *ns, const char *pod, store_stat_fn fn, void *ctx)
{
    sqlite3_stmt *s = prep(st, "SELECT name,value FROM stats WHERE namespace=?1 AND pod=?2 ORDER BY name");
    if (!s) return -1;
    bind_text(s, 1, ns); bind_text(s, 2, pod);
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        rc = fn(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
        if (rc) break;
    }
    done(st, s);
    return rc;
}

int store_integrity_check(store *st, char *msg, size_t len)
{
    sqlite3_stmt *s = prep(st, "PRAGMA integrity_check");
    if (!s) { snprintf(msg, len, "%s", store_errmsg(st)); return -1; }
    int rc = -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        snprintf(msg, len, "%s", r ? r : "?");
        rc = r && !strcmp(r, "ok") ? 0 : -1;
    } else {
        snprintf(msg, len, "%s", sqlite3_errmsg(st->db));
    }
    done(st, s);
    if (rc) return rc;
    /* one row per object (no index makes it so: see OBJECTS_INDEX) */
    s = prep(st, "SELECT resource, namespace, name FROM objects GROUP BY resource, namespace, name HAVING count(*) > 1");
    if (!s) { snprintf(msg, len, "%s", store_errmsg(st)); return -1; }
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(msg, len, "object %s %s/%s is stored more than once", sqlite3_column_text(s, 0),
                 sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
        rc = -1;
    }
    done(st, s);
    if (rc) return rc;
    /* every object must still be a JSON object */
    s = prep(st, "SELECT resource, namespace, name, " STORE_BODY " FROM objects");
    if (!s) { snprintf(msg, len, "%s", store_errmsg(st)); return -1; }
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_loads((const char *)sqlite3_column_text(s, 3), 0, NULL);
        int ok = json_is_object(o);
        json_decref(o);
        if (!ok) {
            snprintf(msg, len, "object %s %s/%s is not valid JSON", sqlite3_column_text(s, 0),
                     sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
            rc = -1;
            break;
        }
    }
    done(st, s);
    return rc;
}

int store_count_each(store *st, store_count_fn fn, void *ctx)
{
    sqlite3_stmt *s = prep(st, "SELECT resource, namespace, count(*) FROM objects GROUP BY 1, 2 ORDER BY 1, 2");
    if (!s) return -1;
    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        rc = fn(ctx, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                sqlite3_column_int64(s, 2));
        if (rc) break;
    }
    done(st, s);
    return rc;
}
