#!/usr/bin/env bats
# Bad input: a clear error, a non-zero exit, and the store unchanged.
load helpers

setup() { fresh_cluster; cd "$BATS_TEST_TMPDIR"; }

# Every object the store holds, as one comparable text.
snapshot() { kubectl get ns,cm,se,deploy -A -o custom-columns=K:.kind,NS:.metadata.namespace,N:.metadata.name,RV:.metadata.resourceVersion --no-headers; }

@test "malformed YAML names the source and line" {
    before=$(snapshot)
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a\n' > bad.yaml
    run kubectl apply -f bad.yaml
    [ "$status" -eq 1 ]
    [[ "$output" == "error: error parsing bad.yaml: error converting YAML to JSON: yaml: line "* ]]
    [ "$(snapshot)" = "$before" ]
}

@test "wrong types, unknown kinds, unknown fields leave the store unchanged" {
    before=$(snapshot)
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [1, 2]'
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string" ]]
    run kubectl apply -f - <<<$'apiVersion: v9\nkind: Widget\nmetadata:\n  name: x'
    [ "$status" -eq 1 ]
    [[ "$output" == *'no matches for kind "Widget" in version "v9"'* ]]
    run kubectl apply -f - <<<$'apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: x\nspec:\n  hosts: [a]\n  resolutoin: DNS'
    [ "$status" -eq 1 ]
    [[ "$output" == *'unknown field "spec.resolutoin"' ]]
    run kubectl apply -f - <<<$'kind: ConfigMap\nmetadata:\n  name: x'
    [ "$status" -eq 1 ]
    [[ "$output" == "error: unable to decode \"STDIN\": Object 'apiVersion' is missing in "* ]]
    [ "$(snapshot)" = "$before" ]
}

@test "missing and invalid names" {
    before=$(snapshot)
    run kubectl create -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata: {}'
    [ "$status" -eq 1 ]
    [ "$output" = 'The ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required' ]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: UPPER'
    [ "$status" -eq 1 ]
    [[ "$output" == 'The ConfigMap "UPPER" is invalid: metadata.name: Invalid value: "UPPER": a lowercase RFC 1123 subdomain'* ]]
    [ "$(snapshot)" = "$before" ]
}

@test "empty input and binary junk" {
    before=$(snapshot)
    run kubectl apply -f - </dev/null
    [ "$status" -eq 1 ]
    [ "$output" = "error: no objects passed to apply" ]
    : > empty.yaml
    run kubectl create -f empty.yaml
    [ "$status" -eq 1 ]
    [ "$output" = "error: no objects passed to create" ]
    head -c 4096 /dev/urandom > junk.bin
    printf '\x00\x01' >> junk.bin
    run kubectl apply -f junk.bin
    [ "$status" -eq 1 ]
    [[ "$output" == "error: error parsing junk.bin: "* ]]
    [ "$(snapshot)" = "$before" ]
}

@test "a 10 MB document is handled in bounded time" {
    {
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n'
        for i in $(seq 1 2000); do printf '  k%d: "%s"\n' "$i" "$(head -c 5000 /dev/zero | tr '\0' x)"; done
    } > big.yaml
    [ "$(stat -c %s big.yaml)" -gt 10000000 ]
    start=$(date +%s)
    run kubectl apply -f big.yaml
    [ "$status" -eq 0 ]
    [ "$output" = "configmap/big created" ]
    [ $(( $(date +%s) - start )) -lt 30 ]
    run kubectl get cm big -o jsonpath='{.data.k2000}'
    [ "${#output}" -eq 5000 ]
}

@test "a namespace that does not exist" {
    before=$(snapshot)
    run kubectl apply -n nowhere -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c'
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found' ]
    run kubectl get cm -n nowhere
    [ "$output" = "No resources found in nowhere namespace." ]
    [ "$(snapshot)" = "$before" ]
}
