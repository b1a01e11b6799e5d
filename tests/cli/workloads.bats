#!/usr/bin/env bats
# The controllers: Deployment -> ReplicaSet -> Pods, Endpoints, default
# ServiceAccounts, garbage collection; rollout, scale, wait; the samples.
load helpers

setup() { fresh_cluster; }

SLEEP_CREATED='serviceaccount/sleep created
service/sleep created
deployment.apps/sleep created'

@test "kubectl apply of the sleep sample prints kubectl's three lines" {
    run kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    [ "$status" -eq 0 ]
    [ "$output" = "$SLEEP_CREATED" ]
    run kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    [ "$output" = "serviceaccount/sleep unchanged
service/sleep unchanged
deployment.apps/sleep unchanged" ]
}

@test "kubectl delete of the sleep sample deletes in file order, pods too" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run kubectl delete -f "$ROOT/samples/sleep/sleep.yaml"
    [ "$output" = 'serviceaccount "sleep" deleted
service "sleep" deleted
deployment.apps "sleep" deleted' ]
    run kubectl get pods,rs,endpoints
    [ "$output" = "No resources found in default namespace." ]
}

@test "a Deployment owns a ReplicaSet named by its template hash, which owns running pods" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    rs=$(kubectl get rs -o jsonpath='{.items[0].metadata.name}')
    hash=$(kubectl get rs "$rs" -o jsonpath='{.metadata.labels.pod-template-hash}')
    [ "$rs" = "sleep-$hash" ]
    [[ "$hash" =~ ^[bcdfghjklmnpqrstvwxz2456789]{8,10}$ ]]
    run kubectl get rs "$rs" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}'
    [ "$output" = "Deployment/sleep" ]
    pod=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    [[ "$pod" =~ ^sleep-$hash-[bcdfghjklmnpqrstvwxz2456789]{5}$ ]]
    run kubectl get pod "$pod" -o jsonpath='{.metadata.ownerReferences[0].name} {.status.phase} {.spec.nodeName} {.spec.serviceAccountName} {.status.containerStatuses[0].ready}'
    [ "$output" = "$rs Running meshsim-control-plane sleep true" ]
    run kubectl get pod "$pod" -o jsonpath='{.status.podIP}'
    [[ "$output" =~ ^10\.244\.[0-9]+\.[0-9]+$ ]]
}

@test "Deployment and ReplicaSet report their status" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run kubectl get deploy sleep -o jsonpath='{.status.replicas} {.status.readyReplicas} {.status.updatedReplicas} {.status.availableReplicas}'
    [ "$output" = "1 1 1 1" ]
    run kubectl get deploy sleep -o jsonpath='{.status.conditions[*].type} {.status.conditions[*].reason}'
    [ "$output" = "Available Progressing MinimumReplicasAvailable NewReplicaSetAvailable" ]
    run kubectl get deploy sleep
    [[ "${lines[1]}" =~ ^sleep\ +1/1\ +1\ +1\ + ]]
}

@test "the same template gives the same hash in another namespace" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n' | kubectl apply -f -
    kubectl apply -n other -f "$ROOT/samples/sleep/sleep.yaml"
    a=$(kubectl get rs -o jsonpath='{.items[0].metadata.name}')
    b=$(kubectl get rs -n other -o jsonpath='{.items[0].metadata.name}')
    [ "$a" = "$b" ]
}

@test "replicas are honoured, and kubectl scale changes them" {
    sed 's/replicas: 1/replicas: 3/' "$ROOT/samples/sleep/sleep.yaml" | kubectl apply -f -
    run kubectl get pods -l app=sleep -o name
    [ "${#lines[@]}" -eq 3 ]
    run kubectl scale deployment sleep --replicas=1
    [ "$output" = "deployment.apps/sleep scaled" ]
    run kubectl get pods -l app=sleep -o name
    [ "${#lines[@]}" -eq 1 ]
    kubectl scale deploy/sleep --replicas=0
    run kubectl get pods -l app=sleep
    [ "$output" = "No resources found in default namespace." ]
    run kubectl scale deploy/sleep
    [ "$status" -eq 1 ]
}

