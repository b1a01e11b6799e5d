/* Shared fixtures for the lib/mesh unit tests: small clusters built from
 * inline JSON (single quotes stand for double quotes to keep it readable). */
#ifndef MESHSIM_TEST_MESH_FIXTURE_H
#define MESHSIM_TEST_MESH_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "mesh/mesh.h"

/* Parse JSON written with ' for "; aborts the test program on a typo. */
static inline json_t *J(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++) if (*p == '\'') *p = '"';
    json_error_t err;
    json_t *o = json_loads(s, 0, &err);
    if (!o) { fprintf(stderr, "fixture JSON: %s at %d: %s\n", err.text, err.position, s); abort(); }
    free(s);
    return o;
}

static inline void add(json_t *objs, const char *text) { json_array_append_new(objs, J(text)); }

static inline void addf(json_t *objs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void addf(json_t *objs, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    add(objs, buf);
}

static inline void add_ns(json_t *objs, const char *name, const char *labels)
{
    addf(objs, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s','labels':%s}}", name,
         labels ? labels : "{}");
}

/* A pod; sidecar adds an istio-proxy container.  ports: containers[0].ports JSON or NULL. */
static inline void add_pod(json_t *objs, const char *ns, const char *name, const char *ip, const char *labels,
                    int sidecar, const char *ports)
{
    addf(objs,
         "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','namespace':'%s','labels':%s},"
         "'spec':{'serviceAccountName':'default','containers':[{'name':'app','image':'x','ports':%s}%s]},"
         "'status':{'phase':'Running','podIP':'%s'}}",
         name, ns, labels, ports ? ports : "[]",
         sidecar ? ",{'name':'istio-proxy','image':'docker.io/istio/proxyv2:1.4.6'}" : "", ip);
}

static inline void add_gateway_pod(json_t *objs, const char *name, const char *ip, const char *istio_label)
{
    addf(objs,
         "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','namespace':'istio-system',"
         "'labels':{'istio':'%s','app':'istio-%s'}},"
         "'spec':{'serviceAccountName':'istio-%s-service-account','containers':[{'name':'istio-proxy','image':'x'}]},"
         "'status':{'phase':'Running','podIP':'%s'}}",
         name, istio_label, istio_label, istio_label, ip);
}

static inline void add_service(json_t *objs, const char *ns, const char *name, const char *ip, const char *ports,
                        const char *selector)
{
    addf(objs,
         "{'apiVersion':'v1','kind':'Service','metadata':{'name':'%s','namespace':'%s'},"
         "'spec':{'clusterIP':'%s','ports':%s,'selector':%s}}",
         name, ns, ip, ports, selector ? selector : "null");
}

/* The seed page's cluster: sleep (with sidecar) in default, the egress
 * gateway in istio-system, kube-dns, and edition.cnn.com in the world.
 * http_target/https_target: the gateway Service's target ports. */
static inline json_t *seed_cluster(int http_target, int https_target)
{
    json_t *o = json_array();
    add_ns(o, "default", NULL);
    add_ns(o, "istio-system", NULL);
    add_ns(o, "kube-system", NULL);
    add_pod(o, "default", "sleep-1", "10.244.0.10", "{'app':'sleep'}", 1, NULL);
    add_gateway_pod(o, "istio-egressgateway-1", "10.244.0.5", "egressgateway");
    add_pod(o, "kube-system", "coredns-1", "10.244.0.2", "{'k8s-app':'kube-dns'}", 0,
            "[{'name':'dns','containerPort':53,'protocol':'UDP'},{'name':'dns-tcp','containerPort':53,'protocol':'TCP'}]");
    char ports[512];
    snprintf(ports, sizeof ports,
             "[{'name':'http2','port':80,'targetPort':%d,'protocol':'TCP'},"
             "{'name':'https','port':443,'targetPort':%d,'protocol':'TCP'}]", http_target, https_target);
    add_service(o, "istio-system", "istio-egressgateway", "10.96.0.20", ports,
                "{'istio':'egressgateway','app':'istio-egressgateway'}");
    add_service(o, "kube-system", "kube-dns", "10.96.0.10",
                "[{'name':'dns','port':53,'targetPort':53,'protocol':'UDP'}]", "{'k8s-app':'kube-dns'}");
    add_service(o, "default", "sleep", "10.96.0.30", "[{'name':'http','port':80,'targetPort':80}]", "{'app':'sleep'}");
    add(o, "{'apiVersion':'meshsim.dev/v1alpha1','kind':'ExternalService','metadata':{'name':'cnn'},"
           "'spec':{'hosts':['edition.cnn.com'],'addresses':['151.101.65.67','151.101.1.67'],"
           "'ports':[{'number':80,'protocol':'HTTP'},{'number':443,'protocol':'HTTPS'}]}}");
    add(o, "{'apiVersion':'meshsim.dev/v1alpha1','kind':'ExternalService','metadata':{'name':'google'},"
           "'spec':{'hosts':['www.google.com'],'addresses':['142.250.1.1'],"
           "'ports':[{'number':80,'protocol':'HTTP'},{'number':443,'protocol':'HTTPS'}]}}");
    add(o, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'istio','namespace':'istio-system'},"
           "'data':{'mesh':'accessLogFile: /dev/stdout\\nrootNamespace: istio-system\\n'}}");
    return o;
}

