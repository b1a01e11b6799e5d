/* The service-account controller: every namespace has a ServiceAccount
 * named "default". */
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

int controller_service_accounts(store *st)
{
    const kind_info *sa = kind_lookup("serviceaccounts");
    json_t *nss = store_list(st, "namespaces", NULL);
    int changed = 0;
    size_t i;
    json_t *ns;
    json_array_foreach(nss, i, ns) {
        json_t *have = api_get(st, sa, obj_name(ns), "default");
        if (!have) {
            json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                                    "metadata", "name", "default", "namespace", obj_name(ns));
            api_error e;
            if (api_create(st, sa, obj, &e) != API_OK) changed = -1;
            else if (changed >= 0) changed++;
            json_decref(obj);
        }
        json_decref(have);
    }
    json_decref(nss);
    return changed;
}
