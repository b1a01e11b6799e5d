/* The garbage collector: an object whose owners (ownerReferences) are all
 * gone is deleted, so deleting a Deployment takes its ReplicaSets and their
 * pods with it. */
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

static bool owner_alive(cluster_cache *c, json_t *obj, json_t *ref)
{
    bool version_ok;
    const kind_info *k = kind_for_object(obj_str_or(ref, "apiVersion", ""), obj_str_or(ref, "kind", ""), &version_ok);
    if (!k) return true;    /* an owner of a kind we do not serve: not ours to judge */
    json_t *owner = ccache_get(c, k, obj_namespace(obj), obj_str_or(ref, "name", ""));
    return owner && !strcmp(obj_str_or(owner, "metadata.uid", ""), obj_str_or(ref, "uid", ""));
}

int controller_garbage(cluster_cache *c)
{
    int changed = 0;
    for (const kind_info *k = kinds_table; k->kind; k++) {
        /* the controllers' own kinds are in the view anyway; of the others
         * only objects with owners can be garbage: skip parsing the rest */
        bool viewed = ccache_has_view(c, k) || !strcmp(k->kind, "Pod") || !strcmp(k->kind, "ReplicaSet");
        json_t *all = viewed ? ccache_list(c, k)
                             : store_list_containing(ccache_store(c), k->resource, "\"ownerReferences\"");
        size_t i;
        json_t *o;
        json_array_foreach(all, i, o) {
            json_t *refs = obj_at(o, "metadata.ownerReferences");
            if (!json_array_size(refs)) continue;
            bool alive = false;
            size_t j;
            json_t *ref;
            json_array_foreach(refs, j, ref) alive = alive || owner_alive(c, o, ref);
            if (alive) continue;
            if (ccache_delete(c, k, obj_namespace(o), obj_name(o)) == 0) changed++;
            ccache_again(c);   /* what it owned may be garbage now */
        }
        json_decref(all);
    }
    return changed;
}
