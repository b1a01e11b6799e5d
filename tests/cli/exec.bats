#!/usr/bin/env bats
# kubectl exec: finding pod and container, the image's programs, exit codes.
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
    export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    kubectl apply -f "$BATS_TEST_DIRNAME/../../samples/sleep/sleep.yaml" >/dev/null
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plain\n' | kubectl apply -f - >/dev/null
    kubectl apply -n plain -f "$BATS_TEST_DIRNAME/../../samples/httpbin/httpbin.yaml" >/dev/null
}

setup() { export MESHSIM_HOME="$BATS_FILE_TMPDIR/home"; POD=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}'); }

@test "hostname and cat /etc/hostname print the pod name" {
    run kubectl exec "$POD" -c sleep -- hostname
    [ "$status" -eq 0 ]
    [ "$output" = "$POD" ]
    run kubectl exec "$POD" -c sleep -- cat /etc/hostname
    [ "$output" = "$POD" ]
}

@test "resolv.conf and hosts are the kubelet's" {
    run kubectl exec "$POD" -c sleep -- cat /etc/resolv.conf
    [ "$output" = "search default.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5" ]
    ip=$(kubectl get pod "$POD" -o jsonpath='{.status.podIP}')
    run kubectl exec "$POD" -c sleep -- cat /etc/hosts
    [ "${lines[-1]}" = "$ip	$POD" ]
}

@test "without -c the first container is used, with kubectl's note on stderr" {
    run bash -c "kubectl exec $POD -- hostname 2>/dev/null"
    [ "$output" = "$POD" ]
    run bash -c "kubectl exec $POD -- hostname 2>&1 >/dev/null"
    [ "$output" = 'Defaulted container "sleep" out of: sleep, istio-proxy, istio-init (init)' ]
}

@test "deploy/NAME picks the deployment's pod" {
    run kubectl exec deploy/sleep -c sleep -- hostname
    [ "$output" = "$POD" ]
    run kubectl exec deployment/nosuch -- hostname
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): deployments.apps "nosuch" not found' ]
}

@test "a missing pod is NotFound" {
    run kubectl exec nosuch -- hostname
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): pods "nosuch" not found' ]
}

@test "a missing container cannot be reached" {
    run kubectl exec "$POD" -c nosuch -- hostname
    [ "$status" -eq 1 ]
    [ "$output" = 'error: unable to upgrade connection: container not found ("nosuch")' ]
}

