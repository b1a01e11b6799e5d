#!/usr/bin/env bats
# istioctl analyze: one test per message code (the Egress Gateways task's
# resources with the typical mistake, and the clean task that must not raise
# it), output formats, thresholds, suppressions and exit codes.
load helpers

setup() { fresh_cluster; F="$BATS_TEST_DIRNAME/../analyze"; cd "$F"; }

# Files only: the task's cluster (base), its NetworkPolicy, the HTTP task, plus extra files.
az() { run istioctl analyze --use-kube=false -A base.yaml netpol.yaml seed-http.yaml "$@"; }
has() { [[ "$output" == *"$1"* ]] || { echo "missing: $1"; echo "$output"; return 1; }; }
hasnt() { [[ "$output" != *"$1"* ]] || { echo "unexpected: $1"; echo "$output"; return 1; }; }

@test "the task as written is clean (files only)" {
    az
    [ "$status" -eq 0 ]
    has "✔ No validation issues found when analyzing base.yaml"
    run bash -c 'istioctl analyze --use-kube=false -A base.yaml netpol.yaml seed-http.yaml 2>/dev/null'
    [ "$output" = "" ]
}

@test "IST0101 gateway: a VirtualService names a missing Gateway" {
    az ist0101-gateway.yaml
    [ "$status" -eq 79 ]
    has 'Error [IST0101] (VirtualService default/direct-cnn-through-egress-gateway ist0101-gateway.yaml:2) Referenced gateway not found: "istio-egresgateway"'
    has 'Warning [IST0132] (VirtualService default/direct-cnn-through-egress-gateway ist0101-gateway.yaml:2) one or more host [edition.cnn.com] defined in VirtualService default/direct-cnn-through-egress-gateway not found in Gateway default/istio-egresgateway.'
}

@test "IST0101 host: the route's host has no ServiceEntry" {
    run istioctl analyze --use-kube=false base.yaml netpol.yaml ist0101-host.yaml
    [ "$status" -eq 79 ]
    has 'Error [IST0101] (VirtualService default/direct-cnn-through-egress-gateway ist0101-host.yaml:17) Referenced host not found: "edition.cnn.com"'
    az ist0101-host.yaml
    hasnt 'Referenced host not found'
}

@test "IST0101 host:port: the route's port is not on the Service" {
    az ist0101-hostport.yaml
    has 'Error [IST0101] (VirtualService default/direct-cnn-through-egress-gateway ist0101-hostport.yaml:2) Referenced host:port not found: "istio-egressgateway.istio-system.svc.cluster.local:8080"'
}

@test "IST0101 host+subset: no DestinationRule defines the subset" {
    az ist0101-subset.yaml
    has 'Error [IST0101] (VirtualService default/direct-cnn-through-egress-gateway seed-http.yaml:42) Referenced host+subset in destinationrule not found: "istio-egressgateway.istio-system.svc.cluster.local+cnn"'
}

@test "IST0101 selector: the Gateway selects no pod" {
    az ist0101-selector.yaml
    has 'Error [IST0101] (Gateway default/istio-egressgateway ist0101-selector.yaml:2) Referenced selector not found: "istio=egress-gateway"'
    az
    hasnt 'Referenced selector'
}

@test "IST0101 credentialName: the TLS secret is missing, and found once created" {
    az ist0101-credential.yaml
    has 'Error [IST0101] (Gateway default/istio-egressgateway-tls ist0101-credential.yaml:2) Referenced credentialName not found: "nginx-client-certs"'
    az ist0101-credential.yaml credential-secret.yaml
    hasnt 'credentialName'
}

@test "IST0102: a namespace without the injection label" {
    az ist0102.yaml
    [ "$status" -eq 0 ]
    has "Info [IST0102] (Namespace test-egress ist0102.yaml:2) The namespace is not enabled for Istio injection. Run 'kubectl label namespace test-egress istio-injection=enabled' to enable it, or 'kubectl label namespace test-egress istio-injection=disabled' to explicitly mark it as not needing injection."
    az
    hasnt 'IST0102'
}

