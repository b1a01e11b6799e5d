/* The service-account controller: every namespace has a ServiceAccount
 * named "default". */
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

int controller_service_accounts(cluster_cache *c)
{
    const kind_info *sa = kind_lookup("serviceaccounts");
    json_t *nss = ccache_list(c, kind_lookup("namespaces"));
    int changed = 0;
    size_t i;
    json_t *ns;
    json_array_foreach(nss, i, ns) {
        if (!ccache_get(c, sa, obj_name(ns), "default")) {
            json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                                    "metadata", "name", "default", "namespace", obj_name(ns));
            if (ccache_create(c, sa, obj) < 0) changed = -1;
            else if (changed >= 0) changed++;
            json_decref(obj);
        }
    }
    json_decref(nss);
    return changed;
}
