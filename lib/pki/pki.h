/* Certificates: the mesh's own CA (istiod / Citadel) and the simulated public
 * PKI of the outside world.
 *
 * Everything is made with OpenSSL 3 on first use and kept in the store as
 * blobs (keys "pki/..."), so a cluster shows the same certificates from one
 * command to the next.  Keys are EC P-256 (quick to make: the test suite
 * creates many stores) unless an ExternalService asks for RSA.
 *
 * Threading: the functions that take a store read and write blobs, so call
 * them on the thread that owns the store (inside the command's transaction).
 * The SSL_CTX objects they return hold everything they need and may then be
 * used from engine threads; the caller frees them with SSL_CTX_free(). */
#ifndef MESHSIM_PKI_H
#define MESHSIM_PKI_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "store/store.h"
#include "model/release.h"

/* ---- the mesh CA ---------------------------------------------------------- */

/* Make sure the mesh root CA exists.  As istiod does: when the Secret
 * `cacerts` exists in istio-system (data ca-cert.pem, ca-key.pem,
 * root-cert.pem, cert-chain.pem; base64 as in any Secret, or stringData) it is
 * the signing CA; otherwise a self-signed root (O=cluster.local, 10 years) is
 * made once per store.  Returns 0, or -1 with a message on stderr. */
int pki_mesh_ensure_ca(store *st);

/* The mesh root certificate as istiod publishes it (root-cert.pem of the
 * istio-ca-root-cert ConfigMaps), malloc'd PEM, or NULL. */
char *pki_mesh_root_pem(store *st);

/* The certificate of workload identity spiffe://cluster.local/ns/NS/sa/SA:
 * empty subject, critical URI SAN, 24 h validity, signed by the mesh CA.
 * The same certificate comes back for (ns, sa) until it passes half its life
 * (Istio's rotation point); then a new one is issued.
 * Outputs are malloc'd PEM text (free()); any output pointer may be NULL.
 * cert_chain_pem = leaf + intermediates (plug-in CA chain) as in
 * /etc/certs/cert-chain.pem.  Returns 0 or -1. */
int pki_workload_pem(store *st, const char *ns, const char *sa,
                     char **cert_chain_pem, char **key_pem, char **root_pem);

/* TLS context for one mTLS hop between proxies (ISTIO_MUTUAL): presents the
 * workload certificate of (ns, sa), trusts only the mesh root, and requires
 * the peer's certificate (server = 1: the accepting side, which asks for and
 * requires a client certificate).  NULL on failure. */
SSL_CTX *pki_mesh_ctx(store *st, const char *ns, const char *sa, int server);

/* The SPIFFE URI SAN of the peer of an established connection
 * ("spiffe://cluster.local/ns/x/sa/y"), malloc'd, or NULL when none. */
char *pki_peer_uri_san(SSL *ssl);

/* The Secrets Citadel keeps (Istio before 1.5, certificates mounted from
 * Secrets rather than served over SDS), as new Secret objects for the
 * cluster model to store:
 *   istio.SA in ns (type istio.io/key-and-cert; cert-chain.pem, key.pem,
 *   root-cert.pem; annotation istio.io/service-account.name), and
 *   istio-ca-secret in istio-system (type istio.io/ca-root; ca-cert.pem,
 *   ca-key.pem, cert-chain.pem, key.pem, root-cert.pem) for a self-signed CA.
 * NULL on failure. */
json_t *pki_istio_secret(store *st, const char *ns, const char *sa);
json_t *pki_ca_secret(store *st);

/* ---- the simulated outside world ---------------------------------------- */

/* A server context for the outside host an ExternalService object describes
 * (cluster-scoped, meshsim.dev/v1alpha1; spec.hosts[] are its DNS names).
 * Optional spec.tls (documented in meshsim-world(5)):
 *   profile:    "fastly-globalsign" (the chain edition.cnn.com shows in the
 *               seed page: leaf CN=turner-tls.map.fastly.net, intermediate
 *               "GlobalSign CloudSSL CA - SHA256 - G3", root "GlobalSign Root
 *               CA"), "generic" (leaf for spec.hosts, signed by the
 *               "meshsim Simulated Public" intermediate and root) or
 *               "self-signed" (not trusted by anyone).  Default: generic,
 *               except fastly-globalsign when a host is under cnn.com.
 *   notBefore, notAfter:  RFC 3339 overrides of the leaf's validity (e.g. an
 *               expired certificate for tests).
 *   clientAuth: "none" (default), "request" or "require": ask for / demand a
 *               client certificate issued by the CAs of clientCA, else by the
 *               simulated world client CA (pki_world_client_pem).
 *   clientCA:   {pem: TEXT} or {secretName, namespace, key (ca.crt)}: the
 *               user's own client CA (made with openssl); a missing Secret
 *               trusts no one.
 *   keyType:    "EC" (default) or "RSA" (2048 bit) for the leaf.
 *   alpn:       list of protocols the server speaks (default [h2, http/1.1]):
 *               h2 is selected when the client offers it, else http/1.1.
 * The leaf is cached per object (re-made when spec.hosts or spec.tls change).
 * NULL on failure (message on stderr). */
SSL_CTX *pki_world_server_ctx(store *st, json_t *external_service);

/* The PEM chain the world server for this object sends (leaf first). */
char *pki_world_chain_pem(store *st, json_t *external_service);

/* Check an ExternalService's spec.tls block (may be NULL) without making
 * anything, for apply-time validation.  0, or -1 with a message naming the
 * field ("spec.tls.profile: unknown profile \"x\" ...") in err. */
int pki_world_tls_validate(json_t *tls, char *err, size_t errlen);

/* The PEM bundle of the simulated public roots that container images trust
 * (curl: CURLOPT_CAINFO_BLOB; openssl s_client's default CA store).
 * malloc'd, NULL on failure. */
char *pki_trust_bundle_pem(store *st);

/* A client certificate for the outside world's mutual-TLS servers, subject
 * CN=cn, issued by the simulated world client CA.  Outputs as for
 * pki_workload_pem (ca_pem: the client CA).  Returns 0 or -1. */
int pki_world_client_pem(store *st, const char *cn, char **cert_pem, char **key_pem,
                         char **ca_pem);

/* ---- files inside containers ---------------------------------------------- */

/* Contents of a certificate file inside one container of a pod: with
 * rel->cert_dir "/etc/certs", proxy containers (istio-proxy) see
 * /etc/certs/cert-chain.pem, /etc/certs/key.pem and /etc/certs/root-cert.pem
 * for the pod's service account (spec.serviceAccountName, "default" when
 * unset).  Every container also sees the trust bundle at
 * /etc/ssl/certs/ca-certificates.crt and /etc/ssl/cert.pem.
 * container NULL means the pod's istio-proxy container.
 * Returns 0 with *content malloc'd, 1 when the path is not a PKI file
 * (the caller keeps looking), -1 on failure. */
int pki_pod_file(store *st, json_t *pod, const char *container, const istio_release *rel,
                 const char *path, char **content);

/* ---- small helpers shared with the openssl probe ----------------------- */

/* Parse every certificate of a PEM text; NULL when there is none. */
STACK_OF(X509) *pki_pem_to_certs(const char *pem, size_t len);
/* Load a PEM chain (leaf first) and its key into ctx.  0 or -1. */
int pki_ctx_use_pem(SSL_CTX *ctx, const char *chain_pem, const char *key_pem);
/* Add every certificate of roots_pem to ctx's verification store.  0 or -1. */
int pki_ctx_trust_pem(SSL_CTX *ctx, const char *roots_pem);

#endif
