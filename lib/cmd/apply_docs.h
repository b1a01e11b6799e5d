/* kubectl apply's documents before the store: what each one is and whether
 * it may be stored (mapping, namespace, validation), and the text its
 * last-applied annotation records, worked out on two threads for a long
 * stream; and the documents freed on a second thread once applied.  The
 * store's part is apply.c's.  Internal to lib/cmd. */
#ifndef MESHSIM_CMD_APPLY_DOCS_H
#define MESHSIM_CMD_APPLY_DOCS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "model/digest.h"
#include "model/kinds.h"
#include "model/loader.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* A stream this long is worth a second thread (below it, starting the
 * thread costs more than it saves). */
#define APPLY_LONG_STREAM 256

typedef enum { MODE_APPLY, MODE_CREATE, MODE_REPLACE } apply_mode;

typedef struct apply_opts {
    apply_mode mode;
    const char *ns_flag;
    const char *dry_run;      /* NULL, "none", "client", "server" */
    const char *output;
    bool recursive, force;
    char default_ns[256];     /* the context's namespace, when a document has none */
    json_t *written;          /* objects stored, for the controllers (cluster_written_add) */
    json_t *held;             /* objects created for the reconcile to store, or NULL (apply_mark_held) */
} apply_opts;

/* "creating" or "replacing", as kubectl's messages say */
const char *apply_verb_ing(apply_mode m);
/* printf into a malloc'd text */
char *apply_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What apply works out from a document alone, without the store: its kind,
 * its namespace filled in, the verdict of validation, the last-applied text.
 * A long stream has these worked out on two threads (apply_prepare_all). */
typedef struct prepared {
    char *map_error;    /* the builder's refusal (no kind, no such kind), or NULL */
    const kind_info *k;
    const char *ns, *name;   /* the object's (texts inside the document) */
    char *error;        /* the message to print, or NULL: the document may be stored */
    char *text;         /* last_applied_text, for apply */
    char digest[DIGEST_TEXT_LEN + 1];   /* text's, what the store keeps of it */
    bool stays;         /* applied_stays(k, obj) of the document as given */
    bool may_hold;      /* if new, its storing may be left to the reconcile (apply_mark_held) */
} prepared;
void prepared_free(prepared *p);

/* The builder's part: a kind and apiVersion the server maps.  NULL, or the
 * message kubectl prints. */
char *apply_mapping_error(loaded_doc *d);
/* Prepare every document of all into p (all->n entries): a long stream on
 * two threads.  o->default_ns must be filled in. */
void apply_prepare_all(const apply_opts *o, loaded_docs *all, prepared *p);

/* Mark the documents of a long stream whose objects, when new, the
 * reconcile may store (o->held, see apply_one). */
void apply_mark_held(loaded_docs *all, prepared *p);

/* A long stream's documents are freed on a second thread once all are
 * applied, while the controllers run and the store commits.  (Freeing each
 * soon after it was applied cost five times more: its memory came from
 * other threads' heaps, whose locks the freeing then shared with them.) */
typedef struct doc_freer {
    pthread_t thread;
    bool running;
} doc_freer;
/* Free all's documents (loaded_docs_free): on a second thread for a long
 * stream, else at once; not at all when the process ends with this command
 * (process_ends) and the stream is long: freeing 10 000 documents took
 * longer than an unchanged re-apply's last fifth, for memory the system
 * takes back at exit anyway. */
void doc_freer_start(doc_freer *f, loaded_docs *all, bool process_ends);
/* Wait until they are freed. */
void doc_freer_finish(doc_freer *f);

#endif
