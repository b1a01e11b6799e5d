#!/usr/bin/env bats
# TLS ending inside the cluster: an ingress gateway terminating TLS (SIMPLE, MUTUAL with
# credentialName Secrets), a sidecar answering TLS with its mesh certificate, STRICT mutual TLS,
# an nginx pod serving `listen 443 ssl` from its mounted nginx.conf; and every failure as curl
# reports it (exit codes 35/52/56/60) with the proxy's response flags.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    F="$BATS_TEST_DIRNAME/fixtures/tls"
    C="$BATS_FILE_TMPDIR/certs"
    mkdir -p "$C"
    "$F/certs.sh" "$C"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/httpbin/httpbin.yaml" >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    kubectl -n istio-system create secret tls httpbin-credential --key="$C/httpbin.key" --cert="$C/httpbin.crt" >/dev/null
    kubectl -n istio-system create secret generic httpbin-mtls --from-file=tls.key="$C/httpbin.key" \
        --from-file=tls.crt="$C/httpbin.crt" --from-file=ca.crt="$C/example.com.crt" >/dev/null
    kubectl apply -f "$F/ingress.yaml" >/dev/null
    kubectl create namespace legacy >/dev/null
    kubectl -n legacy create configmap example-certs --from-file="$C/example.com.crt" --from-file="$C/client.crt" \
        --from-file="$C/client.key" --from-file="$C/rogue-client.crt" --from-file="$C/rogue-client.key" >/dev/null
    kubectl apply -f "$F/client.yaml" >/dev/null
    kubectl create namespace mesh-external >/dev/null
    kubectl -n mesh-external create secret tls nginx-server-certs --key "$C/nginx.key" --cert "$C/nginx.crt" >/dev/null
    kubectl -n mesh-external create secret generic nginx-ca-certs --from-file="$C/example.com.crt" >/dev/null
    kubectl -n mesh-external create configmap nginx-configmap --from-file=nginx.conf="$F/nginx.conf" >/dev/null
    kubectl apply -f "$F/nginx.yaml" >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    CLIENT=$(kubectl get pod -n legacy -l app=client -o jsonpath='{.items[0].metadata.name}')
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    INGRESS=$(kubectl -n istio-system get service istio-ingressgateway -o jsonpath='{.spec.clusterIP}')
    R="--resolve httpbin.example.com:443:$INGRESS --resolve alias.example.com:443:$INGRESS"
    R="$R --resolve mtls.example.com:443:$INGRESS --resolve other.example.com:443:$INGRESS"
    R="$R --resolve httpbin.example.com:80:$INGRESS"
}

# the last access-log line of the ingress gateway
ingress_log() { kubectl logs -n istio-system -l istio=ingressgateway --tail=1; }

@test "gateway SIMPLE with a kubernetes.io/tls credentialName: curl verifies, the HTTP inside is routed by Host" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt https://httpbin.example.com/status/418"
    [ "$status" -eq 0 ]
    [[ $output == *"-=[ teapot ]=-"* ]]
    run ingress_log
    [[ $output == *'"GET /status/418 HTTP/2" 418 - "-" "-" 0 135 '* ]]
    [[ $output == *'"httpbin.example.com" "10.244.'*'outbound|8000||httpbin.default.svc.cluster.local'* ]]
    [[ $output == *" httpbin.example.com -"* || $output == *" httpbin.example.com" ]]
}

@test "gateway SIMPLE over HTTP/1.1 (--http1.1): the response comes back through the gateway" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --http1.1 $R --cacert /etc/example/example.com.crt -o /dev/null -w '%{http_code} %{http_version}' https://httpbin.example.com/headers"
    [ "$status" -eq 0 ]
    [ "$output" = "200 1.1" ]
}

@test "unknown CA: curl exits 60 with OpenSSL's reason" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R https://httpbin.example.com/status/418"
    [ "$status" -eq 60 ]
    [[ ${lines[0]} == "curl: (60) SSL certificate problem: unable to get local issuer certificate" ]]
}

