#!/usr/bin/env bats
# istioctl install / uninstall / profile / manifest / version / verify-install.
load helpers

setup() { fresh_cluster; }

@test "install --set profile=demo -y prints the progress lines of the 1.4 era" {
    run istioctl install --set profile=demo -y
    [ "$status" -eq 0 ]
    [ "$output" = "✔ Istio core installed
✔ Istiod installed
✔ Ingress gateways installed
✔ Egress gateways installed
✔ Installation complete" ]
}

@test "demo installs istiod, both gateways, their pods and the mesh config with access logs" {
    istioctl install --set profile=demo -y
    run kubectl get deploy -n istio-system -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "istio-egressgateway istio-ingressgateway istiod" ]
    run kubectl -n istio-system rollout status deployment istiod --timeout 5m
    [ "$status" -eq 0 ]
    [ "$output" = 'deployment "istiod" successfully rolled out' ]
    run kubectl get pod -l istio=egressgateway -n istio-system
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" =~ ^istio-egressgateway-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}\ +1/1\ +Running\ +0\ + ]]
    run kubectl get cm istio -n istio-system -o jsonpath='{.data.mesh}'
    [[ "$output" == *"accessLogFile: /dev/stdout"* ]]
    [[ "$output" == *"rootNamespace: istio-system"* ]]
    run kubectl get cm istio-sidecar-injector -n istio-system -o name
    [ "$output" = "configmap/istio-sidecar-injector" ]
}

@test "the egress gateway Service, pod and service account are shaped like Istio's chart" {
    istioctl install --set profile=demo -y
    run kubectl get svc istio-egressgateway -n istio-system -o jsonpath='{.spec.type} {range .spec.ports[*]}{.name}:{.port}->{.targetPort} {end}'
    [ "$output" = "ClusterIP http2:80->80 https:443->443 " ]
    run kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items[0].spec.containers[*].name} {.items[0].spec.serviceAccountName} {.items[0].metadata.labels.app}'
    [ "$output" = "istio-proxy istio-egressgateway-service-account istio-egressgateway" ]
    run kubectl get sa istio-egressgateway-service-account -n istio-system -o name
    [ "$output" = "serviceaccount/istio-egressgateway-service-account" ]
    run kubectl get endpoints istio-egressgateway -n istio-system -o jsonpath='{.subsets[0].ports[*].port}'
    [ "$output" = "80 443" ]
}

@test "the default profile has no egress gateway and no access log" {
    istioctl install -y
    run kubectl get deploy -n istio-system -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "istio-ingressgateway istiod" ]
    run kubectl get cm istio -n istio-system -o jsonpath='{.data.mesh}'
    [[ "$output" != *accessLogFile* ]]
}

@test "minimal installs only istiod; empty installs nothing of Istio" {
    run istioctl install --set profile=minimal -y
    [ "$output" = "✔ Istio core installed
✔ Istiod installed
✔ Installation complete" ]
    run kubectl get deploy -n istio-system -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "istiod" ]
    istioctl uninstall --purge -y
    run istioctl install --set profile=empty -y
    [ "$output" = "✔ Installation complete" ]
    run kubectl get deploy -n istio-system
    [ "$output" = "No resources found in istio-system namespace." ]
}

@test "--set with list indexes enables the egress gateway; installing again removes it" {
    istioctl install -y --set 'components.egressGateways[0].name=istio-egressgateway' --set 'components.egressGateways[0].enabled=true'
    run kubectl get deploy istio-egressgateway -n istio-system -o name
    [ "$output" = "deployment.apps/istio-egressgateway" ]
    istioctl install -y
    run kubectl get deploy istio-egressgateway -n istio-system
    [ "$status" -eq 1 ]
    run kubectl get pod -l istio=egressgateway -n istio-system
    [ "$output" = "No resources found in istio-system namespace." ]
}

@test "--set meshConfig paths end up in the mesh config" {
    istioctl install -y --set meshConfig.accessLogFile=/dev/stdout --set meshConfig.accessLogEncoding=JSON \
        --set meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY --set 'meshConfig.accessLogFormat=[%START_TIME%]'
    run kubectl get cm istio -n istio-system -o jsonpath='{.data.mesh}'
    [[ "$output" == *"accessLogEncoding: JSON"* ]]
    [[ "$output" == *"mode: REGISTRY_ONLY"* ]]
    [[ "$output" == *"accessLogFormat: '[%START_TIME%]'"* ]]
    # installing again without them reconciles the config back
    istioctl install -y
    run kubectl get cm istio -n istio-system -o jsonpath='{.data.mesh}'
    [[ "$output" != *REGISTRY_ONLY* ]]
}

