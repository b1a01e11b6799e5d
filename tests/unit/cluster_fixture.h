/* A bootstrapped cluster in a temporary store, for the cmocka tests of
 * lib/cluster: cmocka_unit_test_setup_teardown(test, setup,
 * teardown); the state is a fixture. */
#ifndef MESHSIM_TEST_CLUSTER_FIXTURE_H
#define MESHSIM_TEST_CLUSTER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include "cluster/cluster.h"

typedef struct fixture {
    char dir[64];
    store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/meshsim-cluster-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char err[256];
    bool created;
    f->st = store_open(f->dir, &created, err, sizeof err);
    if (!f->st || cluster_bootstrap(f->st)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

#endif
