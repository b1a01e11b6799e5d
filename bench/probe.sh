#!/bin/sh
# Forwarding engine figures (issue "Forwarding engine").  A store holding the
# demo install, the sleep sample (with sidecar), the Egress Gateways task's
# HTTP configuration and N filler resources (N/2 ServiceEntries + N/2
# VirtualServices); the probe is the task's request, sidecar -> egress
# gateway -> edition.cnn.com:
#   kubectl exec $SOURCE_POD -c sleep -- curl -sS -o /dev/null http://edition.cnn.com/politics
# Targets: one kubectl exec as a whole process < 20 ms (10k resources);
# 1 000 probes in one process (meshsim __probe-loop) < 1 s; the cost of one
# probe must not grow linearly with the number of resources (1k, 10k, 100k).
# Peak memory (ru_maxrss via /usr/bin/time -v) of the same command run 5
# times: it must stay flat.
# Knobs: RUNS (medians, default 5), LOOP_N (default 1000), LOOP_BUDGET_S
# (default 20: fewer probes when 1 000 would take longer; the 1 000-probe
# time is then extrapolated and says so), SIZES (default "1000 10000 100000").
set -u
. "$(dirname "$0")/lib/common.sh"
LOOP_N=${LOOP_N:-1000}
LOOP_BUDGET_S=${LOOP_BUDGET_S:-20}
SIZES=${SIZES:-1000 10000 100000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
K=$BIN/kubectl
M=$BIN/meshsim
URL=http://edition.cnn.com/politics

# build_store N: a fresh store in $WORK/home-N with everything above
build_store() {
    export MESHSIM_HOME="$WORK/home-$1"
    rm -rf "$MESHSIM_HOME"
    "$BIN/istioctl" install --set profile=demo -y >/dev/null 2>&1 &&
    "$K" label namespace default istio-injection=enabled >/dev/null &&
    "$K" apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null &&
    "$K" apply -f "$ROOT/bench/lib/egress-http.yaml" >/dev/null &&
    rm -rf "$WORK/fill" && mkdir "$WORK/fill" &&
    awk -v total="$1" 'BEGIN { for (o = 0; o < total; o += 10000) print o }' | while read -r off; do
        chunk=$(($1 - off < 10000 ? $1 - off : 10000))
        awk -v n="$chunk" -v off=$((off / 2)) -f "$ROOT/bench/lib/filler.awk" > "$WORK/fill/$off.yaml"
    done &&
    "$K" apply -f "$WORK/fill" >/dev/null || { echo "probe bench: cannot build the $1-resource store" >&2; exit 1; }
    rm -rf "$WORK/fill"
    POD=$("$K" get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    got=$("$K" exec "$POD" -c sleep -- curl -sS -o /dev/null -w '%{http_code}' "$URL" 2>&1)
    [ "$got" = 301 ] || { echo "probe bench: the probe answered '$got', not 301 (gateway's redirect)" >&2; exit 1; }
}

# loop_field OUTPUT NAME: a value from meshsim __probe-loop's output
loop_field() { printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }

echo "probe bench (forwarding engine): curl $URL through sidecar and egress gateway; medians of $RUNS runs"

build_store 10000
echo "  store: demo install + sleep + the task's egress HTTP configuration + 10000 ServiceEntries/VirtualServices"
t=$(median_of "$K" exec "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
printf '  %-48s %8s ms   target < 20 ms: %s\n' "kubectl exec ... curl (whole process)" "$(ms "$t")" "$(meets "$t" 0.020)"

# 1 000 probes in one process, or as many as fit the budget
est=$("$M" __probe-loop 5 "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
per=$(loop_field "$est" per_probe_ms)
n=$(awk -v p="$per" -v b="$LOOP_BUDGET_S" -v n="$LOOP_N" 'BEGIN { k = int(b * 1000 / (p > 0 ? p : 1)); print (k < n ? (k < 5 ? 5 : k) : n) }')
out=$("$M" __probe-loop "$n" "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
total=$(loop_field "$out" total_s)
if [ "$n" -eq "$LOOP_N" ]; then
    printf '  %-48s %8s ms   target < 1000 ms: %s\n' "$LOOP_N probes in one process" "$(ms "$total")" "$(meets "$total" 1)"
else
    x=$(awk -v t="$total" -v n="$n" -v N="$LOOP_N" 'BEGIN { printf "%.6f", t * N / n }')
    printf '  %-48s %8s ms   target < 1000 ms: %s (extrapolated from %d probes, %s ms)\n' \
        "$LOOP_N probes in one process" "$(ms "$x")" "$(meets "$x" 1)" "$n" "$(ms "$total")"
fi
printf '  %-48s %8s / %s KiB (after first / last probe)\n' "  peak memory of that process" \
    "$(loop_field "$out" peak_rss_kib_after_first)" "$(loop_field "$out" peak_rss_kib_after_last)"
[ "$(loop_field "$out" failed)" = 0 ] || echo "  WARNING: $(loop_field "$out" failed) probes failed"

# peak memory of the same command, 5 times
peaks=""
for i in 1 2 3 4 5; do peaks="$peaks $(peak_kib "$K" exec "$POD" -c sleep -- curl -sS -o /dev/null "$URL")"; done
printf '  %-48s %s KiB\n' "peak memory, kubectl exec x5 (10k resources)" "$peaks"
printf '  %-48s %s\n' "  flat across runs" "$(echo "$peaks" | flat)"
rm -rf "$MESHSIM_HOME"

# scaling: cost of one probe at each size
echo "  cost of one probe by store size (whole process: median of $RUNS; in one process: __probe-loop)"
printf '    %-10s %14s %16s\n' resources "process (ms)" "in-process (ms)"
for size in $SIZES; do
    build_store "$size"
    t=$(median_of "$K" exec "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
    out=$("$M" __probe-loop 5 "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
    printf '    %-10s %14s %16s\n' "$size" "$(ms "$t")" "$(loop_field "$out" per_probe_ms)"
    echo "$size $t" >> "$WORK/scaling"
    rm -rf "$MESHSIM_HOME"
done
# linear growth: cost(last)/cost(first) close to size(last)/size(first)
awk 'NR == 1 { s0 = $1; t0 = $2 } { s1 = $1; t1 = $2 }
     END { if (NR > 1 && t0 > 0) { g = t1 / t0; r = s1 / s0
           printf "  %-48s x%.1f for x%.0f resources: %s\n", "growth of one probe", g, r,
                  (g < r / 4) ? "sub-linear (meets)" : "about linear (does NOT meet)" } }' "$WORK/scaling"