@test "a template change replaces the pods through a new ReplicaSet" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    old=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    sed 's|image: curlimages/curl|image: curlimages/curl:8.1.2|' "$ROOT/samples/sleep/sleep.yaml" | kubectl apply -f -
    new=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    [ -n "$new" ] && [ "$new" != "$old" ]
    [[ "$new" != *" "* ]]
    run kubectl get rs -o jsonpath='{range .items[*]}{.spec.replicas}{" "}{end}'
    [[ "$output" == *"0 "* && "$output" == *"1 "* ]]
    run kubectl get deploy sleep -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}'
    [ "$output" = "2" ]
}

@test "rollout restart makes new pods; rollout status reports success" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    old=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    run kubectl rollout restart deployment/sleep
    [ "$output" = "deployment.apps/sleep restarted" ]
    new=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    [ "$new" != "$old" ]
    run kubectl -n default rollout status deployment sleep --timeout 5m
    [ "$output" = 'deployment "sleep" successfully rolled out' ]
    run kubectl rollout status deploy/sleep
    [ "$output" = 'deployment "sleep" successfully rolled out' ]
}

web() {   # web IMAGE: a Deployment of two replicas
    printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: %s\n' "$1" | kubectl apply -f - >/dev/null
}
image() { kubectl get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}'; }
pod_images() { kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u | tr '\n' ' '; }

@test "rollout undo goes back to the previous revision's template, or --to-revision's; kubectl's errors" {
    web nginx:1.25
    run kubectl rollout undo deployment/web
    [ "$status" -eq 1 ]
    [ "$output" = 'error: no rollout history found for deployment "web"' ]
    web nginx:1.26
    run kubectl rollout undo deployment/web
    [ "$status" -eq 0 ]
    [ "$output" = "deployment.apps/web rolled back" ]
    [ "$(image)" = nginx:1.25 ]
    [ "$(pod_images)" = "nginx:1.25 " ]
    # the old template's ReplicaSet came back as the newest revision
    run kubectl rollout history deployment/web
    [ "$output" = $'deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>' ]
    run kubectl rollout undo deployment/web --to-revision=2
    [ "$output" = "deployment.apps/web rolled back" ]
    [ "$(image)" = nginx:1.26 ]
    run kubectl rollout undo deployment/web --to-revision=4
    [ "$output" = "deployment.apps/web skipped rollback (current template already matches revision 4)" ]
    run kubectl rollout undo deployment/web --to-revision=9
    [ "$status" -eq 1 ]
    [ "$output" = "error: unable to find specified revision 9 in history" ]
    run kubectl rollout undo service/kubernetes
    [ "$output" = 'error: no rollbacker has been implemented for "Service"' ]
}

@test "rollout pause holds a new template back until rollout resume; kubectl's errors" {
    web nginx:1.25
    run kubectl rollout pause deployment/web
    [ "$status" -eq 0 ]
    [ "$output" = "deployment.apps/web paused" ]
    run kubectl rollout pause deployment/web
    [ "$status" -eq 1 ]
    [ "$output" = 'error: deployments.apps "web" is already paused' ]
    web nginx:1.26
    [ "$(pod_images)" = "nginx:1.25 " ]
    [ "$(kubectl get rs --no-headers | wc -l)" -eq 1 ]
    # no pod has the new template: kubectl's first question, asked once or watched until it times out
    run kubectl rollout status deployment/web --watch=false
    [ "$status" -eq 0 ]
    [ "$output" = 'Waiting for deployment "web" rollout to finish: 0 out of 2 new replicas have been updated...' ]
    run kubectl rollout status deployment/web
    [ "$status" -eq 1 ]
    [ "${lines[1]}" = "error: timed out waiting for the condition" ]
    kubectl scale deployment web --replicas=3 >/dev/null
    [ "$(kubectl get pods -l app=web --no-headers | wc -l)" -eq 3 ]
    run kubectl rollout undo deployment/web
    [ "$status" -eq 1 ]
    [ "$output" = "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again" ]
    run kubectl rollout resume deployment/web
    [ "$output" = "deployment.apps/web resumed" ]
    [ "$(pod_images)" = "nginx:1.26 " ]
    run kubectl rollout status deployment/web
    [ "$output" = 'deployment "web" successfully rolled out' ]
    [ "$(kubectl get pods -l app=web --no-headers | wc -l)" -eq 3 ]
    run kubectl rollout resume deployment/web
    [ "$status" -eq 1 ]
    [ "$output" = 'error: deployments.apps "web" is not paused' ]
    run kubectl rollout pause service/kubernetes
    [ "$output" = 'error: services "kubernetes" pausing is not supported' ]
}

