#!/usr/bin/env bats
# istioctl proxy-config / proxy-status over the Egress Gateways task's
# cluster: the demo profile, sleep with its sidecar, the HTTP egress
# configuration (1.4 era columns, the default release).
load helpers

setup() {
    fresh_cluster
    F="$BATS_TEST_DIRNAME/../analyze"
    # (the setup is not under test: a leak in install must not hide these results)
    istioctl install --set profile=demo -y >/dev/null 2>&1
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    kubectl apply -f "$F/seed-http.yaml" >/dev/null
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    EGW=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items..metadata.name}').istio-system
}

@test "clusters: istioctl's columns and order; the task's subset clusters" {
    run istioctl proxy-config clusters "$SLEEP"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"SERVICE FQDN"\ +"PORT"\ +"SUBSET"\ +"DIRECTION"\ +"TYPE"$ ]]
    [[ "${lines[1]}" =~ ^"BlackHoleCluster"\ +"-"\ +"-"\ +"-"\ +"STATIC"$ ]]
    [[ "$output" =~ "edition.cnn.com"\ +"80"\ +"-"\ +"outbound"\ +"STRICT_DNS" ]]
    # subset "" sorts before "cnn", then ports
    run bash -c "istioctl pc clusters $SLEEP --fqdn istio-egressgateway | awk 'NR>1 {print \$2, \$3}'"
    [ "$output" = $'80 -\n443 -\n80 cnn\n443 cnn' ]
}

@test "clusters filters: --fqdn, --port, --subset, --direction" {
    run istioctl pc cluster "$SLEEP.default" --fqdn istio-egressgateway --subset cnn --port 443
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[1]}" =~ ^"istio-egressgateway.istio-system.svc.cluster.local"\ +"443"\ +"cnn"\ +"outbound"\ +"EDS"$ ]]
    run istioctl pc clusters "$SLEEP" --direction inbound
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[1]}" == *"inbound"* ]]
}

@test "clusters -o json is Envoy's cluster list, filtered, with the DestinationRule in the metadata" {
    run bash -c "istioctl pc clusters $SLEEP --fqdn istio-egressgateway --subset cnn --port 80 -o json"
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert [c["name"] for c in d]==["outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"], d
assert d[0]["type"]=="EDS"
assert d[0]["metadata"]["filterMetadata"]["istio"]["config"]=="/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/egressgateway-for-cnn"'
}

@test "the DestinationRule lookup path decides who gets the subset clusters" {
    kubectl create namespace test-egress >/dev/null
    kubectl label namespace test-egress istio-injection=enabled >/dev/null
    kubectl apply -n test-egress -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    local p
    p=$(kubectl get pod -n test-egress -l app=sleep -o jsonpath='{.items..metadata.name}')
    run istioctl pc clusters "$p.test-egress" --fqdn istio-egressgateway --subset cnn
    [ "${#lines[@]}" -eq 1 ]
    kubectl apply -n test-egress -f "$F/msh0003-fix.yaml" >/dev/null
    run istioctl pc clusters "$p.test-egress" --fqdn istio-egressgateway --subset cnn
    [ "${#lines[@]}" -eq 3 ]
}

@test "listeners: the sidecar's, and the egress gateway's from its Gateway" {
    run istioctl pc listeners "$SLEEP"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"ADDRESS"\ +"PORT"\ +"TYPE"$ ]]
    [[ "$output" =~ "0.0.0.0"\ +"80"\ +"HTTP" ]]
    [[ "$output" =~ "0.0.0.0"\ +"15001"\ +"TCP" ]]
    run istioctl pc listeners "$EGW"
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[1]}" == "0.0.0.0 "*" HTTP" ]]
    run bash -c "istioctl pc listeners $SLEEP --port 80 -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert [l["name"] for l in d]==["0.0.0.0_80"], d
rds=d[0]["filterChains"][0]["filters"][0]["typedConfig"]["rds"]["routeConfigName"]
assert rds=="80", rds'
}

@test "routes: route configurations with their virtual hosts; the VirtualService behind them" {
    run istioctl pc routes "$SLEEP"
    [ "${lines[0]}" = "NOTE: This output only contains routes loaded via RDS." ]
    [[ "${lines[1]}" =~ ^"NAME"\ +"VIRTUAL HOSTS"$ ]]
    [[ "$output" =~ (^|$'\n')"80"\ +[0-9]+ ]]
    run bash -c "istioctl pc routes $SLEEP --name 80 -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
vh=[v for v in d[0]["virtualHosts"] if v["name"]=="edition.cnn.com:80"][0]
cfg=vh["routes"][0]["metadata"]["filterMetadata"]["istio"]["config"]
assert cfg.endswith("/namespaces/default/virtual-service/direct-cnn-through-egress-gateway"), cfg'
    run bash -c "istioctl pc routes $EGW -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d[0]["name"].startswith("http."), d[0]["name"]
assert d[0]["virtualHosts"][0]["name"]=="edition.cnn.com:80"'
}

