#!/usr/bin/env bats
# kubectl's JSONPath dialect (client-go util/jsonpath) on a fixed pod, through
# `kubectl label --local -f FILE x=y -o jsonpath=...`: fixed expectations, and
# the same template run by the real kubectl when one is installed.
load helpers

setup() { fresh_cluster; POD="$BATS_TEST_DIRNAME/fixtures/jsonpath-pod.yaml"; }

# The real kubectl, if one besides ours is on PATH.
real_kubectl() {
    local ours k
    ours=$(cd "$MESHSIM_BIN" && pwd -P)
    for k in $(type -ap kubectl); do
        [ "$(cd "$(dirname "$k")" && pwd -P)" = "$ours" ] && continue
        "$k" version --client >/dev/null 2>&1 && { echo "$k"; return 0; }
    done
    return 1
}

# jp TEMPLATE EXPECTED: ours must print EXPECTED; the real kubectl (if any) must agree.
jp() {
    run kubectl label --local -f "$POD" x=y -o jsonpath="$1"
    [ "$status" -eq 0 ] || { echo "exit $status: $output"; return 1; }
    [ "$output" = "$2" ] || { echo "template $1: got [$output] want [$2]"; return 1; }
    local real
    if real=$(real_kubectl); then
        local theirs
        theirs=$("$real" label --local -f "$POD" x=y -o jsonpath="$1" 2>&1)
        if [ -n "${UNORDERED:-}" ]; then
            # Go visits a map's keys in random order: compare the words as sets
            theirs=$(tr ' ' '\n' <<<"$theirs" | sort | tr '\n' ' ')
            local ours_sorted; ours_sorted=$(tr ' ' '\n' <<<"$output" | sort | tr '\n' ' ')
            [ "$theirs" = "$ours_sorted" ] || { echo "template $1: real kubectl [$theirs] ours [$ours_sorted]"; return 1; }
        else
            [ "$theirs" = "$output" ] || { echo "template $1: real kubectl [$theirs] ours [$output]"; return 1; }
        fi
    fi
}

@test "fields, wildcards and the results of one expression joined by a space" {
    jp '{.metadata.name}' 'sleep-1'
    jp '{.spec.containers[*].name}' 'sleep istio-proxy'
    jp '{$.kind}' 'Pod'
    jp '{@.kind}' 'Pod'
    jp '{ .kind }' 'Pod'
    jp 'text {.kind} more' 'text Pod more'
    jp '{.metadata.name}{.metadata.namespace}' 'sleep-1default'
}

@test "maps and lists print as JSON, missing keys print nothing" {
    jp '{.spec.containers[0].resources}' '{"limits":{"cpu":"4"}}'
    jp '{.metadata.labels}' '{"app":"sleep","kubernetes.io/hostname":"node-1","x":"y"}'
    jp '{.spec.containers[*].ports[*]}' '{"containerPort":80,"name":"http"} {"containerPort":443,"name":"https"} {"containerPort":15090,"name":"http-envoy-prom"}'
    jp '{.metadata.missing}' ''
    jp '{.spec.*.name}' ''
}

@test "indices, negative indices, slices with steps, unions" {
    jp '{.spec.containers[-1].name}' 'istio-proxy'
    jp '{.spec.containers[0:1].name}' 'sleep'
    jp '{.spec.containers[:-1].image}' 'curlimages/curl'
    jp '{.spec.containers[1:].name}' 'istio-proxy'
    jp '{.spec.containers[0:2:2].name}' 'sleep'
    jp '{.spec.containers[0,1].name}' 'sleep istio-proxy'
    jp '{.spec.containers[*].ports[0].name}' 'http http-envoy-prom'
}

@test "recursive descent and escaped dots" {
    jp '{..containerPort}' '80 443 15090'
    UNORDERED=1 jp '{..name}' 'sleep-1 sleep http https istio-proxy http-envoy-prom'
    jp '{.metadata.labels.kubernetes\.io/hostname}' 'node-1'
    jp "{.metadata.labels['app']}" 'sleep'
}

@test "filters: == != < > <= >=, exists, nested paths" {
    jp '{.spec.containers[?(@.name=="sleep")].image}' 'curlimages/curl'
    jp "{.spec.containers[?(@.name=='sleep')].name}" 'sleep'
    jp '{.spec.containers[?(@.name!="sleep")].name}' 'istio-proxy'
    jp '{.spec.containers[*].ports[?(@.containerPort>100)].name}' 'https http-envoy-prom'
    jp '{.spec.containers[*].ports[?(@.containerPort<=443)].containerPort}' '80 443'
    jp '{.status.conditions[?(@.type=="Ready")].status}' 'True'
    jp '{.spec.containers[?(@.resources)].name}' 'sleep'
    jp '{.spec.containers[?(@.ports[0].containerPort==80)].name}' 'sleep'
}

@test "range and end, nested, quoted text with escapes" {
    jp '{range .spec.containers[*]}{.name}{"\t"}{.image}{"\n"}{end}' $'sleep\tcurlimages/curl\nistio-proxy\tdocker.io/istio/proxyv2:1.4.6'
    jp '{range .spec.containers[*]}[{range .ports[*]}{.name},{end}]{end}' '[http,https,][http-envoy-prom,]'
    jp '{range .spec.containers[*]}{.name}' 'sleepistio-proxy'
}