static inline void add_cnn_http(json_t *o)
{
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':80,'name':'http-port','protocol':'HTTP'},"
           "{'number':443,'name':'https','protocol':'HTTPS'}],'resolution':'DNS'}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'Gateway','metadata':{'name':'istio-egressgateway','namespace':'default'},"
           "'spec':{'selector':{'istio':'egressgateway'},'servers':[{'port':{'number':80,'name':'http','protocol':'HTTP'},"
           "'hosts':['edition.cnn.com']}]}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'DestinationRule','metadata':{'name':'egressgateway-for-cnn','namespace':'default'},"
           "'spec':{'host':'istio-egressgateway.istio-system.svc.cluster.local','subsets':[{'name':'cnn'}]}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'direct-cnn-through-egress-gateway','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'gateways':['istio-egressgateway','mesh'],'http':["
           "{'match':[{'gateways':['mesh'],'port':80}],'route':[{'destination':{'host':'istio-egressgateway.istio-system.svc.cluster.local','subset':'cnn','port':{'number':80}},'weight':100}]},"
           "{'match':[{'gateways':['istio-egressgateway'],'port':80}],'route':[{'destination':{'host':'edition.cnn.com','port':{'number':80}},'weight':100}]}]}}");
}

static inline void add_cnn_tls(json_t *o)
{
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':443,'name':'tls','protocol':'TLS'}],'resolution':'DNS'}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'Gateway','metadata':{'name':'istio-egressgateway','namespace':'default'},"
           "'spec':{'selector':{'istio':'egressgateway'},'servers':[{'port':{'number':443,'name':'tls','protocol':'TLS'},"
           "'hosts':['edition.cnn.com'],'tls':{'mode':'PASSTHROUGH'}}]}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'DestinationRule','metadata':{'name':'egressgateway-for-cnn','namespace':'default'},"
           "'spec':{'host':'istio-egressgateway.istio-system.svc.cluster.local','subsets':[{'name':'cnn'}]}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'direct-cnn-through-egress-gateway','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'gateways':['mesh','istio-egressgateway'],'tls':["
           "{'match':[{'gateways':['mesh'],'port':443,'sniHosts':['edition.cnn.com']}],'route':[{'destination':{'host':'istio-egressgateway.istio-system.svc.cluster.local','subset':'cnn','port':{'number':443}}}]},"
           "{'match':[{'gateways':['istio-egressgateway'],'port':443,'sniHosts':['edition.cnn.com']}],'route':[{'destination':{'host':'edition.cnn.com','port':{'number':443}},'weight':100}]}]}}");
}

static inline mesh_request http_req(const char *src, const char *dst, int port, const char *authority, const char *path)
{
    mesh_request r = {0};
    r.src_ip = src;
    r.dst_ip = dst;
    r.dst_port = port;
    r.http = true;
    r.method = "GET";
    r.authority = authority;
    r.path = path;
    return r;
}

static inline mesh_request tls_req(const char *src, const char *dst, int port, const char *sni)
{
    mesh_request r = {0};
    r.src_ip = src;
    r.dst_ip = dst;
    r.dst_port = port;
    r.sni = sni;
    return r;
}

#endif
