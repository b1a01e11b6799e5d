#!/usr/bin/env bats
# Outside hosts that demand a client certificate from a CA the user made with openssl
# (ExternalService spec.tls.clientCA, meshsim-world(5)): the client certificate a pod presents
# with curl --cert/--key or openssl s_client -cert/-key is accepted, a missing one or one from
# another CA is refused as a real TLS server refuses it.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    C="$BATS_FILE_TMPDIR/certs"
    mkdir -p "$C"
    cd "$C"
    # what Istio's mutual TLS origination pages do with openssl: a CA, and a client certificate it signs
    openssl req -x509 -sha256 -nodes -days 365 -newkey rsa:2048 -subj '/O=example Inc./CN=example.com' \
        -keyout example.com.key -out example.com.crt 2>/dev/null
    openssl req -out client.example.com.csr -newkey rsa:2048 -nodes -keyout client.example.com.key \
        -subj "/CN=client.example.com/O=client organization" 2>/dev/null
    openssl x509 -req -sha256 -days 365 -CA example.com.crt -CAkey example.com.key -set_serial 1 \
        -in client.example.com.csr -out client.example.com.crt 2>/dev/null
    openssl req -x509 -sha256 -nodes -days 365 -newkey rsa:2048 -subj '/CN=rogue' -keyout rogue.key -out rogue.crt 2>/dev/null
    kubectl create secret generic api-client-ca --from-file=ca.crt=example.com.crt >/dev/null
    kubectl create configmap client-certs --from-file=client.example.com.crt --from-file=client.example.com.key \
        --from-file=rogue.crt --from-file=rogue.key >/dev/null
    kubectl apply -f - >/dev/null <<'YAML'
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata:
  name: mtls-api.example.com
spec:
  hosts: [mtls-api.example.com]
  addresses: [198.51.100.30]
  ports:
  - {number: 443, protocol: HTTPS}
  tls:
    clientAuth: require
    clientCA: {secretName: api-client-ca, namespace: default}
  http:
  - response:
      headers: {content-type: application/json}
      body: '{"ok": true}'
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
      - name: client
        image: curlimages/curl
        command: ["/bin/sleep", "3650d"]
        volumeMounts: [{name: certs, mountPath: /etc/client}]
      volumes: [{name: certs, configMap: {name: client-certs}}]
YAML
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    C="$BATS_FILE_TMPDIR/certs"
    POD=$(kubectl get pod -l app=client -o jsonpath='{.items[0].metadata.name}')
}

@test "curl --cert/--key with a certificate of the user's CA: the host answers" {
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/client.example.com.crt --key /etc/client/client.example.com.key https://mtls-api.example.com/"
    [ "$status" -eq 0 ]
    [ "$output" = '{"ok": true}' ]
}

@test "curl without a client certificate: exit 56, TLS 1.3's certificate-required alert" {
    runsh "kubectl exec $POD -- curl -sS https://mtls-api.example.com/"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} =~ ^curl:\ \(56\)\ OpenSSL\ SSL_read:\ OpenSSL/3\.[0-9.]+:\ error:0A00045C:SSL\ routines::tlsv13\ alert\ certificate\ required,\ errno\ 0$ ]]
}

@test "curl with a certificate of another CA: exit 56, unknown ca" {
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/rogue.crt --key /etc/client/rogue.key https://mtls-api.example.com/"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} =~ ^curl:\ \(56\)\ OpenSSL\ SSL_read:\ OpenSSL/3\.[0-9.]+:\ error:0A000418:SSL\ routines::tlsv1\ alert\ unknown\ ca,\ errno\ 0$ ]]
}

@test "openssl s_client -cert/-key: the host names the user's CA as acceptable and the handshake verifies" {
    runsh "kubectl exec $POD -- openssl s_client -connect mtls-api.example.com:443 -servername mtls-api.example.com -cert /etc/client/client.example.com.crt -key /etc/client/client.example.com.key </dev/null"
    [ "$status" -eq 0 ]
    [[ $output == *$'\nAcceptable client certificate CA names\nO = example Inc., CN = example.com\n'* ]]
    [[ $output == *$'\nVerify return code: 0 (ok)\n'* ]]
}

