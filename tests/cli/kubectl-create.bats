#!/usr/bin/env bats
# kubectl create generators (outputs taken from the real kubectl 1.32's
# --dry-run=client -o yaml), describe, api-resources, config, cluster-info.
load helpers

setup() { fresh_cluster; cd "$BATS_TEST_TMPDIR"; }

@test "create namespace and deployment --dry-run=client -o yaml" {
    run kubectl create namespace foo --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: foo\nspec: {}\nstatus: {}' ]
    run kubectl create deployment d2 --image=nginx --image=busybox --replicas=3 --port=80 -n foo --dry-run=client -o yaml
    [ "$output" = 'apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: d2
  name: d2
  namespace: foo
spec:
  replicas: 3
  selector:
    matchLabels:
      app: d2
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: d2
    spec:
      containers:
      - image: nginx
        name: nginx
        ports:
        - containerPort: 80
        resources: {}
      - image: busybox
        name: busybox
        resources: {}
status: {}' ]
    run kubectl get ns foo
    [ "$status" -eq 1 ]
}

@test "create configmap and secrets from files, literals and env files" {
    echo hello > f1.txt
    printf 'x=1\n#c\ny=2\n' > env.txt
    run kubectl create configmap c2 --from-file=f1.txt --from-file=k2=f1.txt --from-literal=z=9 --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\ndata:\n  f1.txt: |\n    hello\n  k2: |\n    hello\n  z: "9"\nkind: ConfigMap\nmetadata:\n  creationTimestamp: null\n  name: c2' ]
    run kubectl create secret generic s2 --from-env-file=env.txt --type=foo --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\ndata:\n  x: MQ==\n  "y": Mg==\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: s2\ntype: foo' ]
    run kubectl create secret generic s1 --from-literal=a=b --from-file=f1.txt --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\ndata:\n  a: Yg==\n  f1.txt: aGVsbG8K\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: s1' ]
}

@test "create secret tls, serviceaccount, role, rolebinding" {
    printf 'CERT\n' > c.pem; printf 'KEY\n' > k.pem
    run kubectl create secret tls t1 --cert=c.pem --key=k.pem --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\ndata:\n  tls.crt: Q0VSVAo=\n  tls.key: S0VZCg==\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: t1\ntype: kubernetes.io/tls' ]
    run kubectl create serviceaccount sa1 --dry-run=client -o yaml
    [ "$output" = $'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  creationTimestamp: null\n  name: sa1' ]
    run kubectl create role r1 --verb=get,list --resource=pods,deployments.apps --dry-run=client -o yaml
    [ "$output" = $'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  creationTimestamp: null\n  name: r1\nrules:\n- apiGroups:\n  - ""\n  resources:\n  - pods\n  verbs:\n  - get\n  - list\n- apiGroups:\n  - apps\n  resources:\n  - deployments\n  verbs:\n  - get\n  - list' ]
    run kubectl create rolebinding rb --role=r1 --serviceaccount=default:sa1 --user=bob --dry-run=client -o yaml
    [ "$output" = $'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  creationTimestamp: null\n  name: rb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r1\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: bob\n- kind: ServiceAccount\n  name: sa1\n  namespace: default' ]
}

@test "create stores; AlreadyExists and a missing namespace are errors" {
    run kubectl create namespace foo
    [ "$output" = "namespace/foo created" ]
    run kubectl create namespace foo
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (AlreadyExists): namespaces "foo" already exists' ]
    run kubectl create configmap c --from-literal=a=b -n foo
    [ "$output" = "configmap/c created" ]
    run kubectl get cm c -n foo -o jsonpath='{.data.a}'
    [ "$output" = "b" ]
    run kubectl create serviceaccount sa -n nowhere
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): namespaces "nowhere" not found' ]
    run kubectl create namespace foo --dry-run=client
    [ "$output" = "namespace/foo created (dry run)" ]
    # cobra refuses it before running: kubectl 1.32 says so in a klog line
    run kubectl create deployment d
    [ "$status" -eq 1 ]
    [[ "$output" =~ ^E[0-9]{4}\ [0-9:.]{15}\ +[0-9]+\ run\.go:72\]\ \"command\ failed\"\ err=\"required\ flag\(s\)\ \\\"image\\\"\ not\ set\"$ ]]
    run kubectl scale deployment d
    [ "$status" -eq 1 ]
    [[ "$output" == *'run.go:72] "command failed" err="required flag(s) \"replicas\" not set"' ]]
    run kubectl create namespace
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 'error: exactly one NAME is required, got 0' ]
}