@test "IST0103: a pod without sidecar in an injected namespace" {
    az ist0103.yaml
    has 'Warning [IST0103] (Pod default/sleep-5d8d9b6b5-old ist0103.yaml:2) The pod default/sleep-5d8d9b6b5-old is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.'
    az
    hasnt 'IST0103'
}

@test "IST0106: Istio's validation errors" {
    az ist0106.yaml
    has 'Error [IST0106] (VirtualService default/direct-cnn-through-egress-gateway ist0106.yaml:2) Schema validation error: TLS match must have at least one SNI host'
    has 'Error [IST0106] (VirtualService default/empty ist0106.yaml:18) Schema validation error: http, tcp or tls must be provided in virtual service'
}

@test "IST0108: an unknown Istio annotation" {
    az ist0108.yaml
    has 'Warning [IST0108] (Pod default/sleep-776b7bcdcd-z7mc4 ist0108.yaml:2) Unknown annotation: sidecar.istio.io/injects'
    az
    hasnt 'IST0108'
}

@test "IST0109: two mesh VirtualServices for one host, both reported, names in order" {
    az ist0109.yaml
    has 'Error [IST0109] (VirtualService default/cnn-timeout ist0109.yaml:2) The VirtualServices default/cnn-timeout,default/direct-cnn-through-egress-gateway associated with mesh gateway define the same host */edition.cnn.com which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.'
    has 'Error [IST0109] (VirtualService default/direct-cnn-through-egress-gateway seed-http.yaml:42)'
    # sorted by origin: cnn-timeout before direct-cnn-...
    [[ "${lines[0]}" == *"default/cnn-timeout ist0109"* ]]
}

@test "IST0112: a destination without port on a multi-port Service" {
    az ist0112.yaml
    has 'Error [IST0112] (VirtualService default/direct-cnn-through-egress-gateway ist0112.yaml:2) This VirtualService routes to a service "istio-egressgateway.istio-system.svc.cluster.local" that exposes multiple ports [80 443]. Specifying a port in the destination is required to disambiguate.'
    az
    hasnt 'IST0112'
}

@test "IST0118: a port name without protocol prefix" {
    az ist0118.yaml
    has "Info [IST0118] (Service default/sleep ist0118.yaml:2) Port name web (port: 80, targetPort: 8080) doesn't follow the naming convention of Istio port."
    az
    hasnt 'IST0118'
}

@test "IST0127: an AuthorizationPolicy selecting no workload" {
    az ist0127.yaml
    has 'Warning [IST0127] (AuthorizationPolicy default/allow-sleep ist0127.yaml:2) No matching workloads for this resource with the following labels: app=sleeep'
    sed 's/sleeep/sleep/' ist0127.yaml > "$BATS_TEST_TMPDIR/ap.yaml"
    az "$BATS_TEST_TMPDIR/ap.yaml"
    hasnt 'IST0127'
}

@test "IST0128 and IST0129: TLS origination without caCertificates" {
    az ist0128.yaml
    has 'Warning [IST0128] (DestinationRule default/originate-tls-for-edition-cnn-com ist0128.yaml:2) DestinationRule default/originate-tls-for-edition-cnn-com in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: edition.cnn.com'
    az ist0129.yaml
    has 'Warning [IST0129] (DestinationRule default/originate-tls-for-edition-cnn-com ist0129.yaml:2) DestinationRule default/originate-tls-for-edition-cnn-com in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: edition.cnn.com at port number:80'
    printf '%s\n      caCertificates: /etc/certs/root.pem\n' "$(cat ist0128.yaml)" > "$BATS_TEST_TMPDIR/dr.yaml"
    az "$BATS_TEST_TMPDIR/dr.yaml"
    hasnt 'IST0128'
}

@test "IST0130: a rule after a catch-all rule" {
    az ist0130.yaml
    has 'Warning [IST0130] (VirtualService default/cnn-routes ist0130.yaml:2) VirtualService rule #1 not used (only the last rule can have no matches).'
    az
    hasnt 'IST0130'
}

