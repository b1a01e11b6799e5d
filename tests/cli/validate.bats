#!/usr/bin/env bats
# istioctl validate -f: Istio's messages, standard error, exit codes.
load helpers

setup() { fresh_cluster; F="$BATS_TEST_DIRNAME/../analyze"; cd "$F"; }

@test "the task's resources are valid" {
    run istioctl validate -f seed-http.yaml
    [ "$status" -eq 0 ]
    [ "$output" = '"seed-http.yaml" is valid' ]
    # reported on standard error, as istioctl does
    run bash -c 'istioctl validate -f seed-http.yaml 2>/dev/null'
    [ "$output" = "" ]
}

@test "several files, each reported" {
    run istioctl validate -f seed-http.yaml -f msh0002.yaml
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '"seed-http.yaml" is valid' ]
    [ "${lines[1]}" = '"msh0002.yaml" is valid' ]
}

@test "standard input says validation succeed" {
    run bash -c 'istioctl validate -f - < seed-http.yaml'
    [ "$status" -eq 0 ]
    [ "$output" = "validation succeed" ]
}

@test "warnings: unreachable rules, exit 0" {
    run istioctl validate -f ist0130.yaml
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '"ist0130.yaml" has warnings: ' ]
    [ "${lines[1]}" = $'\t* VirtualService//cnn-routes: virtualService rule #1 not used (only the last rule can have no matches)' ]
}

@test "errors: every error of every resource, prefixed Kind/namespace/name, exit 1" {
    run istioctl validate -f ist0106.yaml
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "Error: 2 errors occurred:" ]
    [ "${lines[1]}" = $'\t* VirtualService//direct-cnn-through-egress-gateway: TLS match must have at least one SNI host' ]
    [ "${lines[2]}" = $'\t* VirtualService//empty: http, tcp or tls must be provided in virtual service' ]
}

@test "a Service port without protocol prefix is an error" {
    run istioctl validate -f ist0118.yaml
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "Error: 1 error occurred:" ]
    [ "${lines[1]}" = $'\t* Service/default/sleep: service "sleep/default/:" port "web" does not follow the Istio naming convention. See https://istio.io/v1.4/docs/ops/deployment/application-requirements/' ]
}

@test "unknown top-level fields are rejected" {
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: dr\nspec:\n  host: a.b.c\nspecs: {}\n' > "$BATS_TEST_TMPDIR/dr.yaml"
    run istioctl validate -f "$BATS_TEST_TMPDIR/dr.yaml"
    [ "$status" -eq 1 ]
    [[ "$output" == *'DestinationRule//dr: unknown field "specs"'* ]]
}

@test "the API server's own validation is shared with apply" {
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: Bad_Name\nspec:\n  hosts: [a.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n' > "$BATS_TEST_TMPDIR/se.yaml"
    run istioctl validate -f "$BATS_TEST_TMPDIR/se.yaml"
    [ "$status" -eq 1 ]
    [[ "$output" == *'ServiceEntry//Bad_Name: The ServiceEntry "Bad_Name" is invalid: metadata.name: Invalid value'* ]]
}

@test "no -f is an error; a missing file is reported" {
    run istioctl validate
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "Error: error: you must specify resources by --filename." ]
    run istioctl validate -f nothere.yaml
    [ "$status" -eq 1 ]
    [[ "$output" == *'cannot stat file "nothere.yaml"'* ]]
}

@test "a directory validates its manifests" {
    mkdir -p "$BATS_TEST_TMPDIR/d"
    cp seed-http.yaml msh0002.yaml "$BATS_TEST_TMPDIR/d/"
    run istioctl validate -f "$BATS_TEST_TMPDIR/d"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "\"$BATS_TEST_TMPDIR/d/msh0002.yaml\" is valid" ]
    [ "${lines[1]}" = "\"$BATS_TEST_TMPDIR/d/seed-http.yaml\" is valid" ]
}
