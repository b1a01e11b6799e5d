#!/usr/bin/env bats
# meshsim shell: scripts and -c without a terminal (CI), and the interactive
# prompt driven through a real pseudo-terminal with tmux.
load helpers

setup() {
    fresh_cluster
    SOCK="$BATS_TEST_TMPDIR/tmux.sock"
}

teardown() {
    if [ -S "$SOCK" ]; then tmux -S "$SOCK" kill-server 2>/dev/null; fi
    true
}

POD='apiVersion: v1
kind: Pod
metadata:
  name: sleep-7f9c8d6b5-x2x4q
  labels:
    app: sleep
spec:
  containers:
  - name: sleep
    image: curlimages/curl
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.4.6'

# ---- without a terminal ------------------------------------------------------

@test "-c runs kubectl lines in-process and exported variables persist between lines" {
    kubectl apply -f - <<<"$POD"
    run meshsim shell -c 'export SOURCE_POD=$(kubectl get pod -l app=sleep -o jsonpath={.items..metadata.name})
kubectl get pod "$SOURCE_POD" -o jsonpath="{.spec.containers[*].name}"'
    [ "$status" -eq 0 ]
    [ "$output" = "sleep istio-proxy" ]
}

@test "a heredoc feeds kubectl apply, and cat of a heredoc piped into kubectl apply works too" {
    run meshsim shell -c 'kubectl apply -f - <<EOF
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts:
  - edition.cnn.com
  ports:
  - number: 80
    name: http-port
    protocol: HTTP
  resolution: DNS
EOF
cat <<EOF | kubectl apply -n default -f -
apiVersion: v1
kind: Namespace
metadata:
  name: test-egress
EOF'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn created" ]
    [ "${lines[1]}" = "namespace/test-egress created" ]
    run kubectl get se cnn -o jsonpath='{.spec.resolution}'
    [ "$output" = "DNS" ]
}

@test "a quoted heredoc keeps dollars literally and an unquoted one expands variables" {
    run meshsim shell -c "export NAME=from-var
kubectl apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: \$NAME
EOF
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: literal
data:
  text: \$NAME
EOF"
    [ "$status" -eq 0 ]
    run kubectl get ns from-var -o jsonpath='{.metadata.name}'
    [ "$output" = "from-var" ]
    run kubectl get configmap literal -o jsonpath='{.data.text}'
    [ "$output" = '$NAME' ]
}

@test "backslash continuations, pipes, for loops and the last status work as in sh" {
    run meshsim shell -c 'kubectl get namespace \
    kube-system \
    -o jsonpath="{.metadata.name}{\"\n\"}"
kubectl get namespaces | tail -1
for ns in default kube-public; do
  kubectl get ns "$ns" -o name
done
kubectl get ns nope 2>/dev/null
echo "status $?"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "kube-system" ]
    [[ ${lines[1]} == local-path-storage* ]]
    [ "${lines[2]}" = "namespace/default" ]
    [ "${lines[3]}" = "namespace/kube-public" ]
    [ "${lines[4]}" = "status 1" ]
}

@test "a script on standard input runs line by line and exits with the last command's status" {
    run meshsim shell <<'SCRIPT'
# comments and blank lines are skipped

kubectl label namespace kube-system kube-system=true
kubectl get ns kube-system -o jsonpath='{.metadata.labels.kube-system}{"\n"}'
false
SCRIPT
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "namespace/kube-system labeled" ]
    [ "${lines[1]}" = "true" ]
}

@test "-e stops at the first failing command" {
    run meshsim shell -e -c 'kubectl get serviceentry missing
echo not reached'
    [ "$status" -eq 1 ]
    [[ $output == *'"missing" not found'* ]]
    [[ $output != *"not reached"* ]]
}

@test "exit ends the session with its status, and cd carries over to the next line" {
    mkdir -p "$BATS_TEST_TMPDIR/elsewhere"
    run meshsim shell -c "cd '$BATS_TEST_TMPDIR/elsewhere'
pwd
exit 3
echo not reached"
    [ "$status" -eq 3 ]
    [ "$output" = "$BATS_TEST_TMPDIR/elsewhere" ]
}

@test "an unfinished here-document is an error naming its line" {
    run meshsim shell -c 'echo one
kubectl apply -f - <<EOF
apiVersion: v1'
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "one" ]
    [[ $output == *"line 2: unexpected end of file"* ]]
}

@test "MESHSIM_HOME is exported to sh lines and the meshsim binaries come first on PATH" {
    run meshsim shell -c 'echo "$MESHSIM_HOME"
command -v kubectl'
    [ "${lines[0]}" = "$MESHSIM_HOME" ]
    [ "${lines[1]}" = "$(cd "$MESHSIM_BIN" && pwd -P)/kubectl" ]
}

