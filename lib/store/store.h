/* The state store: one SQLite database per cluster, in $MESHSIM_HOME.
 *
 * Everything a command changes happens inside one transaction (store_begin ..
 * store_commit), so a command that fails or is killed leaves the store as it
 * was.  Objects are stored as JSON text keyed by (resource, namespace, name);
 * the store knows nothing about what the objects mean.
 *
 * Threading: a store handle belongs to the thread that opened it.  Engine
 * threads collect what they want written and hand it back to the main thread. */
#ifndef MESHSIM_STORE_H
#define MESHSIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct store store;

/* The directory of the default store: $MESHSIM_HOME, else
 * ${XDG_STATE_HOME:-$HOME/.local/state}/meshsim.  Returns a static buffer. */
const char *store_default_dir(void);

/* Open (creating with 0700/0600 permissions when absent) the store in dir.
 * *created tells whether it was new, so the caller can seed a fresh cluster.
 * On failure returns NULL and writes a message into err. */
store *store_open(const char *dir, bool *created, char *err, size_t errlen);
void store_close(store *st);
const char *store_dir(const store *st);
/* Between transactions: give back the pages the handle caches and the file
 * mapping it reads through.  A handle kept for many commands would hold every
 * page it ever touched (the logs grow with every probe). */
void store_release_memory(store *st);

/* One write transaction per command (BEGIN IMMEDIATE, with a busy timeout so
 * parallel processes wait for each other instead of failing). */
int store_begin(store *st);
int store_commit(store *st);
void store_rollback(store *st);

/* Objects.  resource is the group-qualified plural ("pods",
 * "serviceentries.networking.istio.io"); ns is "" for cluster-scoped kinds.
 * store_get returns a new reference or NULL; store_list returns a new array
 * (ns NULL = every namespace) ordered by namespace, then name. */
json_t *store_get(store *st, const char *resource, const char *ns, const char *name);
bool store_exists(store *st, const char *resource, const char *ns, const char *name);
int store_put(store *st, const char *resource, const char *ns, const char *name, json_t *obj);
int store_delete(store *st, const char *resource, const char *ns, const char *name);
json_t *store_list(store *st, const char *resource, const char *ns);

/* What a listing needs, kept next to an object by its writer so `kubectl
 * get` prints a table without parsing bodies.  The store keeps the texts
 * as given (NULL = none); what they mean is up to the model (row: see
 * columns_encode; labels: metadata.labels as JSON).  store_put keeps none. */
typedef struct store_extras {
    const char *row;
    const char *labels;
    const char *applied;   /* see store_get_applied */
    const char *body;      /* obj's text as store_put writes it (JSON_COMPACT,
                              key order kept) when the caller made it; NULL: from obj */
    bool is_new;           /* the caller checked that no such object exists in
                              this transaction: nothing of an old one to remove */
    /* body in three parts: body the text before a long piece many objects
     * repeat (a pod template's spec, kept once: the shared texts of
     * shared.h), piece, and tail the text after it; NULL piece: body is
     * the whole text.  (The store takes its own copy when it needs one.) */
    const char *piece, *tail;
} store_extras;
int store_put_ex(store *st, const char *resource, const char *ns, const char *name, json_t *obj,
                 const store_extras *x);
/* Write-behind, for a command about to write a long run of objects (kubectl
 * apply of a 10 000-document stream): the rows are inserted by a second
 * thread while this one works out the next objects.  Nothing else changes
 * for the caller: reads see every write before them, and a failed write
 * fails the commit.  Off again (waiting for the last rows) when turned off,
 * and at commit, rollback and close. */
int store_write_behind(store *st, bool on);   /* -1: the transaction has failed */
bool store_writing_behind(store *st);
/* The `applied` text kept with an object (malloc'd; NULL when none or no
 * such object), without reading the object; *exists tells whether it
 * exists.  kubectl apply keeps there the digest (model/digest.h) of the
 * manifest it wrote when applying that manifest again is known to change
 * nothing (stores written before digests: the manifest itself); any other
 * write drops it. */
char *store_get_applied(store *st, const char *resource, const char *ns, const char *name, bool *exists);
/* fn once per object of a resource (ns NULL = every namespace), ordered
 * like store_list; body (the object's JSON text) is given when `bodies`,
 * else only when row is NULL.  A non-zero return from fn stops and is
 * returned. */
typedef struct store_row {
    const char *ns, *name, *row, *labels, *body;
} store_row;
typedef int (*store_row_fn)(void *ctx, const store_row *r);
int store_each_row(store *st, const char *resource, const char *ns, bool bodies, store_row_fn fn, void *ctx);
/* The objects of a resource whose JSON text contains `text`: a cheap filter
 * that spares parsing the many objects a controller has no business with. */
json_t *store_list_containing(store *st, const char *resource, const char *text);
/* Every object of every resource (used to build the mesh snapshot). */
json_t *store_list_all(store *st);

/* How many objects were put or deleted in this handle's current
 * transaction (the one store_open begins includes a new store's seeding):
 * a command that wrote none has nothing for the controllers to react to. */
long long store_object_writes(const store *st);
/* Could this transaction have left an object whose owners are gone: did it
 * delete an object, or write one that names owners (ownerReferences)?  The
 * garbage collector has nothing to do otherwise. */
bool store_may_orphan(const store *st);
/* Did this transaction put or delete an object of resource?  The
 * controllers' first round runs only those whose inputs it did. */
bool store_resource_written(const store *st, const char *resource);

/* Counters and small settings (resourceVersion, IP allocators, ...). */
long long store_counter_next(store *st, const char *name);
char *store_meta_get(store *st, const char *key);          /* malloc'd or NULL */
int store_meta_set(store *st, const char *key, const char *value);

/* Opaque blobs (PKI material, ...). */
int store_blob_put(store *st, const char *key, const void *data, size_t len);
void *store_blob_get(store *st, const char *key, size_t *len); /* malloc'd or NULL */

/* Container logs: one line per call, in order. */
int store_log_append(store *st, const char *ns, const char *pod, const char *container,
                     long long ts_ms, const char *line);
typedef int (*store_log_fn)(void *ctx, const char *ns, const char *pod, const char *container,
                            long long ts_ms, const char *line);
int store_log_each(store *st, const char *ns, const char *pod, const char *container,
                   store_log_fn fn, void *ctx);
int store_log_delete_pod(store *st, const char *ns, const char *pod);

/* Proxy stats: named integer values per pod (counters add, gauges set). */
int store_stat_add(store *st, const char *ns, const char *pod, const char *name, long long delta);
int store_stat_set(store *st, const char *ns, const char *pod, const char *name, long long value);
typedef int (*store_stat_fn)(void *ctx, const char *name, long long value);
int store_stat_each(store *st, const char *ns, const char *pod, store_stat_fn fn, void *ctx);

/* Health check (meshsim __store-check, tests): SQLite's integrity_check
 * ("ok" or the first problem into msg; returns 0 when sound), then fn once
 * per (resource, namespace) with its number of objects. */
int store_integrity_check(store *st, char *msg, size_t len);
typedef int (*store_count_fn)(void *ctx, const char *resource, const char *ns, long long n);
int store_count_each(store *st, store_count_fn fn, void *ctx);

/* Last SQLite error text, for messages.  After a write failed (disk full,
 * read-only, I/O error) it stays that failure's text, and store_commit
 * refuses to commit the half-done transaction. */
const char *store_errmsg(store *st);

#endif
