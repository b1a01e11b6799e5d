/* Schema validation as an analyzer: each validation error is an IST0106,
 * unreachable / ineffective VirtualService rules are IST0130 / IST0131,
 * other warnings IST0133. */
#include "analyze/internal.h"
#include "analyze/istio_validate.h"

void az_schema(az_ctx *c)
{
    static const az_kind kinds[] = {AZK_GATEWAY, AZK_VS, AZK_DR, AZK_SE, AZK_SIDECAR};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < c->k[kinds[k]].n; i++) {
            const az_res *r = c->k[kinds[k]].v[i];
            iv_result res;
            if (!istio_validate(r->obj, r->ns, &res)) continue;
            for (size_t e = 0; e < res.nerrors; e++) az_report(c, r, "IST0106", res.errors[e]);
            for (size_t w = 0; w < res.nwarnings; w++) {
                const iv_warning *wn = &res.warnings[w];
                if (wn->type == IV_WARN_UNREACHABLE)
                    az_report(c, r, "IST0130", wn->a, wn->b);
                else if (wn->type == IV_WARN_INEFFECTIVE)
                    az_report(c, r, "IST0131", wn->a, wn->b, wn->c);
                else
                    az_report(c, r, "IST0133", wn->text ? wn->text : "");
            }
            iv_result_free(&res);
        }
}