@test "-x prints a transcript: comments, then each command before its output" {
    run meshsim shell -x <<'SCRIPT'
# a section
kubectl label ns kube-public demo=yes
kubectl apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: shown
EOF
SCRIPT
    [ "$status" -eq 0 ]
    [ "$output" = '# a section
$ kubectl label ns kube-public demo=yes
namespace/kube-public labeled
$ kubectl apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: shown
EOF
namespace/shown created' ]
}

@test "the script of make demo plays the walkthrough to its end in a cluster of its own" {
    run sh "$ROOT/scripts/demo.sh"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "# ---- Egress Gateways"* ]]
    [[ $output == *$'$ kubectl apply -f - <<EOF\napiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry'* ]]
    [[ $output == *"serviceentry.networking.istio.io/cnn created"* ]]
    # the walkthrough's answers: the redirect and the page through the egress gateway, its log, the policy
    [[ $output == *'HTTP/1.1 301 Moved Permanently'* ]]
    [[ $output == *"outbound|80||edition.cnn.com"* ]]
    [[ $output == *"outbound|443||edition.cnn.com"* ]]
    [[ $output == *"networkpolicy.networking.k8s.io/allow-egress-to-istio-system-and-kube-dns created"* ]]
    [[ $output == *'$ kubectl delete -f samples/sleep/sleep.yaml'* ]]
    [[ ${lines[-1]} == "demo: done"* ]]
    # it never touched the cluster of the caller
    [ ! -e "$MESHSIM_HOME" ]
}

@test "the CI example of the README runs as documented: probes pass, the analyzer finding fails the job" {
    mkdir -p "$BATS_TEST_TMPDIR/repo/deploy" "$BATS_TEST_TMPDIR/repo/mesh"
    cp "$ROOT/samples/sleep/sleep.yaml" "$BATS_TEST_TMPDIR/repo/deploy/"
    for f in serviceentry-cnn gateway-http virtualservice-http; do
        cp "$ROOT/samples/egress-gateway/$f.yaml" "$BATS_TEST_TMPDIR/repo/mesh/"
    done
    # the script exactly as the README shows it (the YAML block's indentation removed)
    sed -n "/meshsim shell -e <<'SCRIPT'/,/^        SCRIPT\$/p" "$ROOT/README.md" | sed 's/^        //' >"$BATS_TEST_TMPDIR/ci.sh"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/ci.sh")" -ge 8 ]
    cd "$BATS_TEST_TMPDIR/repo"
    run bash "$BATS_TEST_TMPDIR/ci.sh"
    [ "$status" -eq 79 ]
    [[ $output == *"virtualservice.networking.istio.io/direct-cnn-through-egress-gateway created"* ]]
    [[ $output == *"Warning [MSH0004] (Namespace default)"* ]]
    # with the namespace held in by a NetworkPolicy (and the namespace labels it selects) the same job passes
    cp "$ROOT/samples/egress-gateway/networkpolicy.yaml" "$BATS_TEST_TMPDIR/repo/mesh/"
    printf '%s\n' 'apiVersion: v1' 'kind: Namespace' 'metadata:' '  name: kube-system' '  labels:' '    kube-system: "true"' \
        '---' 'apiVersion: v1' 'kind: Namespace' 'metadata:' '  name: istio-system' '  labels:' '    istio: system' \
        >"$BATS_TEST_TMPDIR/repo/mesh/namespaces.yaml"
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/home2"
    run bash "$BATS_TEST_TMPDIR/ci.sh"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# ---- on a terminal (tmux) -----------------------------------------------------------

start_shell() {
    tmux -S "$SOCK" new-session -d -x 150 -y 50 \
        "env MESHSIM_HOME='$MESHSIM_HOME' PATH='$PATH' TERM=xterm meshsim ${1:-}; echo SHELL-EXITED=\$?; sleep 30"
    wait_for 'meshsim (default)> '
}

screen() { tmux -S "$SOCK" capture-pane -p -J; }

# wait until the screen shows TEXT (a fixed string), up to 30 s (CI machines are busy)
wait_for() {
    for _ in $(seq 300); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "--- screen (waiting for: $1):"
    screen
    return 1
}

# wait until a line of the screen is exactly TEXT (a command's output, not
# the echo of the line that typed it), up to 30 s
wait_line() {
    for _ in $(seq 300); do
        screen | grep -qxF -- "$1" && return 0
        sleep 0.1
    done
    echo "--- screen (waiting for the line: $1):"
    screen
    return 1
}

