#!/usr/bin/env bats
# Istio 1.4's mutual TLS origination for egress traffic, end to end against an outside host: the user
# makes a CA and a client certificate with openssl, the host trusts that CA (spec.tls.clientCA), the
# egress gateway gets the certificate files with `kubectl patch` (as the page does), and a plain
# http:// request from the sleep pod leaves the gateway as mutual TLS.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    C="$BATS_FILE_TMPDIR/certs"
    mkdir -p "$C"
    cd "$C"
    openssl req -x509 -sha256 -nodes -days 365 -newkey rsa:2048 -subj '/O=example Inc./CN=example.com' \
        -keyout example.com.key -out example.com.crt 2>/dev/null
    openssl req -out client.example.com.csr -newkey rsa:2048 -nodes -keyout client.example.com.key \
        -subj "/CN=client.example.com/O=client organization" 2>/dev/null
    openssl x509 -req -sha256 -days 365 -CA example.com.crt -CAkey example.com.key -set_serial 0 \
        -in client.example.com.csr -out client.example.com.crt 2>/dev/null
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    kubectl create secret generic api-client-ca --from-file=ca.crt=example.com.crt >/dev/null
    kubectl create -n istio-system secret tls nginx-client-certs --key client.example.com.key \
        --cert client.example.com.crt >/dev/null
    kubectl apply -f "$BATS_TEST_DIRNAME/fixtures/egress-mtls/egress-mtls-world.yaml" >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
}

@test "before the gateway has the client certificate: the host refuses the handshake, 503 from the gateway" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://mtls-api.example.com/"
    [ "$status" -eq 0 ]
    [ "$output" = "503" ]
    run kubectl logs -n istio-system -l istio=egressgateway --tail=1
    [[ $output == *'"GET / HTTP/1.1" 503 UF '* ]]
}

@test "kubectl patch mounts the certificates; the new gateway pod originates mutual TLS and the host answers" {
    run kubectl -n istio-system patch --type=json deploy istio-egressgateway -p='[{"op": "add", "path": "/spec/template/spec/volumes/0", "value": {"name": "nginx-client-certs", "secret": {"secretName": "nginx-client-certs", "optional": true}}}]'
    [ "$output" = "deployment.apps/istio-egressgateway patched" ]
    run kubectl -n istio-system patch deployment istio-egressgateway -p '{"spec":{"template":{"spec":{"containers":[{"name":"istio-proxy","volumeMounts":[{"mountPath":"/etc/nginx-client-certs","name":"nginx-client-certs","readOnly":true}]}]}}}}'
    [ "$output" = "deployment.apps/istio-egressgateway patched" ]
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS http://mtls-api.example.com/"
    [ "$status" -eq 0 ]
    [ "$output" = '{"ok": true}' ]
    run kubectl logs -n istio-system -l istio=egressgateway --tail=1
    [[ $output == *'"GET / HTTP/1.1" 200 - "-" "-" 0 12 '* ]]
    [[ $output == *' "198.51.100.30:443" outbound|443||mtls-api.example.com '* ]]
}

@test "the host stops trusting the user's CA: the gateway's handshake fails again (503)" {
    openssl req -x509 -sha256 -nodes -days 1 -newkey rsa:2048 -subj '/CN=other' \
        -keyout "$BATS_TEST_TMPDIR/o.key" -out "$BATS_TEST_TMPDIR/o.crt" 2>/dev/null
    kubectl create secret generic other-ca --from-file=ca.crt="$BATS_TEST_TMPDIR/o.crt" >/dev/null
    kubectl patch externalservice mtls-api.example.com --type merge -p '{"spec":{"tls":{"clientCA":{"secretName":"other-ca"}}}}' >/dev/null
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://mtls-api.example.com/"
    [ "$output" = "503" ]
}
