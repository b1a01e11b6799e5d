/* Which objects a kubectl command is about: "KIND NAME...", "KIND/NAME...",
 * "KIND1,KIND2", -f FILE, with -n / -A / -l / --field-selector.  Shared by
 * get, delete, label, annotate and describe. */
#ifndef MESHSIM_TARGETS_H
#define MESHSIM_TARGETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "model/kinds.h"
#include "store/store.h"

typedef struct target {
    const kind_info *k;
    json_t *obj;          /* owned */
    char *row;            /* owned: the stored table row (columns_encode), when listed by rows */
    char *body;           /* owned: the stored JSON text, when listed by bodies */
} target;

typedef struct target_group {   /* one kind's objects, in request order */
    const kind_info *k;
    bool by_name;
} target_group;

typedef struct targets {
    target *v;
    size_t n, cap;
    int kinds_requested;  /* how many kinds were named (tables group by kind) */
} targets;

typedef struct target_query {
    const char **args;    /* positional arguments */
    int nargs;
    const char **files;   /* -f sources */
    int nfiles;
    bool recursive;
    const char *ns;       /* effective namespace */
    bool all_ns;
    const char *selector;
    const char *field_selector;
    FILE *in;             /* for -f - */
} target_query;

/* Resolve; prints kubectl's errors to err (unknown kind, NotFound, bad
 * selector).  Returns the number of errors; out holds what was found. */
int targets_resolve(store *st, const target_query *q, FILE *err, targets *out);
/* The same for a table (kubectl get's default and -o wide output): listed
 * objects whose stored row is known come as a stub (metadata name and
 * namespace, and labels when `labels` or a selector needs them) with their
 * row (target.row), instead of the whole object.  No --field-selector. */
int targets_resolve_rows(store *st, const target_query *q, bool labels, FILE *err, targets *out);
/* The same with the stored JSON text of each listed object (target.body)
 * next to its stub, for -o json. */
int targets_resolve_bodies(store *st, const target_query *q, FILE *err, targets *out);
/* The objects of the -f sources themselves, without the store (--local). */
int targets_from_files(const target_query *q, FILE *err, targets *out);
void targets_free(targets *t);

#endif
