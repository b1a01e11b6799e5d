#!/bin/sh
# Cluster model figures (issue "Cluster model"): `istioctl install --set
# profile=demo -y` into a new store; `kubectl apply` of 1 000 Deployments of
# 3 replicas into the default namespace (labelled for injection, so 3 000
# pods with sidecars); `kubectl get pods -A` on that store.  Target: each
# under 100 ms.  Reference in the same run: the real kubectl reading the same
# manifest offline (`kubectl label --local -f ... -o name`, no cluster).
# Peak memory (ru_maxrss via /usr/bin/time -v) of `get pods -A` run 5 times:
# it must stay flat.  Knobs: RUNS (get, default 5), APPLY_RUNS (install +
# apply on a new store each time, default 3), DEPLOYMENTS (default 1000).
set -u
. "$(dirname "$0")/lib/common.sh"
APPLY_RUNS=${APPLY_RUNS:-3}
DEPLOYMENTS=${DEPLOYMENTS:-1000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
K=$BIN/kubectl
export MESHSIM_HOME="$WORK/home"
MANIFEST=$WORK/deployments.yaml
awk -v n="$DEPLOYMENTS" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  namespace: default\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-%d\n  template:\n    metadata:\n      labels:\n        app: app-%d\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        ports:\n        - containerPort: 80\n---\n", i, i, i
}' > "$MANIFEST"

echo "cluster bench: demo install, $DEPLOYMENTS Deployments x 3 replicas (injected), get pods -A"
: > "$WORK/install"; : > "$WORK/apply"
i=0
while [ $i -lt "$APPLY_RUNS" ]; do
    rm -rf "$MESHSIM_HOME"
    elapsed "$BIN/istioctl" install --set profile=demo -y >> "$WORK/install"
    "$K" label namespace default istio-injection=enabled >/dev/null
    elapsed "$K" apply -f "$MANIFEST" >> "$WORK/apply"
    i=$((i + 1))
done
pods=$("$K" get pods -A --no-headers 2>/dev/null | wc -l)
running=$("$K" get pods -n default --no-headers 2>/dev/null | grep -c ' 2/2 *Running ')
t=$(median < "$WORK/install")
printf '  %-44s %9s ms   target < 100 ms: %s   (median of %d)\n' "istioctl install --set profile=demo -y" "$(ms "$t")" "$(meets "$t" 0.1)" "$APPLY_RUNS"
t=$(median < "$WORK/apply")
printf '  %-44s %9s ms   target < 100 ms: %s   (median of %d)\n' "kubectl apply ($DEPLOYMENTS Deployments)" "$(ms "$t")" "$(meets "$t" 0.1)" "$APPLY_RUNS"
echo "    store then holds $pods pods, $running of them in default 2/2 Running"
t=$(median_of "$K" get pods -A)
printf '  %-44s %9s ms   target < 100 ms: %s   (median of %d)\n' "kubectl get pods -A" "$(ms "$t")" "$(meets "$t" 0.1)" "$RUNS"
peaks=""
for i in 1 2 3 4 5; do peaks="$peaks $(peak_kib "$K" get pods -A)"; done
printf '  %-44s%s KiB\n' "peak memory, get pods -A x5" "$peaks"
echo "    flat across runs: $(echo "$peaks" | flat)"
printf '  %-44s %s KiB\n' "peak memory, kubectl apply (unchanged)" "$(peak_kib "$K" apply -f "$MANIFEST")"
REAL=$(command -v kubectl || true)
if [ -n "$REAL" ] && [ "$(cd "$(dirname "$REAL")" && pwd)" != "$(cd "$BIN" && pwd)" ]; then
    t=$(median_of "$REAL" label --local -f "$MANIFEST" bench=1 -o name)
    printf '  %-44s %9s ms   (reference: parse only, no cluster)\n' "real kubectl label --local -f (same file)" "$(ms "$t")"
fi
