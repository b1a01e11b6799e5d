#!/usr/bin/env bats
# kubectl patch: strategic merge (built-in kinds), JSON merge and JSON patch; --local prints
# what the real kubectl prints (fixtures/patch/*.out come from kubectl v1.32); on the cluster the
# result is validated, admitted and stored, and a changed pod template rolls out new pods.
load helpers

setup() {
    fresh_cluster
    P="$BATS_TEST_DIRNAME/fixtures/patch"
}

@test "patch --local: a strategic merge of containers and volumes, byte for byte as kubectl" {
    run kubectl patch --local -f "$P/sleep-deployment.yaml" -o yaml \
        -p '{"spec":{"template":{"spec":{"containers":[{"name":"sleep","volumeMounts":[{"name":"b","mountPath":"/b"}]}],"volumes":[{"name":"b","secret":{"secretName":"b"}}]}}}}'
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$P/strategic-volumes.out")" ]
    [ ! -e "$MESHSIM_HOME" ]   # --local never opens the store
}

@test "patch --local: patched, (no change), YAML patches, -o name and jsonpath" {
    run kubectl patch --local -f "$P/sleep-deployment.yaml" -p '{"spec":{"replicas":2}}'
    [ "$output" = "deployment.apps/sleep patched" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" -p '{"spec":{"replicas":1}}'
    [ "$output" = "deployment.apps/sleep patched (no change)" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" -p 'spec: {replicas: 4}' -o jsonpath='{.spec.replicas}'
    [ "$output" = "4" ]
    printf 'spec:\n  replicas: 7\n' >"$BATS_TEST_TMPDIR/p.yaml"
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --patch-file "$BATS_TEST_TMPDIR/p.yaml" --type merge -o name
    [ "$output" = "deployment.apps/sleep" ]
}

@test "patch --local --type json: RFC 6902 operations and kubectl's errors" {
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type json -o jsonpath='{.spec.template.spec.containers[*].name}' \
        -p '[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"x","image":"y"}}]'
    [ "$status" -eq 0 ]
    [ "$output" = "sleep x" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type json -p '[{"op":"test","path":"/spec/replicas","value":3}]'
    [ "$status" -eq 1 ]
    [ "$output" = "error: testing value /spec/replicas failed: test failed" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type json -p '[{"op":"remove","path":"/spec/x"}]'
    [ "$output" = "error: error in remove for path: '/spec/x': Unable to remove nonexistent key: x: missing value" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type json -p '{"op":"remove"}'
    [ "$output" = "error: json: cannot unmarshal object into Go value of type jsonpatch.Patch" ]
}

@test "patch: flag and argument errors as kubectl prints them" {
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type foo -p '{}'
    [ "$status" -eq 1 ]
    [ "$output" = 'error: --type must be one of [json merge strategic], not "foo"' ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml"
    [ "$output" = "error: must specify --patch or --patch-file containing the contents of the patch" ]
    run kubectl patch --local deployment sleep -p '{}'
    [ "$output" = "error: cannot specify --local and server resources" ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" --type merge -p 'a: ['
    [ "$output" = 'error: unable to parse "a: [": yaml: line 1: did not find expected node content' ]
    run kubectl patch --local -f "$P/sleep-deployment.yaml" -p '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}'
    [ "$output" = "error: map: map[image:x] does not contain declared merge key: name" ]
    run kubectl patch deployment -p '{}'
    [ "$output" = "error: resource(s) were provided, but no name was specified" ]
    run kubectl patch deployment nothere -p '{}'
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): deployments.apps "nothere" not found' ]
    kubectl apply -f "$P/sleep-deployment.yaml" >/dev/null
    run kubectl patch deployment sleep -p '{"spec":{"template":{"spec":{"containers":[{"image":"httpd"}]}}}}'
    [ "$status" -eq 1 ]
    [ "$output" = "Error from server: map: map[image:httpd] does not contain declared merge key: name" ]
}

@test "patch deployment: a new image rolls out a new ReplicaSet and pod; generation bumps; again is (no change)" {
    kubectl apply -f "$P/sleep-deployment.yaml" >/dev/null
    old=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    run kubectl patch deployment sleep -p '{"spec":{"template":{"spec":{"containers":[{"name":"sleep","image":"curlimages/curl:8.5.0"}]}}}}'
    [ "$status" -eq 0 ]
    [ "$output" = "deployment.apps/sleep patched" ]
    run kubectl get deploy sleep -o jsonpath='{.metadata.generation}'
    [ "$output" = "2" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[*].spec.containers[0].image}'
    [ "$output" = "curlimages/curl:8.5.0" ]
    new=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    [ "$new" != "$old" ]
    run kubectl get rs -o jsonpath='{.items[*].spec.replicas}'
    [[ $output == "0 1" || $output == "1 0" ]]
    rv=$(kubectl get deploy sleep -o jsonpath='{.metadata.resourceVersion}')
    run kubectl patch deploy/sleep -p '{"spec":{"template":{"spec":{"containers":[{"name":"sleep","image":"curlimages/curl:8.5.0"}]}}}}'
    [ "$output" = "deployment.apps/sleep patched (no change)" ]
    [ "$(kubectl get deploy sleep -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
}

@test "patch svc: ports merge by port; -n; the result is validated and a refused patch changes nothing" {
    kubectl create namespace web >/dev/null
    kubectl apply -n web -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
EOF
    run kubectl patch svc web -n web -p '{"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}'
    [ "$output" = "service/web patched" ]
    run kubectl get svc web -n web -o jsonpath='{.spec.ports[*].port}'
    [ "$output" = "443 80" ]
    run kubectl patch svc web -n web --type json -p '[{"op":"replace","path":"/spec/ports/0/port","value":"x"}]'
    [ "$status" -eq 1 ]
    [[ $output == *'cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32'* ]]
    run kubectl get svc web -n web -o jsonpath='{.spec.ports[*].port}'
    [ "$output" = "443 80" ]
}

@test "patch of an Istio kind: strategic refused as the API server refuses it, merge and json patches work" {
    kubectl apply -f - >/dev/null <<'EOF'
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cnn}
spec:
  host: edition.cnn.com
EOF
    run kubectl patch destinationrule cnn -p '{"spec":{"trafficPolicy":{"tls":{"mode":"SIMPLE"}}}}'
    [ "$status" -eq 1 ]
    [ "$output" = "error: application/strategic-merge-patch+json is not supported by networking.istio.io/v1alpha3, Kind=DestinationRule: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" ]
    run kubectl patch dr/cnn --type merge -p '{"spec":{"trafficPolicy":{"tls":{"mode":"SIMPLE"}}}}'
    [ "$output" = "destinationrule.networking.istio.io/cnn patched" ]
    run kubectl get dr cnn -o jsonpath='{.spec.trafficPolicy.tls.mode} {.metadata.generation}'
    [ "$output" = "SIMPLE 2" ]
    run kubectl patch dr cnn --type json -p '[{"op":"replace","path":"/spec/trafficPolicy/tls/mode","value":"BOGUS"}]'
    [ "$status" -eq 1 ]
    # the server's answers to a JSON patch it cannot decode, and to one that does not apply
    run kubectl patch dr cnn --type json -p '{"op":"remove"}'
    [ "$output" = "Error from server (BadRequest): json: cannot unmarshal object into Go value of type jsonpatch.Patch" ]
    run kubectl patch dr cnn --type json -p '[{"op":"test","path":"/spec/host","value":"x"}]'
    [ "$status" -eq 1 ]
    [ "$output" = "The request is invalid: the server rejected our request due to an error in our request" ]
    run kubectl get dr cnn -o jsonpath='{.spec.trafficPolicy.tls.mode}'
    [ "$output" = "SIMPLE" ]
    run kubectl patch --local -f - -p '{"spec":{"host":"y"}}' <<'EOF'
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cnn}
spec: {host: x}
EOF
    [ "$output" = "error: strategic merge patch is not supported for networking.istio.io/v1alpha3, Kind=DestinationRule locally, try --type merge" ]
}

@test "patch --dry-run=server and =client validate but store nothing" {
    kubectl apply -f "$P/sleep-deployment.yaml" >/dev/null
    run kubectl patch deploy sleep -p '{"metadata":{"labels":{"tier":"x"}}}' --dry-run=server -o jsonpath='{.metadata.labels.tier}'
    [ "$status" -eq 0 ]
    [ "$output" = "x" ]
    run kubectl patch deploy sleep -p '{"metadata":{"labels":{"tier":"y"}}}' --dry-run=client
    [ "$output" = "deployment.apps/sleep patched" ]
    run kubectl get deploy sleep -o jsonpath='{.metadata.labels}'
    [ "$output" = "" ]
}

@test "Istio 1.4's mutual TLS origination: patch the egress gateway to mount the client certificates" {
    istioctl install --set profile=demo -y >/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=client \
        -keyout "$BATS_TEST_TMPDIR/tls.key" -out "$BATS_TEST_TMPDIR/tls.crt" 2>/dev/null
    kubectl create -n istio-system secret tls nginx-client-certs --key "$BATS_TEST_TMPDIR/tls.key" --cert "$BATS_TEST_TMPDIR/tls.crt" >/dev/null
    run kubectl -n istio-system patch --type=json deploy istio-egressgateway -p='[{"op": "add", "path": "/spec/template/spec/volumes/0", "value": {"name": "nginx-client-certs", "secret": {"secretName": "nginx-client-certs", "optional": true}}}]'
    [ "$output" = "deployment.apps/istio-egressgateway patched" ]
    run kubectl patch deployment istio-egressgateway -n istio-system -p '{"spec":{"template":{"spec":{"containers":[{"name":"istio-proxy","volumeMounts":[{"mountPath":"/etc/nginx-client-certs","name":"nginx-client-certs","readOnly":true}]}]}}}}'
    [ "$output" = "deployment.apps/istio-egressgateway patched" ]
    gw=$(kubectl get pod -n istio-system -l istio=egressgateway -o jsonpath='{.items[0].metadata.name}')
    run kubectl exec -n istio-system "$gw" -- cat /etc/nginx-client-certs/tls.crt
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$BATS_TEST_TMPDIR/tls.crt")" ]
    run kubectl get pod -n istio-system -l istio=egressgateway -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "$gw" ]   # the old pod is gone: one gateway pod
}