@test "kubectl rollout alone prints kubectl's help, every subcommand in it, and fails" {
    run kubectl rollout
    [ "$status" -eq 1 ]
    [[ "$output" == "Manage the rollout of one or many resources."* ]]
    for sub in history pause restart resume status undo; do [[ "$output" == *$'\n  '"$sub "* ]]; done
    [[ "$output" == *'Use "kubectl options" for a list of global command-line options (applies to all commands).' ]]
}

@test "rollout status of a missing deployment is NotFound" {
    run kubectl rollout status deployment nosuch
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): deployments.apps "nosuch" not found' ]
}

@test "rollout status of a deployment scaled to zero pods it cannot have" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    kubectl scale deploy sleep --replicas=0
    run kubectl rollout status deploy/sleep
    [ "$output" = 'deployment "sleep" successfully rolled out' ]
}

@test "kubectl wait answers from the store" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml"
    run kubectl wait --for=condition=available deployment/sleep --timeout=60s
    [ "$status" -eq 0 ]
    [ "$output" = "deployment.apps/sleep condition met" ]
    pod=$(kubectl get pod -l app=sleep -o jsonpath='{.items..metadata.name}')
    run kubectl wait --for=condition=Ready pod -l app=sleep
    [ "$output" = "pod/$pod condition met" ]
    run kubectl wait --for=jsonpath='{.status.phase}'=Running pod/"$pod"
    [ "$output" = "pod/$pod condition met" ]
    run kubectl wait --for=create deployment/sleep
    [ "$output" = "deployment.apps/sleep condition met" ]
    run kubectl wait --for=condition=Ready=False pod/"$pod" --timeout=1s
    [ "$status" -eq 1 ]
    [ "$output" = "error: timed out waiting for the condition on pods/$pod" ]
    run kubectl wait --for=delete pod/nosuch
    [ "$status" -eq 0 ]
    run kubectl wait deployment/sleep
    [ "$output" = "error: --for must be specified" ]
}

@test "Endpoints list the running pods, named targetPorts resolved" {
    kubectl apply -f "$ROOT/samples/httpbin/httpbin.yaml"
    ip=$(kubectl get pod -l app=httpbin -o jsonpath='{.items..status.podIP}')
    run kubectl get endpoints httpbin -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}'
    [ "$output" = "$ip:80" ]
    cat <<'Y' | kubectl apply -f -
apiVersion: v1
kind: Service
metadata:
  name: named
spec:
  selector:
    app: httpbin
  ports:
  - name: http
    port: 8000
    targetPort: web
Y
    run kubectl get endpoints named -o jsonpath='{.subsets}'
    [ "$output" = "" ]
    sed 's/- containerPort: 80/- containerPort: 80\n          name: web/' "$ROOT/samples/httpbin/httpbin.yaml" | kubectl apply -f -
    ip=$(kubectl get pod -l app=httpbin -o jsonpath='{.items..status.podIP}')
    run kubectl get endpoints named -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}'
    [ "$output" = "$ip:80" ]
    kubectl delete svc named
    run kubectl get endpoints named
    [ "$status" -eq 1 ]
}