@test "IST0131: a match repeated from an earlier rule" {
    az ist0131.yaml
    has 'Info [IST0131] (VirtualService default/cnn-routes ist0131.yaml:2) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0).'
    hasnt 'IST0130'
}

@test "IST0132: the Gateway does not serve the VirtualService's host" {
    az ist0132.yaml
    has 'Warning [IST0132] (VirtualService default/direct-cnn-through-egress-gateway seed-http.yaml:42) one or more host [edition.cnn.com] defined in VirtualService default/direct-cnn-through-egress-gateway not found in Gateway default/istio-egressgateway.'
    az
    hasnt 'IST0132'
}

@test "IST0134: a TCP ServiceEntry without addresses when DNS capture is on" {
    run istioctl analyze --use-kube=false --meshConfigFile meshconfig-dns-capture.yaml base.yaml ist0134.yaml
    has 'Warning [IST0134] (ServiceEntry default/mongo ist0134.yaml:2) ServiceEntry addresses are required for this protocol.'
    run istioctl analyze --use-kube=false base.yaml ist0134.yaml
    hasnt 'IST0134'
}

@test "IST0145: two Gateways claim the same host on the same workload and port" {
    az ist0145.yaml
    has 'Error [IST0145] (Gateway default/cnn-egress ist0145.yaml:2) Conflict with gateways default/istio-egressgateway (workload selector istio=egressgateway, port 80, hosts edition.cnn.com).'
    has 'Error [IST0145] (Gateway default/istio-egressgateway seed-http.yaml:18) Conflict with gateways default/cnn-egress (workload selector istio=egressgateway, port 80, hosts edition.cnn.com).'
}

@test "IST0162: a Gateway port the gateway Service does not expose (80 -> 8080 is fine)" {
    az ist0162.yaml
    has 'Warning [IST0162] (Gateway default/istio-egressgateway ist0162.yaml:2) The gateway is listening on a target port (port 8081) that is not defined in the Service associated with its workload instances (Pod selector istio=egressgateway). If you need to access the gateway port through the gateway Service, it will not be available.'
    az
    hasnt 'IST0162'
}

@test "IST0173: a subset selecting no pod" {
    az ist0173.yaml
    has 'Error [IST0173] (DestinationRule default/sleep ist0173.yaml:2) The Subset v1 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).'
    az
    hasnt 'IST0173'
}

@test "IST0174: a DestinationRule host matching no service" {
    az ist0174.yaml
    has 'Warning [IST0174] (DestinationRule default/egressgateway-for-cnn ist0174.yaml:2) The host istio-egresgateway.istio-system.svc.cluster.local defined in the DestinationRule does not match any services in the mesh.'
    az
    hasnt 'IST0174'
}

@test "IST0177: two ServiceEntries disagree on a port's protocol" {
    az ist0177.yaml
    has 'Warning [IST0177] (ServiceEntry default/cnn seed-http.yaml:2) Multiple ServiceEntries (default/cnn, default/cnn-tls) define the same host "edition.cnn.com" and port 443 with conflicting protocols (HTTPS, TLS).'
    has 'Warning [IST0177] (ServiceEntry default/cnn-tls ist0177.yaml:2)'
    az
    hasnt 'IST0177'
}

@test "MSH0001: mesh traffic sent to the egress gateway on a port its Gateway does not serve" {
    az msh0001.yaml
    has 'Error [MSH0001] (VirtualService default/direct-cnn-https-through-egress-gateway msh0001.yaml:3) Mesh traffic for edition.cnn.com is routed to the egress gateway istio-egressgateway.istio-system.svc.cluster.local on port 443, but no Gateway selecting that gateway has a server for this host and port.'
    az
    hasnt 'MSH0001'
}