@test "parse errors carry kubectl's messages and exit 1" {
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.metadata.name'
    [ "$status" -eq 1 ]
    [ "$output" = 'error: error parsing jsonpath {.metadata.name, unclosed action' ]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{"unterminated}'
    [ "$output" = 'error: error parsing jsonpath {"unterminated}, unterminated quoted string' ]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.spec.containers[?(@.name=="x"}'
    [ "$output" = 'error: error parsing jsonpath {.spec.containers[?(@.name=="x"}, unterminated filter' ]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.spec.containers[*]["name"]}'
    [ "$output" = 'error: error parsing jsonpath {.spec.containers[*]["name"]}, invalid array index "name"' ]
    run kubectl label --local -f "$POD" x=y -o jsonpath=
    [ "$output" = 'error: template format specified but no template given' ]
}

@test "errors met while walking the data print nothing but kubectl's report" {
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.kind}{.spec.containers[5].name}'
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 'error: error executing jsonpath "{.kind}{.spec.containers[5].name}": Error executing template: array index out of bounds: index 5, length 2. Printing more information for debugging the template:' ]
    [ "${lines[2]}" = $'\t\t{.kind}{.spec.containers[5].name}' ]
    [[ "${lines[4]}" == $'\t\tmap[string]interface {}{"apiVersion":"v1", "kind":"Pod", "metadata":map[string]interface {}{"labels":'* ]]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.spec.containers[-3].name}'
    [[ "${lines[0]}" == *'array index out of bounds: index -1, length 2. Printing'* ]]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.spec.containers[::-1].name}'
    [[ "${lines[0]}" == *'Error executing template: step must be > 0.'* ]]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{end}'
    [[ "${lines[0]}" == *'not in range, nothing to end.'* ]]
    run kubectl label --local -f "$POD" x=y -o jsonpath='{.metadata[0]}'
    [[ "${lines[0]}" == *'map[string]interface {} is not array or slice.'* ]]
}

@test "a list wraps objects: {.items..metadata.name} names every match" {
    kubectl create namespace a >/dev/null
    kubectl create namespace b >/dev/null
    run kubectl get ns a b -o jsonpath='{.items..metadata.name}'
    [ "$output" = "a b" ]
    run kubectl get ns a -o jsonpath='{.metadata.name}'
    [ "$output" = "a" ]
    run kubectl get ns -l kubernetes.io/metadata.name=b -o jsonpath='{.items[*].metadata.name}'
    [ "$output" = "b" ]
    run kubectl get ns -l kubernetes.io/metadata.name=nothing -o jsonpath='{.kind} {.items}'
    [ "$output" = "List []" ]
}

@test "-o jsonpath-as-json prints each node's results as an indented JSON array" {
    run kubectl label --local -f "$POD" x=y -o jsonpath-as-json='{.spec.containers[*].name}'
    [ "$output" = $'[\n    "sleep",\n    "istio-proxy"\n]' ]
    run kubectl label --local -f "$POD" x=y -o jsonpath-as-json='a{.spec.containers[0].ports[0]}{.nothing}'
    [ "$output" = $'[\n    "a"\n]\n[\n    {\n        "containerPort": 80,\n        "name": "http"\n    }\n]\n[]' ]
    local real
    if real=$(real_kubectl); then
        for t in '{range .spec.containers[*]}{.name}{end}' '{.kind}{"\n"}' '{.metadata.labels}'; do
            [ "$("$real" label --local -f "$POD" x=y -o jsonpath-as-json="$t")" = "$(kubectl label --local -f "$POD" x=y -o jsonpath-as-json="$t")" ]
        done
    fi
}

@test "-o yaml and -o json print as kubectl 1.32 does: quoting, folding, typed keys, escaped <>&" {
    # expectations recorded from the real kubectl 1.32 on the same file
    run kubectl label --local -f "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.yaml" x=y -o yaml
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.expected.yaml")" ]
    [[ "$output" == *$'\n    ag: "2024-01-01"\n'* ]]
    [[ "$output" == *$'\n    "false": "1.5"\n'* ]]
    run kubectl label --local -f "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.yaml" x=y -o json
    [ "$output" = "$(cat "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.expected.json")" ]
    [[ "$output" == *'"w": "\u0026amp"'* ]]
    local real
    if real=$(real_kubectl); then
        [ "$("$real" label --local -f "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.yaml" x=y -o yaml)" = "$(kubectl label --local -f "$BATS_TEST_DIRNAME/fixtures/yaml-quoting.yaml" x=y -o yaml)" ]
    fi
}

@test "stored objects print their timestamps quoted, as kubectl -o yaml does" {
    kubectl create namespace q >/dev/null
    run kubectl get ns q -o yaml
    [[ "$output" =~ creationTimestamp:\ \"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\" ]]
}

@test "label --local prints what kubectl prints (no server: no 'not found.' line)" {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: b}\n' > "$BATS_TEST_TMPDIR/l.yaml"
    local f="$BATS_TEST_TMPDIR/l.yaml" real
    check() { # check EXPECTED ARGS...
        local want=$1; shift
        run kubectl "$@"
        [ "$output" = "$want" ] || { echo "kubectl $*: [$output] want [$want]"; return 1; }
        if real=$(real_kubectl); then
            [ "$("$real" "$@" 2>&1)" = "$output" ] || { echo "real kubectl differs for $*"; return 1; }
        fi
    }
    check "configmap/x labeled" label --local -f "$f" c=d
    check "configmap/x unlabeled" label --local -f "$f" a-
    check "configmap/x not labeled" label --local -f "$f" zz-
    check "configmap/x not labeled" label --local -f "$f" a=b
    check "error: 'a' already has a value (b), and --overwrite is false" label --local -f "$f" a=z
    check "a=b" label --local -f "$f" --list
    check "configmap/x annotated" annotate --local -f "$f" n=1
}