@test "name mismatch: the gateway presents a certificate without the name; curl exits 60" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt https://alias.example.com/status/418"
    [ "$status" -eq 60 ]
    [ "${lines[0]}" = "curl: (60) SSL: no alternative certificate subject name matches target host name 'alias.example.com'" ]
}

@test "-k skips the checks: the mismatched name is served" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS -k $R -o /dev/null -w '%{http_code}' https://alias.example.com/status/418"
    [ "$status" -eq 0 ]
    [ "$output" = "418" ]
}

@test "wrong SNI: no filter chain; the gateway closes during the handshake (35); 1.4's proxy logs nothing" {
    before=$(kubectl logs -n istio-system -l istio=ingressgateway | wc -l)
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt https://other.example.com/status/418"
    [ "$status" -eq 35 ]
    [ "${lines[0]}" = "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to other.example.com:443 " ]
    # listener-level access logs (NR filter_chain_not_found) came with Envoy 1.14 / Istio 1.8: tls_downstream.bats
    [ "$(kubectl logs -n istio-system -l istio=ingressgateway | wc -l)" -eq "$before" ]
}

@test "no SNI (curl to the gateway's IP): 35, counted as no_filter_chain_match" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --cacert /etc/example/example.com.crt https://$INGRESS/status/418"
    [ "$status" -eq 35 ]
    [ "${lines[0]}" = "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to $INGRESS:443 " ]
    GW=$(kubectl get pod -n istio-system -l istio=ingressgateway -o jsonpath='{.items[0].metadata.name}')
    runsh "kubectl exec -n istio-system $GW -- pilot-agent request GET stats | grep '^listener.0.0.0.0_443.no_filter_chain_match: '"
    [ "$status" -eq 0 ]
    [[ ${output#*: } -ge 1 ]]
}

@test "an HTTP client on the TLS port: the gateway closes without a reply (52)" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS http://$INGRESS:443/status/418"
    [ "$status" -eq 52 ]
    [ "${lines[0]}" = "curl: (52) Empty reply from server" ]
}

@test "a TLS client on the HTTP port: Envoy's codec answers 400 in clear text, OpenSSL reads a wrong version (35), DPE" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R https://httpbin.example.com:80/status/418"
    [ "$status" -eq 35 ]
    [[ ${lines[0]} =~ ^curl:\ \(35\)\ OpenSSL/3\.[0-9.]+:\ error:0A00010B:SSL\ routines::wrong\ version\ number$ ]]
    run ingress_log
    [[ $output == *' 0 DPE '* ]]
}

@test "gateway MUTUAL: with the client certificate the request goes through" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt --cert /etc/example/client.crt --key /etc/example/client.key -o /dev/null -w '%{http_code}' https://mtls.example.com/status/200"
    [ "$status" -eq 0 ]
    [ "$output" = "200" ]
}

@test "gateway MUTUAL: a missing client certificate ends the connection with TLS 1.3's alert (56)" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt https://mtls.example.com/status/200"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} =~ ^curl:\ \(56\)\ OpenSSL\ SSL_read:\ OpenSSL/3\.[0-9.]+:\ error:0A00045C:SSL\ routines::tlsv13\ alert\ certificate\ required,\ errno\ 0$ ]]
}

@test "gateway MUTUAL: a client certificate from an unknown CA is refused" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt --cert /etc/example/rogue-client.crt --key /etc/example/rogue-client.key https://mtls.example.com/status/200"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} =~ ^curl:\ \(56\)\ OpenSSL\ SSL_read:\ OpenSSL/3\.[0-9.]+:\ error:0A000418:SSL\ routines::tlsv1\ alert\ unknown\ ca,\ errno\ 0$ ]]
}

