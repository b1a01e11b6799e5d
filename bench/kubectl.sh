#!/bin/sh
# kubectl figures: a 10 000-object manifest (ServiceEntries, VirtualServices,
# DestinationRules across 100 namespaces, plus the namespaces) applied into an
# empty store, applied again, and read back; the real kubectl's
# `label --local -f` of the same file as the reference.  Medians of RUNS runs,
# peak resident memory from /usr/bin/time -v when available.
# Targets: 10k apply < 0.1 s, get < 20 ms, peak < 64 MiB.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
RUNS=${RUNS:-5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MANIFEST=$WORK/mesh-10k.yaml

awk 'BEGIN {
    for (n = 0; n < 100; n++) printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n---\n", n
    for (i = 0; i < 9900; i++) {
        ns = "ns" (i % 100); k = i % 3; name = "obj" i
        if (k == 0) printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  hosts:\n  - %s.example.com\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n  resolution: DNS\n---\n", name, ns, name
        else if (k == 1) printf "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  hosts:\n  - %s.example.com\n  http:\n  - route:\n    - destination:\n        host: %s.example.com\n---\n", name, ns, name, name
        else printf "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  host: %s.example.com\n---\n", name, ns, name
    }
}' > "$MANIFEST"

# median of RUNS runs of "$@": wall milliseconds (from the clock, to the
# tenth) and CPU (user+sys, as /usr/bin/time counts it, to 10 ms), so a busy
# machine shows in the wall figure only; $SETUP runs before each
median() {
    i=0; : > "$WORK/times"
    while [ $i -lt "$RUNS" ]; do
        [ -n "${SETUP:-}" ] && sh -c "$SETUP"
        t0=$(date +%s%N)
        /usr/bin/time -f '%U %S' -o "$WORK/one" "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        awk -v w=$(( (t1 - t0) / 100000 )) '{ printf "%.1f %.3f\n", w / 10, $1 + $2 }' "$WORK/one" >> "$WORK/times"
        i=$((i + 1))
    done
    w=$(cut -d' ' -f1 "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }')
    c=$(cut -d' ' -f2 "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }')
    printf '%s ms wall, %s s cpu' "$w" "$c"
}
peak() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ { printf "%.1f MiB", $6 / 1024 }'
    else
        echo "n/a"
    fi
}

export MESHSIM_HOME="$WORK/home"
K=$BIN/kubectl
echo "kubectl bench: $(grep -c '^kind:' "$MANIFEST") objects, median of $RUNS runs"
SETUP="rm -rf '$MESHSIM_HOME'; '$K' get ns default >/dev/null"
printf '  %-32s %s\n' "apply (empty store)" "$(median "$K" apply -f "$MANIFEST")"
unset SETUP
"$K" apply -f "$MANIFEST" >/dev/null 2>&1 || true
printf '  %-32s %s\n' "apply again (unchanged)" "$(median "$K" apply -f "$MANIFEST")"
printf '  %-32s %s\n' "get se -A" "$(median "$K" get se -A)"
printf '  %-32s %s\n' "get se -A -o json" "$(median "$K" get se -A -o json)"
printf '  %-32s %s\n' "get pod" "$(median "$K" get pod)"
printf '  %-32s %s\n' "peak memory, apply again" "$(peak "$K" apply -f "$MANIFEST")"
printf '  %-32s %s\n' "peak memory, get se -A -o json" "$(peak "$K" get se -A -o json)"
REAL=$(command -v kubectl || true)
if [ -n "$REAL" ] && [ "$(dirname "$REAL")" != "$BIN" ]; then
    printf '  %-32s %s\n' "real kubectl label --local -f" "$(median "$REAL" label --local -f "$MANIFEST" bench=1 -o name)"
    printf '  %-32s %s\n' "real kubectl peak memory" "$(peak "$REAL" label --local -f "$MANIFEST" bench=1 -o name)"
fi