@test "MSH0002: a ServiceEntry with resolution NONE routed through the gateway" {
    az msh0002.yaml
    [ "$status" -eq 79 ]
    has 'Error [MSH0002] (VirtualService default/direct-cnn-through-egress-gateway seed-http.yaml:42) Host edition.cnn.com is routed through the gateway default/istio-egressgateway but its ServiceEntry has resolution NONE: the gateway forwards to the original destination, itself, in a loop. Use resolution DNS.'
    az
    hasnt 'MSH0002'
}

@test "MSH0003: a client namespace without the DestinationRule on its lookup path, fixed as the task does" {
    az msh0003.yaml
    has 'Warning [MSH0003] (VirtualService default/direct-cnn-through-egress-gateway seed-http.yaml:42) Subset cnn of host istio-egressgateway.istio-system.svc.cluster.local is not defined by any DestinationRule on the lookup path of clients in namespace test-egress (lookup path: test-egress, istio-system): their requests fail with 503 NC.'
    az msh0003.yaml msh0003-fix.yaml
    hasnt 'MSH0003'
    hasnt 'MSH0004'
}

@test "MSH0004: no NetworkPolicy keeps pods from bypassing the egress gateway" {
    run istioctl analyze --use-kube=false base.yaml seed-http.yaml
    [ "$status" -eq 0 ]
    has 'Warning [MSH0004] (Namespace default base.yaml:4) Pods in namespace default can reach external hosts without passing the egress gateway: no NetworkPolicy restricts their egress.'
    # no Gateway uses the egress gateway: nothing to bypass
    run istioctl analyze --use-kube=false base.yaml
    hasnt 'MSH0004'
}

# ---- formats ----

@test "-o json prints istioctl's fields with tab indentation and exits 0" {
    run istioctl analyze --use-kube=false -o json base.yaml ist0103.yaml
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "[" ]
    [ "${lines[1]}" = $'\t{' ]
    [ "${lines[2]}" = $'\t\t"code": "IST0103",' ]
    [ "${lines[3]}" = $'\t\t"documentationUrl": "https://istio.io/v1.4/docs/reference/config/analysis/ist0103/?ref=istioctl-analyze",' ]
    [ "${lines[4]}" = $'\t\t"level": "Warning",' ]
    [ "${lines[6]}" = $'\t\t"origin": "Pod default/sleep-5d8d9b6b5-old",' ]
    [ "${lines[7]}" = $'\t\t"reference": "ist0103.yaml:2"' ]
    [ "${lines[9]}" = "]" ]
}

@test "-o json of no messages is an empty list" {
    run istioctl analyze --use-kube=false -o json base.yaml
    [ "${lines[0]}" = "[]" ]
}

@test "-o yaml prints a list with sorted keys; errors do not change the exit code" {
    run istioctl analyze --use-kube=false -o yaml base.yaml netpol.yaml seed-http.yaml msh0002.yaml
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "- code: MSH0002" ]
    [ "${lines[1]}" = "  documentationUrl: man:meshsim-analyze(7)#MSH0002" ]
    [ "${lines[2]}" = "  level: Error" ]
    [ "${lines[4]}" = "  origin: VirtualService default/direct-cnn-through-egress-gateway" ]
    [ "${lines[5]}" = "  reference: seed-http.yaml:42" ]
}

@test "-o sarif is SARIF 2.1.0 with rules and file locations" {
    run bash -c 'istioctl analyze --use-kube=false -o sarif base.yaml netpol.yaml seed-http.yaml ist0174.yaml 2>/dev/null'
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["version"]=="2.1.0", d["version"]
run=d["runs"][0]
ids=[r["id"] for r in run["tool"]["driver"]["rules"]]
assert "IST0174" in ids and "IST0101" in ids, ids
res=[r for r in run["results"] if r["ruleId"]=="IST0174"][0]
assert res["level"]=="warning", res
loc=res["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"]=="ist0174.yaml" and loc["region"]["startLine"]==2, loc
assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]=="DestinationRule default/egressgateway-for-cnn"
assert ids[res["ruleIndex"]]=="IST0174"
'
}