@test "PERMISSIVE: a sidecar answers a client offering Istio's ALPN with its workload certificate" {
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -alpn istio -connect httpbin.default:8000 -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' | /usr/bin/openssl x509 -noout -ext subjectAltName"
    [ "$status" -eq 0 ]
    [[ ${lines[1]} =~ URI:spiffe://cluster\.local/ns/default/sa/httpbin$ ]]
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -alpn istio -connect httpbin.default:8000 -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null 2>/dev/null"
    [[ $output == *$'\nVerify return code: 0 (ok)\n'* ]]
}

@test "PERMISSIVE: other TLS goes through to the plain-text app, which hangs up (no certificate)" {
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -connect httpbin.default:8000 -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null"
    [ "$status" -eq 1 ]
    [[ $output == *"no peer certificate available"* ]]
}

@test "STRICT: the sidecar terminates any TLS with its mesh certificate (the 1.4 deep-dive's s_client)" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default}
spec: {mtls: {mode: STRICT}}
EOF2
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -connect httpbin.default:8000 -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' | /usr/bin/openssl x509 -noout -ext subjectAltName"
    kubectl delete peerauthentication default >/dev/null
    [ "$status" -eq 0 ]
    [[ ${lines[1]} =~ URI:spiffe://cluster\.local/ns/default/sa/httpbin$ ]]
}

@test "nginx serves TLS from its mounted nginx.conf and Secrets; with the client certificate: its page" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --cacert /etc/example/example.com.crt --cert /etc/example/client.crt --key /etc/example/client.key https://my-nginx.mesh-external.svc.cluster.local"
    [ "$status" -eq 0 ]
    [[ $output == *"<title>Welcome to nginx!</title>"* ]]
    run kubectl logs -n mesh-external -l run=my-nginx --tail=1
    [[ $output == *'"GET / HTTP/1.1" 200 '* ]]
}

@test "nginx with ssl_verify_client on: no client certificate is nginx's 400, not a handshake failure" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --cacert /etc/example/example.com.crt https://my-nginx.mesh-external.svc.cluster.local"
    [ "$status" -eq 0 ]
    [[ $output == *"<title>400 No required SSL certificate was sent</title>"* ]]
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --cacert /etc/example/example.com.crt --cert /etc/example/rogue-client.crt --key /etc/example/rogue-client.key https://my-nginx.mesh-external.svc.cluster.local"
    [[ $output == *"<title>400 The SSL certificate error</title>"* ]]
}

@test "plain HTTP to nginx's ssl port: nginx's 400 page" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS http://my-nginx.mesh-external.svc.cluster.local:443"
    [ "$status" -eq 0 ]
    [[ $output == *"<title>400 The plain HTTP request was sent to HTTPS port</title>"* ]]
}

@test "STRICT mutual TLS: plain text from a pod without a sidecar is reset (56)" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: STRICT}}
EOF2
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS http://httpbin.default:8000/ip"
    kubectl delete peerauthentication default >/dev/null
    [ "$status" -eq 56 ]
    [ "${lines[0]}" = "curl: (56) Recv failure: Connection reset by peer" ]
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS -o /dev/null -w '%{http_code}' http://httpbin.default:8000/ip"
    [ "$output" = "200" ]
}

@test "gateway OPTIONAL_MUTUAL: with or without a client certificate" {
    R2="--resolve optional.example.com:443:$INGRESS --cacert /etc/example/example.com.crt -o /dev/null -w %{http_code}"
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R2 https://optional.example.com/status/200"
    [ "$status" -eq 0 ]
    [ "$output" = "200" ]
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R2 --cert /etc/example/client.crt --key /etc/example/client.key https://optional.example.com/status/200"
    [ "$output" = "200" ]
}

@test "gateway tls.httpsRedirect: plain HTTP gets a 301 to https" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve secure.example.com:80:$INGRESS http://secure.example.com/status/200"
    [ "$status" -eq 0 ]
    [ "$output" = "301 https://secure.example.com/status/200" ]
}

@test "gateway PASSTHROUGH + VirtualService tls sniHosts: nginx itself terminates (its certificate, its client check)" {
    N=my-nginx.mesh-external.svc.cluster.local
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --resolve $N:443:$INGRESS --cacert /etc/example/example.com.crt --cert /etc/example/client.crt --key /etc/example/client.key https://$N/"
    [ "$status" -eq 0 ]
    [[ $output == *"<title>Welcome to nginx!</title>"* ]]
    run ingress_log
    [[ $output == *'"- - -" 0 - "-" "-" '*" outbound|443||$N "*" $N -" ]]
}