# n Deployments app-FROM.. of 3 replicas, one template but for the name; every
# fifth one's container named like it, every seventh labelled for istio's
# canonical name (the ways a template can hold its Deployment's name)
deployments() {   # FIRST LAST [REPLICAS]
    for i in $(seq "$1" "$2"); do
        cname=c; [ $((i % 5)) -eq 0 ] && cname=app-$i
        extra=; [ $((i % 7)) -eq 0 ] && extra="
        service.istio.io/canonical-name: app-$i"
        printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\nspec:\n  replicas: %d\n' "$i" "${3:-3}"
        printf '  selector:\n    matchLabels:\n      app: app-%d\n  template:\n    metadata:\n      labels:\n        app: app-%d%s\n' "$i" "$i" "$extra"
        printf '    spec:\n      containers:\n      - name: %s\n        image: nginx\n' "$cname"
    done
}

# what a pod is, less what is drawn at random or from the clock
pod_shapes() {
    kubectl get pods -o jsonpath='{range .items[*]}{.metadata.generateName} {.metadata.labels} {.metadata.annotations} {.metadata.ownerReferences[0].name} {.spec} {.status.phase} {.status.containerStatuses[*].ready} {.status.initContainerStatuses[*].state.terminated.reason}{"\n"}{end}' | sort
}

@test "300 pods made in one apply (templates prepared once, rows written behind) are those made a few at a time" {
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    deployments 1 100 > "$BATS_TEST_TMPDIR/all.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/all.yaml"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 100 ]
    run kubectl get pods --no-headers
    [ "${#lines[@]}" -eq 300 ]
    [ -z "$(kubectl get pods --no-headers | grep -v ' 2/2 *Running ')" ]
    run kubectl get pod -l app=app-35 -o jsonpath='{.items[0].spec.containers[1].env[?(@.name=="ISTIO_META_WORKLOAD_NAME")].value} {.items[0].metadata.labels.service\.istio\.io/canonical-name}'
    [ "$output" = "app-35 app-35" ]
    pod_shapes > "$BATS_TEST_TMPDIR/bulk"
    kubectl get deploy,rs -o jsonpath='{range .items[*]}{.metadata.name} {.status.replicas} {.status.readyReplicas}{"\n"}{end}' > "$BATS_TEST_TMPDIR/bulk-status"
    fresh_cluster
    istioctl install --set profile=demo -y >/dev/null
    kubectl label namespace default istio-injection=enabled >/dev/null
    for from in 1 11 21 31 41 51 61 71 81 91; do deployments $from $((from + 9)) | kubectl apply -f - >/dev/null; done
    pod_shapes > "$BATS_TEST_TMPDIR/few"
    kubectl get deploy,rs -o jsonpath='{range .items[*]}{.metadata.name} {.status.replicas} {.status.readyReplicas}{"\n"}{end}' > "$BATS_TEST_TMPDIR/few-status"
    [ "$(wc -l < "$BATS_TEST_TMPDIR/few")" -eq 300 ]
    cmp -s "$BATS_TEST_TMPDIR/bulk" "$BATS_TEST_TMPDIR/few" || { diff "$BATS_TEST_TMPDIR/bulk" "$BATS_TEST_TMPDIR/few" | cut -c1-300 | head -4; false; }
    cmp "$BATS_TEST_TMPDIR/bulk-status" "$BATS_TEST_TMPDIR/few-status"
}

# what a Deployment is, less what is drawn at random or from the clock
deployment_shapes() {
    kubectl get deploy -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.generation} {.metadata.annotations} {.spec} {.status.observedGeneration} {.status.replicas} {.status.readyReplicas} {.status.conditions[*].reason}{"\n"}{end}'
}

