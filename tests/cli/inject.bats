#!/usr/bin/env bats
# Sidecar injection at pod creation, and istioctl kube-inject.
load helpers

setup() { fresh_cluster; }

containers() { kubectl get pod -n "${2:-default}" -l app="$1" -o jsonpath='{.items[0].spec.containers[*].name}'; }

@test "no injection without the namespace label" {
    istioctl install --set profile=demo -y
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run containers sleep
    [ "$output" = "sleep" ]
    run kubectl get pod -l app=sleep
    [[ "${lines[1]}" =~ \ 1/1\ +Running ]]
}

@test "istio-injection=enabled injects istio-init and istio-proxy" {
    istioctl install --set profile=demo -y
    run kubectl label namespace default istio-injection=enabled
    [ "$output" = "namespace/default labeled" ]
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run containers sleep
    [ "$output" = "sleep istio-proxy" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].spec.initContainers[*].name} {.items[0].spec.containers[1].image} {.items[0].spec.containers[1].ports[0].containerPort} {.items[0].spec.containers[1].ports[0].name}'
    [ "$output" = "istio-init docker.io/istio/proxyv2:1.4.6 15090 http-envoy-prom" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].spec.containers[1].args[0]} {.items[0].spec.containers[1].args[1]}'
    [ "$output" = "proxy sidecar" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.labels.security\.istio\.io/tlsMode} {.items[0].metadata.labels.service\.istio\.io/canonical-name} {.items[0].metadata.labels.service\.istio\.io/canonical-revision}'
    [ "$output" = "istio sleep latest" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.annotations.sidecar\.istio\.io/status}'
    [[ "$output" == *'"containers":["istio-proxy"]'* ]]
    run kubectl get pod -l app=sleep
    [[ "${lines[1]}" =~ \ 2/2\ +Running ]]
}

@test "no injection before Istio is installed" {
    kubectl label namespace default istio-injection=enabled
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run containers sleep
    [ "$output" = "sleep" ]
}

@test "labelling a namespace does not change running pods; a new pod is injected" {
    istioctl install --set profile=demo -y
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    kubectl label namespace default istio-injection=enabled
    run containers sleep
    [ "$output" = "sleep" ]
    kubectl delete deployment sleep
    run kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    [ "$output" = "serviceaccount/sleep unchanged
service/sleep unchanged
deployment.apps/sleep created" ]
    run containers sleep
    [ "$output" = "sleep istio-proxy" ]
}

@test "sidecar.istio.io/inject: false opts a pod out; istio-injection=disabled a namespace" {
    istioctl install --set profile=demo -y
    kubectl label namespace default istio-injection=enabled
    awk '/^      labels:/ && !done {print; print "        sidecar.istio.io/inject: \"false\""; done=1; next} {print}' \
        "$ROOT/samples/sleep/sleep.yaml" | kubectl apply -f -
    run containers sleep
    [ "$output" = "sleep" ]
    kubectl delete -f "$ROOT/samples/sleep/sleep.yaml"
    kubectl label namespace default istio-injection=disabled --overwrite
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run containers sleep
    [ "$output" = "sleep" ]
}

@test "istio.io/rev=default also enables injection" {
    istioctl install -y
    kubectl label namespace default istio.io/rev=default
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run containers sleep
    [ "$output" = "sleep istio-proxy" ]
}

@test "Istio 1.24 injection sets the default-container annotation and SDS volumes" {
    istioctl install --set tag=1.24 -y
    kubectl label namespace default istio-injection=enabled
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.annotations.kubectl\.kubernetes\.io/default-container} {.items[0].spec.containers[1].image}'
    [ "$output" = "sleep docker.io/istio/proxyv2:1.24.3" ]
    run kubectl get pod -l app=sleep -o jsonpath='{.items[0].spec.volumes[*].name}'
    [[ "$output" == *istio-token* ]]
}

@test "gateway pods are never injected" {
    kubectl label namespace default istio-injection=enabled
    istioctl install --set profile=demo -y
    run kubectl get pod -l istio=egressgateway -n istio-system -o jsonpath='{.items[0].spec.containers[*].name}'
    [ "$output" = "istio-proxy" ]
}