@test "a program the image lacks: the runtime's error and exit code 127" {
    run -127 kubectl exec "$POD" -c sleep -- pilot-agent request GET stats
    [ "$status" -eq 127 ]
    [ "$output" = 'OCI runtime exec failed: exec failed: unable to start container process: exec: "pilot-agent": executable file not found in $PATH: unknown
command terminated with exit code 127' ]
    run -127 kubectl exec -n plain deploy/httpbin -- curl -s http://httpbin
    [ "$status" -eq 127 ]
}

@test "a failing program: command terminated with its exit code" {
    run kubectl exec "$POD" -c sleep -- cat /nonexistent
    [ "$status" -eq 1 ]
    [ "$output" = "cat: can't open '/nonexistent': No such file or directory
command terminated with exit code 1" ]
}

@test "sh -c with pipes, && and ||" {
    run kubectl exec "$POD" -c sleep -- sh -c 'cat /etc/resolv.conf | grep nameserver'
    [ "$output" = "nameserver 10.96.0.10" ]
    run kubectl exec "$POD" -c sleep -- sh -c 'cat /etc/hosts | wc -l'
    [ "$output" = "8" ]
    run kubectl exec "$POD" -c sleep -- sh -c 'false_cmd || echo fallback; echo one && echo two'
    [ "$output" = "sh: false_cmd: not found
fallback
one
two" ]
    run kubectl exec "$POD" -c sleep -- sh -c 'cat /etc/resolv.conf | head -n 1 | tail -1'
    [ "$output" = "search default.svc.cluster.local svc.cluster.local cluster.local" ]
    run kubectl exec "$POD" -c sleep -- sh -c 'grep -q nothing /etc/hosts'
    [ "$status" -eq 1 ]
    [ "$output" = "command terminated with exit code 1" ]
}

@test "time reports the virtual time sleep consumed" {
    run kubectl exec "$POD" -c sleep -- time sleep 2
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "real	0m 2.00s" ]
}

@test "env shows the container's environment" {
    run kubectl exec "$POD" -c istio-proxy -- env
    [[ "$output" == *"HOSTNAME=$POD"* ]]
    [[ "$output" == *"POD_NAME=$POD"* ]]
    [[ "$output" == *"POD_NAMESPACE=default"* ]]
}

@test "the proxy image has pilot-agent, curl and openssl; other images only the basics" {
    gw=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items[0].metadata.name}')
    run kubectl exec -n istio-system "$gw" -- hostname
    [ "$output" = "$gw" ]
    run kubectl exec -n plain deploy/httpbin -- cat /etc/hostname
    [ "$status" -eq 0 ]
    run -127 kubectl exec -n plain deploy/httpbin -- sh -c true
    [ "$status" -eq 127 ]
}

@test "the gateway's certificate chain is in /etc/certs (Istio 1.4)" {
    gw=$(kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items[0].metadata.name}')
    run bash -c "kubectl exec -i -n istio-system $gw -- cat /etc/certs/cert-chain.pem </dev/null | openssl x509 -noout -ext subjectAltName"
    [[ "$output" == *"URI:spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account"* ]]
}

@test "ConfigMap volumes are readable" {
    cat <<'Y' | kubectl apply -f -
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  greeting: hello from a configmap
---
apiVersion: v1
kind: Pod
metadata:
  name: withcm
  annotations:
    sidecar.istio.io/inject: "false"
spec:
  containers:
  - name: c
    image: curlimages/curl
    volumeMounts:
    - name: v
      mountPath: /etc/cfg
  volumes:
  - name: v
    configMap:
      name: cfg
Y
    run kubectl exec withcm -- cat /etc/cfg/greeting
    [ "$output" = "hello from a configmap" ]
}

@test "usage errors" {
    run kubectl exec "$POD"
    [ "$status" -eq 1 ]
    [ "$output" = "error: you must specify at least one command for the container" ]
    run kubectl exec "$POD" hostname
    [ "$status" -eq 1 ]
    [[ "$output" == "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead"* ]]
    run kubectl exec
    [ "$status" -eq 1 ]
}

@test "-t without a terminal: kubectl's note, and the command still runs" {
    run bash -c "kubectl exec -it $POD -c sleep -- hostname </dev/null"
    [ "$output" = "Unable to use a TTY - input is not a terminal or the right kind of file
$POD" ]
}

@test "-i passes standard input to the program" {
    run bash -c "echo 'echo from-stdin | wc -l' | kubectl exec -i $POD -c sleep -- sh"
    [ "$output" = "1" ]
    run bash -c "printf 'a\nb\n' | kubectl exec -i $POD -c sleep -- wc -l"
    [ "$output" = "2" ]
    run bash -c "printf 'a\nb\n' | kubectl exec $POD -c sleep -- wc -l"
    [ "$output" = "0" ]
}

@test "sh expands \$?, \$NAME and \${NAME}, not inside single quotes" {
    run kubectl exec "$POD" -c sleep -- sh -c 'nothere 2>/dev/null; echo "status $?"; echo $HOSTNAME; echo '"'"'$HOME'"'"''
    [ "$output" = "status 127
$POD
\$HOME" ]
    run kubectl exec "$POD" -c istio-proxy -- sh -c 'echo ${POD_NAMESPACE}/$POD_NAME'
    [ "$output" = "default/$POD" ]
}

@test "the service account token names the pod's namespace and service account" {
    run bash -c "kubectl exec $POD -c sleep -- cat /var/run/secrets/kubernetes.io/serviceaccount/token | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null"
    [[ "$output" == *'"sub":"system:serviceaccount:default:sleep"'* ]]
    run kubectl exec "$POD" -c sleep -- cat /var/run/secrets/kubernetes.io/serviceaccount/namespace
    [ "$output" = "default" ]
}

@test "an init container has finished: nothing to exec into" {
    run kubectl exec "$POD" -c istio-init -- hostname
    [ "$status" -eq 1 ]
    [ "$output" = 'error: unable to upgrade connection: container not found ("istio-init")' ]
}

@test "absurd sleep durations neither hang nor overflow the clock" {
    run kubectl exec "$POD" -c sleep -- time sleep 1e300
    [ "$status" -eq 0 ]
    run kubectl exec "$POD" -c sleep -- sleep abc
    [ "$status" -eq 1 ]
    [ "$output" = "sleep: invalid number 'abc'
command terminated with exit code 1" ]
}

@test "exec -i reads a pipe from another kubectl exec without waiting for the store" {
    run timeout "$(bound 10)" bash -c "kubectl exec '$POD' -c sleep -- cat /etc/hostname | kubectl exec -i '$POD' -c sleep -- cat"
    [ "$status" -eq 0 ]
    [ "$output" = "$POD" ]
}

@test "exec -i with empty input gives the program an empty stdin" {
    run bash -c "kubectl exec -i '$POD' -c sleep -- cat </dev/null"
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
}