# wait until the shell is back at its prompt: a key typed while a command
# still runs meets the terminal in cooked mode (Ctrl-D there is no key but an
# end of file), which only a slow run (valgrind) ever hits
wait_prompt() {
    for _ in $(seq 300); do
        [ "$(screen | sed 's/ *$//' | grep -v '^$' | tail -n 1)" = "meshsim (default)>" ] && return 0
        sleep 0.1
    done
    echo "--- screen (waiting for the prompt):"
    screen
    return 1
}

# leave the shell with Ctrl-D once it is idle; it must exit with STATUS (0)
leave() {
    wait_prompt
    keys C-d
    wait_for "SHELL-EXITED=${1:-0}"
}

keys() { tmux -S "$SOCK" send-keys "$@"; }

@test "meshsim alone on a terminal is the shell, its prompt shows the namespace, Ctrl-D leaves" {
    start_shell
    keys C-d
    wait_for 'SHELL-EXITED=0'
}

@test "Tab completes a pod name from the store" {
    kubectl apply -f - <<<"$POD"
    start_shell shell
    keys 'kubectl get pod sle' Tab
    wait_for 'kubectl get pod sleep-7f9c8d6b5-x2x4q'
    keys ' -o name' Enter
    wait_line 'pod/sleep-7f9c8d6b5-x2x4q'
    leave
}

@test "Tab completes verbs, kinds, namespaces and containers" {
    kubectl apply -f - <<<"$POD"
    start_shell
    keys 'kubectl lab' Tab
    wait_for 'kubectl label '
    keys C-u 'kubectl get serviceent' Tab
    wait_for 'kubectl get serviceentries'
    keys C-u 'kubectl get pods -n kube-sy' Tab
    wait_for 'kubectl get pods -n kube-system'
    keys C-u 'kubectl exec sleep-7f9c8d6b5-x2x4q -c istio-p' Tab
    wait_for 'kubectl exec sleep-7f9c8d6b5-x2x4q -c istio-proxy'
    keys C-u
    leave
}

@test "a pasted heredoc applies the manifest" {
    start_shell
    printf '%s\n' 'kubectl apply -f - <<EOF' 'apiVersion: networking.istio.io/v1alpha3' 'kind: ServiceEntry' \
        'metadata:' '  name: pasted' 'spec:' '  hosts:' '  - edition.cnn.com' '  ports:' '  - number: 443' \
        '    name: tls' '    protocol: TLS' '  resolution: DNS' 'EOF' >"$BATS_TEST_TMPDIR/paste"
    tmux -S "$SOCK" load-buffer "$BATS_TEST_TMPDIR/paste"
    tmux -S "$SOCK" paste-buffer -p
    keys Enter
    wait_for 'serviceentry.networking.istio.io/pasted created'
    run kubectl get se pasted -o jsonpath='{.spec.ports[0].protocol}'
    [ "$output" = "TLS" ]
    leave
}

@test "a heredoc typed line by line shows the continuation prompt" {
    start_shell
    keys 'kubectl apply -f - <<EOF' Enter
    wait_for '> '
    keys 'apiVersion: v1' Enter 'kind: Namespace' Enter 'metadata:' Enter '  name: typed' Enter 'EOF' Enter
    wait_for 'namespace/typed created'
    screen | grep -qx '> kind: Namespace'
    leave
}

@test "history persists across two sessions in MESHSIM_HOME/history" {
    start_shell
    keys 'kubectl get ns kube-public -o name' Enter
    wait_line 'namespace/kube-public'
    leave
    tmux -S "$SOCK" kill-server
    grep -qx 'kubectl get ns kube-public -o name' "$MESHSIM_HOME/history"
    # a fresh tmux server: the old one may still be going away on its socket
    SOCK="$BATS_TEST_TMPDIR/tmux2.sock"
    start_shell
    keys Up
    wait_for 'meshsim (default)> kubectl get ns kube-public -o name'
    keys C-u
    leave
}

@test "Ctrl-C cancels the line being typed and an unfinished heredoc, and the shell goes on" {
    start_shell
    keys 'kubectl apply -f - <<EOF' Enter 'apiVersion: v1' Enter
    sleep 0.3
    keys C-c
    wait_for '^C'
    keys 'echo still-here' Enter
    wait_line 'still-here'
    [ "$(screen | grep -c '^still-here$')" -eq 1 ]
    wait_prompt
    keys 'echo abandoned'
    sleep 0.3
    keys C-c
    sleep 0.3
    keys 'kubectl get ns typed-never' Enter
    wait_for 'namespaces "typed-never" not found'
    ! screen | grep -qx 'abandoned'
    leave 1   # the status of the last command, as sh does
}

@test "export in one line is seen by the next, interactively, and exit leaves" {
    start_shell
    keys 'export GREETING=hello-mesh' Enter
    keys 'echo "got $GREETING"' Enter
    wait_for 'got hello-mesh'
    keys 'exit 4' Enter
    wait_for 'SHELL-EXITED=4'
}
