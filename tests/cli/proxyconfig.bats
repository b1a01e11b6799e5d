#!/usr/bin/env bats
# istioctl proxy-config / proxy-status over the Egress Gateways task's cluster
# (1.4 era columns, the default release).
load helpers

setup() {
    fresh_cluster
    F="$BATS_TEST_DIRNAME/../analyze"
    kubectl apply -f "$F/base.yaml" -f "$F/seed-http.yaml" -f "$F/pc-cluster.yaml" >/dev/null
}

SLEEP=sleep-776b7bcdcd-z7mc4
EGW=istio-egressgateway-7b6d8c9f5-x2k4p.istio-system

@test "clusters: istioctl's columns, sorted by FQDN, subset, port; the task's subset clusters" {
    run istioctl proxy-config clusters "$SLEEP"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "SERVICE FQDN                                           PORT     SUBSET     DIRECTION     TYPE" ]
    [ "${lines[1]}" = "BlackHoleCluster                                       -        -          -             STATIC" ]
    [[ "$output" == *"edition.cnn.com                                        80       -          outbound      STRICT_DNS"* ]]
    [[ "$output" == *"istio-egressgateway.istio-system.svc.cluster.local     80       cnn        outbound      EDS"* ]]
    [[ "$output" == *"sleep.default.svc.cluster.local                        80       http       inbound       STATIC"* ]]
}

@test "clusters filters: --fqdn, --port, --subset, --direction" {
    run istioctl pc cluster "$SLEEP.default" --fqdn istio-egressgateway --subset cnn --port 443
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [ "${lines[1]}" = "istio-egressgateway.istio-system.svc.cluster.local     443      cnn        outbound      EDS" ]
    run istioctl pc clusters "$SLEEP" --direction inbound
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[1]}" == "sleep.default.svc.cluster.local"*"inbound"* ]]
}

@test "clusters -o json is the Envoy cluster list, filtered" {
    run bash -c "istioctl pc clusters $SLEEP --fqdn edition.cnn.com --port 80 -o json"
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert [c["name"] for c in d]==["outbound|80||edition.cnn.com"], d
assert d[0]["type"]=="STRICT_DNS"'
}

@test "the DestinationRule on the lookup path decides the subset clusters" {
    # a client in another namespace does not see default's DestinationRule
    kubectl apply -f "$F/msh0003.yaml" >/dev/null
    run istioctl pc clusters sleep-776b7bcdcd-q9w8e.test-egress --fqdn istio-egressgateway
    [[ "$output" != *" cnn "* ]]
    kubectl apply -f "$F/msh0003-fix.yaml" >/dev/null
    run istioctl pc clusters sleep-776b7bcdcd-q9w8e.test-egress --fqdn istio-egressgateway
    [[ "$output" == *" cnn "* ]]
}

@test "listeners of the sidecar and of the egress gateway (its target port)" {
    run istioctl pc listeners "$SLEEP"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ADDRESS    PORT  TYPE" ]
    [[ "$output" == *"0.0.0.0    80    HTTP"* ]]
    [[ "$output" == *"0.0.0.0    15001 TCP"* ]]
    run istioctl pc listeners "$EGW"
    [ "${lines[1]}" = "0.0.0.0 8080 HTTP" ]
    run istioctl pc listeners "$SLEEP" --port 80 -o json
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
l=[x for x in d if x["name"]=="0.0.0.0_80"][0]
rds=l["filter_chains"][0]["filters"][0]["typed_config"]["rds"]["route_config_name"]
assert rds=="80", rds'
}

@test "routes: the sidecar sends edition.cnn.com to the gateway subset, the gateway to the host" {
    run istioctl pc routes "$SLEEP"
    [ "${lines[0]}" = "NOTE: This output only contains routes loaded via RDS." ]
    [ "${lines[1]}" = "NAME     VIRTUAL HOSTS" ]
    run bash -c "istioctl pc routes $SLEEP --name 80 -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
vh=[v for v in d[0]["virtual_hosts"] if v["name"]=="edition.cnn.com:80"][0]
r=vh["routes"][0]
assert r["route"]["cluster"]=="outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local", r
assert r["metadata"]["filter_metadata"]["istio"]["config"].endswith("/virtual-service/direct-cnn-through-egress-gateway")'
    run bash -c "istioctl pc routes $EGW -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d[0]["name"]=="http.8080", d[0]["name"]
assert d[0]["virtual_hosts"][0]["routes"][0]["route"]["cluster"]=="outbound|80||edition.cnn.com"'
}

@test "endpoints: pod addresses on target ports, filters" {
    run istioctl pc endpoints "$SLEEP" --cluster "outbound|80||istio-egressgateway.istio-system.svc.cluster.local"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ENDPOINT             STATUS      OUTLIER CHECK     CLUSTER" ]
    [ "${lines[1]}" = "10.244.0.11:8080     HEALTHY     OK                outbound|80||istio-egressgateway.istio-system.svc.cluster.local" ]
    [ "${#lines[@]}" -eq 2 ]
}

@test "deploy/NAME picks the deployment's pod; bootstrap names the node" {
    run istioctl pc bootstrap deploy/sleep -o json
    [ "$status" -eq 0 ]
    [[ "$output" == *'"id": "sidecar~10.244.0.12~sleep-776b7bcdcd-z7mc4.default~default.svc.cluster.local"'* ]]
}

@test "all prints clusters, listeners and routes with NAME columns" {
    run istioctl pc all "$SLEEP"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "NAME"*"SERVICE FQDN"* ]]
    [[ "$output" == *"cluster/outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"* ]]
    [[ "$output" == *"listener/0.0.0.0_80"* ]]
    [[ "$output" == *"route/80"* ]]
}

@test "errors: unknown pod, pod without proxy, unknown subcommand" {
    run istioctl pc clusters nosuchpod
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: pods "nosuchpod" not found' ]
    run istioctl pc clusters istio-pilot-5c4b6f6d8-abcde.istio-system
    [ "$status" -eq 1 ]
    [[ "$output" == *"container istio-proxy is not valid for pod istio-pilot-5c4b6f6d8-abcde"* ]]
    run istioctl pc nonsense "$SLEEP"
    [ "$status" -eq 64 ]
}

@test "proxy-status: every proxy, synced, with the control plane and version" {
    run istioctl proxy-status
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "NAME                                                 CDS        LDS        EDS        RDS        PILOT                           VERSION" ]
    [ "${lines[1]}" = "istio-egressgateway-7b6d8c9f5-x2k4p.istio-system     SYNCED     SYNCED     SYNCED     SYNCED     istio-pilot-5c4b6f6d8-abcde     1.4.6" ]
    [ "${lines[2]}" = "sleep-776b7bcdcd-z7mc4.default                       SYNCED     SYNCED     SYNCED     SYNCED     istio-pilot-5c4b6f6d8-abcde     1.4.6" ]
    # a gateway without any Gateway resource gets no routes
    kubectl delete gateway istio-egressgateway >/dev/null
    run istioctl ps
    [[ "${lines[1]}" == *"SYNCED     NOT SENT"* ]]
}

@test "proxy-status without a control plane" {
    kubectl delete pod istio-pilot-5c4b6f6d8-abcde -n istio-system >/dev/null
    run istioctl ps
    [ "$status" -eq 1 ]
    [ "$output" = "Error: unable to find any Istiod instances" ]
}
