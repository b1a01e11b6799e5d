#!/usr/bin/env bats
# The outside world: a new cluster holds the default hosts; users add their own.
load helpers

setup() { fresh_cluster; }

@test "a new cluster knows the default outside hosts" {
    run kubectl get externalservices -o jsonpath='{.items[*].metadata.name}'
    [ "$status" -eq 0 ]
    [[ " $output " == *" edition.cnn.com "* ]]
    [[ " $output " == *" httpbin.org "* ]]
}

@test "an ExternalService against meshsim-world(5) is refused with the field named, and not stored" {
    run kubectl apply -f - <<'YAML'
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata:
  name: dns-only
spec:
  hosts: [dns.example.com]
  addresses: [192.0.2.53]
  ports:
  - number: 53
    protocol: UDP
YAML
    [ "$status" -eq 1 ]
    [[ "$output" == 'The ExternalService "dns-only" is invalid: spec.ports[0].protocol: Unsupported value: "UDP"'* ]]
    run kubectl get externalservice dns-only
    [ "$status" -eq 1 ]
}

@test "a host users add is reachable from a pod" {
    kubectl apply -f - <<'YAML'
apiVersion: meshsim.dev/v1alpha1
kind: ExternalService
metadata:
  name: api.example.com
spec:
  hosts: [api.example.com]
  addresses: [192.0.2.10]
  ports:
  - number: 80
    protocol: HTTP
YAML
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    pod=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    run kubectl exec "$pod" -c sleep -- curl -s -o /dev/null -w '%{http_code} %{remote_ip}' http://api.example.com/
    [ "$status" -eq 0 ]
    [[ "$output" == *" 192.0.2.10" ]]
}