@test "values.pilot.env.* becomes istiod's environment" {
    istioctl install -y --set values.pilot.env.PILOT_ENABLE_ALPHA_GATEWAY_API=true
    run kubectl get deploy istiod -n istio-system -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="PILOT_ENABLE_ALPHA_GATEWAY_API")].value}'
    [ "$output" = "true" ]
}

@test "an unknown --set path is an error and installs nothing" {
    run istioctl install --set foo.bar=1 -y
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: generate config: unknown field "foo" in v1alpha1.IstioOperatorSpec' ]
    run istioctl install --set components.nosuch.enabled=true -y
    [ "$output" = 'Error: generate config: unknown field "nosuch" in v1alpha1.IstioComponentSetSpec' ]
    run istioctl install --set meshConfig.outboundTrafficPolicy.mode=BLOCK -y
    [ "$status" -eq 1 ]
    run kubectl get ns istio-system
    [ "$status" -eq 1 ]
}

@test "an unknown profile is an error" {
    run istioctl install --set profile=nosuch -y
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: generate config: could not read profile "nosuch": profile does not exist' ]
}

@test "without -y istioctl asks, and anything but y cancels" {
    run bash -c 'istioctl install --set profile=demo </dev/null'
    [ "$status" -eq 1 ]
    [ "$output" = 'This will install the Istio 1.4.6 "demo" profile (with components: Istio core, Istiod, Ingress gateways, and Egress gateways) into the cluster. Proceed? (y/N) Cancelled.' ]
    run kubectl get ns istio-system
    [ "$status" -eq 1 ]
    run bash -c 'echo y | istioctl install --set profile=minimal'
    [ "$status" -eq 0 ]
    [[ "$output" == *"Installation complete"* ]]
}

@test "-f IstioOperator files merge, and --set overrides them" {
    cat >"$BATS_TEST_TMPDIR/iop.yaml" <<'Y'
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: minimal
  components:
    egressGateways:
    - name: istio-egressgateway
      enabled: true
  meshConfig:
    accessLogFile: /dev/stdout
Y
    run istioctl install -f "$BATS_TEST_TMPDIR/iop.yaml" --set meshConfig.accessLogEncoding=JSON -y
    [ "$status" -eq 0 ]
    run kubectl get deploy -n istio-system -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "istio-egressgateway istiod" ]
    run kubectl get cm istio -n istio-system -o jsonpath='{.data.mesh}'
    [[ "$output" == *"accessLogFile: /dev/stdout"* ]]
    [[ "$output" == *"accessLogEncoding: JSON"* ]]
}

