#!/usr/bin/env bats
# kubectl get tables and formats, delete, label/annotate, errors and exit codes.
load helpers

setup() { fresh_cluster; cd "$BATS_TEST_TMPDIR"; }

mesh_objects() {
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
  labels: {app: news, tier: web}
spec:
  hosts: [edition.cnn.com]
  ports: [{number: 80, name: http-port, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: abc
spec:
  hosts: [abc.com, www.abc.com]
  location: MESH_EXTERNAL
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: vs1
spec:
  hosts: [edition.cnn.com]
  gateways: [mesh]
  http:
  - route:
    - destination: {host: edition.cnn.com}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: dr1
spec:
  host: edition.cnn.com
EOF2
}

@test "Istio kinds print their CRD columns, arrays as JSON" {
    mesh_objects
    run kubectl get se
    [ "${lines[0]}" = "NAME   HOSTS                       LOCATION        RESOLUTION   AGE" ]
    [[ "${lines[1]}" =~ ^abc\ \ \ \ \[\"abc.com\",\"www.abc.com\"\]\ \ \ MESH_EXTERNAL\ \ \ NONE\ \ \ \ \ \ \ \ \ [0-9]+s$ ]]
    [[ "${lines[2]}" =~ ^cnn\ \ \ \ \[\"edition.cnn.com\"\]\ +DNS\ +[0-9]+s$ ]]
}

@test "several kinds: one table each, kind-prefixed names, a blank line between" {
    mesh_objects
    run kubectl get se,vs,dr -o name
    [ "$output" = $'serviceentry.networking.istio.io/abc\nserviceentry.networking.istio.io/cnn\nvirtualservice.networking.istio.io/vs1\ndestinationrule.networking.istio.io/dr1' ]
    run kubectl get vs,dr
    [ "${lines[0]}" = "NAME                                     GATEWAYS   HOSTS                 AGE" ]
    [[ "${lines[1]}" == 'virtualservice.networking.istio.io/vs1   ["mesh"]   ["edition.cnn.com"]   '* ]]
    [ "${lines[2]}" = "NAME                                      HOST              AGE" ]
    [[ "$output" == *$'s\n\nNAME '* ]]
}

@test "--no-headers, --show-labels, -L, --sort-by, -A" {
    mesh_objects
    run kubectl get se --no-headers --sort-by=.spec.ports[0].number -o custom-columns=N:.metadata.name
    [ "$output" = $'cnn\nabc' ]
    run kubectl get se cnn --show-labels -L tier
    [[ "${lines[0]}" == *"AGE   TIER   LABELS" ]]
    [[ "${lines[1]}" == *"   web    app=news,tier=web" ]]
    run kubectl get se -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,HOSTS:.spec.hosts,PORTS:.spec.ports[*].number,X:.nothing
    [ "$output" = $'NS        NAME   HOSTS                   PORTS   X\ndefault   abc    [abc.com www.abc.com]   443     <none>\ndefault   cnn    [edition.cnn.com]       80      <none>' ]
    run kubectl get ns -A --sort-by='{.metadata.name}' -o custom-columns=NAME:.metadata.name --no-headers
    [ "${lines[0]}" = "default" ]
    [ "${lines[4]}" = "local-path-storage" ]
}

@test "custom-columns-file and custom-columns errors" {
    mesh_objects
    printf 'NAME   RES\n.metadata.name .spec.resolution\n' > cols.txt
    run kubectl get se -o custom-columns-file=cols.txt
    [ "$output" = $'NAME   RES\nabc    NONE\ncnn    DNS' ]
    run kubectl get se -o custom-columns=
    [ "$status" -eq 1 ]
    [ "$output" = "error: custom-columns format specified but no custom columns given" ]
    run kubectl get se -o custom-columns=NAME
    [ "$output" = "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>" ]
}

@test "get -f FILE, resource/name, No resources found" {
    mesh_objects
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: dr1\n' > dr.yaml
    run kubectl get -f dr.yaml -o name
    [ "$output" = "destinationrule.networking.istio.io/dr1" ]
    run kubectl get se/cnn dr/dr1 -o name
    [ "$output" = $'serviceentry.networking.istio.io/cnn\ndestinationrule.networking.istio.io/dr1' ]
    run kubectl get gw -n kube-system
    [ "$output" = "No resources found in kube-system namespace." ]
    run kubectl get gw -A
    [ "$output" = "No resources found" ]
}

@test "errors: unknown resource type, unknown flag, unknown verb, NotFound" {
    run kubectl get frob
    [ "$status" -eq 1 ]
    [ "$output" = 'error: the server doesn'"'"'t have a resource type "frob"' ]
    run kubectl get pods --x
    [ "$status" -eq 1 ]
    [ "$output" = $'Error: unknown flag: --x\nSee \'kubectl get --help\' for usage.' ]
    # cobra's other words (kubectl 1.32)
    run kubectl get pods -o
    [ "$status" -eq 1 ]
    [ "$output" = $'Error: flag needs an argument: \'o\' in -o\nSee \'kubectl get --help\' for usage.' ]
    run kubectl get pods --output
    [ "$output" = $'Error: flag needs an argument: --output\nSee \'kubectl get --help\' for usage.' ]
    run kubectl config set-context --current -n foo
    [ "$status" -eq 1 ]
    [ "$output" = $'Error: unknown shorthand flag: \'n\' in -n\nSee \'kubectl config set-context --help\' for usage.' ]
    run kubectl describe
    [ "$status" -eq 1 ]
    [ "$output" = 'error: You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.' ]
    run kubectl label
    [ "$output" = 'error: one or more resources must be specified as <resource> <name> or <resource>/<name>' ]
    run kubectl config use-context
    [ "$status" -eq 1 ]
    [ "${lines[-1]}" = 'error: Unexpected args: []' ]
    run kubectl rollout bogus
    [ "$status" -eq 1 ]
    [ "$output" = $'error: unknown command "bogus"\nSee \'kubectl rollout -h\' for help and examples' ]
    run kubectl rollout
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "Manage the rollout of one or many resources." ]
    run kubectl version --short
    [ "$output" = $'Error: unknown flag: --short\nSee \'kubectl version --help\' for usage.' ]
    run kubectl logs p --since=xx
    [ "$output" = $'Error: invalid argument "xx" for "--since" flag: time: invalid duration "xx"\nSee \'kubectl logs --help\' for usage.' ]
    run kubectl lable ns default a=b
    [ "$status" -eq 1 ]
    [ "$output" = $'Error: unknown command "lable" for "kubectl"\n\nDid you mean this?\n\tlabel' ]
    run kubectl get ns default nothing -o custom-columns=N:.metadata.name
    [ "$status" -eq 1 ]
    [ "$output" = $'N\ndefault\nError from server (NotFound): namespaces "nothing" not found' ]
    run kubectl get pods nothing
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): pods "nothing" not found' ]
    run kubectl create bogus x
    [ "$output" = $'error: Unexpected args: [bogus x]\nSee \'kubectl create -h\' for help and examples' ]
    run kubectl get --help
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Display one or many resources"* ]]
    [[ "$output" == *$'\nUsage:\n  kubectl get [(-o|--output=)json|yaml|name|'* ]]
}

@test "delete: by name, -f, -l, --all, --ignore-not-found, namespaces cascade" {
    mesh_objects
    run kubectl delete se cnn
    [ "$output" = 'serviceentry.networking.istio.io "cnn" deleted' ]
    run kubectl delete se cnn
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): serviceentries.networking.istio.io "cnn" not found' ]
    run kubectl delete se cnn --ignore-not-found
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: dr1\n' > dr.yaml
    run kubectl delete -f dr.yaml
    [ "$output" = 'destinationrule.networking.istio.io "dr1" deleted' ]
    run kubectl delete vs --all
    [ "$output" = 'virtualservice.networking.istio.io "vs1" deleted' ]
    run kubectl delete se -l app=nothing
    [ "$output" = "No resources found" ]
    kubectl create namespace gone >/dev/null
    kubectl create configmap c --from-literal=a=b -n gone >/dev/null
    run kubectl delete namespace gone
    [ "$output" = 'namespace "gone" deleted' ]
    run kubectl get cm -n gone
    [ "$output" = "No resources found in gone namespace." ]
}

@test "label and annotate: overwrite, removal, not found, --list, -l" {
    mesh_objects
    run kubectl label se cnn tier=db
    [ "$status" -eq 1 ]
    [ "$output" = "error: 'tier' already has a value (web), and --overwrite is false" ]
    run kubectl label se cnn tier=db --overwrite
    [ "$output" = "serviceentry.networking.istio.io/cnn labeled" ]
    run kubectl label se cnn tier=db
    [ "$output" = "serviceentry.networking.istio.io/cnn not labeled" ]
    run kubectl label se cnn nope-
    [ "$output" = $'label "nope" not found.\nserviceentry.networking.istio.io/cnn not labeled' ]
    run kubectl label se cnn tier-
    [ "$output" = "serviceentry.networking.istio.io/cnn unlabeled" ]
    run kubectl label se cnn --list
    [ "$output" = "app=news" ]
    run kubectl label se -l app=news x=1
    [ "$output" = "serviceentry.networking.istio.io/cnn labeled" ]
    run kubectl label se --all y=2
    [ "$output" = $'serviceentry.networking.istio.io/abc labeled\nserviceentry.networking.istio.io/cnn labeled' ]
    run kubectl label se cnn a=1 a-
    [ "$output" = "error: can not both modify and remove a label in the same command" ]
    run kubectl label se cnn
    [ "$output" = "error: at least one label update is required" ]
    run kubectl annotate se cnn note=hi
    [ "$output" = "serviceentry.networking.istio.io/cnn annotated" ]
    run kubectl get se cnn -o jsonpath='{.metadata.annotations.note} {.metadata.labels.y}'
    [ "$output" = "hi 2" ]
}

# Listings print from what the store keeps next to each object (a table row,
# the JSON text); --sort-by reads the objects themselves, so with a sort that
# keeps the store's order both ways must print the same bytes.
@test "listings from stored rows and texts print what the objects print" {
    mesh_objects
    kubectl create namespace other >/dev/null
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: v1
kind: ConfigMap
metadata:
  name: tricky
  namespace: other
  labels: {app: x}
data:
  html: "<b>&amp;</b>"
  text: "tab\there\nnew line \u2028 é \"q\" \\ back"
  empty: ""
  "Z": upper
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: other}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: escaped-key
  annotations: {"a\"quoted\\key": "v"}
EOF2
    for args in "cm -A" "cm -n other" "se" "se -A" "vs,dr,se -A" "pods -A" "svc -A" "ns" "cm -A -l app=x" "ns --show-labels" "pods -A -L component"; do
        run kubectl get $args -o json
        [ "$status" -eq 0 ]
        stored=$output
        run kubectl get $args -o json --sort-by=metadata.namespace
        [ "$status" -eq 0 ]
        [ "$output" = "$stored" ]
        # the AGE column may tick between two runs
        run sh -c "kubectl get $args -o wide | sed -E 's/ [0-9]+s( |\$)/ Ns\\1/g'"
        [ "$status" -eq 0 ]
        stored=$output
        run sh -c "kubectl get $args -o wide --sort-by=metadata.namespace | sed -E 's/ [0-9]+s( |\$)/ Ns\\1/g'"
        [ "$output" = "$stored" ]
        run sh -c "kubectl get $args | sed -E 's/ [0-9]+s( |\$)/ Ns\\1/g'"
        stored=$output
        run sh -c "kubectl get $args --sort-by=metadata.namespace | sed -E 's/ [0-9]+s( |\$)/ Ns\\1/g'"
        [ "$output" = "$stored" ]
        [[ "$stored" == *" Ns"* ]]
    done
    run kubectl get cm -n other -o json
    [[ "$output" == *'"html": "\u003cb\u003e\u0026amp;\u003c/b\u003e"'* ]]
    run kubectl get cm -o json
    [[ "$output" == *'"a\"quoted\\key": "v"'* ]]
}

@test "kubectl version: lines, or -o json|yaml for scripts" {
    run kubectl version
    [ "$output" = $'Client Version: v1.32.4\nKustomize Version: v5.5.0\nServer Version: v1.32.2' ]
    run kubectl version -o json
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | python3 -c 'import json, sys; v = json.load(sys.stdin); assert (v["clientVersion"]["gitVersion"], v["serverVersion"]["gitVersion"], v["serverVersion"]["minor"]) == ("v1.32.4", "v1.32.2", "32")' 
    [ "${lines[1]}" = '  "clientVersion": {' ]   # two-space indent, as json.MarshalIndent
    run kubectl version --client -o yaml
    [ "${lines[0]}" = "clientVersion:" ]
    [ "${lines[1]}" = '  buildDate: "2025-05-15T20:09:34Z"' ]
    [ "${lines[-1]}" = "kustomizeVersion: v5.5.0" ]
    run kubectl version -o table
    [ "$status" -eq 1 ]
    [ "$output" = "error: --output must be 'yaml' or 'json'" ]
}

