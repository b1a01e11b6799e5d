#!/usr/bin/env bats
# meshsim doctest: runnable documentation pages (tests/docs/*.md).
load helpers

setup() { fresh_cluster; }

@test "a page whose steps all pass: each step reported, summary, exit 0" {
    run meshsim doctest "$ROOT/tests/docs/passing.md"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "8 passed, 0 failed" ]
    [ "$(grep -c '^passed ' <<<"$output")" -eq 8 ]
    [[ ${lines[0]} == "passed $ROOT/tests/docs/passing.md:9: \$ kubectl get namespaces" ]]
    [[ $output == *'passing.md:21: $ kubectl apply -f - <<EOF ...'* ]]
}

@test "a page with failing steps: the failures with got and wanted, exit 1" {
    run meshsim doctest "$ROOT/tests/docs/failing.md"
    [ "$status" -eq 1 ]
    [ "${lines[-1]}" = "2 passed, 2 failed" ]
    [[ $output == *"FAILED $ROOT/tests/docs/failing.md:19: \$ kubectl get namespace demo"* ]]
    [[ $output == *$'  --- got:\n    demo\n  --- wanted:\n    production'* ]]
    [[ $output == *"FAILED $ROOT/tests/docs/failing.md:33:"*"(a step shown without output must exit 0)"* ]]
}

@test "each page runs in a fresh cluster of its own, not in MESHSIM_HOME" {
    kubectl create namespace demo 2>/dev/null || kubectl apply -f - <<<'{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}'
    run meshsim doctest "$ROOT/tests/docs/failing.md"
    # the page creates namespace demo itself: had it run here, "created" would fail
    [[ $output == *"passed $ROOT/tests/docs/failing.md:7:"* ]]
    run kubectl get ns demo -o name
    [ "$output" = "namespace/demo" ]
    run kubectl get se
    [ "$output" = "No resources found in default namespace." ]
}

@test "two pages in one run: the steps of both, one summary" {
    run meshsim doctest "$ROOT/tests/docs/passing.md" "$ROOT/tests/docs/failing.md"
    [ "$status" -eq 1 ]
    [ "${lines[-1]}" = "10 passed, 2 failed" ]
}

@test "ellipsis lines, loose ages and generated names, and @file@ markers" {
    mkdir -p "$BATS_TEST_TMPDIR/work/samples"
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-file\n' >"$BATS_TEST_TMPDIR/work/samples/ns.yaml"
    cat >"$BATS_TEST_TMPDIR/page.md" <<'PAGE'
Text outside blocks is ignored, and so are blocks without commands:

```
apiVersion: v1
```

```
$ kubectl apply -f @samples/ns.yaml@
namespace/from-file created
$ kubectl get ns from-file
NAME        STATUS   AGE
from-file   Active   3d4h
$ printf 'head\nmiddle 1\nmiddle 2\ntail\n'
head
...
tail
$ echo sleep-776b7bcdcd-z7mc4 10.0.0.1
sleep-5f4d7b-abcde 10.244.0.12
```
PAGE
    run meshsim doctest --dir "$BATS_TEST_TMPDIR/work" "$BATS_TEST_TMPDIR/page.md"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "4 passed, 0 failed" ]
}

@test "words that differ are a failure; so is a missing line" {
    cat >"$BATS_TEST_TMPDIR/page.md" <<'PAGE'
```
$ echo alpha beta
alpha gamma
$ printf 'one\ntwo\n'
one
$ printf 'one\ntwo\n'
...
three
```
PAGE
    run meshsim doctest "$BATS_TEST_TMPDIR/page.md"
    [ "$status" -eq 1 ]
    [ "${lines[-1]}" = "0 passed, 3 failed" ]
}

@test "--keep keeps the page's cluster and says where" {
    run meshsim doctest --keep "$ROOT/tests/docs/passing.md"
    [ "$status" -eq 0 ]
    dir=$(sed -n 's/^cluster of .* kept in //p' <<<"$output")
    [ -f "$dir/state.db" ]
    MESHSIM_HOME=$dir run kubectl get ns kube-system -o jsonpath='{.metadata.labels.kube-system}'
    [ "$output" = "true" ]
    rm -rf "$dir"
}

@test "a missing page or no page at all is an error" {
    run meshsim doctest "$BATS_TEST_TMPDIR/nope.md"
    [ "$status" -eq 2 ]
    [[ $output == *"cannot open $BATS_TEST_TMPDIR/nope.md"* ]]
    run meshsim doctest
    [ "$status" -eq 2 ]
    [[ $output == *"name a Markdown page"* ]]
}

@test "the Egress Gateways walkthrough, as a runnable page, passes end to end" {
    run meshsim doctest --dir "$ROOT" "$ROOT/tests/docs/egress-gateways.md"
    [ "$status" -eq 0 ] || { echo "$output" | grep -v '^passed'; return 1; }
    [ "${lines[-1]}" = "44 passed, 0 failed" ]
}

@test "a step that reads standard input gets none: the page's own input is never read" {
    printf '%s\n' '```' '$ kubectl apply -f -' 'error: no objects passed to apply' '$ cat' '```' >"$BATS_TEST_TMPDIR/page.md"
    # stdin stays open (a pipe whose writer sleeps) longer than the bound:
    # reading it would hang the run; the writer is stopped right after
    mkfifo "$BATS_TEST_TMPDIR/stdin"
    sleep "$(bound 30)" >"$BATS_TEST_TMPDIR/stdin" 3>&- &
    local writer=$!
    run timeout "$(bound 10)" meshsim doctest "$BATS_TEST_TMPDIR/page.md" <"$BATS_TEST_TMPDIR/stdin"
    kill "$writer"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "2 passed, 0 failed" ]
}
