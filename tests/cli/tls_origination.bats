#!/usr/bin/env bats
# TLS origination (DestinationRule trafficPolicy.tls / portLevelSettings) on a sidecar and on the
# egress gateway (Istio 1.24: credentialName client certificates, VERIFY_CERTIFICATE_AT_CLIENT):
# the proxy really handshakes with the server it reaches, so a wrong CA, a wrong name, an expired
# certificate or a missing client certificate fail as Envoy and nginx fail.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    F="$BATS_TEST_DIRNAME/fixtures/tls"
    C="$BATS_FILE_TMPDIR/certs"
    mkdir -p "$C"
    "$F/certs.sh" "$C"
    istioctl install --set tag=1.24 --set profile=demo --set meshConfig.accessLogFile=/dev/stdout -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    kubectl create namespace mesh-external >/dev/null
    kubectl -n mesh-external create secret tls nginx-server-certs --key "$C/nginx.key" --cert "$C/nginx.crt" >/dev/null
    kubectl -n mesh-external create secret generic nginx-ca-certs --from-file="$C/example.com.crt" >/dev/null
    kubectl -n mesh-external create configmap nginx-configmap --from-file=nginx.conf="$F/nginx.conf" >/dev/null
    kubectl apply -f "$F/nginx.yaml" >/dev/null
    kubectl -n istio-system create secret generic client-credential --from-file=tls.key="$C/client.key" \
        --from-file=tls.crt="$C/client.crt" --from-file=ca.crt="$C/example.com.crt" >/dev/null
    kubectl -n istio-system create secret generic rogue-credential --from-file=tls.key="$C/rogue-client.key" \
        --from-file=tls.crt="$C/rogue-client.crt" --from-file=ca.crt="$C/rogue.crt" >/dev/null
    kubectl -n istio-system create secret generic nocert-credential --from-file=ca.crt="$C/example.com.crt" >/dev/null
    kubectl apply -f "$F/egress-mtls-origination.yaml" >/dev/null
    kubectl apply -f "$F/sidecar-origination.yaml" >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    F="$BATS_TEST_DIRNAME/fixtures/tls"
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    GWIP=$(kubectl get pod -n istio-system -l istio=egressgateway -o jsonpath='{.items[0].status.podIP}')
}

credential() {
    sed "s/credentialName: client-credential/credentialName: $1/" "$F/egress-mtls-origination.yaml" | kubectl apply -f - >/dev/null
}

@test "sidecar origination: http:// leaves as HTTPS, verified against the system roots" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -D - http://edition.cnn.com/politics"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = $'HTTP/1.1 200 OK\r' ]
    run kubectl logs "$SLEEP" -c istio-proxy --tail=1
    [[ $output == *'"GET /politics HTTP/1.1" 200 - via_upstream - "-" 0 '* ]]
    [[ $output == *' outbound|80||edition.cnn.com '* ]]
}

@test "sidecar origination with subjectAltNames the server's certificate lacks: 503 UF" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: edition-cnn-com}
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE, subjectAltNames: [not-cnn.example.com]}
EOF2
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -w ' %{http_code}' http://edition.cnn.com/politics"
    kubectl apply -f "$F/sidecar-origination.yaml" >/dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "upstream connect error or disconnect/reset before headers. reset reason: connection failure 503" ]
    run kubectl logs "$SLEEP" -c istio-proxy --tail=1
    [[ $output == *'"GET /politics HTTP/1.1" 503 UF '* ]]
}

@test "sidecar origination towards a plain-HTTP port fails the handshake: 503 UF" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: httpbin-org}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: httpbin-org}
spec:
  host: httpbin.org
  trafficPolicy: {tls: {mode: SIMPLE}}
EOF2
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://httpbin.org/get"
    kubectl delete destinationrule httpbin-org >/dev/null
    [ "$output" = "503" ]
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://httpbin.org/get"
    [ "$output" = "200" ]
}

@test "sidecar origination to a host whose certificate expired: 503 UF, while curl -k reaches it directly" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata: {name: expired.example.com}
spec:
  hosts: [expired.example.com]
  addresses: [198.51.100.77]
  ports: [{number: 443, protocol: HTTPS}]
  tls: {notBefore: "2019-01-01T00:00:00Z", notAfter: "2020-01-01T00:00:00Z"}
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: expired}
spec:
  hosts: [expired.example.com]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 443}, {number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: expired}
spec:
  host: expired.example.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
EOF2
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://expired.example.com/"
    [ "$output" = "503" ]
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS https://expired.example.com/"
    [ "$status" -eq 60 ]
    [ "${lines[0]}" = "curl: (60) SSL certificate problem: certificate has expired" ]
    # -k: the handshake completes; the host has no pages (its 404)
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -k -o /dev/null -w '%{http_code}' https://expired.example.com/"
    [ "$status" -eq 0 ]
    [ "$output" = "404" ]
}

@test "egress gateway originates mutual TLS with a credentialName client certificate (nginx's page)" {
    credential client-credential
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS http://my-nginx.mesh-external.svc.cluster.local"
    [ "$status" -eq 0 ]
    [[ $output == *"<title>Welcome to nginx!</title>"* ]]
    run kubectl logs -n istio-system -l istio=egressgateway --tail=1
    [[ $output == *'"GET / HTTP/1.1" 200 - via_upstream - "-" 0 615 '* ]]
    [[ $output == *' outbound|443||my-nginx.mesh-external.svc.cluster.local '* ]]
    # nginx sees the gateway's own address
    run kubectl logs -n mesh-external -l run=my-nginx --tail=1
    [[ $output == "$GWIP - - ["*'] "GET / HTTP/1.1" 200 615 "-" "curl/'* ]]
}

@test "egress gateway origination without a client certificate: nginx answers 400" {
    credential nocert-credential
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS http://my-nginx.mesh-external.svc.cluster.local"
    credential client-credential
    [ "$status" -eq 0 ]
    [[ $output == *"<title>400 No required SSL certificate was sent</title>"* ]]
}

@test "egress gateway origination trusting the wrong CA: the gateway's 503 UF" {
    credential rogue-credential
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -w ' %{http_code}' http://my-nginx.mesh-external.svc.cluster.local"
    credential client-credential
    [ "$output" = "upstream connect error or disconnect/reset before headers. reset reason: connection failure 503" ]
    run kubectl logs -n istio-system -l istio=egressgateway --tail=1
    [[ $output == *'"GET / HTTP/1.1" 503 UF '* ]]
}
