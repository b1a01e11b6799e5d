#!/usr/bin/env bats
# The foundation: a new store is a new cluster; apply, get, label, delete.
load helpers

setup() { fresh_cluster; }

@test "a new store holds the namespaces of a fresh cluster" {
    run kubectl get namespaces -o jsonpath='{.items[*].metadata.name}'
    [ "$status" -eq 0 ]
    [ "$output" = "default kube-node-lease kube-public kube-system local-path-storage" ]
}

@test "namespaces carry kubernetes.io/metadata.name" {
    run kubectl get ns kube-system -o jsonpath='{.metadata.labels.kubernetes\.io/metadata\.name}'
    [ "$output" = "kube-system" ]
}

@test "apply creates, then reports unchanged, then configured" {
    se='apiVersion: networking.istio.io/v1alpha3
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
  resolution: DNS'
    run kubectl apply -f - <<<"$se"
    [ "$output" = "serviceentry.networking.istio.io/cnn created" ]
    run kubectl apply -f - <<<"$se"
    [ "$output" = "serviceentry.networking.istio.io/cnn unchanged" ]
    run kubectl apply -f - <<<"${se/DNS/NONE}"
    [ "$output" = "serviceentry.networking.istio.io/cnn configured" ]
    run kubectl get se cnn -o jsonpath='{.spec.resolution} {.spec.ports[0].number}'
    [ "$output" = "NONE 80" ]
}

# A re-apply of the manifest apply last wrote answers from what the store
# keeps with the object; any other write since (label, annotate, replace)
# sends it back to the three-way merge.  Both must say what the merge says.
@test "re-apply after other writes, of stamped fields, dry runs: the merge's verdicts" {
    cd "$BATS_TEST_TMPDIR"
    cat > se.yaml <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts: [edition.cnn.com]
  resolution: DNS
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
data: {a: "1"}
EOF2
    run kubectl apply -f se.yaml
    [ "$output" = $'serviceentry.networking.istio.io/cnn created\nconfigmap/cm1 created' ]
    rv=$(kubectl get se cnn -o jsonpath='{.metadata.resourceVersion}')
    run kubectl apply -f se.yaml --dry-run=server
    [ "$output" = $'serviceentry.networking.istio.io/cnn unchanged (server dry run)\nconfigmap/cm1 unchanged (server dry run)' ]
    run kubectl apply -f se.yaml -o name
    [ "$output" = $'serviceentry.networking.istio.io/cnn\nconfigmap/cm1' ]
    run kubectl apply -f se.yaml -o jsonpath='{.metadata.name} '
    [ "$output" = "cnn cm1 " ]
    [ "$(kubectl get se cnn -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
    kubectl label se cnn team=news >/dev/null
    run kubectl apply -f se.yaml
    [ "$output" = $'serviceentry.networking.istio.io/cnn unchanged\nconfigmap/cm1 unchanged' ]
    [ "$(kubectl get se cnn -o jsonpath='{.metadata.labels.team}')" = "news" ]
    sed 's/resolution: DNS/resolution: NONE/' se.yaml > se2.yaml
    run kubectl apply -f se2.yaml
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn configured" ]
    run kubectl apply -f se2.yaml
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn unchanged" ]
    run kubectl apply -f se.yaml
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn configured" ]
    [ "$(kubectl get se cnn -o jsonpath='{.spec.resolution} {.metadata.generation} {.metadata.labels.team}')" = "DNS 3 news" ]
    # replace drops the last-applied annotation: apply merges again
    kubectl replace -f se2.yaml >/dev/null
    run kubectl apply -f se2.yaml
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn configured" ]
    # a manifest that sets what the server stamps is never unchanged
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: dr1, resourceVersion: "3"}\nspec: {host: a.b}\n' > dr.yaml
    run kubectl apply -f dr.yaml
    [ "$output" = "destinationrule.networking.istio.io/dr1 created" ]
    run kubectl apply -f dr.yaml
    [ "$output" = "destinationrule.networking.istio.io/dr1 configured" ]
    run kubectl apply -f dr.yaml
    [ "$output" = "destinationrule.networking.istio.io/dr1 configured" ]
    # deleted and applied again: created
    kubectl delete se cnn >/dev/null
    run kubectl apply -f se.yaml
    [ "${lines[0]}" = "serviceentry.networking.istio.io/cnn created" ]
}

@test "get of a missing object is NotFound with exit 1" {
    run kubectl get serviceentry cnn
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): serviceentries.networking.istio.io "cnn" not found' ]
}

@test "an empty namespace says No resources found on stderr" {
    run kubectl get pods
    [ "$status" -eq 0 ]
    [ "$output" = "No resources found in default namespace." ]
}

@test "label, relabel without overwrite, unlabel" {
    run kubectl label namespace kube-system kube-system=true
    [ "$output" = "namespace/kube-system labeled" ]
    run kubectl label namespace kube-system kube-system=false
    [ "$status" -eq 1 ]
    [ "$output" = "error: 'kube-system' already has a value (true), and --overwrite is false" ]
    run kubectl label namespace kube-system kube-system-
    [ "$output" = "namespace/kube-system unlabeled" ]
}

@test "delete prints kind.group and the name" {
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata:\n  name: istio-egressgateway\nspec:\n  selector:\n    istio: egressgateway\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [edition.cnn.com]\n' | kubectl apply -f -
    run kubectl delete gateway istio-egressgateway
    [ "$output" = 'gateway.networking.istio.io "istio-egressgateway" deleted' ]
    run kubectl get gw
    [ "$output" = "No resources found in default namespace." ]
}

@test "a YAML syntax error names STDIN and the line, and stores nothing" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n   bad: ['
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing STDIN: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context" ]
    run kubectl get ns x
    [ "$status" -eq 1 ]
}

@test "an unknown kind is refused" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x'
    [ "$status" -eq 1 ]
    [[ "$output" == *'no matches for kind "Frobnicator" in version "v1"'* ]]
}

@test "meshsim env prints the PATH line for eval" {
    run meshsim env
    [[ "${lines[0]}" == "export PATH=\"$(cd "$MESHSIM_BIN" && pwd -P):\$PATH\"" ]]
}

@test "meshsim kubectl is kubectl" {
    run meshsim kubectl get ns default -o name
    [ "$output" = "namespace/default" ]
}

@test "apply --dry-run=client does not ask whether the namespace exists; --dry-run=server does" {
    cat > ns.yaml <<'EOF2'
apiVersion: v1
kind: Namespace
metadata: {name: dn}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: dn}
EOF2
    run kubectl apply -f ns.yaml --dry-run=client
    [ "$status" -eq 0 ]
    [ "$output" = $'namespace/dn created (dry run)\nconfigmap/c created (dry run)' ]
    run kubectl apply -f ns.yaml --dry-run=server
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "namespace/dn created (server dry run)" ]
    [ "${lines[1]}" = 'Error from server (NotFound): error when creating "ns.yaml": namespaces "dn" not found' ]
    run kubectl get ns dn
    [ "$status" -eq 1 ]
}

