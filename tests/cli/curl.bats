#!/usr/bin/env bats
# curl inside pods (kubectl exec ... -- curl): real libcurl through the
# simulated sidecars and gateways to the simulated outside world, with what
# curl prints, the exit codes kubectl passes on, and the proxies' logs/stats.
load helpers

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    rm -rf "$MESHSIM_HOME"
    cd "$ROOT"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f samples/sleep/sleep.yaml >/dev/null
    kubectl create namespace plain >/dev/null
    kubectl apply -n plain -f samples/sleep/sleep.yaml >/dev/null
}

setup() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    cd "$ROOT"
    SLEEP=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    PLAIN=$(kubectl get pod -n plain -l app=sleep -o jsonpath='{.items[0].metadata.name}')
}

@test "http to edition.cnn.com: 301 through the sidecar, then HTTP/2 200 over TLS" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -sSL -o /dev/null -D - http://edition.cnn.com/politics"
    [ "$status" -eq 0 ]
    [[ "$output" == *$'HTTP/1.1 301 Moved Permanently\r\n'* ]]
    [[ "$output" == *$'location: https://edition.cnn.com/politics\r\n'* ]]
    [[ "$output" == *$'server: envoy\r\n'* ]]
    [[ "$output" == *$'\r\n\r\nHTTP/2 200 \r\ncontent-type: text/html; charset=utf-8\r\n'* ]]
}

@test "the sidecar logs the request and the TLS connection" {
    kubectl exec "$SLEEP" -c sleep -- curl -sSL -o /dev/null http://edition.cnn.com/politics
    runsh "kubectl logs $SLEEP -c istio-proxy"
    echo "$output" | grep -E '^\[[0-9-]+T[0-9:.]+Z\] "GET /politics HTTP/1\.1" 301 - .*"curl/7\.88\.1" "[0-9a-f-]{36}" "edition\.cnn\.com" "151\.101\.[0-9]+\.67:80" PassthroughCluster '
    echo "$output" | grep -E '"- - -" 0 - .*"151\.101\.[0-9]+\.67:443" PassthroughCluster [0-9.:]+ 151\.101\.[0-9]+\.67:443 [0-9.:]+ edition\.cnn\.com -$'
}

@test "-w reports the simulated addresses" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -s -o /dev/null -w '%{http_code} %{remote_ip} %{remote_port} %{num_redirects}\n' -L http://edition.cnn.com/"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^200\ 151\.101\.[0-9]+\.67\ 443\ 1$ ]]
}

@test "-v shows curl's trace with simulated addresses, never the loopback" {
    runsh "kubectl exec $PLAIN -n plain -c sleep -- curl -v -s -o /dev/null https://www.google.com/"
    [ "$status" -eq 0 ]
    [[ "$output" == *'*   Trying 142.250.74.36:443...'* ]]
    [[ "$output" == *'* Connected to www.google.com (142.250.74.36) port 443 (#0)'* ]]
    [[ "$output" == *'< HTTP/2 200'* ]]
    [[ "$output" != *127.0.0.1* ]]
}

@test "an unknown option is curl's error, exit 2" {
    runsh "kubectl exec $SLEEP -c sleep -- curl --no-such-option http://httpbin.org/"
    [ "$status" -eq 2 ]
    [ "$output" = "curl: option --no-such-option: is unknown
curl: try 'curl --help' or 'curl --manual' for more information
command terminated with exit code 2" ]
}

@test "a name nobody knows: exit 6" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS http://no-such-host.example/"
    [ "$status" -eq 6 ]
    [[ "$output" == "curl: (6) Could not resolve host: no-such-host.example"* ]]
}

@test "httpbin.org: status codes, -f, and --max-time on the virtual clock" {
    runsh "kubectl exec $SLEEP -c sleep -- curl -s -o /dev/null -w '%{http_code}' http://httpbin.org/status/418"
    [ "$output" = "418" ]
    runsh "kubectl exec $SLEEP -c sleep -- curl -sSf http://httpbin.org/status/500"
    [ "$status" -eq 22 ]
    [[ "$output" == "curl: (22) The requested URL returned error: 500"* ]]
    SECONDS=0
    runsh "kubectl exec $SLEEP -c sleep -- curl -sS -m 3 http://httpbin.org/delay/10"
    [ "$status" -eq 28 ]
    [[ "$output" =~ Operation\ timed\ out\ after\ 300[0-9]\ milliseconds ]]
    [ "$SECONDS" -lt "$(bound 3)" ]
}

@test "a NetworkPolicy that drops the SYN: timed out, exit 7; --connect-timeout: exit 28" {
    kubectl label ns kube-system kube-system=true --overwrite >/dev/null
    kubectl apply -n plain -f - >/dev/null <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns-only
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kube-system: "true"
    ports:
    - protocol: UDP
      port: 53
EOF2
    SECONDS=0
    runsh "kubectl exec $PLAIN -n plain -c sleep -- curl -v -sS https://edition.cnn.com/politics"
    [ "$status" -eq 7 ]
    echo "$output" | grep -E '^\* connect to 151\.101\.[0-9]+\.67 port 443 failed: Connection timed out$'
    echo "$output" | grep -E "^curl: \(7\) Failed to connect to edition\.cnn\.com port 443 after [0-9]+ ms: Couldn't connect to server$"
    runsh "kubectl exec $PLAIN -n plain -c sleep -- curl -sS -o /dev/null --connect-timeout 2 https://edition.cnn.com/politics"
    [ "$status" -eq 28 ]
    [[ "$output" == "curl: (28) Failed to connect to edition.cnn.com port 443 after 2001 ms: Timeout was reached"* ]]
    [ "$SECONDS" -lt "$(bound 5)" ]
    kubectl delete networkpolicy dns-only -n plain >/dev/null
}

@test "pilot-agent shows the sidecar's counters, Envoy style, sorted" {
    kubectl exec "$SLEEP" -c sleep -- curl -s -o /dev/null http://httpbin.org/get
    runsh "kubectl exec $SLEEP -c istio-proxy -- pilot-agent request GET stats"
    [ "$status" -eq 0 ]
    echo "$output" | grep -E '^cluster\.PassthroughCluster\.upstream_rq_200: [1-9][0-9]*$'
    [ "$output" = "$(sort <<<"$output")" ]
    runsh "kubectl exec $SLEEP -c istio-proxy -- pilot-agent request GET stats/prometheus"
    echo "$output" | grep -E '^istio_requests_total\{reporter="source",.*response_code="200".*\} [1-9]'
}

@test "openssl s_client reaches edition.cnn.com through the sidecar" {
    runsh "kubectl exec $SLEEP -c sleep -- openssl s_client -connect edition.cnn.com:443 -servername edition.cnn.com"
    [[ "$output" == *'CONNECTED('* ]]
    [[ "$output" == *'-----BEGIN CERTIFICATE-----'* ]]
    [[ "$output" == *'Verify return code: 0 (ok)'* ]]
}

@test "-w writes out even when the transfer never starts: 000 for an unknown host" {
    run bash -c "kubectl exec '$SLEEP' -c sleep -- curl -s -o /dev/null -w '%{http_code}\n' http://nonexistent.example/ 2>/dev/null"
    [ "$status" -eq 6 ]
    [ "$output" = "000" ]
}
