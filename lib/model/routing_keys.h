/* The lookup keys under which routing finds an object, so that a probe can
 * load only the objects its hosts involve instead of the whole store.
 *
 * The store keeps these keys in a table of its own, written with the object
 * (lib/store/index.c); the mesh (lib/mesh) asks for the objects of one key
 * when a lookup first needs it.  Only the kinds that come in large numbers
 * and are looked up by host are keyed (ServiceEntry, VirtualService); every
 * other kind is loaded whole.
 *
 * Keys:
 *   host:H       a host the object declares (FQDN as Istio resolves it:
 *                short names against the object's namespace, lower case)
 *   wild         the object declares a wildcard host ("*", "*.example.com")
 *   addr:A       a ServiceEntry address (a /32 without its suffix)
 *   cidr:P       a ServiceEntry with an address range, one per port P
 *   http:P       a ServiceEntry port P that Istio serves as HTTP (or sniffs)
 *   tls:P        a ServiceEntry port P of protocol HTTPS or TLS
 *   tcpnone:P    a TCP (or sniffed) port P of a ServiceEntry with resolution
 *                NONE and no addresses (it takes the whole port)
 *   gw:NS/NAME   a Gateway a VirtualService binds to (top level or match) */
#ifndef MESHSIM_MODEL_ROUTING_KEYS_H
#define MESHSIM_MODEL_ROUTING_KEYS_H

#include <jansson.h>
#include <stdbool.h>

/* The resources routing looks up by key (keep them the only two, in this
 * order: the store reads the others as the ranges around them). */
#define ROUTING_SE_RESOURCE "serviceentries.networking.istio.io"
#define ROUTING_VS_RESOURCE "virtualservices.networking.istio.io"

/* Does routing look objects of this resource up by key? */
bool routing_keyed_resource(const char *resource);

/* Call emit once per key of obj (resource as the store names it; ns the
 * object's namespace).  Duplicate keys are emitted once.  Returns the
 * number of keys. */
typedef void (*routing_key_fn)(void *ctx, const char *key);
int routing_keys(const char *resource, const char *ns, json_t *obj, routing_key_fn emit, void *ctx);

/* Istio's class of a port protocol: how a proxy treats its bytes.  proto is
 * the declared protocol, or NULL/"" (then the port name's prefix decides,
 * "http-web" -> HTTP; nothing known: sniffed). */
typedef enum { PORT_CLASS_TCP, PORT_CLASS_HTTP, PORT_CLASS_TLS, PORT_CLASS_AUTO, PORT_CLASS_UDP } port_class_t;
port_class_t routing_port_class(const char *proto);
/* The protocol a port name implies ("http2-web" -> "HTTP2", "grpc-web" ->
 * "GRPC-WEB"), into buf; "" when none. */
const char *routing_proto_from_name(const char *name, char *buf, size_t len);

#endif