@test "kube-inject prints the injected manifests, which apply as they are" {
    istioctl install --set profile=demo -y
    run istioctl kube-inject -f "$ROOT/samples/sleep/sleep.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"name: istio-proxy"* ]]
    [[ "$output" == *"name: istio-init"* ]]
    [ "$(grep -c '^---$' <<<"$output")" -eq 3 ]
    run bash -c 'kubectl apply -f <(istioctl kube-inject -f "$0/samples/sleep/sleep.yaml")' "$ROOT"
    [ "$output" = "serviceaccount/sleep created
service/sleep created
deployment.apps/sleep created" ]
    run containers sleep
    [ "$output" = "sleep istio-proxy" ]
    # the injected template is not injected a second time by the webhook
    kubectl label namespace default istio-injection=enabled
    kubectl rollout restart deployment sleep
    run containers sleep
    [ "$output" = "sleep istio-proxy" ]
}

@test "kube-inject reads stdin and fails without Istio" {
    run bash -c 'istioctl kube-inject -f - < "$0/samples/sleep/sleep.yaml"' "$ROOT"
    [ "$status" -eq 1 ]
    [ "$output" = 'Error: failed to get injection config: configmaps "istio-sidecar-injector" not found' ]
    istioctl install -y
    run bash -c 'istioctl kube-inject -f - < "$0/samples/sleep/sleep.yaml" | grep -c "name: istio-proxy"' "$ROOT"
    [ "$output" = "1" ]
    run istioctl kube-inject
    [ "$status" -eq 64 ]
}

# A pod's -o json without what differs between any two pods (name, uid,
# times, resourceVersion, container IDs, IP, owner).
pod_shape() {
    kubectl get pod "$1" -o json | awk '
        /"ownerReferences": \[/ { skip = 1; next }
        skip && /^        \],?$/ { skip = 0; next }
        skip { next }
        /"(uid|creationTimestamp|resourceVersion|generateName|containerID|startedAt|finishedAt|lastTransitionTime|startTime)":/ { next }
        { gsub(/"web-[a-z0-9]+-[a-z0-9]+"/, "\"POD\""); gsub(/10\.244\.[0-9]+\.[0-9]+/, "IP"); print }'
}

@test "a Deployment's injected pods are the pod the same template makes when created alone" {
    istioctl install --set profile=demo -y
    kubectl label namespace default istio-injection=enabled
    cat > "$BATS_TEST_TMPDIR/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        version: v2
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
          protocol: TCP
YAML
    kubectl apply -f "$BATS_TEST_TMPDIR/web.yaml"
    hash=$(kubectl get rs -l app=web -o jsonpath='{.items[0].metadata.labels.pod-template-hash}')
    run kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.metadata.ownerReferences[0].name}{"\n"}{end}'
    [ "${#lines[@]}" -eq 3 ]
    for l in "${lines[@]}"; do [[ "$l" =~ ^web-$hash-[bcdfghjklmnpqrstvwxz2456789]{5}\ 10\.244\.[0-9]+\.[0-9]+\ web-$hash$ ]]; done
    [ "$(printf '%s\n' "${lines[@]}" | cut -d' ' -f2 | sort -u | wc -l)" -eq 3 ]
    run kubectl get pods -l app=web --no-headers
    [ "$(grep -c ' 2/2 *Running ' <<<"$output")" -eq 3 ]
    cat > "$BATS_TEST_TMPDIR/alone.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: web-$hash-zzzzz
  labels:
    app: web
    version: v2
    pod-template-hash: "$hash"
spec:
  containers:
  - name: web
    image: nginx:1.25
    ports:
    - containerPort: 80
      protocol: TCP
YAML
    kubectl create -f "$BATS_TEST_TMPDIR/alone.yaml"
    first=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
    pod_shape "$first" > "$BATS_TEST_TMPDIR/from-rs"
    pod_shape "web-$hash-zzzzz" > "$BATS_TEST_TMPDIR/alone"
    grep -q '"istio-proxy"' "$BATS_TEST_TMPDIR/from-rs"
    grep -q '"podIP": "IP"' "$BATS_TEST_TMPDIR/from-rs"
    run diff "$BATS_TEST_TMPDIR/alone" "$BATS_TEST_TMPDIR/from-rs"
    [ "$status" -eq 0 ]
    # every pod of the ReplicaSet has that shape
    for p in $(kubectl get pods -l app=web -o jsonpath='{.items[*].metadata.name}'); do
        [ "$p" = "web-$hash-zzzzz" ] && continue
        pod_shape "$p" | diff - "$BATS_TEST_TMPDIR/from-rs"
    done
}