@test "the CA inline as PEM works the same; changing it to another CA refuses the old client" {
    ca=$(sed 's/^/        /' "$C/example.com.crt")
    kubectl apply -f - >/dev/null <<YAML
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata:
  name: inline-api.example.com
spec:
  hosts: [inline-api.example.com]
  addresses: [198.51.100.31]
  ports:
  - {number: 443, protocol: HTTPS}
  http:
  - response: {body: inline ok}
  tls:
    clientAuth: require
    clientCA:
      pem: |
$ca
YAML
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/client.example.com.crt --key /etc/client/client.example.com.key https://inline-api.example.com/"
    [ "$status" -eq 0 ]
    [ "$output" = "inline ok" ]
    kubectl create secret generic rogue-ca --from-file=ca.crt="$C/rogue.crt" >/dev/null
    kubectl patch externalservice inline-api.example.com --type merge \
        -p '{"spec":{"tls":{"clientCA":{"pem":null,"secretName":"rogue-ca","namespace":"default"}}}}' >/dev/null
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/client.example.com.crt --key /etc/client/client.example.com.key https://inline-api.example.com/"
    [ "$status" -eq 56 ]
    [[ ${lines[0]} == *"tlsv1 alert unknown ca, errno 0" ]]
}

@test "a clientCA naming a Secret that does not exist trusts no one" {
    kubectl patch externalservice inline-api.example.com --type merge -p '{"spec":{"tls":{"clientCA":{"secretName":"api-client-ca"}}}}' >/dev/null
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/client.example.com.crt --key /etc/client/client.example.com.key https://inline-api.example.com/"
    [ "$status" -eq 0 ]
    kubectl patch externalservice inline-api.example.com --type merge -p '{"spec":{"tls":{"clientCA":{"secretName":"nothere"}}}}' >/dev/null
    runsh "kubectl exec $POD -- curl -sS --cert /etc/client/client.example.com.crt --key /etc/client/client.example.com.key https://inline-api.example.com/"
    [ "$status" -eq 56 ]
}

@test "clientCA is validated at apply, naming the field; nothing is stored" {
    es() {
        printf 'apiVersion: meshsim.dev/v1alpha1\nkind: ExternalService\nmetadata: {name: bad.example.com}\n'
        printf 'spec:\n  hosts: [bad.example.com]\n  addresses: [198.51.100.40]\n  ports: [{number: 443, protocol: HTTPS}]\n'
        printf '  tls: %s\n' "$1"
    }
    run kubectl apply -f - <<<"$(es '{clientAuth: require, clientCA: {pem: "not a certificate"}}')"
    [ "$status" -eq 1 ]
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA.pem: no PEM certificate (-----BEGIN CERTIFICATE-----) in it' ]
    run kubectl apply -f - <<<"$(es '{clientAuth: require, clientCA: {secretName: ca}}')"
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA.namespace: required with secretName (an ExternalService has no namespace)' ]
    run kubectl apply -f - <<<"$(es '{clientAuth: require, clientCA: {secretName: ca, namespace: default, pem: x}}')"
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA: give exactly one of pem and secretName' ]
    run kubectl apply -f - <<<"$(es '{clientCA: {secretName: ca, namespace: default}}')"
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA: clientAuth must be request or require to use it' ]
    run kubectl apply -f - <<<"$(es '{clientAuth: require, clientCA: {secretName: ca, namespace: default, file: x}}')"
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA: unknown field "file"' ]
    run kubectl apply -f - <<<"$(es '{clientAuth: require, clientCA: {secretName: Bad_Name, namespace: default}}')"
    [ "$output" = 'The ExternalService "bad.example.com" is invalid: spec.tls.clientCA.secretName: "Bad_Name" is not a valid Secret name' ]
    run kubectl get externalservice bad.example.com
    [ "$status" -eq 1 ]
}
