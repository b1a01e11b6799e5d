#!/usr/bin/env bats
# istiod's istio-ca-root-cert ConfigMaps (Istio 1.5 and later): one per
# namespace holding the mesh root, made at install and for new namespaces,
# gone with istiod.
load helpers

setup() { fresh_cluster; }

@test "1.24: install writes istio-ca-root-cert into every namespace but Kubernetes' own" {
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    run kubectl get cm -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name
    [ "$status" -eq 0 ]
    [ "$output" = "default        istio-ca-root-cert
istio-system   istio
istio-system   istio-ca-root-cert
istio-system   istio-sidecar-injector
kube-system    istio-ca-root-cert" ]
    run kubectl get cm istio-ca-root-cert -n default
    [ "${lines[0]}" = "NAME                 DATA   AGE" ]
    [[ "${lines[1]}" =~ ^istio-ca-root-cert\ +1\ +[0-9]+s$ ]]
    run kubectl get cm istio-ca-root-cert -n default -o jsonpath='{.metadata.labels}'
    [ "$output" = '{"istio.io/config":"true"}' ]
}

@test "1.24: root-cert.pem is the mesh root the proxies trust" {
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    kubectl get cm istio-ca-root-cert -n default -o jsonpath='{.data.root-cert\.pem}' >"$BATS_TEST_TMPDIR/cm.pem"
    run /usr/bin/openssl x509 -in "$BATS_TEST_TMPDIR/cm.pem" -noout -subject
    [ "$status" -eq 0 ]
    [ "$output" = "subject=O = cluster.local" ]
    kubectl label namespace default istio-injection=enabled
    kubectl apply -f "$ROOT/samples/curl/curl.yaml"
    POD=$(kubectl get pod -l app=curl -o jsonpath='{.items[0].metadata.name}')
    kubectl exec "$POD" -c istio-proxy -- cat /var/run/secrets/istio/root-cert.pem >"$BATS_TEST_TMPDIR/pod.pem"
    cmp "$BATS_TEST_TMPDIR/cm.pem" "$BATS_TEST_TMPDIR/pod.pem"
    # every namespace carries the same root
    run kubectl get cm -A -o jsonpath='{range .items[?(@.metadata.name=="istio-ca-root-cert")]}{.data.root-cert\.pem}{end}'
    [ "$(printf '%s' "$output" | grep -c 'BEGIN CERTIFICATE')" -eq 3 ]
    [ "$(printf '%s' "$output" | sort -u | grep -c 'BEGIN CERTIFICATE')" -eq 1 ]
}

@test "1.24: a namespace created after the install gets its ConfigMap; deleting it takes it along" {
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    kubectl create namespace team-a
    run kubectl get cm -n team-a -o name
    [ "$output" = "configmap/istio-ca-root-cert" ]
    kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
YAML
    run kubectl get cm istio-ca-root-cert -n team-b -o name
    [ "$status" -eq 0 ]
    kubectl delete namespace team-a
    run kubectl get cm -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name
    [[ "$output" != *team-a* ]]
    [[ "$output" == *"team-b         istio-ca-root-cert"* ]]
}

@test "1.24: a ConfigMap deleted by hand comes back, as istiod reconciles it" {
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    run kubectl delete cm istio-ca-root-cert -n default
    [ "$status" -eq 0 ]
    [ "$output" = 'configmap "istio-ca-root-cert" deleted' ]
    run kubectl get cm istio-ca-root-cert -n default -o name
    [ "$status" -eq 0 ]
    [ "$output" = "configmap/istio-ca-root-cert" ]
}

@test "1.24: uninstall --purge removes them, other ConfigMaps stay" {
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    kubectl create configmap app-config -n default --from-literal=a=b
    istioctl uninstall --purge -y
    run kubectl get cm -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name
    [ "$output" = "default   app-config" ]
}

@test "1.24: with a plug-in CA (istio-system/cacerts) the ConfigMaps carry its root" {
    kubectl create namespace istio-system
    /usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/O=Plugin Root" -keyout "$BATS_TEST_TMPDIR/ca-key.pem" -out "$BATS_TEST_TMPDIR/ca-cert.pem" 2>/dev/null
    kubectl create secret generic cacerts -n istio-system \
        --from-file=ca-cert.pem="$BATS_TEST_TMPDIR/ca-cert.pem" --from-file=ca-key.pem="$BATS_TEST_TMPDIR/ca-key.pem" \
        --from-file=root-cert.pem="$BATS_TEST_TMPDIR/ca-cert.pem" --from-file=cert-chain.pem="$BATS_TEST_TMPDIR/ca-cert.pem"
    istioctl install --set profile=minimal --set tag=1.24.3 -y
    kubectl get cm istio-ca-root-cert -n default -o jsonpath='{.data.root-cert\.pem}' >"$BATS_TEST_TMPDIR/cm.pem"
    run /usr/bin/openssl x509 -in "$BATS_TEST_TMPDIR/cm.pem" -noout -subject
    [ "$output" = "subject=O = Plugin Root" ]
}

@test "1.4 (the seed's release, Citadel era): no istio-ca-root-cert anywhere" {
    istioctl install --set profile=demo -y
    kubectl create namespace later
    run kubectl get cm -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name
    [ "$output" = "istio-system   istio
istio-system   istio-sidecar-injector" ]
}
