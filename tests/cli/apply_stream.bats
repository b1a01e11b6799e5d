#!/usr/bin/env bats
# A long stream (hundreds of documents) is applied the fast way: documents
# prepared on two threads, rows inserted by a second thread, lookups answered
# from one scan of each resource.  None of that may show: the stream gives
# the same lines, errors, exit status and objects as the same documents
# applied a few at a time (each command then too short for the fast way).
load helpers

# mixed.yaml: 600 documents, among them a namespace made halfway, a document
# for it, an invalid one, one for a namespace that does not exist, a Service
# and a Deployment (admission and controllers), and objects applied twice
# in the same stream (the second time changed, then as first given)
make_stream() {
    awk 'BEGIN {
        for (i = 0; i < 290; i++)
            printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se%d\nspec:\n  hosts:\n  - h%d.example.com\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n  resolution: DNS\n---\n", i, i
        printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: late\n---\n"
        printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: bad\n  namespace: late\nspec:\n  hosts:\n  - x.example.com\n  ports:\n  - nmber: 443\n---\n"
        printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se5\nspec:\n  hosts:\n  - changed.example.com\n  resolution: NONE\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n---\n"
        printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  namespace: nowhere\ndata:\n  a: b\n---\n"
        printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc1\n  namespace: late\nspec:\n  selector:\n    app: x\n  ports:\n  - port: 80\n---\n"
        printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d1\n  namespace: late\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: x\n  template:\n    metadata:\n      labels:\n        app: x\n    spec:\n      containers:\n      - name: c\n        image: nginx\n---\n"
        for (i = 0; i < 290; i++)
            printf "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: vs%d\n  namespace: late\nspec:\n  hosts:\n  - h%d.example.com\n  http:\n  - route:\n    - destination:\n        host: h%d.example.com\n---\n", i, i, i
        printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se5\nspec:\n  hosts:\n  - h5.example.com\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n  resolution: DNS\n"
    }' > "$1"
}

# what a later reader sees, without what differs between any two runs
# (uids, times, resource versions, generated pod names and addresses)
state() {
    kubectl get se,vs,svc,deploy,cm,sa -A -o json |
        grep -v -e '"uid"' -e creationTimestamp -e 'Time"' -e '"resourceVersion"' -e clusterIP -e '"ip"'
    kubectl get se,vs -A | awk '{ $NF = ""; print }'   # AGE aside
    kubectl get pods -n late --no-headers | awk '{ print $2, $3 }'
}

