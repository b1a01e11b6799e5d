#!/usr/bin/env bats
# Probes in a store with many resources: a probe loads only the ServiceEntries
# and VirtualServices its hosts involve (the store's key table), and a process
# that runs many probes keeps its network model while the objects stay the
# same.  Either way the decisions are those made from every object.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    kubectl apply -f "$ROOT/samples/egress-gateway/serviceentry-cnn.yaml" \
        -f "$ROOT/samples/egress-gateway/gateway-http.yaml" \
        -f "$ROOT/samples/egress-gateway/virtualservice-http.yaml" >/dev/null
}

setup() { export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"; }

pod() { kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}'; }

# the routing lines of a trace (no times, no ephemeral ports)
routing() {
    meshsim trace "$(pod)" -c sleep -- curl -sS -o /dev/null -w '%{http_code}\n' "$@" |
        grep -E '^[0-9]{3}$|virtual_service|cluster |listener|route |vhost|endpoint|end:' | sed -E 's/:[0-9]{5}\b/:PORT/g'
}

# n ServiceEntries + n VirtualServices for hosts nobody calls, across namespaces
fillers() {
    awk -v n="$1" 'BEGIN {
        for (k = 0; k < 5; k++) printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fill%d\n---\n", k
        for (i = 0; i < n; i++) {
            printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se-%d\n  namespace: fill%d\nspec:\n  hosts:\n  - ext-%d.example.com\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n  resolution: DNS\n---\n", i, i % 5, i
            printf "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: vs-%d\n  namespace: fill%d\nspec:\n  hosts:\n  - ext-%d.example.com\n  http:\n  - timeout: 5s\n    route:\n    - destination:\n        host: ext-%d.example.com\n---\n", i, i % 5, i, i
        }
    }'
}

@test "1 000 unrelated ServiceEntries and VirtualServices change nothing in the seed's route" {
    before=$(routing http://edition.cnn.com/politics)
    [[ "$before" == 301* ]]
    [[ "$before" == *"default/direct-cnn-through-egress-gateway (rule 1)"* ]]
    fillers 500 | kubectl apply -f - >/dev/null
    [ "$(kubectl get se -A --no-headers | wc -l)" -ge 501 ]
    after=$(routing http://edition.cnn.com/politics)
    [ "$after" = "$before" ]
    # a filler host is routed by its own VirtualService (found by host among the many)
    run bash -c "meshsim trace '$(pod)' -c sleep -- curl -sS -o /dev/null --resolve ext-321.example.com:80:1.2.3.4 http://ext-321.example.com/ 2>&1"
    [[ "$output" == *"fill1/vs-321"* ]]
    [[ "$output" == *"outbound|80||ext-321.example.com"* ]]
}

@test "a VirtualService among many that shares a host with an earlier one: the store's order decides" {
    kubectl apply -f - >/dev/null <<'EOF'
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: zz-later
  namespace: default
spec:
  hosts:
  - httpbin.org
  http:
  - fault:
      abort:
        httpStatus: 418
        percentage:
          value: 100
    route:
    - destination:
        host: httpbin.org
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: aa-first
  namespace: default
spec:
  hosts:
  - httpbin.org
  http:
  - fault:
      abort:
        httpStatus: 403
        percentage:
          value: 100
    route:
    - destination:
        host: httpbin.org
EOF
    # what the proxy's configuration says and what the probe does agree
    run kubectl exec "$(pod)" -c sleep -- curl -s -o /dev/null -w '%{http_code}' http://httpbin.org/get
    [ "$output" = 403 ]
    kubectl delete virtualservice -n default aa-first zz-later >/dev/null
    run kubectl exec "$(pod)" -c sleep -- curl -s -o /dev/null -w '%{http_code}' http://httpbin.org/get
    [ "$output" = 200 ]
}

@test "in one shell session a configuration change between two probes is seen by the second" {
    run meshsim shell -c 'export P=$(kubectl get pod -l app=sleep -o jsonpath={.items..metadata.name})
kubectl exec "$P" -c sleep -- curl -s -o /dev/null -w "%{http_code}\n" http://edition.cnn.com/politics
kubectl apply -f - >/dev/null <<EOF
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-cnn-through-egress-gateway
spec:
  hosts:
  - edition.cnn.com
  http:
  - fault:
      abort:
        httpStatus: 418
        percentage:
          value: 100
    route:
    - destination:
        host: edition.cnn.com
EOF
kubectl exec "$P" -c sleep -- curl -s -o /dev/null -w "%{http_code}\n" http://edition.cnn.com/politics
kubectl delete virtualservice direct-cnn-through-egress-gateway >/dev/null
kubectl exec "$P" -c sleep -- curl -s -o /dev/null -w "%{http_code}\n" http://edition.cnn.com/politics
kubectl apply -f '"$ROOT"'/samples/egress-gateway/virtualservice-http.yaml >/dev/null
kubectl exec "$P" -c sleep -- curl -s -o /dev/null -w "%{http_code}\n" http://edition.cnn.com/politics'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 301 ]
    [ "${lines[1]}" = 418 ]
    [ "${lines[2]}" = 301 ]
    [ "${lines[3]}" = 301 ]
    # the last probe went through the egress gateway again, as the first did
    run bash -c "kubectl logs -l istio=egressgateway -c istio-proxy -n istio-system | grep -c 'GET /politics'"
    [ "$output" -ge 2 ]
}

@test "__probe-loop runs whole probes: every one is logged by the egress gateway" {
    gw=$(kubectl get pod -n istio-system -l istio=egressgateway -o jsonpath='{.items[0].metadata.name}')
    n0=$(kubectl logs -n istio-system "$gw" -c istio-proxy | grep -c 'GET /politics' || true)
    run meshsim __probe-loop 7 "$(pod)" -c sleep -- curl -sS -o /dev/null http://edition.cnn.com/politics
    [ "$status" -eq 0 ]
    [[ "$output" == *"failed: 0"* ]]
    n1=$(kubectl logs -n istio-system "$gw" -c istio-proxy | grep -c 'GET /politics')
    [ $((n1 - n0)) -eq 7 ]
}
