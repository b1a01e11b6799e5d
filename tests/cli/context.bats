#!/usr/bin/env bats
# kubectl's context namespace: `kubectl config set-context --current --namespace=NS`
# and every namespaced command defaulting to it.  Expected texts were taken from
# the real kubectl 1.32 run on a kubeconfig holding the same one context.
load helpers

setup() {
    fresh_cluster
    SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
    if [ -S "$SOCK" ]; then tmux -S "$SOCK" kill-server 2>/dev/null; fi
}

# the screen of a `meshsim shell` on a tmux terminal shows TEXT within 30 s
screen_shows() {
    for _ in $(seq 300); do
        tmux -S "$SOCK" capture-pane -p -J | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    tmux -S "$SOCK" capture-pane -p -J
    return 1
}

DEPLOY_BAR='apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: bar
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx'

DEPLOY_NONS='apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain
spec:
  selector:
    matchLabels: {app: plain}
  template:
    metadata:
      labels: {app: plain}
    spec:
      containers:
      - name: plain
        image: nginx'

view_with() {
    printf 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: DATA+OMITTED\n    server: https://127.0.0.1:6443\n  name: meshsim\ncontexts:\n- context:\n    cluster: meshsim\n'
    [ -z "$1" ] || printf '    namespace: %s\n' "$1"
    printf '    user: meshsim\n  name: meshsim\ncurrent-context: meshsim\nkind: Config\npreferences: {}\nusers:\n- name: meshsim\n  user:\n    client-certificate-data: DATA+OMITTED\n    client-key-data: DATA+OMITTED\n'
}

@test "set-context --current --namespace prints kubectl's message and view shows the namespace" {
    run kubectl config set-context --current --namespace=foo
    [ "$status" -eq 0 ]
    [ "$output" = 'Context "meshsim" modified.' ]
    kubectl config view | cmp - <(view_with foo)
    run kubectl config view --minify -o jsonpath='{..namespace}'
    [ "$status" -eq 0 ]
    [ "$output" = foo ]
}

@test "set-context meshsim --namespace (the context by name) sets it too" {
    run kubectl config set-context meshsim --namespace bar
    [ "$status" -eq 0 ]
    [ "$output" = 'Context "meshsim" modified.' ]
    [ "$(kubectl config view -o jsonpath='{.contexts[0].context.namespace}')" = bar ]
}

@test "get-contexts shows the namespace in the NAMESPACE column, byte for byte" {
    kubectl config set-context --current --namespace=foo
    kubectl config get-contexts | cmp - <(printf 'CURRENT   NAME      CLUSTER   AUTHINFO   NAMESPACE\n*         meshsim   meshsim   meshsim    foo\n')
    kubectl config set-context --current --namespace=
    kubectl config get-contexts | cmp - <(printf 'CURRENT   NAME      CLUSTER   AUTHINFO   NAMESPACE\n*         meshsim   meshsim   meshsim    \n')
}

