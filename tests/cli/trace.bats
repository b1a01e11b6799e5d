#!/usr/bin/env bats
# meshsim trace and MESHSIM_TRACE: the hop-by-hop account of a probe.
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

pod() { kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}'; }

@test "trace shows both hops of the seed's HTTP route, with VirtualService rules and clusters" {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    run meshsim trace "$(pod)" -c sleep -- curl -sS -o /dev/null -w '%{http_code}\n' http://edition.cnn.com/politics
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "301" ]
    [[ "$output" == *"virtual_service   default/direct-cnn-through-egress-gateway (rule 0)"* ]]
    [[ "$output" == *"cluster           outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"* ]]
    [[ "$output" == *"virtual_service   default/direct-cnn-through-egress-gateway (rule 1)"* ]]
    [[ "$output" == *"cluster           outbound|80||edition.cnn.com"* ]]
    [[ "$output" == *"end: outside host edition.cnn.com at 151.101."* ]]
}

@test "trace -o json gives records with hops" {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    run bash -c "meshsim trace -o json '$(pod)' -c sleep -- curl -s -o /dev/null http://edition.cnn.com/ | python3 -c 'import json,sys; r=json.load(sys.stdin); req=[x for x in r if x[\"step\"]==\"request\"][0]; print(len(req[\"hops\"]), req[\"hops\"][1][\"cluster\"])'"
    [ "$status" -eq 0 ]
    [ "$output" = "2 outbound|80||edition.cnn.com" ]
}

@test "MESHSIM_TRACE=1 kubectl exec prints the trace on stderr after the output" {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    run bash -c "MESHSIM_TRACE=1 kubectl exec '$(pod)' -c sleep -- curl -s -o /dev/null -w '%{http_code}' http://edition.cnn.com/ 2>/dev/null"
    [ "$output" = "301" ]
    run bash -c "MESHSIM_TRACE=1 kubectl exec '$(pod)' -c sleep -- curl -s -o /dev/null http://edition.cnn.com/ 2>&1 >/dev/null"
    [[ "$output" == *"lookup edition.cnn.com: answered"* ]]
}

@test "a failure says why: a DestinationRule missing from the client's lookup path gives 503 NC" {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    kubectl create namespace other >/dev/null
    kubectl label namespace other istio-injection=enabled >/dev/null
    kubectl apply -n other -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    p=$(kubectl get pod -n other -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    run meshsim trace "$p" -n other -c sleep -- curl -s -o /dev/null -w '%{http_code}\n' http://edition.cnn.com/politics
    [ "${lines[0]}" = "503" ]
    [[ "$output" == *"action            fail 503 NC cluster_not_found"* ]]
}

@test "trace without a command is a usage error" {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    run meshsim trace "$(pod)"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Usage:"* ]]
}

# Two VirtualServices for one host: Istio uses the oldest, and among those
# created in the same second the first by name.namespace (not by namespace).
vs() {   # vs NAMESPACE NAME
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  hosts:\n  - edition.cnn.com\n  http:\n  - route:\n    - destination:\n        host: edition.cnn.com\n        port:\n          number: 80\n---\n' "$2" "$1"
}

@test "of two VirtualServices for a host the oldest routes; in one second, the first by name.namespace" {
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/home"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl create namespace a-team >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" -f "$ROOT/samples/egress-gateway/serviceentry-cnn.yaml" >/dev/null
    # one second: zz in a-team sorts first by namespace/name, aa.default by name.namespace
    { vs a-team zz; vs default aa; } | kubectl apply -f - >/dev/null
    # (should the command have crossed a second, zz is the older)
    want=default/aa
    [ "$(kubectl get vs zz -n a-team -o jsonpath='{.metadata.creationTimestamp}')" = \
      "$(kubectl get vs aa -o jsonpath='{.metadata.creationTimestamp}')" ] || want=a-team/zz
    run meshsim trace "$(pod)" -c sleep -- curl -s -o /dev/null http://edition.cnn.com/
    [[ "$output" == *"virtual_service   $want (rule 0)"* ]]
    # an older one wins over both, whatever its name
    kubectl delete virtualservice aa zz -n default --ignore-not-found >/dev/null
    kubectl delete virtualservice zz -n a-team >/dev/null
    vs default zzz-old | kubectl apply -f - >/dev/null
    sleep 1.1
    vs default aaa-new | kubectl apply -f - >/dev/null
    run meshsim trace "$(pod)" -c sleep -- curl -s -o /dev/null http://edition.cnn.com/
    [[ "$output" == *"virtual_service   default/zzz-old (rule 0)"* ]]
    [[ "$output" != *"aaa-new"* ]]
}