@test "create -f and replace -f" {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n' > cm.yaml
    run kubectl create -f cm.yaml
    [ "$output" = "configmap/c created" ]
    run kubectl create -f cm.yaml
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (AlreadyExists): error when creating "cm.yaml": configmaps "c" already exists' ]
    sed -i 's/"1"/"2"/' cm.yaml
    run kubectl replace -f cm.yaml
    [ "$output" = "configmap/c replaced" ]
    run kubectl get cm c -o jsonpath='{.data.a}'
    [ "$output" = "2" ]
}

@test "describe: a namespace, a config map, and an Istio kind generically" {
    run kubectl describe ns default
    [ "$output" = $'Name:         default\nLabels:       kubernetes.io/metadata.name=default\nAnnotations:  <none>\nStatus:       Active\n\nNo resource quota.\n\nNo LimitRange resource.' ]
    kubectl create configmap c1 --from-literal=a=b >/dev/null
    run kubectl describe cm c1
    [ "$output" = $'Name:         c1\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nData\n====\na:\n----\nb\n\n\nBinaryData\n====\n\nEvents:  <none>' ]
    printf 'apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: cnn\nspec:\n  hosts:\n  - edition.cnn.com\n  ports:\n  - number: 80\n    name: http-port\n    protocol: HTTP\n  resolution: DNS\n' | kubectl apply -f - >/dev/null
    run kubectl describe se cnn
    [ "${lines[0]}" = "Name:         cnn" ]
    [ "${lines[4]}" = "API Version:  networking.istio.io/v1alpha3" ]
    [ "${lines[5]}" = "Kind:         ServiceEntry" ]
    [ "${lines[6]}" = "Metadata:" ]
    [[ "${lines[7]}" == "  Creation Timestamp:  "* ]]
    [ "${lines[11]}" = "Spec:" ]
    [ "${lines[12]}" = "  Hosts:" ]
    [ "${lines[13]}" = "    edition.cnn.com" ]
    [ "${lines[15]}" = "    Name:      http-port" ]
    [ "${lines[16]}" = "    Number:    80" ]
    [ "${lines[18]}" = "  Resolution:  DNS" ]
    [ "${lines[19]}" = "Events:        <none>" ]
    run kubectl describe se nothing
    [ "$status" -eq 1 ]
    [ "$output" = 'Error from server (NotFound): serviceentries.networking.istio.io "nothing" not found' ]
}

@test "api-resources lists the kinds table" {
    run kubectl api-resources
    [ "${lines[0]}" = "NAME                  SHORTNAMES   APIVERSION                     NAMESPACED   KIND" ]
    [[ "$output" == *$'\nserviceentries        se           networking.istio.io/v1alpha3   true         ServiceEntry\n'* ]]
    run kubectl api-resources --api-group=networking.istio.io -o name
    [ "$output" = $'destinationrules.networking.istio.io\ngateways.networking.istio.io\nserviceentries.networking.istio.io\nsidecars.networking.istio.io\nvirtualservices.networking.istio.io' ]
    run kubectl api-resources --namespaced=false --no-headers -o wide
    [[ "${lines[0]}" == "namespaces "* ]]
}

@test "config and cluster-info describe the one local context" {
    run kubectl config current-context
    [ "$output" = "meshsim" ]
    run kubectl config view
    [[ "$output" == *"current-context: meshsim"* ]]
    run kubectl cluster-info
    [ "${lines[0]}" = "Kubernetes control plane is running at https://127.0.0.1:6443" ]
    run kubectl config use-context other
    [ "$status" -eq 1 ]
    [ "$output" = 'error: no context exists with the name: "other"' ]
}

