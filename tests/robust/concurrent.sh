#!/bin/bash
# WRITERS processes run kubectl apply / label / delete at once on one store,
# OPS rounds each.  Promises checked afterwards:
#  - every command succeeded (writers wait for each other, none fails);
#  - no write is lost: the shared ConfigMap carries every writer's labels,
#    each writer's objects are exactly those it created and did not delete;
#  - every resourceVersion a writer saw is unique across all writers and
#    increases along each writer's own sequence of writes;
#  - the store passes meshsim __store-check.
#
#   ROUNDS=100 tests/robust/concurrent.sh     # the long version (OPS=ROUNDS)
#
# Env: WRITERS (8), OPS (ROUNDS or 6), MESHSIM_BIN, WORKDIR.
set -u
WRITERS=${WRITERS:-8}
OPS=${OPS:-${ROUNDS:-6}}
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MESHSIM_BIN:-$here/../../build/bin}
WORK=${WORKDIR:-$(mktemp -d)}
export MESHSIM_HOME=$WORK/home
export PATH="$BIN:$PATH"
fail() { echo "concurrent: $*" >&2; exit 1; }

cm() {  # cm NAME [KEY=VALUE]: a ConfigMap manifest
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  labels:\n    writer: "%s"\ndata:\n  value: "%s"\n' "$1" "${2:-none}" "$3"
}
rv() { kubectl get configmap "$1" -o jsonpath='{.metadata.resourceVersion}'; }

# One writer: its own objects, plus one label per round on the shared object.
writer() {
    local w=$1 log=$WORK/writer-$1.rv i
    : > "$log"
    for i in $(seq 1 "$OPS"); do
        cm "w$w-$i" "$w" "$i" | kubectl apply -f - >/dev/null || { echo "apply w$w-$i failed" >> "$WORK/errors"; return; }
        echo "w$w-$i $(rv "w$w-$i")" >> "$log"
        kubectl label configmap shared "w$w-$i=done" >/dev/null || { echo "label shared w$w-$i failed" >> "$WORK/errors"; return; }
        kubectl label configmap "w$w-$i" round="$i" >/dev/null || { echo "label w$w-$i failed" >> "$WORK/errors"; return; }
        echo "w$w-$i $(rv "w$w-$i")" >> "$log"
        cm "w$w-$i" "$w" "$i-changed" | kubectl apply -f - >/dev/null || { echo "re-apply w$w-$i failed" >> "$WORK/errors"; return; }
        echo "w$w-$i $(rv "w$w-$i")" >> "$log"
        # every other round deletes what the previous round made
        if [ $((i % 2)) -eq 0 ]; then
            kubectl delete configmap "w$w-$((i - 1))" >/dev/null || { echo "delete w$w-$((i - 1)) failed" >> "$WORK/errors"; return; }
        fi
    done
}

kubectl get namespaces >/dev/null || fail "cannot create the store"
cm shared none 0 | kubectl apply -f - >/dev/null || fail "cannot create the shared object"
: > "$WORK/errors"
pids=""
for w in $(seq 1 "$WRITERS"); do writer "$w" & pids="$pids $!"; done
# shellcheck disable=SC2086
wait $pids
[ -s "$WORK/errors" ] && fail "commands failed under contention: $(head -3 "$WORK/errors")"

# no lost update on the shared object
labels=$(kubectl get configmap shared -o jsonpath='{.metadata.labels}')
for w in $(seq 1 "$WRITERS"); do
    for i in $(seq 1 "$OPS"); do
        case "$labels" in *"\"w$w-$i\":\"done\""*) ;; *) fail "label w$w-$i=done lost on the shared object" ;; esac
    done
done
# each writer's objects: present unless deleted, with their last change
for w in $(seq 1 "$WRITERS"); do
    for i in $(seq 1 "$OPS"); do
        got=$(kubectl get configmap "w$w-$i" -o jsonpath='{.metadata.labels.round} {.data.value}' 2>/dev/null)
        if [ $((i % 2)) -eq 1 ] && [ "$i" -lt "$OPS" ]; then
            [ -z "$got" ] || fail "w$w-$i was deleted but is back: $got"
        else
            [ "$got" = "$i $i-changed" ] || fail "w$w-$i lost a write: '$got'"
        fi
    done
done
# resourceVersions: increasing per writer, unique overall
for w in $(seq 1 "$WRITERS"); do
    awk '{ if (NR > 1 && $2 + 0 <= prev) { print "writer '"$w"': " $0 " after " prev; exit 1 } prev = $2 + 0 }' \
        "$WORK/writer-$w.rv" || fail "resourceVersion did not increase"
done
total=$(cat "$WORK"/writer-*.rv | wc -l)
unique=$(cat "$WORK"/writer-*.rv | awk '{print $2}' | sort -u | wc -l)
[ "$total" -eq $((WRITERS * OPS * 3)) ] || fail "expected $((WRITERS * OPS * 3)) recorded writes, got $total"
[ "$unique" -eq "$total" ] || fail "resourceVersion reused: $total writes, $unique distinct versions"
check=$(meshsim __store-check) || fail "store check: $check"
echo "concurrent: $WRITERS writers x $OPS rounds ($((WRITERS * (OPS * 4 + OPS / 2))) writes): no lost write, $unique unique increasing resourceVersions, integrity ok"
[ -z "${WORKDIR:-}" ] && rm -rf "$WORK"
exit 0
