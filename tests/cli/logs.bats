#!/usr/bin/env bats
# kubectl logs: by pod, by workload, by selector; tail, prefix, timestamps; errors.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$BATS_TEST_DIRNAME/../../samples/sleep/sleep.yaml" >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    POD=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    GW=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items..metadata.name}')
}

@test "a gateway's only container is the default: -l works without -c" {
    run kubectl logs -l istio=egressgateway -n istio-system
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'\t'info$'\t'Version\ 1\.4\.6$ ]]
    [[ "$output" == *"type=router id=$GW.istio-system"* ]]
    run kubectl logs -l istio=egressgateway -c istio-proxy -n istio-system
    [[ "$output" == *"Envoy proxy is ready"* ]]
}

@test "by pod name, by deploy/NAME, and the sidecar's log" {
    run kubectl logs "$GW" -n istio-system
    [ "${#lines[@]}" -eq 5 ]
    run kubectl logs deploy/istio-egressgateway -n istio-system --tail 1
    [[ "$output" == *"Envoy proxy is ready" ]]
    run kubectl logs "$POD" -c istio-proxy
    [[ "$output" == *"type=sidecar id=$POD.default"* ]]
    run kubectl logs "$POD" istio-proxy --tail=2
    [ "${#lines[@]}" -eq 2 ]
}

@test "the app container of the sleep sample has an empty log; the default container is the first" {
    run bash -c "kubectl logs $POD 2>/dev/null"
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
    run bash -c "kubectl logs $POD 2>&1 >/dev/null"
    [ "$output" = 'Defaulted container "sleep" out of: sleep, istio-proxy, istio-init (init)' ]
}

@test "--prefix, --timestamps and --all-containers" {
    run kubectl logs "$GW" -n istio-system --prefix --tail 1
    [ "$output" = "[pod/$GW/istio-proxy] $(kubectl logs "$GW" -n istio-system --tail 1)" ]
    run kubectl logs "$GW" -n istio-system --timestamps --tail 1
    [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\  ]]
    run kubectl logs "$POD" --all-containers
    [[ "$output" == *"Envoy proxy is ready"* ]]
    run kubectl logs "$GW" -n istio-system -f --since=1h
    [ "${#lines[@]}" -eq 5 ]
}

@test "errors: missing pod, missing container, bad arguments" {
    run kubectl logs nosuch
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): pods "nosuch" not found' ]
    run kubectl logs "$POD" -c nosuch
    [ "$status" -eq 1 ]
    [ "$output" = "error: container nosuch is not valid for pod $POD" ]
    run kubectl logs
    [ "$status" -eq 1 ]
    run kubectl logs -l app=nosuch
    [ "$output" = "No resources found in default namespace." ]
    run kubectl logs "$POD" --since=yesterday
    [ "$status" -eq 1 ]
}