@test "create -o json prints a typed object in Go's field order" {
    run kubectl create secret generic s --from-literal=a=b --type=x --dry-run=client -o json
    [ "$output" = '{
    "kind": "Secret",
    "apiVersion": "v1",
    "metadata": {
        "name": "s",
        "creationTimestamp": null
    },
    "data": {
        "a": "Yg=="
    },
    "type": "x"
}' ]
    run kubectl create deployment d --image=nginx --port=80 --dry-run=client -o json
    [[ "$output" == *$'"containers": [\n                    {\n                        "name": "nginx",\n                        "image": "nginx",\n                        "ports": ['* ]]
    [[ "$output" == *$'"template": {\n            "metadata": {\n                "creationTimestamp": null,'* ]]
}

@test "create's client-side errors read as kubectl's" {
    run kubectl create configmap c --from-literal=a=1 --from-literal=a=2 --dry-run=client -o yaml
    [ "$status" -eq 1 ]
    [ "$output" = 'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "c"' ]
    run kubectl create secret generic s --from-literal=a=1 --from-literal=a=2 --dry-run=client
    [ "$output" = 'error: cannot add key a, another key by that name already exists' ]
    run kubectl create secret tls t --cert=c.pem --dry-run=client
    [ "$output" = 'error: key and cert must be specified' ]
    run kubectl create deployment d --image=nginx --replicas=x --dry-run=client
    [ "${lines[0]}" = 'Error: invalid argument "x" for "-r, --replicas" flag: strconv.ParseInt: parsing "x": invalid syntax' ]
    run kubectl create configmap c --from-literal=bad --dry-run=client
    [ "$output" = 'error: invalid literal source bad, expected key=value' ]
}

@test "describe: deployment, its pod, a service with endpoints, a network policy" {
    kubectl create deployment web --image=nginx:1.25 --port=80 >/dev/null
    kubectl apply -f - >/dev/null <<'EOF2'
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kube-system: "true"}}
    ports:
    - protocol: UDP
      port: 53
EOF2
    run kubectl describe deployment web
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Name:                   web" ]
    [[ "$output" == *$'\nReplicas:               1 desired | 1 updated | 1 total | 1 available | 0 unavailable\n'* ]]
    [[ "$output" == *$'\nPod Template:\n  Labels:  app=web\n  Containers:\n   nginx:\n    Image:         nginx:1.25\n    Port:          80/TCP\n'* ]]
    [[ "$output" == *$'\nNewReplicaSet:   web-'*$' (1/1 replicas created)\nEvents:          <none>' ]]
    run kubectl describe pods -l app=web
    [[ "${lines[0]}" == "Name:             web-"* ]]
    [[ "$output" == *$'\nStatus:           Running\n'* ]]
    [[ "$output" == *$'\nControlled By:  ReplicaSet/web-'* ]]
    [[ "$output" == *$'\n    Container ID:   containerd://'* ]]
    run kubectl describe svc web
    [[ "$output" == *$'\nPort:                     http  80/TCP\nTargetPort:               80/TCP\nEndpoints:                10.244.'* ]]
    run kubectl describe netpol deny
    [ "${lines[5]}" = "Spec:" ]
    [ "${lines[6]}" = "  PodSelector:     app=web" ]
    [ "${lines[7]}" = "  Allowing ingress traffic:" ]
    [ "${lines[8]}" = "    <none> (Selected pods are isolated for ingress connectivity)" ]
    [ "${lines[10]}" = "    To Port: 53/UDP" ]
    [ "${lines[12]}" = "      NamespaceSelector: kube-system=true" ]
    [ "${lines[13]}" = "  Policy Types: Ingress, Egress" ]
    run kubectl describe sa default
    [ "$output" = $'Name:                default\nNamespace:           default\nLabels:              <none>\nAnnotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\nTokens:              <none>\nEvents:              <none>' ]
}
