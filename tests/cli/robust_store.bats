#!/usr/bin/env bats
# The store keeps its promises: killed writers, parallel writers, read-only
# and full disks, permissions, foreign schema versions.  The kill and
# concurrency scripts live in tests/robust/ (ROUNDS=100 for the long run).
load helpers

setup() { fresh_cluster; }

teardown() {
    if [ -n "${MNT:-}" ]; then umount "$MNT" 2>/dev/null || true; fi
}

# a cheap fingerprint of everything the cluster holds
snapshot() { meshsim __store-check; }

# one ConfigMap per line of input, N of them, in namespace default
many_configmaps() {
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
        printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-%d\ndata:\n  key: \"%0200d\"\n", i, i }'
}

# a private tmpfs of the given size, or skip (needs root and mount)
small_tmpfs() {
    [ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"
    MNT=$BATS_TEST_TMPDIR/mnt
    mkdir -p "$MNT"
    mount -t tmpfs -o "size=$1" tmpfs "$MNT" 2>/dev/null || { MNT=""; skip "cannot mount a tmpfs here"; }
}

@test "__store-check reports integrity and object counts, and is not in the help" {
    run meshsim __store-check
    [ "$status" -eq 1 ]
    [[ "$output" == "error: no state store in $MESHSIM_HOME"* ]]
    kubectl get namespaces >/dev/null
    run meshsim __store-check
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "integrity: ok" ]
    [[ "${lines[1]}" =~ ^objects:\ [0-9]+$ ]]
    [[ "$output" == *$'\nnamespaces - 5'* ]]
    run meshsim --help
    [[ "$output" != *store-check* ]]
}

@test "SIGKILL at random points of a big apply leaves all or nothing (10 rounds)" {
    run env WORKDIR="$BATS_TEST_TMPDIR/kill" ROUNDS="${ROUNDS:-10}" OBJECTS=2000 MESHSIM_BIN="$MESHSIM_BIN" \
        bash "$ROOT/tests/robust/kill_apply.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"0 partial"* ]]
}

@test "8 concurrent apply/label/delete writers lose nothing, resourceVersions unique and increasing" {
    run env WORKDIR="$BATS_TEST_TMPDIR/conc" WRITERS=8 OPS="${ROUNDS:-6}" MESHSIM_BIN="$MESHSIM_BIN" \
        bash "$ROOT/tests/robust/concurrent.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no lost write"* ]]
}

@test "a new store is private: directory 0700, database 0600, whatever the umask" {
    run bash -c 'umask 000; kubectl get namespaces'
    [ "$status" -eq 0 ]
    [ "$(stat -c %a "$MESHSIM_HOME")" = 700 ]
    [ "$(stat -c %a "$MESHSIM_HOME/state.db")" = 600 ]
    # the journal is just as private, the one a writer killed mid-way leaves too
    [ "$(stat -c %a "$MESHSIM_HOME/state.db-journal")" = 600 ]
    many_configmaps 3000 > "$BATS_TEST_TMPDIR/m.yaml"
    # (stop it as soon as its journal holds pages, then kill it)
    run bash -c 'umask 000; kubectl apply -f "$1" >/dev/null & pid=$!
                 for i in $(seq 1 2000); do [ -s "$2/state.db-journal" ] && break; sleep 0.002; done
                 kill -STOP $pid; kill -KILL $pid; { wait $pid; } 2>/dev/null
                 for f in "$2"/state.db*; do stat -c "%n %a" "$f"; done' _ "$BATS_TEST_TMPDIR/m.yaml" "$MESHSIM_HOME"
    echo "$output"
    [[ "$output" == *"state.db-journal 600"* ]]
    [ -z "$(printf '%s\n' "$output" | grep -v ' 600$')" ]
    run meshsim __store-check
    [ "${lines[0]}" = "integrity: ok" ]
}

@test "a store written by another schema version is refused with a clear message" {
    kubectl get namespaces >/dev/null
    if command -v sqlite3 >/dev/null; then
        sqlite3 "$MESHSIM_HOME/state.db" "UPDATE meta SET value='99' WHERE key='schema_version'"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE meta SET value=\"99\" WHERE key=\"schema_version\""); c.commit()' \
            "$MESHSIM_HOME/state.db"
    else
        skip "neither sqlite3 nor python3 to edit the store (tests/unit/test_store.c covers it)"
    fi
    before=$(cksum < "$MESHSIM_HOME/state.db")
    run kubectl get namespaces
    [ "$status" -eq 1 ]
    [ "$output" = "error: state store $MESHSIM_HOME/state.db has schema version 99; this meshsim reads version 4 (run \`meshsim reset\` to start a new cluster)" ]
    [ "$(cksum < "$MESHSIM_HOME/state.db")" = "$before" ]
    run meshsim reset
    [ "$status" -eq 0 ]
    run kubectl get namespace default -o name
    [ "$output" = "namespace/default" ]
}