@test "an empty --namespace clears it: view and jsonpath show none" {
    kubectl config set-context --current --namespace=foo
    run kubectl config set-context --current --namespace=
    [ "$status" -eq 0 ]
    [ "$output" = 'Context "meshsim" modified.' ]
    kubectl config view | cmp - <(view_with "")
    run kubectl config view --minify -o jsonpath='{..namespace}'
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "set-context without --namespace keeps the namespace" {
    kubectl config set-context --current --namespace=foo
    run kubectl config set-context --current
    [ "$output" = 'Context "meshsim" modified.' ]
    [ "$(kubectl config view --minify -o jsonpath='{..namespace}')" = foo ]
}

@test "set-context errors: kubectl's messages, exit 1, namespace unchanged" {
    kubectl config set-context --current --namespace=foo
    run kubectl config set-context --namespace=x
    [ "$status" -eq 1 ]
    [ "$output" = 'error: you must specify a non-empty context name or --current' ]
    run kubectl config set-context --current meshsim --namespace=x
    [ "$status" -eq 1 ]
    [ "$output" = 'error: you cannot specify both a context name and --current' ]
    run kubectl config set-context a b
    [ "$status" -eq 1 ]
    [ "$output" = 'error: Unexpected args: [a b]' ]
    # meshsim has one context: creating another is refused
    run kubectl config set-context other --namespace=x
    [ "$status" -eq 1 ]
    [[ $output == *'cannot create context "other"'* ]]
    [ "$(kubectl config view --minify -o jsonpath='{..namespace}')" = foo ]
}

@test "get, describe, delete, scale, label, rollout, wait default to the context namespace" {
    kubectl create namespace foo
    kubectl create deployment web --image=nginx -n foo
    kubectl create deployment other --image=nginx
    kubectl config set-context --current --namespace=foo
    run kubectl get deployments -o name
    [ "$output" = deployment.apps/web ]
    run kubectl get deployments -n default -o name
    [ "$output" = deployment.apps/other ]
    run kubectl get deployments -A -o name
    [[ $output == *deployment.apps/web* && $output == *deployment.apps/other* ]]
    run kubectl describe deployment web
    [ "$status" -eq 0 ]
    [[ $output == *'Namespace:              foo'* ]]
    run kubectl scale deployment web --replicas=2
    [ "$output" = 'deployment.apps/web scaled' ]
    [ "$(kubectl get deploy web -n foo -o jsonpath='{.spec.replicas}')" = 2 ]
    run kubectl label deployment web tier=front
    [ "$output" = 'deployment.apps/web labeled' ]
    run kubectl rollout status deployment web
    [ "$status" -eq 0 ]
    run kubectl wait --for=condition=available deployment/web
    [ "$status" -eq 0 ]
    run kubectl delete deployment web
    [ "$output" = 'deployment.apps "web" deleted' ]
    run kubectl get deployments
    [ "$output" = 'No resources found in foo namespace.' ]
    run kubectl get deployment other
    [ "$status" -eq 1 ]
    [[ $output == *'deployments.apps "other" not found'* ]]
}

@test "create, exec and logs use the context namespace" {
    kubectl create namespace foo
    kubectl config set-context --current --namespace=foo
    run kubectl create deployment sleep --image=curlimages/curl
    [ "$output" = 'deployment.apps/sleep created' ]
    [ "$(kubectl get deploy -n foo -o name)" = deployment.apps/sleep ]
    pod=$(kubectl get pod -l app=sleep -o jsonpath='{.items[0].metadata.name}')
    [ -n "$pod" ]
    run kubectl exec "$pod" -- hostname
    [ "$status" -eq 0 ]
    [ "$output" = "$pod" ]
    run kubectl logs "$pod"
    [ "$status" -eq 0 ]
    run kubectl exec "$pod" -n default -- hostname
    [ "$status" -eq 1 ]
    [[ $output == *"pods \"$pod\" not found"* ]]
}

@test "apply: objects without a namespace go to the context's; -n still wins and checks mismatches" {
    kubectl create namespace foo
    kubectl create namespace bar
    kubectl config set-context --current --namespace=foo
    run kubectl apply -f - <<<"$DEPLOY_NONS"
    [ "$output" = 'deployment.apps/plain created' ]
    [ "$(kubectl get deploy plain -n foo -o jsonpath='{.metadata.namespace}')" = foo ]
    # an object naming its namespace goes there: no mismatch without -n (as kubectl)
    run kubectl apply -f - <<<"$DEPLOY_BAR"
    [ "$status" -eq 0 ]
    [ "$(kubectl get deploy web -n bar -o name)" = deployment.apps/web ]
    run kubectl apply -n foo -f - <<<"$DEPLOY_BAR"
    [ "$status" -eq 1 ]
    [ "$output" = "error: the namespace from the provided object \"bar\" does not match the namespace \"foo\". You must pass '--namespace=bar' to perform this operation." ]
    run kubectl apply -n default -f - <<<"$DEPLOY_NONS"
    [ "$output" = 'deployment.apps/plain created' ]
    [ "$(kubectl get deploy plain -n default -o name)" = deployment.apps/plain ]
}

@test "completion follows the context namespace and lists set-context" {
    kubectl create namespace foo
    kubectl create deployment web --image=nginx -n foo
    kubectl config set-context --current --namespace=foo
    run kubectl __complete get deployment ""
    [[ ${lines[0]} == web ]]
    kubectl config set-context --current --namespace=
    run kubectl __complete get deployment ""
    [[ $output != *web* ]]
    run kubectl __complete config ""
    [[ $output == *set-context* ]]
}

@test "the shell prompt shows the context namespace and follows set-context" {
    kubectl config set-context --current --namespace=foo
    tmux -S "$SOCK" new-session -d -x 150 -y 50 \
        "env MESHSIM_HOME='$MESHSIM_HOME' PATH='$PATH' TERM=xterm meshsim shell; echo SHELL-EXITED=\$?; sleep 30"
    screen_shows 'meshsim (foo)> '
    tmux -S "$SOCK" send-keys 'kubectl config set-context --current --namespace=bar' Enter
    screen_shows 'meshsim (bar)> '
    tmux -S "$SOCK" send-keys 'kubectl config set-context --current --namespace=' Enter
    screen_shows 'meshsim (default)> '
    tmux -S "$SOCK" send-keys C-d
    screen_shows 'SHELL-EXITED=0'
}

@test "meshsim reset clears the context namespace (a new cluster)" {
    kubectl config set-context --current --namespace=foo
    meshsim reset
    run kubectl config view --minify -o jsonpath='{..namespace}'
    [ -z "$output" ]
    kubectl config view | cmp - <(view_with "")
}