@test "--set tag=1.24 selects Istio 1.24: icons, 8080/8443 targets, its images" {
    run istioctl install --set tag=1.24 --set profile=demo -y
    [ "$output" = "✔ Istio core installed ⛵️
✔ Istiod installed 🧠
✔ Ingress gateways installed 🛬
✔ Egress gateways installed 🛫
✔ Installation complete
Made this installation the default for cluster-wide operations." ]
    run kubectl get svc istio-egressgateway -n istio-system -o jsonpath='{.spec.ports[*].targetPort}'
    [ "$output" = "8080 8443" ]
    run kubectl get pod -l app=istio-egressgateway -n istio-system -o jsonpath='{.items[0].spec.containers[0].image}'
    [ "$output" = "docker.io/istio/proxyv2:1.24.3" ]
    run istioctl version
    [ "${lines[0]}" = "client version: 1.24.3" ]
    [ "${lines[1]}" = "control plane version: 1.24.3" ]
    [ "${lines[2]}" = "data plane version: 1.24.3 (2 proxies)" ]
}

@test "istioctl version without Istio, and --remote=false" {
    run istioctl version
    [ "$output" = 'Istio is not present in the cluster: no running Istio pods in namespace "istio-system"
client version: 1.4.6' ]
    run istioctl version --remote=false
    [ "$output" = "client version: 1.4.6" ]
}

@test "uninstall --purge removes what install made, pods included" {
    istioctl install --set profile=demo -y
    run istioctl uninstall --purge -y
    [ "$status" -eq 0 ]
    [[ "$output" == *"  Removed Deployment:istio-system:istiod."* ]]
    [ "${lines[-1]}" = "✔ Uninstall complete" ]
    run kubectl get pods -n istio-system
    [ "$output" = "No resources found in istio-system namespace." ]
    run istioctl uninstall -y
    [ "$status" -eq 1 ]
    [[ "$output" == *"--purge flags must be set"* ]]
}

@test "profile list and dump" {
    run istioctl profile list
    [ "$output" = "Istio configuration profiles:
    default
    demo
    empty
    minimal
    remote" ]
    run istioctl profile dump demo
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "apiVersion: install.istio.io/v1alpha1" ]
    [[ "$output" == *"accessLogFile: /dev/stdout"* ]]
    run istioctl profile dump --config-path components.egressGateways demo
    [ "$output" = "- enabled: true
  name: istio-egressgateway" ]
}

@test "manifest generate prints the objects without installing them" {
    run istioctl manifest generate --set profile=demo
    [ "$status" -eq 0 ]
    [[ "$output" == *"name: istio-egressgateway"* ]]
    [[ "$output" == *"kind: Deployment"* ]]
    run kubectl get ns istio-system
    [ "$status" -eq 1 ]
}

@test "verify-install checks the installed objects" {
    run istioctl verify-install
    [ "$status" -eq 1 ]
    istioctl install --set profile=demo -y
    run istioctl verify-install
    [ "$status" -eq 0 ]
    [[ "$output" == *"✔ Deployment: istio-egressgateway.istio-system checked successfully"* ]]
    [ "${lines[-1]}" = "✔ Istio is installed and verified successfully" ]
}

@test "--set values of the wrong shape and out-of-range indexes are errors" {
    run istioctl install --set 'components.egressGateways[5].enabled=true' -y
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: generate config: path components.egressGateways[5].enabled: index 5 is out of range (the list has 1 elements)' ]
    run istioctl install --set meshConfig=1 -y
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: generate config: meshConfig: cannot unmarshal number into a field of type map' ]
    run istioctl install --set 'components.egressGateways[0].enabled=yes' -y
    [ "$output" = 'Error: generate config: components.egressGateways[0].enabled: cannot unmarshal string into a field of type bool' ]
    run istioctl install --set 'tag.x=1' -y
    [ "$status" -eq 1 ]
    run kubectl get ns istio-system
    [ "$status" -eq 1 ]
    # a second gateway can be added after the last one
    run istioctl install -y --set 'components.egressGateways[1].name=egress-two' --set 'components.egressGateways[1].enabled=true' \
        --set 'components.egressGateways[1].label.istio=egress-two'
    [ "$status" -eq 0 ]
    run kubectl get pod -l istio=egress-two -n istio-system -o jsonpath='{.items[0].metadata.labels.app}'
    [ "$output" = "egress-two" ]
}

@test "a bad IstioOperator file is an error naming it" {
    printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n' >"$BATS_TEST_TMPDIR/bad.yaml"
    run istioctl install -f "$BATS_TEST_TMPDIR/bad.yaml" -y
    [ "$status" -eq 1 ]
    [ "$output" = "Error: generate config: $BATS_TEST_TMPDIR/bad.yaml: unknown kind \"Deployment\", expected IstioOperator" ]
    run istioctl install -f "$BATS_TEST_TMPDIR/none.yaml" -y
    [ "$status" -eq 1 ]
}

@test "every profile of Istio 1.24 installs, and shows the components it enables" {
    for p in ambient default demo empty minimal openshift preview remote stable; do
        rm -rf "$MESHSIM_HOME"
        run istioctl install --set tag=1.24 --set profile=$p -y
        [ "$status" -eq 0 ] || { echo "$p: $output"; return 1; }
        [ "${lines[-2]}" = "✔ Installation complete" ] || { echo "$p: $output"; return 1; }
        case $p in
            empty) [ "${#lines[@]}" -eq 2 ] ;;
            demo) [[ "$output" == *"Egress gateways installed"* ]] ;;
            default|openshift|preview|stable) [[ "$output" == *"Ingress gateways installed"* && "$output" != *Egress* ]] ;;
            minimal|ambient|remote) [[ "$output" == *"Istiod installed"* && "$output" != *gateways* ]] ;;
        esac || { echo "$p: $output"; return 1; }
    done
    run istioctl profile list
    [ "$output" = "Istio configuration profiles:
    ambient
    default
    demo
    empty
    minimal
    openshift
    preview
    remote
    stable" ]
}

@test "the ingress gateway is a LoadBalancer with an address and node ports" {
    istioctl install -y
    run kubectl -n istio-system get service istio-ingressgateway -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
    [[ "$output" =~ ^172\.18\.255\.[0-9]+$ ]]
    ip=$output
    run kubectl -n istio-system get service istio-ingressgateway
    [[ "${lines[1]}" =~ ^istio-ingressgateway\ +LoadBalancer\ +10\.96\.[0-9.]+\ +$ip\ +15021:3[0-9]+/TCP,80:3[0-9]+/TCP,443:3[0-9]+/TCP\  ]]
    istioctl install -y
    run kubectl -n istio-system get service istio-ingressgateway -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
    [ "$output" = "$ip" ]
}
