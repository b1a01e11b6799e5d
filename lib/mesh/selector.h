/* Kubernetes label selectors over jansson label maps. */
#ifndef MESHSIM_MESH_SELECTOR_H
#define MESHSIM_MESH_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>

/* A plain map selector (Service spec.selector, Gateway spec.selector,
 * DestinationRule subset labels): every key=value must be in labels.
 * NULL or {} selects everything. */
bool sel_match_map(json_t *labels, json_t *map);

/* A LabelSelector {matchLabels, matchExpressions}: both must hold.
 * {} selects everything; NULL selects nothing (callers treat "absent" per
 * their own API rules before calling).  Operators In, NotIn, Exists,
 * DoesNotExist; NotIn and DoesNotExist match when the key is absent. */
bool sel_match(json_t *labels, json_t *selector);

#endif
