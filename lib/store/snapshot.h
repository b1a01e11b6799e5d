/* What one resource held when a run of writes began: each object's key and
 * its `applied` text, read by one scan instead of a query per object.
 * While the writer runs (writer.h), the store answers lookups of objects it
 * has not written since from here (kubectl apply of a 10 000-object stream
 * asks once per object whether it exists and what was applied last).
 * Internal to lib/store. */
#ifndef MESHSIM_STORE_SNAPSHOT_H
#define MESHSIM_STORE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct snapshot snapshot;

snapshot *snapshot_new(void);
/* applied may be NULL.  0, or -1 when out of memory. */
int snapshot_add(snapshot *s, const char *ns, const char *name, const char *applied);
/* Is (ns, name) in s?  *applied (when given) is then its text or NULL,
 * valid while s lives. */
bool snapshot_find(const snapshot *s, const char *ns, const char *name, const char **applied);
void snapshot_free(snapshot *s);

#endif