@test "a long stream's new Deployments, stored by the reconcile with their status, are those applied a few at a time" {
    # (256 documents or more: each new Deployment is stored once, as the
    # controllers leave it; app-5 comes twice, so it is stored at once)
    { deployments 1 260 1; deployments 5 5 2; } > "$BATS_TEST_TMPDIR/all.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/all.yaml"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 261 ]
    [ "${lines[4]}" = "deployment.apps/app-5 created" ]
    [ "${lines[260]}" = "deployment.apps/app-5 configured" ]
    deployment_shapes > "$BATS_TEST_TMPDIR/bulk"
    run kubectl get deploy app-5 app-6 --no-headers
    [[ "${lines[0]}" == "app-5 "*" 2/2 "*" 2 "*" 2 "* ]]
    [[ "${lines[1]}" == "app-6 "*" 1/1 "*" 1 "*" 1 "* ]]
    [ "$(kubectl get pods --no-headers | grep -c ' 1/1 *Running ')" -eq 261 ]
    # stored with their last-applied configuration: the same stream again changes nothing
    run kubectl apply -f "$BATS_TEST_TMPDIR/all.yaml"
    [ "$(printf '%s\n' "${lines[@]}" | grep -vc ' unchanged$')" -eq 2 ]   # app-5 twice
    fresh_cluster
    for from in $(seq 1 20 260); do deployments "$from" $((from + 19)) 1 | kubectl apply -f - >/dev/null; done
    deployments 5 5 2 | kubectl apply -f - >/dev/null
    deployment_shapes > "$BATS_TEST_TMPDIR/few"
    [ "$(wc -l < "$BATS_TEST_TMPDIR/few")" -eq 260 ]
    cmp -s "$BATS_TEST_TMPDIR/bulk" "$BATS_TEST_TMPDIR/few" || { diff "$BATS_TEST_TMPDIR/bulk" "$BATS_TEST_TMPDIR/few" | cut -c1-300 | head -4; false; }
}

@test "a long stream with istiod's Deployment: a pod of the same stream is injected (istiod is stored at once)" {
    kubectl label namespace default istio-injection=enabled >/dev/null
    {
        printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n'
        printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istiod\n  namespace: istio-system\n'
        printf 'spec:\n  selector:\n    matchLabels:\n      app: istiod\n  template:\n    metadata:\n      labels:\n        app: istiod\n'
        printf '    spec:\n      containers:\n      - name: discovery\n        image: pilot\n'
        for i in $(seq 1 260); do printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n' "$i"; done
        printf -- '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\nspec:\n  containers:\n  - name: app\n    image: nginx\n'
    } > "$BATS_TEST_TMPDIR/stream.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/stream.yaml"
    [ "$status" -eq 0 ]
    run kubectl get pod solo -o jsonpath='{.spec.containers[*].name}'
    [ "$output" = "app istio-proxy" ]
    run kubectl get deploy istiod -n istio-system --no-headers
    [[ "$output" == "istiod "*" 1/1 "* ]]
}

@test "every namespace gets a default ServiceAccount" {
    run kubectl get sa default -n kube-system -o name
    [ "$output" = "serviceaccount/default" ]
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fresh\n' | kubectl apply -f -
    run kubectl get sa -n fresh -o name
    [ "$output" = "serviceaccount/default" ]
}

@test "a pod applied directly gets an IP, a node and Running status" {
    cat <<'Y' | kubectl apply -f -
apiVersion: v1
kind: Pod
metadata:
  name: solo
  labels:
    app: solo
spec:
  containers:
  - name: main
    image: nginx
Y
    run kubectl get pod solo -o jsonpath='{.status.phase} {.spec.nodeName} {.spec.serviceAccountName} {.spec.containers[0].imagePullPolicy}'
    [ "$output" = "Running meshsim-control-plane default Always" ]
    run kubectl get pod solo
    [[ "${lines[1]}" =~ ^solo\ +1/1\ +Running\ +0\ + ]]
    kubectl delete pod solo
    run kubectl get pod solo
    [ "$status" -eq 1 ]
}

