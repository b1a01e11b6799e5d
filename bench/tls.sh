#!/bin/sh
# TLS figures (issue "TLS"): the Egress Gateways task's TLS passthrough
# configuration (ServiceEntry edition.cnn.com:443 TLS, Gateway PASSTHROUGH,
# DestinationRule, VirtualService with sniHosts routes) on the demo install;
# the probe, sidecar -> egress gateway (passthrough) -> edition.cnn.com, each
# with a full TLS handshake by the pod's curl:
#   kubectl exec $SOURCE_POD -c sleep -- curl -sS -o /dev/null https://edition.cnn.com/politics
# 1 000 of them in one process (meshsim __probe-loop), and the share of CPU
# time spent inside OpenSSL (libssl + libcrypto), measured with `perf record`
# over a probe loop and `perf report --sort dso` (self time per shared object,
# so malloc called by OpenSSL counts for libc).  Reference in the same run:
# the real curl making the same number of full handshakes (--no-sessionid) to
# a real `openssl s_server` on loopback.
# Knobs: LOOP_N (default 1000), LOOP_BUDGET_S (default 20: fewer probes when
# 1 000 would take longer; the 1 000-probe time is then extrapolated and says
# so), PERF_N (probes under perf, default 100).
set -u
. "$(dirname "$0")/lib/common.sh"
LOOP_N=${LOOP_N:-1000}
LOOP_BUDGET_S=${LOOP_BUDGET_S:-20}
PERF_N=${PERF_N:-100}
WORK=$(mktemp -d)
PEER_PID=
cleanup() { [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
K=$BIN/kubectl
M=$BIN/meshsim
URL=https://edition.cnn.com/politics
export MESHSIM_HOME="$WORK/home"
"$BIN/istioctl" install --set profile=demo -y >/dev/null 2>&1 &&
"$K" label namespace default istio-injection=enabled >/dev/null &&
"$K" apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null &&
"$K" apply -f "$ROOT/bench/lib/se-tls.yaml" -f "$ROOT/bench/lib/egress-tls.yaml" >/dev/null || {
    echo "tls bench: cannot build the store" >&2; exit 1; }
POD=$("$K" get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
got=$("$K" exec "$POD" -c sleep -- curl -sS -o /dev/null -w '%{http_code}' "$URL" 2>&1)
[ "$got" = 200 ] || { echo "tls bench: the probe answered '$got', not 200" >&2; exit 1; }
"$K" logs -l istio=egressgateway -n istio-system 2>/dev/null | grep -q 'outbound|443||edition.cnn.com' ||
    { echo "tls bench: the egress gateway did not log the passthrough connection" >&2; exit 1; }

loop_field() { printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }

echo "tls bench: curl $URL, sidecar -> egress gateway (TLS passthrough), full handshake each"
est=$("$M" __probe-loop 5 "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
per=$(loop_field "$est" per_probe_ms)
n=$(awk -v p="$per" -v b="$LOOP_BUDGET_S" -v n="$LOOP_N" 'BEGIN { k = int(b * 1000 / (p > 0 ? p : 1)); print (k < n ? (k < 5 ? 5 : k) : n) }')
out=$("$M" __probe-loop "$n" "$POD" -c sleep -- curl -sS -o /dev/null "$URL")
total=$(loop_field "$out" total_s)
if [ "$n" -eq "$LOOP_N" ]; then
    x=$total
    printf '  %-46s %9s ms   (%s ms per probe)\n' "$LOOP_N HTTPS probes in one process" "$(ms "$x")" "$(loop_field "$out" per_probe_ms)"
else
    x=$(awk -v t="$total" -v n="$n" -v N="$LOOP_N" 'BEGIN { printf "%.6f", t * N / n }')
    printf '  %-46s %9s ms   (extrapolated from %d probes in %s ms; %s ms per probe)\n' "$LOOP_N HTTPS probes in one process" \
        "$(ms "$x")" "$n" "$(ms "$total")" "$(loop_field "$out" per_probe_ms)"
fi
[ "$(loop_field "$out" failed)" = 0 ] || echo "  WARNING: $(loop_field "$out" failed) probes failed"
printf '  %-46s %9s / %s KiB (after first / last probe)\n' "peak memory of that process" \
    "$(loop_field "$out" peak_rss_kib_after_first)" "$(loop_field "$out" peak_rss_kib_after_last)"

# share of time in OpenSSL
if command -v perf >/dev/null 2>&1 &&
   perf record -q -o "$WORK/perf.data" -- "$M" __probe-loop "$PERF_N" "$POD" -c sleep -- curl -sS -o /dev/null "$URL" >/dev/null 2>&1; then
    perf report -i "$WORK/perf.data" --sort dso --stdio 2>/dev/null | awk -v pn="$PERF_N" '
        /^#/ || NF < 2 { next }
        { p = $1; sub("%", "", p); d = $2 }
        d ~ /^libssl/ { ssl += p } d ~ /^libcrypto/ { crypto += p }
        { all += p; if (NR < 400) top = top sprintf("%s %s%%, ", d, p) }
        END { printf "  %-46s %8.1f %%   (libssl %.1f %%, libcrypto %.1f %%; perf record + perf report --sort dso, self time, %s probes)\n",
                     "share of CPU time in OpenSSL", ssl + crypto, ssl, crypto, pn }'
    perf report -i "$WORK/perf.data" --sort dso --stdio 2>/dev/null | awk '!/^#/ && NF >= 2 { printf "    %-8s %s\n", $1, $2; if (++n == 6) exit }'
else
    echo "  share of CPU time in OpenSSL: n/a (perf is not available or not permitted here)"
fi

# reference: the real curl, the same number of full handshakes to a real openssl s_server on loopback
if command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/k.pem" -out "$WORK/c.pem" \
        -subj /CN=localhost -days 2 >/dev/null 2>&1
    port=$((20000 + $$ % 20000))
    openssl s_server -accept "127.0.0.1:$port" -cert "$WORK/c.pem" -key "$WORK/k.pem" -www -quiet >/dev/null 2>&1 &
    PEER_PID=$!
    sleep 0.3
    t=$(elapsed curl -sk --no-sessionid -o /dev/null "https://127.0.0.1:$port/[1-$LOOP_N]")
    conns=$(curl -sk --no-sessionid -o /dev/null -w '%{num_connects}\n' "https://127.0.0.1:$port/[1-10]" | awk '{ s += $1 } END { print s + 0 }')
    printf '  %-46s %9s ms   (reference; %s connections for 10 URLs)\n' "real curl: $LOOP_N full handshakes, s_server" "$(ms "$t")" "$conns"
    kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; PEER_PID=
fi
