/* IP address management: pod IPs from 10.244.0.0/16 and ClusterIPs from
 * 10.96.0.0/12, handed out in order from per-store counters so they are
 * unique and stable. */
#include <stdio.h>
#include "cluster/cluster.h"

static void format_ip(char *buf, size_t len, unsigned long ip)
{
    snprintf(buf, len, "%lu.%lu.%lu.%lu", (ip >> 24) & 255, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* The n-th usable address of a range, skipping .0 and .255 of every /24. */
static unsigned long nth_host(unsigned long base, long long n)
{
    return base + (unsigned long)(n / 254) * 256 + (unsigned long)(n % 254) + 1;
}

void ipam_pod_ip(store *st, char *buf, size_t len)
{
    /* 10.244.0.1 is the node's bridge in kind; pods start at .2 */
    long long n = store_counter_next(st, "podIP");
    format_ip(buf, len, nth_host(0x0af40000UL /* 10.244.0.0 */, n));
}

long long ipam_reserve_pod_ips(store *st, long long n)
{
    /* the store keeps counters in memory until the commit: cheap */
    long long first = store_counter_next(st, "podIP");
    for (long long i = 1; i < n && first > 0; i++)
        if (store_counter_next(st, "podIP") < 0) return -1;
    return first;
}

void ipam_pod_ip_nth(long long n, char *buf, size_t len)
{
    format_ip(buf, len, nth_host(0x0af40000UL /* 10.244.0.0 */, n));
}

void ipam_service_ip(store *st, char *buf, size_t len)
{
    /* 10.96.0.1 (kubernetes) and 10.96.0.10 (kube-dns) are seeded by bootstrap */
    long long n = store_counter_next(st, "serviceIP") + 10;
    format_ip(buf, len, nth_host(0x0a600000UL /* 10.96.0.0 */, n));
}
