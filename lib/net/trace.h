/* Traces: what no real cluster shows, a hop-by-hop account of every DNS
 * lookup, connection and request a probe made: each proxy, its listener,
 * filter chain, route (VirtualService and rule), cluster and endpoint, each
 * NetworkPolicy verdict, and why the traffic ended where it did.
 *
 * Collection is process-wide and off unless a command turns it on (meshsim
 * trace, or MESHSIM_TRACE=1 kubectl exec ...), so probes pay nothing for it
 * otherwise.  Records are JSON objects; trace_print renders them as text. */
#ifndef MESHSIM_TRACE_H
#define MESHSIM_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "net/net.h"

/* Start collecting; trace_end stops and returns the records (new array). */
void trace_begin(void);
json_t *trace_end(void);
bool trace_active(void);

/* Record one finished step (thread-safe; no-ops when inactive).  rec is stolen. */
void trace_add(json_t *rec);

void trace_dns(const net *n, const char *name, net_dns_status s, char addrs[][46], int count);
void trace_connect(const net *n, const char *ip, int port, const char *host, net_conn_status s,
                   const char *why);

/* The account as text, one block per record. */
void trace_print(FILE *out, json_t *records);

#endif