@test "messages sort by level, then code, then resource" {
    run istioctl analyze --use-kube=false -A base.yaml netpol.yaml seed-http.yaml ist0102.yaml ist0174.yaml ist0103.yaml
    [[ "${lines[0]}" == "Error [IST0101]"* ]]
    [[ "${lines[1]}" == "Warning [IST0103]"* ]]
    [[ "${lines[2]}" == "Warning [IST0174]"* ]]
    [[ "${lines[3]}" == "Warning [MSH0003]"* ]]
    [[ "${lines[4]}" == "Info [IST0102]"* ]]
}

@test "the failure trailer names the namespace and the release's documentation" {
    run istioctl analyze --use-kube=false base.yaml ist0101-selector.yaml
    [ "$status" -eq 79 ]
    [ "${lines[1]}" = "Error: Analyzers found issues when analyzing namespace: default." ]
    [ "${lines[2]}" = "See https://istio.io/v1.4/docs/reference/config/analysis for more information about causes and resolutions." ]
}

@test "--failure-threshold and --output-threshold" {
    az ist0103.yaml --failure-threshold Warning
    [ "$status" -eq 79 ]
    az ist0103.yaml --failure-threshold Error
    [ "$status" -eq 0 ]
    az ist0103.yaml ist0102.yaml --output-threshold Warning
    has 'IST0103'
    hasnt 'IST0102'
    # the exit code ignores the output threshold
    az ist0101-selector.yaml --output-threshold Info --failure-threshold Error
    [ "$status" -eq 79 ]
    run istioctl analyze --use-kube=false --failure-threshold Fatal base.yaml
    [ "$status" -eq 64 ]
    has 'Error: invalid argument "Fatal" for "--failure-threshold" flag'
}

@test "-S suppresses a code on resources matching a glob; unknown codes are warned about" {
    az ist0103.yaml ist0102.yaml -S "IST0103=Pod default/*"
    hasnt 'IST0103'
    has 'IST0102'
    az ist0103.yaml -S "IST9999=Pod *"
    has "Warning: Supplied message code 'IST9999' is an unknown message code and will not have any effect."
    has 'IST0103'
    az -S "IST0103"
    [ "$status" -eq 1 ]
    has 'Error: IST0103 is not a valid suppression value. See istioctl analyze --help'
}

@test "the galley.istio.io/analyze-suppress annotation silences its resource" {
    sed 's/^  labels:$/  annotations:\n    galley.istio.io\/analyze-suppress: IST0108,IST0103\n  labels:/' ist0103.yaml > "$BATS_TEST_TMPDIR/pod.yaml"
    az "$BATS_TEST_TMPDIR/pod.yaml"
    hasnt 'IST0103'
    hasnt 'IST0108'
}

@test "-L lists the analyzers" {
    run istioctl analyze -L
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "* annotations.K8sAnalyzer:" ]
    [ "${lines[1]}" = "    Checks for misplaced and invalid Istio annotations in Kubernetes resources" ]
    has "* virtualservice.GatewayAnalyzer:"
    has "* meshsim.EgressAnalyzer:"
}

@test "bad -o is a usage error (64); an unparseable file is a data error (65)" {
    run istioctl analyze --use-kube=false -o xml base.yaml
    [ "$status" -eq 64 ]
    has 'Error: xml not a valid option for format. See istioctl analyze --help'
    printf 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n' > "$BATS_TEST_TMPDIR/bad.yaml"
    run istioctl analyze --use-kube=false base.yaml "$BATS_TEST_TMPDIR/bad.yaml"
    [ "$status" -eq 65 ]
    has "Error: Some files couldn't be parsed."
    run istioctl analyze --use-kube=false --ignore-unknown base.yaml "$BATS_TEST_TMPDIR/bad.yaml"
    [ "$status" -eq 0 ]
}

