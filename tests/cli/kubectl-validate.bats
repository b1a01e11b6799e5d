#!/usr/bin/env bats
# Validation as an API server with Istio's CRDs: strict decoding, types,
# enums, required fields, names; the invalid document is not stored.
load helpers

setup() { fresh_cluster; }

se() { # se PORTS-LINE RESOLUTION
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: cnn\nspec:\n  hosts:\n  - edition.cnn.com\n  ports:\n  - %s\n    name: http-port\n    protocol: HTTP\n  resolution: %s\n' "$1" "$2"
}

@test "an unknown field is a strict decoding error and nothing is stored" {
    run kubectl apply -f - <<<"$(se 'nmber: 80' DNS)"
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": ServiceEntry in version "v1alpha3" cannot be handled as a ServiceEntry: strict decoding error: unknown field "spec.ports[0].nmber"' ]
    run kubectl get se
    [ "$output" = "No resources found in default namespace." ]
}

@test "several unknown fields are listed together" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  lables: {}\ndata: {}\nfoo: 1'
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "foo", unknown field "metadata.lables"' ] ||
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.lables", unknown field "foo"' ]
}

@test "built-in kinds report wrong types as Go's json decoder does" {
    run kubectl apply -f - <<<$'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: "3"'
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' ]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: 1'
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string' ]
    run kubectl apply -f - <<<$'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {}\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n        ports:\n        - containerPort: http'
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32' ]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: "not base64!"'
    [ "$output" = 'Error from server (BadRequest): error when creating "STDIN": Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' ]
}

@test "CRD kinds report types, enums and required fields as schema causes" {
    run kubectl apply -f - <<<"$(se 'number: "80"' FOO)"
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 'The ServiceEntry "cnn" is invalid: ' ]
    [ "${lines[1]}" = '* spec.ports[0].number: Invalid value: "string": spec.ports[0].number in body must be of type integer: "string"' ]
    [ "${lines[2]}" = '* spec.resolution: Unsupported value: "FOO": supported values: "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"' ]
    run kubectl apply -f - <<<$'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: dr\nspec:\n  trafficPolicy:\n    tls:\n      mode: STRICT'
    [ "${lines[0]}" = 'The DestinationRule "dr" is invalid: ' ]
    [ "${lines[1]}" = '* spec.host: Required value' ]
    [ "${lines[2]}" = '* spec.trafficPolicy.tls.mode: Unsupported value: "STRICT": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"' ]
    run kubectl apply -f - <<<$'apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  servers:\n  - port: {number: 443, name: tls, protocol: TLS}\n    hosts: [a.com]\n    tls: {mode: PASS}'
    [ "$output" = 'The Gateway "gw" is invalid: spec.servers[0].tls.mode: Unsupported value: "PASS": supported values: "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"' ]
}

@test "built-in enums: service and network policy protocols, policy types" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    protocol: HTTP'
    [ "$status" -eq 1 ]
    [ "$output" = 'The Service "s" is invalid: spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"' ]
    run kubectl apply -f - <<<$'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Outgress]'
    [ "$output" = 'The NetworkPolicy "np" is invalid: spec.policyTypes[1]: Unsupported value: "Outgress": supported values: "Ingress", "Egress"' ]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 70000'
    [ "$output" = 'The Service "s" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive' ]
}

@test "Istio's webhook refuses an unknown port protocol" {
    run kubectl apply -f - <<<"$(se 'number: 80' DNS | sed 's/protocol: HTTP/protocol: HTTPX/')"
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server: error when creating "STDIN": admission webhook "validation.istio.io" denied the request: configuration is invalid: unrecognized protocol "HTTPX"' ]
}

@test "names must be DNS labels or subdomains" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Bad_Name'
    [ "$status" -eq 1 ]
    [ "$output" = "The Namespace \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" ]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1abc\nspec:\n  ports: [{port: 80}]'
    [[ "$output" == 'The Service "1abc" is invalid: metadata.name: Invalid value: "1abc": a DNS-1035 label must consist of'* ]]
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: default'
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 'error: error when retrieving current configuration of:' ]
    [ "${lines[3]}" = 'from server for: "STDIN": resource name may not be empty' ]
}

@test "in a stream the valid documents are stored and the command exits 1" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\nbogus: 1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good2'
    [ "$status" -eq 1 ]
    [[ "$output" == *"configmap/good1 created"* ]]
    [[ "$output" == *"configmap/good2 created"* ]]
    [[ "$output" == *'unknown field "bogus"'* ]]
    run kubectl get cm -o name
    [ "$output" = $'configmap/good1\nconfigmap/good2' ]
}

@test "several errors: successes first, then one status line per error" {
    run kubectl apply -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\nbogus: 1\n---\napiVersion: v9\nkind: Widget\nmetadata:\n  name: w\n---\napiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: cnn\nspec:\n  resolution: FOO'
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "configmap/good created" ]
    [ "${lines[1]}" = 'resource mapping not found for name: "w" namespace: "" from "STDIN": no matches for kind "Widget" in version "v9"' ]
    [ "${lines[2]}" = "ensure CRDs are installed first" ]
    [ "${lines[3]}" = 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"' ]
    [ "${lines[4]}" = 'Error from server (Invalid): error when creating "STDIN": ServiceEntry.networking.istio.io "cnn" is invalid: [spec.hosts: Required value, spec.resolution: Unsupported value: "FOO": supported values: "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"]' ]
}

@test "apply --dry-run=server validates and stores nothing" {
    run kubectl apply --dry-run=server -f - <<<"$(se 'nmber: 80' DNS)"
    [ "$status" -eq 1 ]
    [[ "$output" == *'unknown field "spec.ports[0].nmber"'* ]]
    run kubectl apply --dry-run=server -f - <<<"$(se 'number: 80' DNS)"
    [ "$status" -eq 0 ]
    [ "$output" = "serviceentry.networking.istio.io/cnn created (server dry run)" ]
    run kubectl get se
    [ "$output" = "No resources found in default namespace." ]
}

@test "the seed page's manifests validate" {
    run kubectl apply -f - <<'EOF2'
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: istio-egressgateway
spec:
  selector:
    istio: egressgateway
  servers:
  - port:
      number: 443
      name: tls
      protocol: TLS
    hosts:
    - edition.cnn.com
    tls:
      mode: PASSTHROUGH
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: egressgateway-for-cnn
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: direct-cnn-through-egress-gateway
spec:
  hosts:
  - edition.cnn.com
  gateways:
  - mesh
  - istio-egressgateway
  tls:
  - match:
    - gateways:
      - mesh
      port: 443
      sniHosts:
      - edition.cnn.com
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
        subset: cnn
        port:
          number: 443
  tcp:
  - match:
    - gateways:
      - istio-egressgateway
      port: 443
    route:
    - destination:
        host: edition.cnn.com
        port:
          number: 443
      weight: 100
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-egress-to-istio-system-and-kube-dns
spec:
  podSelector: {}
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kube-system: "true"
    ports:
    - protocol: UDP
      port: 53
  - to:
    - namespaceSelector:
        matchLabels:
          istio: system
EOF2
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
}

@test "istiod's webhook checks what the schema leaves open" {
    run kubectl apply -f - <<<$'apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: v\nspec:\n  hosts: [a.com]\n  tls:\n  - match:\n    - port: 443\n    route:\n    - destination: {host: a.com}'
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server: error when creating "STDIN": admission webhook "validation.istio.io" denied the request: configuration is invalid: TLS match must have at least one SNI host' ]
    run kubectl get vs
    [ "$output" = "No resources found in default namespace." ]
}
