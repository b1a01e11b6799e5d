#!/usr/bin/env bats
# istio-init's capture settings decide which connections the sidecar sees:
# traffic.sidecar.istio.io annotations and values.global.proxy ranges/ports.
# The mesh is REGISTRY_ONLY with no ServiceEntry, so a captured request to
# edition.cnn.com gets the sidecar's 502 (BlackHoleCluster) while one that
# bypasses the sidecar reaches the outside host (its 301 to https).
load helpers

setup() {
    fresh_cluster
    istioctl install --set profile=demo --set meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
}

# sleep_with 'annotation: value' ...: the sleep sample with pod annotations
sleep_with() {
    local ann=""
    for a in "$@"; do ann="$ann        $a"$'\n'; done
    awk -v ann="$ann" '{ print } /^  template:$/ { t = 1 } t && /^    metadata:$/ { printf "      annotations:\n%s", ann; t = 0 }' \
        "$ROOT/samples/sleep/sleep.yaml" | kubectl apply -f - >/dev/null
}

code() { kubectl exec deploy/sleep -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://edition.cnn.com/politics; }

@test "capture: by default every outbound connection goes through the sidecar" {
    sleep_with 'example.com/note: plain'
    run code
    [ "$status" -eq 0 ]
    [ "$output" = 502 ]
}

@test "capture: excludeOutboundIPRanges lets the range out directly; istio-init's args and the trace say so" {
    sleep_with 'traffic.sidecar.istio.io/excludeOutboundIPRanges: "151.101.0.0/16"'
    pod=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    run kubectl get pod "$pod" -o jsonpath='{.spec.initContainers[0].args}'
    [[ "$output" == *'"-x","151.101.0.0/16"'* ]]
    run code
    [ "$output" = 301 ]
    run meshsim trace "$pod" -c sleep -- curl -sS -o /dev/null http://edition.cnn.com/politics
    [[ "$output" == *"capture: istio-init: 151.101."*" is inside excludeOutboundIPRanges 151.101.0.0/16"* ]]
    # the sidecar saw nothing of it
    run kubectl logs "$pod" -c istio-proxy
    [[ "$output" != *edition.cnn.com* ]]
}

@test "capture: includeOutboundIPRanges limited to the service range leaves outside addresses alone" {
    sleep_with 'traffic.sidecar.istio.io/includeOutboundIPRanges: "10.96.0.0/12"'
    run code
    [ "$output" = 301 ]
}

@test "capture: excludeOutboundPorts bypasses the sidecar for that port only" {
    sleep_with 'traffic.sidecar.istio.io/excludeOutboundPorts: "80"'
    run code
    [ "$output" = 301 ]
    # 443 is still captured: the sidecar has no route for it in REGISTRY_ONLY (connection reset)
    run kubectl exec deploy/sleep -c sleep -- curl -sS -o /dev/null -w '%{http_code}' https://edition.cnn.com/politics
    [ "$status" -ne 0 ]
}

@test "capture: values.global.proxy.includeIPRanges from the install applies to new pods" {
    istioctl install --set profile=demo --set meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY \
        --set values.global.proxy.includeIPRanges=10.96.0.0/12 -y >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    run code
    [ "$output" = 301 ]
}