@test "pod IPs are unique" {
    sed 's/replicas: 1/replicas: 4/' "$ROOT/samples/sleep/sleep.yaml" | kubectl apply -f -
    run bash -c "kubectl get pods -A -o jsonpath='{range .items[*]}{.status.podIP}{\"\\n\"}{end}' | grep -v 172.18 | sort | uniq -d"
    [ "$output" = "" ]
}

@test "the curl and httpbin samples apply" {
    run kubectl apply -f "$ROOT/samples/curl/curl.yaml"
    [ "$output" = "serviceaccount/curl created
service/curl created
deployment.apps/curl created" ]
    run kubectl get pod -l app=curl -o jsonpath='{.items[0].spec.containers[0].image}'
    [ "$output" = "curlimages/curl" ]
    run kubectl apply -f "$ROOT/samples/httpbin/httpbin.yaml"
    [ "$status" -eq 0 ]
    run kubectl get svc httpbin -o jsonpath='{.spec.ports[0].port}->{.spec.ports[0].targetPort}'
    [ "$output" = "8000->80" ]
}

@test "the egress-gateway samples apply with kubectl's lines" {
    d="$ROOT/samples/egress-gateway"
    run kubectl apply -f "$d/serviceentry-cnn.yaml"
    [ "$output" = "serviceentry.networking.istio.io/cnn created" ]
    run kubectl apply -f "$d/gateway-http.yaml"
    [ "$output" = "gateway.networking.istio.io/istio-egressgateway created
destinationrule.networking.istio.io/egressgateway-for-cnn created" ]
    run kubectl apply -f "$d/virtualservice-http.yaml"
    [ "$output" = "virtualservice.networking.istio.io/direct-cnn-through-egress-gateway created" ]
    run kubectl apply -f "$d/serviceentry-cnn-tls.yaml"
    [ "$output" = "serviceentry.networking.istio.io/cnn configured" ]
    run kubectl apply -f "$d/gateway-tls.yaml"
    [ "$output" = "gateway.networking.istio.io/istio-egressgateway configured
destinationrule.networking.istio.io/egressgateway-for-cnn unchanged
virtualservice.networking.istio.io/direct-cnn-through-egress-gateway configured" ]
    run kubectl apply -n kube-system -f "$d/networkpolicy.yaml"
    [ "$output" = "networkpolicy.networking.k8s.io/allow-egress-to-istio-system-and-kube-dns created" ]
}

# The controllers' first round runs only those whose inputs the command
# wrote (and the garbage collector after deletes or owned writes): what
# they must still do, they do.
@test "the controllers react to what each command writes, and only that" {
    kubectl apply -f "$ROOT/samples/sleep/sleep.yaml" >/dev/null
    pods=$(kubectl get pods -o jsonpath='{.items[*].metadata.name}')
    # a VirtualService: no controller's input, nothing else changes
    kubectl apply -f "$ROOT/samples/egress-gateway/serviceentry-cnn.yaml" >/dev/null
    [ "$(kubectl get pods -o jsonpath='{.items[*].metadata.name}')" = "$pods" ]
    # a new namespace gets its ServiceAccount
    kubectl create namespace other >/dev/null
    [ "$(kubectl get sa -n other -o name)" = "serviceaccount/default" ]
    # a deleted pod comes back under a new name
    kubectl delete pod "$pods" >/dev/null
    run kubectl get pods -o jsonpath='{.items[*].metadata.name}'
    [ -n "$output" ] && [ "$output" != "$pods" ]
    # a pod applied with an owner that does not exist is collected
    cat > "$BATS_TEST_TMPDIR/orphan.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: orphan
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: gone-12345
    uid: 00000000-0000-0000-0000-000000000000
spec:
  containers:
  - name: c
    image: nginx
YAML
    run kubectl apply -f "$BATS_TEST_TMPDIR/orphan.yaml"
    [ "$output" = "pod/orphan created" ]
    run kubectl get pod orphan
    [ "$status" -eq 1 ]
}
