/* The API server's write path: default, validate, stamp metadata, store.
 * Commands and controllers write objects only through here, so uid,
 * resourceVersion, creationTimestamp and generation are set as a real API
 * server sets them. */
#ifndef MESHSIM_API_H
#define MESHSIM_API_H

#include <jansson.h>
#include <stdbool.h>
#include "store/store.h"
#include "model/kinds.h"

typedef enum { API_OK = 0, API_ERR_NOTFOUND, API_ERR_EXISTS, API_ERR_INVALID, API_ERR_STORE } api_status;

typedef struct api_error {
    api_status status;
    char msg[2048];      /* kubectl's text without the "Error from server (...)" prefix */
} api_error;

/* The object named by (kind, ns, name), or NULL. New reference. */
json_t *api_get(store *st, const kind_info *k, const char *ns, const char *name);
/* Every object of a kind (ns NULL = all namespaces). New array. */
json_t *api_list(store *st, const kind_info *k, const char *ns);

/* Create: fails with API_ERR_EXISTS when present.  obj is stamped in place. */
api_status api_create(store *st, const kind_info *k, json_t *obj, api_error *e);
/* Replace the stored object with obj, keeping uid and creationTimestamp,
 * bumping resourceVersion and (when spec changed) generation. */
api_status api_update(store *st, const kind_info *k, json_t *obj, api_error *e);
/* kubectl apply's writes: api_create of an object the caller found absent
 * in this transaction, and api_update with the stored object the caller
 * read (old), that also keep `applied` with the object:
 * the last-applied text when applying it again is known to change nothing
 * (store_get_applied), else NULL. */
api_status api_create_applied(store *st, const kind_info *k, json_t *obj, const char *applied, api_error *e);
/* kubectl apply's create of a document that admission leaves alone: what
 * api_create_applied stores for obj with the annotation (ann_key:
 * ann_value) added and stamped, made as text, without setting anything on
 * obj (setting the annotation and the stamps was a share of a 10 000-object
 * apply).  API_ERR_INVALID, with nothing done, for a document it cannot
 * take (an annotations member that is not an object): the caller takes the
 * usual path. */
api_status api_create_applied_as_is(store *st, const kind_info *k, json_t *obj, const char *ann_key,
                                    const char *ann_value, const char *applied, api_error *e);

api_status api_update_applied(store *st, const kind_info *k, json_t *obj, json_t *old, const char *applied,
                              api_error *e);
/* Added for the cluster controllers: api_update when the caller holds the
 * stored object already (the controllers' view of the store), and
 * api_create storing the text serialize(obj, ctx) returns (malloc'd; must
 * equal json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) for callers
 * that share most of many objects' text (the pods of one template). */
api_status api_update_known(store *st, const kind_info *k, json_t *obj, json_t *stored, api_error *e);
api_status api_create_text(store *st, const kind_info *k, json_t *obj, char *(*serialize)(json_t *obj, void *ctx),
                           void *ctx, api_error *e);
/* For callers that make what is stored themselves (the cluster controllers:
 * the pods of one template filled into one text, objects written when the
 * reconcile ends, their texts made on two threads).  What api_create
 * stamps on a new object: api_stamp_draw draws it now (uid,
 * creationTimestamp, the next resourceVersion), api_stamp_set sets it on
 * obj as api_create does (any texts will do, placeholders too).  What
 * api_update stamps on obj replacing old: api_stamp_update (uid,
 * creationTimestamp and generation from old, the next resourceVersion).
 * The texts the API stores for a stamped object (malloc'd; *labels NULL
 * when it has none): api_object_texts (no store: any thread).  And the
 * write of an object from those texts (body: json_dumps(obj, JSON_COMPACT |
 * JSON_PRESERVE_ORDER) of the stamped object), is_new when the caller knows
 * it absent from the store.  Added for the cluster controllers. */
typedef struct api_stamp { char uid[37], created[32], rv[24]; } api_stamp;
void api_stamp_draw(store *st, api_stamp *s);
void api_stamp_set(json_t *obj, const api_stamp *s);
/* Both: obj stamped as created now (an object stored later, as it then is). */
void api_stamp_new(store *st, json_t *obj);
/* api_create_applied_as_is's stored text for stamp s (NULL: it cannot);
 * any thread. */
char *api_created_text(json_t *obj, const char *ann_key, const char *ann_value, const api_stamp *s);
void api_stamp_update(store *st, json_t *obj, json_t *old);
void api_object_texts(const kind_info *k, json_t *obj, char **body, char **row, char **labels);
api_status api_store_prepared(store *st, const kind_info *k, const char *ns, const char *name, const char *body,
                              const char *piece, const char *tail, const char *row, const char *labels, bool is_new,
                              api_error *e);
/* Delete one object; deleting a namespace deletes what it holds. */
api_status api_delete(store *st, const kind_info *k, const char *ns, const char *name, api_error *e);

/* Does the namespace exist? */
bool api_namespace_exists(store *st, const char *ns);

/* "serviceentries.networking.istio.io \"cnn\" not found" into e (NotFound). */
void api_not_found(api_error *e, const kind_info *k, const char *name);

#endif