# apply each document of FILE in a command of its own (too short for the fast way)
apply_one_by_one() {
    awk -v dir="$BATS_TEST_TMPDIR/docs" 'BEGIN { n = 0; f = sprintf("%s/%04d.yaml", dir, n) }
        /^---$/ { close(f); n++; f = sprintf("%s/%04d.yaml", dir, n); next } { print > f }' "$1"
    local out="" rc=0 d
    for d in "$BATS_TEST_TMPDIR"/docs/*.yaml; do
        kubectl apply -f "$d" >> "$BATS_TEST_TMPDIR/one.out" 2>> "$BATS_TEST_TMPDIR/one.err" || rc=1
    done
    return $rc
}

@test "a long stream applies as its documents do one by one: lines, errors, exit status, objects" {
    make_stream "$BATS_TEST_TMPDIR/mixed.yaml"
    mkdir -p "$BATS_TEST_TMPDIR/docs"
    [ "$(grep -c '^kind:' "$BATS_TEST_TMPDIR/mixed.yaml")" -eq 587 ]

    export MESHSIM_HOME="$BATS_TEST_TMPDIR/one"
    run apply_one_by_one "$BATS_TEST_TMPDIR/mixed.yaml"
    [ "$status" -eq 1 ]
    state > "$BATS_TEST_TMPDIR/one.state"

    export MESHSIM_HOME="$BATS_TEST_TMPDIR/stream"
    run kubectl apply -f "$BATS_TEST_TMPDIR/mixed.yaml"
    [ "$status" -eq 1 ]
    printf '%s\n' "$output" | grep -v '^Error' > "$BATS_TEST_TMPDIR/stream.out"
    printf '%s\n' "$output" | grep '^Error' > "$BATS_TEST_TMPDIR/stream.err"
    state > "$BATS_TEST_TMPDIR/stream.state"

    diff "$BATS_TEST_TMPDIR/one.out" "$BATS_TEST_TMPDIR/stream.out"
    # (the file each names aside)
    diff <(sed 's|"[^"]*\.yaml"|"FILE"|' "$BATS_TEST_TMPDIR/one.err") \
         <(sed 's|"[^"]*\.yaml"|"FILE"|' "$BATS_TEST_TMPDIR/stream.err")
    diff "$BATS_TEST_TMPDIR/one.state" "$BATS_TEST_TMPDIR/stream.state"
    # the stream's own story, spelled out
    grep -qx 'serviceentry.networking.istio.io/se5 configured' "$BATS_TEST_TMPDIR/stream.out"
    [ "$(grep -c '^serviceentry.networking.istio.io/se5 ' "$BATS_TEST_TMPDIR/stream.out")" -eq 3 ]
    grep -qx 'namespace/late created' "$BATS_TEST_TMPDIR/stream.out"
    grep -q 'namespaces "nowhere" not found' "$BATS_TEST_TMPDIR/stream.err"
    grep -q 'unknown field "spec.ports\[0\].nmber"' "$BATS_TEST_TMPDIR/stream.err"
    [ "$(kubectl get pods -n late --no-headers | wc -l)" -eq 2 ]
}

@test "a long stream applied again: unchanged, from the stored texts, and changed where it changes" {
    make_stream "$BATS_TEST_TMPDIR/mixed.yaml"
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/home"
    run kubectl apply -f "$BATS_TEST_TMPDIR/mixed.yaml"
    [ "$status" -eq 1 ]
    run kubectl apply -f "$BATS_TEST_TMPDIR/mixed.yaml"
    [ "$status" -eq 1 ]
    # se5 was left as the stream's last document gives it: its first
    # document in the stream changes it, its last changes it back
    # 585 valid documents, se5's two changing ones aside
    [ "$(printf '%s\n' "$output" | grep -c ' unchanged$')" -eq 583 ]
    [ "$(printf '%s\n' "$output" | grep -c '^serviceentry.networking.istio.io/se5 configured$')" -eq 2 ]
    # a deleted object comes back as created, the rest stays unchanged
    kubectl delete se se7 >/dev/null
    kubectl delete vs vs9 -n late >/dev/null
    run kubectl apply -f "$BATS_TEST_TMPDIR/mixed.yaml"
    printf '%s\n' "$output" | grep -qx 'serviceentry.networking.istio.io/se7 created'
    printf '%s\n' "$output" | grep -qx 'virtualservice.networking.istio.io/vs9 created'
    [ "$(printf '%s\n' "$output" | grep -c ' unchanged$')" -eq 581 ]
}

# pods.yaml: 300 pods whose spec is long enough to be kept once (shared.h),
# in three templates, so the writer gets split rows
make_pods() {
    awk 'BEGIN {
        for (i = 0; i < 300; i++) {
            printf "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n  labels:\n    app: t%d\nspec:\n  containers:\n", i, i % 3
            for (c = 0; c < 6; c++)
                printf "  - name: c%d\n    image: registry.example.com/team/image-%d:1.2.3\n    args: [\"--flag-%d=a-long-value\", \"--other=%d\"]\n    ports:\n    - containerPort: %d\n", c, i % 3, c, c, 8000 + c
            printf "---\n"
        }
    }' > "$1"
}

@test "a long stream of pods (their specs kept once) applies as its pods do one by one" {
    make_pods "$BATS_TEST_TMPDIR/pods.yaml"
    mkdir -p "$BATS_TEST_TMPDIR/docs"
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/one"
    apply_one_by_one "$BATS_TEST_TMPDIR/pods.yaml"
    kubectl get pods -o json | grep -v -e '"uid"' -e creationTimestamp -e 'Time"' -e '"resourceVersion"' \
        -e containerID -e startedAt > "$BATS_TEST_TMPDIR/one.pods"
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/stream"
    run kubectl apply -f "$BATS_TEST_TMPDIR/pods.yaml"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c '^pod/p[0-9]* created$')" -eq 300 ]
    kubectl get pods -o json | grep -v -e '"uid"' -e creationTimestamp -e 'Time"' -e '"resourceVersion"' \
        -e containerID -e startedAt > "$BATS_TEST_TMPDIR/stream.pods"
    diff "$BATS_TEST_TMPDIR/one.pods" "$BATS_TEST_TMPDIR/stream.pods"
    # every pod whole: its last container, and that container's status
    [ "$(grep -c '"name": "c5"' "$BATS_TEST_TMPDIR/stream.pods")" -eq 600 ]
}

# sql STATEMENT: run one statement on the store (sqlite3, else python3)
sql() {
    if command -v sqlite3 >/dev/null; then
        sqlite3 "$MESHSIM_HOME/state.db" "$1"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join("|".join(str(x) for x in row) for row in r))' \
            "$MESHSIM_HOME/state.db" "$1"
    else
        skip "neither sqlite3 nor python3 to read the store"
    fi
}

@test "the store keeps a digest of the manifest applied; a manifest kept whole by an older store still reads as unchanged" {
    fresh_cluster
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n' > "$BATS_TEST_TMPDIR/cm.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
    [ "$output" = "configmap/cm created" ]
    run sql "SELECT applied FROM objects WHERE resource='configmaps' AND name='cm'"
    [[ "$output" =~ ^sha256:[0-9a-f]{32}$ ]]
    run kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
    [ "$output" = "configmap/cm unchanged" ]
    # what an older meshsim kept: the annotation's text itself
    text=$(kubectl get cm cm -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}')
    sql "UPDATE objects SET applied='$text' || char(10) WHERE resource='configmaps' AND name='cm'" >/dev/null
    run kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
    [ "$output" = "configmap/cm unchanged" ]
    # and a changed manifest is no longer the same
    sed -i 's/a: b/a: c/' "$BATS_TEST_TMPDIR/cm.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/cm.yaml"
    [ "$output" = "configmap/cm configured" ]
    [ "$(kubectl get cm cm -o jsonpath='{.data.a}')" = c ]
}
