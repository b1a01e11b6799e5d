#!/usr/bin/env bats
# A DOWNSTREAM TLS handshake that fails at a gateway terminating TLS: what the proxy logs and counts.
#  - A failed handshake on a filter chain that matched (MUTUAL without a client certificate, a client
#    certificate from an unknown CA, a client refusing the gateway's certificate) writes no
#    access-log line in either release: the HTTP connection manager never sees a request, and the
#    listener-level access log Istio adds from 1.8 on is filtered to NR (no filter chain).  Envoy
#    counts it under listener.<address>.ssl.* (fail_verify_no_cert, fail_verify_error,
#    connection_error) and downstream_cx_total.
#  - A connection no filter chain takes (wrong SNI, no SNI, plain text on the TLS port): 1.4's proxy
#    (Envoy 1.13) has no listener-level access log and writes nothing; 1.24's writes
#    `"- - -" 0 NR filter_chain_not_found ...`.  Both count listener.<address>.no_filter_chain_match.
load helpers

cluster() {   # cluster HOME TAG
    export MESHSIM_HOME="$1"
    istioctl install --set tag="$2" --set profile=demo --set meshConfig.accessLogFile=/dev/stdout -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$ROOT/samples/httpbin/httpbin.yaml" >/dev/null
    kubectl -n istio-system create secret tls httpbin-credential --key="$C/httpbin.key" --cert="$C/httpbin.crt" >/dev/null
    kubectl -n istio-system create secret generic httpbin-mtls --from-file=tls.key="$C/httpbin.key" \
        --from-file=tls.crt="$C/httpbin.crt" --from-file=ca.crt="$C/example.com.crt" >/dev/null
    kubectl apply -f "$F/ingress.yaml" >/dev/null
    kubectl create namespace legacy >/dev/null
    kubectl -n legacy create configmap example-certs --from-file="$C/example.com.crt" --from-file="$C/client.crt" \
        --from-file="$C/client.key" --from-file="$C/rogue-client.crt" --from-file="$C/rogue-client.key" >/dev/null
    kubectl apply -f "$F/client.yaml" >/dev/null
}

setup_file() {
    F="$BATS_TEST_DIRNAME/fixtures/tls"
    C="$BATS_FILE_TMPDIR/certs"
    mkdir -p "$C"
    "$F/certs.sh" "$C"
    cluster "$BATS_FILE_TMPDIR/home14" 1.4.6
    cluster "$BATS_FILE_TMPDIR/home124" 1.24
}

use() {   # use 14|124: point the tools at that cluster
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home$1"
    CLIENT=$(kubectl get pod -n legacy -l app=client -o jsonpath='{.items[0].metadata.name}')
    INGRESS=$(kubectl -n istio-system get service istio-ingressgateway -o jsonpath='{.spec.clusterIP}')
    GW=$(kubectl get pod -n istio-system -l istio=ingressgateway -o jsonpath='{.items[0].metadata.name}')
    R="--resolve mtls.example.com:443:$INGRESS --resolve httpbin.example.com:443:$INGRESS --resolve other.example.com:443:$INGRESS"
    LISTENER="0.0.0.0_$([ "$1" = 14 ] && echo 443 || echo 8443)"
}

gw_log_lines() { kubectl logs -n istio-system "$GW" | grep -c '^\[' || true; }
# one counter of the gateway's Envoy (0 when absent)
gw_stat() {
    local v
    v=$(kubectl exec -n istio-system "$GW" -- pilot-agent request GET stats | sed -n "s/^$1: //p")
    echo "${v:-0}"
}

