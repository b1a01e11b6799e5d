/* Istio host names: wildcard matching, short-name expansion, gateway
 * references and exportTo visibility. */
#ifndef MESHSIM_MESH_HOST_H
#define MESHSIM_MESH_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "mesh/index.h"

#define MESH_DOMAIN "svc.cluster.local"

/* Istio host.Name.Matches: equal, or either side a wildcard covering the
 * other ("*.com" ~ "foo.com", "*" ~ anything; "*.foo.com" !~ "foo.com"). */
bool host_matches(const char *a, const char *b);
/* host.Name.SubsetOf: a is covered by b (one direction only). */
bool host_subset_of(const char *a, const char *b);
/* Short name (no dot, not "*", not an IP) -> name.ns.svc.cluster.local;
 * anything else is returned as is (lower-cased copy in the arena). */
const char *host_fqdn(arena *a, const char *host, const char *ns);
/* The same into a caller's buffer (for the routing path, which must not
 * allocate: decisions may run on several threads). */
const char *host_fqdn_buf(char *buf, size_t len, const char *host, const char *ns);
bool host_is_ip(const char *s);
/* "host[:port]" -> lower-case host (brackets of IPv6 kept out) and port (0 if none). */
void host_split_authority(const char *authority, char *host, size_t hostlen, int *port);

/* A VirtualService's gateway reference as "ns/name" ("mesh" stays "mesh"). */
const char *gateway_ref(arena *a, const char *name, const char *vs_ns);
const char *gateway_ref_buf(char *buf, size_t len, const char *name, const char *vs_ns);

/* exportTo: absent/empty or "*" = everyone; "." = own namespace; else names. */
bool export_visible(json_t *export_to, const char *owner_ns, const char *client_ns);

/* Is the IPv4/IPv6 address ip inside cidr ("10.0.0.0/8"; a bare address = /32)? */
bool ip_in_cidr(const char *ip, const char *cidr);

#endif
