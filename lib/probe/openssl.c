/* `openssl` inside a container: picks the sub-command, as the real program. */
#include "probe/openssl.h"
#include "pki/pki.h"
#include "model/loader.h"
#include "net/net.h"

#include <errno.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <stdlib.h>
#include <string.h>

void openssl_print_name(BIO *b, X509_NAME *name)
{
    X509_NAME_print_ex(b, name, 0, OPENSSL_NAME_FLAGS);
}

char *openssl_read_file(exec_ctx *x, const char *path, size_t *len)
{
    *len = 0;
    if (!path || !strcmp(path, "-") || !strcmp(path, "/dev/stdin")) return x->in ? read_stream(x->in, len, LOADER_MAX_BYTES) : calloc(1, 1);
    char *content = NULL;
    if (pki_pod_file(x->st, x->pod, x->container, x->rel, path, &content) != 0) return NULL;
    *len = strlen(content);
    return content;
}

static int openssl_version(exec_ctx *x, int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(x->out, "%s (Library: %s)\n", OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
    return 0;
}

typedef struct openssl_cmd {
    const char *name;
    int (*fn)(exec_ctx *x, int argc, char **argv);
} openssl_cmd;

/* s_client's connect: the pod's resolver, then the first address that
 * answers, as BIO_connect walks getaddrinfo's list. */
static int dial_net(void *arg, const char *host, int port)
{
    net *n = arg;
    char addrs[16][46];
    int count = 0;
    net_dns_status s = net_resolve(n, host, addrs, 16, &count);
    if (s == NET_DNS_TIMEOUT) {
        net_vclock_advance(n, 10000);   /* the resolver's two 5 s attempts */
        return PROBE_DIAL_DNS_TIMEOUT;
    }
    if (s != NET_DNS_OK || count == 0) return PROBE_DIAL_NXDOMAIN;
    int last = -ECONNREFUSED;
    for (int i = 0; i < count; i++) {
        int fd = -1;
        char why[256];
        net_conn_status c = net_connect(n, addrs[i], port, host, &fd, why, sizeof why);
        if (c == NET_CONNECTED) return fd;
        if (c == NET_TIMEDOUT) {
            /* the kernel's SYN retries outlast anyone's patience for the rest */
            net_vclock_advance(n, NET_SYN_TIMEOUT_MS);
            return -ETIMEDOUT;
        }
        last = -ECONNREFUSED;
    }
    return last;
}

static int s_client(exec_ctx *x, int argc, char **argv)
{
    char err[256];
    net *n = net_open(x->st, x->rel, x->pod, err, sizeof err);
    if (!n) {
        fprintf(x->err, "s_client: %s\n", err);
        return 1;
    }
    /* the proxy's own traffic is not captured by itself (iptables owner match) */
    if (x->container && !strcmp(x->container, "istio-proxy")) net_bypass_sidecar(n);
    int rc = openssl_s_client(x, argc, argv, dial_net, n);
    x->vclock_ms += net_vclock_ms(n);
    if (net_close(n)) fprintf(x->err, "s_client: cannot record telemetry: %s\n", store_errmsg(x->st));
    return rc;
}

static const openssl_cmd commands[] = {
    {"s_client", s_client},
    {"x509", openssl_x509},
    {"verify", openssl_verify},
    {"version", openssl_version},
};

int probe_openssl_main(exec_ctx *x, int argc, char **argv)
{
    if (argc < 2) {
        /* the real one starts an interactive prompt; with no terminal it
         * reads commands from stdin and ends at EOF */
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(x, argc - 1, argv + 1);
    fprintf(x->err, "Invalid command '%s'; type \"help\" for a list.\n", argv[1]);
    return 1;
}