curl_client() { runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R --cacert /etc/example/example.com.crt $*"; }

@test "1.4 and 1.24: MUTUAL without a client certificate: curl 56, no access-log line, ssl.fail_verify_no_cert" {
    for rel in 14 124; do
        use $rel
        lines0=$(gw_log_lines)
        n0=$(gw_stat "listener.$LISTENER.ssl.fail_verify_no_cert")
        cx0=$(gw_stat "listener.$LISTENER.downstream_cx_total")
        curl_client https://mtls.example.com/status/200
        [ "$status" -eq 56 ]
        [[ ${lines[0]} == *"tlsv13 alert certificate required, errno 0" ]]
        [ "$(gw_log_lines)" -eq "$lines0" ]
        [ "$(gw_stat "listener.$LISTENER.ssl.fail_verify_no_cert")" -eq $((n0 + 1)) ]
        [ "$(gw_stat "listener.$LISTENER.downstream_cx_total")" -eq $((cx0 + 1)) ]
    done
}

@test "1.4 and 1.24: MUTUAL with a client certificate from an unknown CA: curl 56, no line, ssl.fail_verify_error" {
    for rel in 14 124; do
        use $rel
        lines0=$(gw_log_lines)
        n0=$(gw_stat "listener.$LISTENER.ssl.fail_verify_error")
        curl_client --cert /etc/example/rogue-client.crt --key /etc/example/rogue-client.key https://mtls.example.com/status/200
        [ "$status" -eq 56 ]
        [[ ${lines[0]} == *"tlsv1 alert unknown ca, errno 0" ]]
        [ "$(gw_log_lines)" -eq "$lines0" ]
        [ "$(gw_stat "listener.$LISTENER.ssl.fail_verify_error")" -eq $((n0 + 1)) ]
    done
}

@test "1.4 and 1.24: the client refuses the gateway's certificate (unknown CA, curl 60): no line, ssl.connection_error" {
    for rel in 14 124; do
        use $rel
        lines0=$(gw_log_lines)
        n0=$(gw_stat "listener.$LISTENER.ssl.connection_error")
        runsh "kubectl exec -n legacy $CLIENT -- curl -sS $R https://httpbin.example.com/status/200"
        [ "$status" -eq 60 ]
        [ "$(gw_log_lines)" -eq "$lines0" ]
        [ "$(gw_stat "listener.$LISTENER.ssl.connection_error")" -eq $((n0 + 1)) ]
    done
}

@test "1.4 and 1.24: a good handshake counts ssl.handshake, its version and cipher, and logs the request" {
    for rel in 14 124; do
        use $rel
        n0=$(gw_stat "listener.$LISTENER.ssl.handshake")
        v0=$(gw_stat "listener.$LISTENER.ssl.versions.TLSv1.3")
        curl_client -o /dev/null https://httpbin.example.com/status/200
        [ "$status" -eq 0 ]
        [ "$(gw_stat "listener.$LISTENER.ssl.handshake")" -eq $((n0 + 1)) ]
        [ "$(gw_stat "listener.$LISTENER.ssl.versions.TLSv1.3")" -eq $((v0 + 1)) ]
        run bash -c "kubectl logs -n istio-system $GW --tail=1"
        [[ $output == *'"GET /status/200 HTTP/2" 200 '* ]]
    done
}

@test "wrong SNI: 1.4 writes nothing, 1.24 logs NR filter_chain_not_found; both count no_filter_chain_match" {
    use 14
    lines0=$(gw_log_lines)
    n0=$(gw_stat "listener.$LISTENER.no_filter_chain_match")
    curl_client https://other.example.com/status/200
    [ "$status" -eq 35 ]
    [ "$(gw_log_lines)" -eq "$lines0" ]
    [ "$(gw_stat "listener.$LISTENER.no_filter_chain_match")" -eq $((n0 + 1)) ]
    use 124
    n0=$(gw_stat "listener.$LISTENER.no_filter_chain_match")
    curl_client https://other.example.com/status/200
    [ "$status" -eq 35 ]
    run bash -c "kubectl logs -n istio-system $GW --tail=1"
    [[ $output == *'] "- - -" 0 NR filter_chain_not_found - "-" 0 0 '*' "-" "-" "-" "-" "-" - - 10.244.'*':8443 10.244.'*' other.example.com -' ]]
    [ "$(gw_stat "listener.$LISTENER.no_filter_chain_match")" -eq $((n0 + 1)) ]
}

@test "plain HTTP on the TLS port: curl 52; 1.4 writes nothing, 1.24 logs NR with no SNI" {
    use 14
    lines0=$(gw_log_lines)
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS http://$INGRESS:443/status/418"
    [ "$status" -eq 52 ]
    [ "$(gw_log_lines)" -eq "$lines0" ]
    use 124
    runsh "kubectl exec -n legacy $CLIENT -- curl -sS http://$INGRESS:443/status/418"
    [ "$status" -eq 52 ]
    run bash -c "kubectl logs -n istio-system $GW --tail=1"
    [[ $output == *'] "- - -" 0 NR filter_chain_not_found - "-" 0 0 '*' - -' ]]
}

@test "1.4 and 1.24: STRICT sidecar, TLS without or with a foreign client certificate: 56, no line, 0.0.0.0_15006 ssl counters" {
    for rel in 14 124; do
        use $rel
        HB=$(kubectl get pod -l app=httpbin -o jsonpath='{.items[0].metadata.name}')
        kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: STRICT}}
EOF2
        sidecar_lines() { kubectl logs "$HB" -c istio-proxy | grep -c '^\[' || true; }
        sstat() {
            local v
            v=$(kubectl exec "$HB" -c istio-proxy -- pilot-agent request GET stats | sed -n "s/^listener.0.0.0.0_15006.ssl.$1: //p")
            echo "${v:-0}"
        }
        lines0=$(sidecar_lines)
        nc0=$(sstat fail_verify_no_cert)
        ve0=$(sstat fail_verify_error)
        runsh "kubectl exec -n legacy $CLIENT -- curl -sS -k https://httpbin.default:8000/ip"
        s1=$status
        runsh "kubectl exec -n legacy $CLIENT -- curl -sS -k --cert /etc/example/client.crt --key /etc/example/client.key https://httpbin.default:8000/ip"
        s2=$status
        kubectl delete peerauthentication default >/dev/null
        [ "$s1" -eq 56 ]
        [ "$s2" -eq 56 ]
        [[ ${lines[0]} == *"tlsv1 alert unknown ca, errno 0" ]]
        [ "$(sidecar_lines)" -eq "$lines0" ]
        [ "$(sstat fail_verify_no_cert)" -eq $((nc0 + 1)) ]
        [ "$(sstat fail_verify_error)" -eq $((ve0 + 1)) ]
    done
}