@test "endpoints: the gateway pod behind the egress gateway cluster" {
    local ip
    ip=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items..status.podIP}')
    run istioctl pc endpoints "$SLEEP" --cluster "outbound|80||istio-egressgateway.istio-system.svc.cluster.local"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"ENDPOINT"\ +"STATUS"\ +"OUTLIER CHECK"\ +"CLUSTER"$ ]]
    [[ "${lines[1]}" =~ ^"$ip:"[0-9]+\ +"HEALTHY"\ +"OK"\ +"outbound|80||istio-egressgateway.istio-system.svc.cluster.local"$ ]]
    [ "${#lines[@]}" -eq 2 ]
    run bash -c "istioctl pc ep $SLEEP --address $ip -o json"
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
names=[c["name"] for c in d["clusterStatuses"]]
assert "outbound|80||istio-egressgateway.istio-system.svc.cluster.local" in names, names'
}

@test "deploy/NAME picks the deployment's pod; bootstrap names the node" {
    local ip
    ip=$(kubectl get pod "$SLEEP" -o jsonpath='{.status.podIP}')
    run istioctl pc bootstrap deploy/sleep -o json
    [ "$status" -eq 0 ]
    [[ "$output" == *"\"id\": \"sidecar~$ip~$SLEEP.default~default.svc.cluster.local\""* ]]
}

@test "all prints clusters, listeners and routes with NAME columns" {
    run istioctl pc all "$SLEEP"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"NAME"\ +"SERVICE FQDN" ]]
    [[ "$output" == *"cluster/outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"* ]]
    [[ "$output" == *"listener/0.0.0.0_80"* ]]
    [[ "$output" == *"route/80"* ]]
}

@test "errors: unknown pod, pod without proxy, unknown subcommand" {
    run istioctl pc clusters nosuchpod
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: pods "nosuchpod" not found' ]
    local cd
    cd=$(kubectl get pod -n kube-system -l k8s-app=kube-dns -o jsonpath='{.items[0].metadata.name}')
    run istioctl pc clusters "$cd.kube-system"
    [ "$status" -eq 1 ]
    [[ "$output" == *"container istio-proxy is not valid for pod $cd"* ]]
    run istioctl pc nonsense "$SLEEP"
    [ "$status" -eq 64 ]
}

@test "proxy-status: every proxy, synced, with the control plane and version" {
    run istioctl proxy-status
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"NAME"\ +"CDS"\ +"LDS"\ +"EDS"\ +"RDS"\ +"PILOT"\ +"VERSION"$ ]]
    [[ "$output" =~ "$EGW"\ +"SYNCED"\ +"SYNCED"\ +"SYNCED"\ +"SYNCED"\ +"istiod-" ]]
    [[ "$output" =~ "$SLEEP.default"\ +"SYNCED"\ +"SYNCED"\ +"SYNCED"\ +"SYNCED"\ +"istiod-"[^\ ]+\ +"1.4.6" ]]
    # the egress gateway has no route configuration without its Gateway
    kubectl delete gateway istio-egressgateway >/dev/null
    run istioctl ps
    [[ "$output" =~ "$EGW"\ +"SYNCED"\ +"SYNCED"\ +"SYNCED"\ +"NOT SENT" ]]
}

@test "proxy-status without a control plane" {
    fresh_cluster
    run istioctl ps
    [ "$status" -eq 1 ]
    [ "$output" = "Error: unable to find any Istiod instances" ]
}

@test "secret: the workload certificate chain and the mesh root, as tables and as Envoy's secrets" {
    run istioctl pc secret "$SLEEP"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^"RESOURCE NAME"\ +"TYPE"\ +"STATUS"\ +"VALID CERT"\ +"SERIAL NUMBER"\ +"NOT AFTER"\ +"NOT BEFORE"$ ]]
    [[ "${lines[1]}" =~ ^"default"\ +"Cert Chain"\ +"ACTIVE"\ +"true"\ +[0-9]+\ +[0-9T:-]+Z\ +[0-9T:-]+Z$ ]]
    [[ "${lines[2]}" =~ ^"ROOTCA"\ +"CA"\ +"ACTIVE"\ +"true"\ +[0-9]+ ]]
    run bash -c "istioctl pc secret $SLEEP -o json | python3 -c 'import json,sys,base64; d=json.load(sys.stdin); sys.stdout.write(base64.b64decode(d[\"dynamicActiveSecrets\"][0][\"secret\"][\"tlsCertificate\"][\"certificateChain\"][\"inlineBytes\"]).decode())' | openssl x509 -noout -ext subjectAltName"
    [ "$status" -eq 0 ]
    [[ "$output" == *"URI:spiffe://cluster.local/ns/default/sa/sleep"* ]]
}

@test "all -o json is Envoy's config dump" {
    run bash -c "istioctl pc all $SLEEP -o json"
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
types=[c["@type"].rsplit(".",1)[1] for c in d["configs"]]
assert types==["ClustersConfigDump","ListenersConfigDump","RoutesConfigDump"], types
names=[c["cluster"]["name"] for c in d["configs"][0]["dynamicActiveClusters"]]
assert "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local" in names
assert any(l["activeState"]["listener"]["name"]=="0.0.0.0_80" for l in d["configs"][1]["dynamicListeners"])
assert any(r["routeConfig"]["name"]=="80" for r in d["configs"][2]["dynamicRouteConfigs"])'
}
