#!/usr/bin/env bats
# istioctl x describe pod|service: how the task's configuration applies to a pod.
load helpers

setup() {
    fresh_cluster
    F="$BATS_TEST_DIRNAME/../analyze"
    # (the setup is not under test: a leak in install must not hide these results)
    istioctl install --set profile=demo -y >/dev/null 2>&1
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
}

@test "a meshed pod: ports, its service, no Istio configuration yet" {
    run istioctl x describe pod "$SLEEP"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Pod: $SLEEP" ]
    [ "${lines[1]}" = "   Pod Ports: 15090 (istio-proxy)" ]
    [ "${lines[2]}" = "--------------------" ]
    [ "${lines[3]}" = "Service: sleep" ]
    [ "${lines[4]}" = "   Port: http 80/HTTP" ]
    [ "${#lines[@]}" -eq 5 ]
}

@test "subsets the pod matches, the TLS mode, and the weighted route to it" {
    kubectl apply -f "$F/describe-sleep.yaml" >/dev/null
    run istioctl x describe pod "$SLEEP"
    [ "${lines[5]}" = 'DestinationRule: sleep for "sleep"' ]
    [ "${lines[6]}" = "   Matching subsets: v1" ]
    [ "${lines[7]}" = "      (Non-matching subsets v2)" ]
    [ "${lines[8]}" = "   Traffic Policy TLS Mode: ISTIO_MUTUAL" ]
    [ "${lines[9]}" = "VirtualService: sleep" ]
    [ "${lines[10]}" = "   Weight 90%" ]
}

@test "a pod no subset selects, and routes without a DestinationRule" {
    sed 's/app: sleep/app: other/' "$F/describe-sleep.yaml" | kubectl apply -f - >/dev/null
    run istioctl x describe pod "$SLEEP"
    [[ "$output" == *"   WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets v1,v2)"* ]]
    [[ "$output" == *"   WARNING: No destinations match pod subsets (checked 1 HTTP routes)"* ]]
    [[ "$output" == *"      Route to non-matching subset v1 for (everything)"* ]]
    kubectl delete destinationrule sleep >/dev/null
    run istioctl x describe pod "$SLEEP"
    [[ "$output" == *"      Warning: Route to subset v1 but NO DESTINATION RULE defining subsets!"* ]]
}

@test "the task's lookup-path caveat: a client namespace without the DestinationRule" {
    kubectl apply -f "$F/describe-sleep.yaml" >/dev/null
    kubectl create namespace test-egress >/dev/null
    kubectl label namespace test-egress istio-injection=enabled >/dev/null
    kubectl apply -n test-egress -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    local p
    p=$(kubectl get pod -n test-egress -l app=sleep -o jsonpath='{.items..metadata.name}')
    run istioctl x describe pod "$p" -n test-egress
    [ "${lines[0]}" = "Pod: $p" ]
    [[ "$output" != *"DestinationRule:"* ]]
    run istioctl x describe pod "$p.test-egress"
    [ "${lines[0]}" = "Pod: $p.test-egress" ]
}

@test "a pod outside the mesh" {
    local cd
    cd=$(kubectl get pod -n kube-system -l k8s-app=kube-dns -o jsonpath='{.items[0].metadata.name}')
    run istioctl x describe pod "$cd" -n kube-system
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "WARNING: $cd is not part of mesh; no Istio sidecar" ]
}

@test "describe service: as its meshed pods see it; a service without Istio pods" {
    kubectl apply -f "$F/describe-sleep.yaml" >/dev/null
    run istioctl x describe svc sleep
    [ "${lines[0]}" = "--------------------" ]
    [ "${lines[1]}" = "Service: sleep" ]
    [[ "$output" == *"   Matching subsets: v1"* ]]
    run istioctl x describe service kube-dns.kube-system
    [[ "$output" == *'Service "kube-dns" has no Istio pods.  ('*' pods in service).'* ]]
}

@test "errors: unknown pod, missing arguments" {
    run istioctl x describe pod nosuch
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: pods "nosuch" not found' ]
    run istioctl x describe pod
    [ "$status" -eq 64 ]
    run istioctl x describe deployment sleep
    [ "$status" -eq 64 ]
}
