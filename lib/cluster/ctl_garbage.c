/* The garbage collector: an object whose owners (ownerReferences) are all
 * gone is deleted, so deleting a Deployment takes its ReplicaSets and their
 * pods with it. */
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

static bool owner_alive(store *st, json_t *obj, json_t *ref)
{
    bool version_ok;
    const kind_info *k = kind_for_object(obj_str_or(ref, "apiVersion", ""), obj_str_or(ref, "kind", ""), &version_ok);
    if (!k) return true;    /* an owner of a kind we do not serve: not ours to judge */
    json_t *owner = api_get(st, k, obj_namespace(obj), obj_str_or(ref, "name", ""));
    bool alive = owner && !strcmp(obj_str_or(owner, "metadata.uid", ""), obj_str_or(ref, "uid", ""));
    json_decref(owner);
    return alive;
}

int controller_garbage(store *st)
{
    int changed = 0;
    for (const kind_info *k = kinds_table; k->kind; k++) {
        /* only objects with owners can be garbage: skip parsing the rest */
        json_t *all = store_list_containing(st, k->resource, "\"ownerReferences\"");
        size_t i;
        json_t *o;
        json_array_foreach(all, i, o) {
            json_t *refs = obj_at(o, "metadata.ownerReferences");
            if (!json_array_size(refs)) continue;
            bool alive = false;
            size_t j;
            json_t *ref;
            json_array_foreach(refs, j, ref) alive = alive || owner_alive(st, o, ref);
            if (alive) continue;
            api_error e;
            if (api_delete(st, k, obj_namespace(o), obj_name(o), &e) == API_OK) changed++;
        }
        json_decref(all);
    }
    return changed;
}