@test "a file that is not a store is refused, not overwritten" {
    mkdir -p "$MESHSIM_HOME"
    head -c 8192 /dev/urandom > "$MESHSIM_HOME/state.db"
    before=$(cksum < "$MESHSIM_HOME/state.db")
    run kubectl get namespaces
    [ "$status" -eq 1 ]
    [ "$output" = "error: $MESHSIM_HOME/state.db is not a meshsim state store (file is not a database); move it away or run \`meshsim reset\`" ]
    [ "$(cksum < "$MESHSIM_HOME/state.db")" = "$before" ]
}

@test "a read-only store directory gives a clear error and leaves the store as it was" {
    if [ "$(id -u)" -eq 0 ]; then
        small_tmpfs 4m
        export MESHSIM_HOME=$MNT/home
    fi
    kubectl get namespaces >/dev/null
    before=$(snapshot)
    if [ -n "${MNT:-}" ]; then mount -o remount,ro "$MNT"; else chmod 0500 "$MESHSIM_HOME"; fi
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ro\n' > "$BATS_TEST_TMPDIR/ro.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/ro.yaml"
    [ "$status" -eq 1 ]
    if [ -n "${MNT:-}" ]; then
        [ "$output" = "error: cannot write to state directory $MESHSIM_HOME: Read-only file system" ]
        mount -o remount,rw "$MNT"
    else
        [ "$output" = "error: cannot write to state directory $MESHSIM_HOME: Permission denied" ]
        chmod 0700 "$MESHSIM_HOME"
    fi
    [ "$(snapshot)" = "$before" ]
    run kubectl get configmap ro
    [ "$status" -eq 1 ]
}

@test "a full disk fails the apply with a clear error and keeps the store as it was" {
    small_tmpfs 1m
    export MESHSIM_HOME=$MNT/home
    kubectl get namespaces >/dev/null
    before=$(snapshot)
    many_configmaps 3000 > "$BATS_TEST_TMPDIR/m.yaml"
    run kubectl apply -f "$BATS_TEST_TMPDIR/m.yaml"
    echo "$output" | tail -3
    [ "$status" -eq 1 ]
    [[ "$output" == *"error: cannot save the cluster state: database or disk is full"* ]]
    [ "$(snapshot)" = "$before" ]
    # once there is room again, the same store works
    umount "$MNT"; MNT=""
    export MESHSIM_HOME=$BATS_TEST_TMPDIR/home2
    run kubectl apply -f "$BATS_TEST_TMPDIR/m.yaml"
    [ "$status" -eq 0 ]
}

@test "a file size limit (full disk without root) fails cleanly too" {
    kubectl get namespaces >/dev/null
    before=$(snapshot)
    many_configmaps 3000 > "$BATS_TEST_TMPDIR/m.yaml"
    # ignore SIGXFSZ so writes fail with EFBIG, as on a full disk
    run bash -c 'trap "" XFSZ; ulimit -f 200; kubectl apply -f "$1" >/dev/null' _ "$BATS_TEST_TMPDIR/m.yaml"
    [ "$status" -eq 1 ]
    [[ "$output" == *"error: cannot save the cluster state: "* ]]
    [ "$(snapshot)" = "$before" ]
    run kubectl get configmap many-0
    [ "$status" -eq 1 ]
}

@test "labeling an object without labels (a leak that make test-asan and test-valgrind catch)" {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bare\n' | kubectl apply -f - >/dev/null
    run kubectl label configmap bare team=mesh
    [ "$status" -eq 0 ]
    [ "$output" = "configmap/bare labeled" ]
    run kubectl get configmap bare -o jsonpath='{.metadata.labels.team}'
    [ "$output" = "mesh" ]
}

@test "8 processes starting on a brand-new store make one cluster, as one process does" {
    # pod names are random, so compare the set of addresses, not their order by name
    kubectl get pods -n kube-system -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort > "$BATS_TEST_TMPDIR/one"
    meshsim __store-check > "$BATS_TEST_TMPDIR/one-counts"
    rm -rf "$MESHSIM_HOME"
    for i in 1 2 3 4 5 6 7 8; do kubectl get namespaces >/dev/null 2>"$BATS_TEST_TMPDIR/err-$i" & done
    wait
    cat "$BATS_TEST_TMPDIR"/err-*
    [ -z "$(cat "$BATS_TEST_TMPDIR"/err-*)" ]
    run bash -c "kubectl get pods -n kube-system -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort"
    [ "$output" = "$(cat "$BATS_TEST_TMPDIR/one")" ]
    run meshsim __store-check
    [ "$output" = "$(cat "$BATS_TEST_TMPDIR/one-counts")" ]
}
