#!/usr/bin/env bats
# openssl in containers and the certificates of the mesh: s_client through the sidecar to the
# simulated outside world, the proxies' /etc/certs files (the seed page's Troubleshooting), x509, verify.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    GW=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items[0].metadata.name}')
}

@test "the egress gateway's certificate carries its SPIFFE identity (host openssl decodes it)" {
    runsh "kubectl exec -i -n istio-system $GW -- cat /etc/certs/cert-chain.pem </dev/null | /usr/bin/openssl x509 -text -noout | grep 'Subject Alternative Name' -A 1"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} =~ ^\ *X509v3\ Subject\ Alternative\ Name:(\ critical)?$ ]]
    [[ ${lines[1]} =~ ^\ *URI:spiffe://cluster\.local/ns/istio-system/sa/istio-egressgateway-service-account$ ]]
}

@test "the certificate files stay the same from one command to the next, and chain to the root" {
    run kubectl exec -n istio-system "$GW" -- cat /etc/certs/cert-chain.pem
    first=$output
    run kubectl exec -n istio-system "$GW" -- cat /etc/certs/cert-chain.pem
    [ "$output" = "$first" ]
    kubectl exec -n istio-system "$GW" -- cat /etc/certs/root-cert.pem >"$BATS_TEST_TMPDIR/root.pem"
    printf '%s\n' "$first" >"$BATS_TEST_TMPDIR/chain.pem"
    run /usr/bin/openssl verify -CAfile "$BATS_TEST_TMPDIR/root.pem" "$BATS_TEST_TMPDIR/chain.pem"
    [ "$status" -eq 0 ]
    [ "$output" = "$BATS_TEST_TMPDIR/chain.pem: OK" ]
}

@test "s_client to edition.cnn.com shows the seed's certificate chain" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -servername edition.cnn.com 2>/dev/null"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "CONNECTED(00000003)" ]
    [ "${lines[1]}" = "---" ]
    [ "${lines[2]}" = "Certificate chain" ]
    [ "${lines[3]}" = ' 0 s:C = US, ST = California, L = San Francisco, O = "Fastly, Inc.", CN = turner-tls.map.fastly.net' ]
    [ "${lines[4]}" = '   i:C = BE, O = GlobalSign nv-sa, CN = GlobalSign CloudSSL CA - SHA256 - G3' ]
    [ "${lines[7]}" = ' 1 s:C = BE, O = GlobalSign nv-sa, CN = GlobalSign CloudSSL CA - SHA256 - G3' ]
    [ "${lines[11]}" = ' 2 s:C = BE, O = GlobalSign nv-sa, CN = GlobalSign CloudSSL CA - SHA256 - G3' ]
    [ "${lines[15]}" = ' 3 s:C = BE, O = GlobalSign nv-sa, OU = Root CA, CN = GlobalSign Root CA' ]
    [[ $output == *$'Server certificate\n-----BEGIN CERTIFICATE-----'* ]]
    [[ $output == *$'\nVerification: OK\n'* ]]
    [[ $output == *$'\nVerify return code: 0 (ok)\n'* ]]
}

@test "s_client prints the verification trace and DONE on standard error" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -servername edition.cnn.com 2>&1 >/dev/null"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "depth=2 C = BE, O = GlobalSign nv-sa, OU = Root CA, CN = GlobalSign Root CA" ]
    [ "${lines[1]}" = "verify return:1" ]
    [ "${lines[-1]}" = "DONE" ]
}

@test "s_client -alpn h2 negotiates HTTP/2 with the outside host" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -alpn h2,http/1.1 -brief 2>&1"
    [ "$status" -eq 0 ]
    [[ $output == *$'CONNECTION ESTABLISHED\nProtocol version: TLSv1.3\n'* ]]
    [[ $output == *$'\nALPN protocol: h2\n'* ]]
}

@test "the server certificate s_client shows is the one the world serves to curl too" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -servername edition.cnn.com 2>/dev/null | /usr/bin/openssl x509 -noout -subject -ext subjectAltName"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 'subject=C = US, ST = California, L = San Francisco, O = "Fastly, Inc.", CN = turner-tls.map.fastly.net' ]
    [[ ${lines[2]} == *"DNS:edition.cnn.com, DNS:*.cnn.com"* ]]
}

@test "an outside host with an expired certificate: the trace and the report say so" {
    kubectl apply -f - <<'EOF'
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata:
  name: expired.example.com
spec:
  hosts: [expired.example.com]
  addresses: [198.51.100.77]
  ports:
  - {number: 443, protocol: HTTPS}
  tls:
    notBefore: "2019-01-01T00:00:00Z"
    notAfter: "2020-01-01T00:00:00Z"
EOF
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect expired.example.com:443 2>&1"
    [ "$status" -eq 0 ]
    [[ $output == *$'verify error:num=10:certificate has expired\nnotAfter=Jan  1 00:00:00 2020 GMT\n'* ]]
    [[ $output == *$'\nVerify return code: 10 (certificate has expired)\n'* ]]
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect expired.example.com:443 -verify_return_error"
    [ "$status" -eq 1 ]
    [[ $output == *"certificate verify failed"* ]]
    kubectl delete externalservice expired.example.com >/dev/null
}

@test "s_client to a name nobody knows fails as the real one does" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect nosuch.example.invalid:443 2>&1"
    [ "$status" -eq 1 ]
    [[ ${lines[0]} =~ ^[0-9A-F]+:error:10080002:BIO\ routines:BIO_lookup_ex:system\ lib:.*:Name\ or\ service\ not\ known$ ]]
    [ "${lines[1]}" = "connect:errno=0" ]
    [ "${lines[2]}" = "command terminated with exit code 1" ]
    [[ $output != *CONNECTED* ]]
}

@test "openssl x509 and verify in the sleep container read standard input" {
    # (staged through a file: two kubectl processes in one pipeline would race for the store)
    kubectl exec -n istio-system "$GW" -- cat /etc/certs/cert-chain.pem >"$BATS_TEST_TMPDIR/chain.pem"
    runsh "kubectl exec -i $SLEEP -c sleep -- openssl x509 -noout -ext subjectAltName <'$BATS_TEST_TMPDIR/chain.pem'"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "X509v3 Subject Alternative Name: critical" ]
    [ "${lines[1]}" = "    URI:spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account" ]
    # the image trusts the public roots, not the mesh's
    runsh "kubectl exec -i $SLEEP -c sleep -- openssl verify <'$BATS_TEST_TMPDIR/chain.pem'"
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "error 20 at 0 depth lookup: unable to get local issuer certificate" ]
    [ "${lines[1]}" = "error stdin: verification failed" ]
}

@test "s_client with the proxy's own certificate files, as when debugging mTLS by hand" {
    kubectl exec -n istio-system "$GW" -- cat /etc/certs/root-cert.pem >"$BATS_TEST_TMPDIR/root.pem"
    # the sleep container has no /etc/certs; its proxy has
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -CAfile /etc/certs/root-cert.pem"
    [ "$status" -ne 0 ]
    [[ $output == *"Error loading file /etc/certs/root-cert.pem"* ]]
    # the mesh root does not vouch for the public chain
    runsh "kubectl exec $SLEEP -c istio-proxy -- openssl s_client -connect edition.cnn.com:443 -CAfile /etc/certs/root-cert.pem 2>/dev/null"
    [[ $output == *$'\nVerification error: self-signed certificate in certificate chain\n'* ]]
}