@test "gateway AUTO_PASSTHROUGH: the SNI names the cluster, the destination's sidecar answers with its mesh certificate" {
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -alpn istio -connect $INGRESS:15443 -servername outbound_.8000_._.httpbin.default.svc.cluster.local -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' | /usr/bin/openssl x509 -noout -ext subjectAltName"
    [ "$status" -eq 0 ]
    [[ ${lines[1]} =~ URI:spiffe://cluster\.local/ns/default/sa/httpbin$ ]]
}

@test "DestinationRule ISTIO_MUTUAL: the sidecars talk mutual TLS; the inbound proxy logs the mTLS SNI" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: httpbin-mtls}
spec:
  host: httpbin.default.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default}
spec: {mtls: {mode: STRICT}}
EOF2
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -o /dev/null -w '%{http_code}' http://httpbin:8000/headers"
    code=$output
    HB=$(kubectl get pod -l app=httpbin -o jsonpath='{.items[0].metadata.name}')
    run kubectl logs "$HB" -c istio-proxy --tail=1
    kubectl delete destinationrule httpbin-mtls >/dev/null
    kubectl delete peerauthentication default >/dev/null
    [ "$code" = "200" ]
    [[ $output == *'"GET /headers HTTP/1.1" 200 '*' outbound_.8000_._.httpbin.default.svc.cluster.local '* ]]
}

@test "PeerAuthentication DISABLE: the sidecar does not take TLS; the plain app closes on the ClientHello" {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default}
spec: {mtls: {mode: DISABLE}}
EOF2
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -connect httpbin.default:8000 -CAfile /etc/certs/root-cert.pem -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null"
    kubectl delete peerauthentication default >/dev/null
    [ "$status" -eq 1 ]
    [[ $output == *"no peer certificate available"* ]]
}

@test "gateway TLS server with mode SIMPLE and a tcp route: the gateway decrypts, the bytes go on as TCP" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --resolve tcp.example.com:443:$INGRESS --cacert /etc/example/example.com.crt https://tcp.example.com/status/418"
    [ "$status" -eq 0 ]
    [[ $output == *"-=[ teapot ]=-"* ]]
    run ingress_log
    [[ $output == *'"- - -" 0 - "-" "-" '*' outbound|8000||httpbin.default.svc.cluster.local '*' tcp.example.com -' ]]
}

@test "--capath: OpenSSL finds no hashed names in a ConfigMap directory; the default CA file still applies" {
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS --capath /etc/example $R https://httpbin.example.com/status/418"
    [ "$status" -eq 60 ]
    [ "${lines[0]}" = "curl: (60) SSL certificate problem: unable to get local issuer certificate" ]
    runsh "kubectl exec -n legacy $CLIENT -- curl -v -sS --capath /etc/example $R -o /dev/null https://httpbin.example.com/status/418"
    [[ $output == *$'\n*  CAfile: /etc/ssl/certs/ca-certificates.crt\n*  CApath: /etc/example\n'* ]]
}

@test "gateway ISTIO_MUTUAL server: the gateway presents its own workload certificate and wants the client's" {
    M="-connect $INGRESS:443 -servername mesh.example.com -CAfile /etc/certs/root-cert.pem"
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client $M -cert /etc/certs/cert-chain.pem -key /etc/certs/key.pem </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' | /usr/bin/openssl x509 -noout -ext subjectAltName"
    [ "$status" -eq 0 ]
    [[ ${lines[1]} =~ URI:spiffe://cluster\.local/ns/istio-system/sa/istio-ingressgateway-service-account$ ]]
    # the sidecar-less client has no mesh certificate: TLS 1.3's "certificate required"
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS -k --resolve mesh.example.com:443:$INGRESS https://mesh.example.com/status/200"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} == *"tlsv13 alert certificate required, errno 0" ]]
}
