#!/bin/bash
# Kill `kubectl apply -f big.yaml` (a namespace and OBJECTS ConfigMaps) with
# SIGKILL at random moments, ROUNDS times.  After every round the store must
# open, pass SQLite's integrity check (meshsim __store-check), and hold all
# or none of that round's objects; earlier rounds must be untouched.
#
#   ROUNDS=100 tests/robust/kill_apply.sh      # the long version
#
# Env: ROUNDS (10), OBJECTS (2000), MESHSIM_BIN (build/bin), WORKDIR (mktemp).
# Prints one summary line; exits non-zero on the first broken promise.
set -u
ROUNDS=${ROUNDS:-10}
OBJECTS=${OBJECTS:-2000}
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MESHSIM_BIN:-$here/../../build/bin}
WORK=${WORKDIR:-$(mktemp -d)}
export MESHSIM_HOME=$WORK/home
export PATH="$BIN:$PATH"
fail() { echo "kill_apply: round $r: $*" >&2; exit 1; }

# big.yaml for round $1: the namespace first, then the ConfigMaps.
make_manifest() {
    awk -v ns="round-$1" -v n="$OBJECTS" 'BEGIN {
        printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns
        for (i = 0; i < n; i++)
            printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n  namespace: %s\n  labels:\n    batch: %s\ndata:\n  key: value-%d\n", i, ns, ns, i
    }' > "$WORK/big-$1.yaml"
}

# Objects of round $1 in the store: "<namespaces> <configmaps>".
count_round() {
    local out
    out=$(meshsim __store-check) || fail "store check failed: $out"
    case "$out" in "integrity: ok"*) ;; *) fail "integrity: $out" ;; esac
    local cms ns
    cms=$(printf '%s\n' "$out" | awk -v ns="round-$1" '$1 == "configmaps" && $2 == ns { print $3 }')
    ns=$(kubectl get namespace "round-$1" -o name 2>/dev/null | wc -l)
    echo "$ns ${cms:-0}"
}

r=0
kubectl get namespaces >/dev/null || fail "cannot create the store"
# Round 0 runs to completion and tells how long an apply takes.
make_manifest 0
t0=$(date +%s%N)
kubectl apply -f "$WORK/big-0.yaml" >/dev/null || fail "the uninterrupted apply failed"
apply_ms=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
[ "$(count_round 0)" = "1 $OBJECTS" ] || fail "the uninterrupted apply stored $(count_round 0)"

killed=0 late=0 completed=0
declare -A done_rounds=([0]=1)
for r in $(seq 1 "$ROUNDS"); do
    make_manifest "$r"
    # a moment anywhere from start-up to just past the commit
    delay_ms=$(( RANDOM * RANDOM % (apply_ms * 12 / 10 + 1) ))
    kubectl apply -f "$WORK/big-$r.yaml" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    status=$?
    got=$(count_round "$r")
    case "$got" in
    "0 0") killed=$((killed + 1)) ;;
    "1 $OBJECTS")
        if [ "$status" -eq 0 ]; then completed=$((completed + 1)); else late=$((late + 1)); fi
        done_rounds[$r]=1 ;;
    *) fail "partial apply after SIGKILL at ${delay_ms}ms (exit $status): namespaces+configmaps = $got" ;;
    esac
    [ "$status" -eq 0 ] && [ "$got" = "0 0" ] && fail "apply exited 0 but its objects are missing"
    # what earlier rounds committed is still all there
    for k in "${!done_rounds[@]}"; do
        [ "$(count_round "$k")" = "1 $OBJECTS" ] || fail "round $k lost objects: $(count_round "$k")"
    done
    rm -f "$WORK/big-$r.yaml"
done
echo "kill_apply: $ROUNDS rounds of $OBJECTS objects (apply takes ${apply_ms}ms): $killed killed before commit, $late killed after commit, $completed finished, 0 partial"
[ -z "${WORKDIR:-}" ] && rm -rf "$WORK"
exit 0