@test "directories: only .yaml/.yml/.json, subdirectories with -R" {
    mkdir -p "$BATS_TEST_TMPDIR/cfg/sub"
    cp base.yaml netpol.yaml seed-http.yaml "$BATS_TEST_TMPDIR/cfg/"
    cp ist0174.yaml "$BATS_TEST_TMPDIR/cfg/sub/"
    echo "notes" > "$BATS_TEST_TMPDIR/cfg/README.txt"
    run istioctl analyze --use-kube=false "$BATS_TEST_TMPDIR/cfg"
    [ "$status" -eq 0 ]
    has "Skipping file $BATS_TEST_TMPDIR/cfg/README.txt, recognized file extensions are: [.json .yaml .yml]"
    hasnt 'IST0174'
    run istioctl analyze --use-kube=false -R "$BATS_TEST_TMPDIR/cfg"
    has 'IST0174'
}

@test "colour only on request (--color) or on a terminal" {
    run istioctl analyze --use-kube=false base.yaml ist0101-selector.yaml
    hasnt $'\033['
    run istioctl analyze --use-kube=false --color base.yaml ist0101-selector.yaml
    has $'\033[1;31mError\033[0m [IST0101]'
}

# ---- the store ----

@test "over the store: default namespace, -n, -A, and a missing namespace" {
    kubectl apply -f base.yaml -f seed-http.yaml -f netpol.yaml >/dev/null
    run istioctl analyze
    [ "$status" -eq 0 ]
    has "✔ No validation issues found when analyzing namespace: default."
    kubectl create namespace test-egress >/dev/null 2>&1 || kubectl apply -f ist0102.yaml >/dev/null
    run istioctl analyze
    hasnt 'IST0102'
    run istioctl analyze -n test-egress
    has 'Info [IST0102] (Namespace test-egress) The namespace is not enabled'
    run istioctl analyze -A
    has 'Info [IST0102] (Namespace test-egress)'
    run istioctl analyze -n nowhere
    [ "$status" -eq 0 ]
    has 'namespace "nowhere" not found'
}

@test "files combine with the store and take precedence over it" {
    kubectl apply -f base.yaml -f seed-http.yaml -f netpol.yaml >/dev/null
    run istioctl analyze ist0101-subset.yaml
    [ "$status" -eq 79 ]
    has 'Referenced host+subset in destinationrule not found'
    # the store's copy is unchanged
    run istioctl analyze
    [ "$status" -eq 0 ]
    run kubectl get destinationrule egressgateway-for-cnn -o jsonpath='{.spec.subsets[0].name}'
    [ "$output" = "cnn" ]
}

@test "istioctl x analyze is the 1.4 spelling" {
    run istioctl x analyze --use-kube=false base.yaml ist0103.yaml
    has 'IST0103'
}

@test "-v names the analyzers that ran; --analyzer runs only those" {
    run istioctl analyze --use-kube=false -v --analyzer injection.Analyzer base.yaml ist0102.yaml ist0174.yaml -A
    [ "${lines[0]}" = "Analyzed resources in all namespaces" ]
    [ "${lines[1]}" = "Executed analyzers:" ]
    [ "${lines[2]}" = $'\t injection.Analyzer' ]
    [[ "$output" == *"IST0102"* ]]
    [[ "$output" != *"IST0174"* ]]
}

@test "MSH0004: a policy that still allows 0.0.0.0/0 does not count; MSH0002: no resolution means NONE" {
    cat > "$BATS_TEST_TMPDIR/open.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-egress-to-istio-system-and-kube-dns
  namespace: default
spec:
  podSelector: {}
  policyTypes:
  - Egress
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
YAML
    az "$BATS_TEST_TMPDIR/open.yaml"
    has 'Warning [MSH0004] (Namespace default base.yaml:4)'
    sed '/resolution:/d' seed-http.yaml > "$BATS_TEST_TMPDIR/seed-nores.yaml"
    run istioctl analyze --use-kube=false base.yaml netpol.yaml "$BATS_TEST_TMPDIR/seed-nores.yaml"
    has '[MSH0002]'
}
