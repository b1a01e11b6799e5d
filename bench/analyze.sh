#!/bin/sh
# bench/analyze.sh: time `istioctl analyze` over 10 000 resources (target < 0.5 s).
# The resources are groups of the Egress Gateways task's shapes: a Service and
# its pod (with sidecar), a DestinationRule with a subset, a VirtualService
# routing to it, and a ServiceEntry for an external host.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MESHSIM_BIN:-$ROOT/build/bin}
N=${N:-10000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

awk -v n="$N" 'BEGIN {
    print "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    istio-injection: enabled"
    for (i = 0; i < (n - 1) / 5; i++) {
        printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%d\n  namespace: default\nspec:\n  selector:\n    app: app-%d\n  ports:\n  - name: http\n    port: 80\n", i, i
        printf "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app-%d-0\n  namespace: default\n  labels:\n    app: app-%d\n    version: v1\nspec:\n  containers:\n  - name: app\n    image: app\n  - name: istio-proxy\n    image: proxyv2\n", i, i
        printf "---\napiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: dr-%d\n  namespace: default\nspec:\n  host: svc-%d\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n", i, i
        printf "---\napiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: vs-%d\n  namespace: default\nspec:\n  hosts:\n  - svc-%d\n  http:\n  - route:\n    - destination:\n        host: svc-%d\n        subset: v1\n        port:\n          number: 80\n", i, i, i
        printf "---\napiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se-%d\n  namespace: default\nspec:\n  hosts:\n  - ext-%d.example.com\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n  resolution: DNS\n", i, i
    }
}' > "$TMP/mesh.yaml"

count=$(grep -c '^kind:' "$TMP/mesh.yaml")
start=$(date +%s.%N)
"$BIN/istioctl" analyze --use-kube=false -A "$TMP/mesh.yaml" > "$TMP/out" 2>&1 || true
end=$(date +%s.%N)
echo "$end $start $count" | awk '{ printf "analyze: %d resources in %.3f s (target < 0.5 s)\n", $3, $1 - $2 }'
