#!/usr/bin/env bats
# Hostile and oversized manifests: refused with a clear error naming the
# file (and line), in bounded time and memory, leaving the store unchanged.
# The limits are documented in lib/model/loader.h and tests/fuzz/README.md.
load helpers

setup() {
    fresh_cluster
    kubectl get namespaces >/dev/null
    BEFORE=$(meshsim __store-check)
    F=$BATS_TEST_TMPDIR/in.yaml
}

# Run kubectl apply -f "$F" within 20 s (scaled under valgrind) and, unless the binaries carry
# AddressSanitizer (which reserves terabytes of address space), 1 GB.
apply_bounded() {
    local limit="ulimit -v 1048576;"
    if ldd "$MESHSIM_BIN/meshsim" 2>/dev/null | grep -q libasan; then limit=""; fi
    run bash -c "$limit timeout $(bound 20) kubectl apply -f \"\$1\"" _ "$F"
    [ "$status" -ne 124 ]    # not killed by the timeout
}

unchanged() { [ "$(meshsim __store-check)" = "$BEFORE" ]; }

cm_header() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n' "$1"; }

@test "a YAML alias bomb (billion laughs) is refused" {
    {
        cm_header bomb
        echo 'data:'
        echo '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
        for i in 1 2 3 4 5 6 7 8 9; do
            p=$((i - 1))
            echo "  a$i: &a$i [*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p]"
        done
    } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: document contains excessive aliasing" ]
    unchanged
}

@test "aliases used sparingly still work" {
    { cm_header ok; echo 'data: {a: &v "1", b: *v, c: *v}'; } > "$F"
    apply_bounded
    [ "$status" -eq 0 ]
    run kubectl get configmap ok -o jsonpath='{.data.a}{.data.b}{.data.c}'
    [ "$output" = "111" ]
}

@test "100000 nested flow collections are refused quickly" {
    { cm_header deep; printf 'data: '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: line 5: exceeded max depth of 128" ]
    unchanged
}

@test "200 nested block mappings are refused, 100 are fine" {
    { cm_header deep; echo 'spec:'; awk 'BEGIN { for (i = 1; i <= 200; i++) printf "%*sk:\n", i, "" }'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [[ "$output" == "error: error parsing $F: error converting YAML to JSON: yaml: line "*": exceeded max depth of 128" ]]
    unchanged
    # 100 levels pass the loader and reach validation (which knows no "spec" in a ConfigMap)
    { cm_header deep; echo 'spec:'; awk 'BEGIN { for (i = 1; i <= 100; i++) printf "%*sk:\n", i, "" }'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [[ "$output" != *"max depth"* ]]
    [[ "$output" == *'unknown field "spec"'* ]]
}

@test "deeply nested JSON is refused" {
    { printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":'
      head -c 50000 /dev/zero | tr '\0' '['; head -c 50000 /dev/zero | tr '\0' ']'; echo '}'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: line 1: exceeded max depth of 128" ]
    unchanged
}

@test "a 10 MB scalar is refused with the size limit" {
    { cm_header huge; printf 'data:\n  big: "'; head -c 10485760 /dev/zero | tr '\0' 'x'; echo '"'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: line 6: a value of 10485760 bytes is larger than the limit of 3145728 bytes" ]
    unchanged
}

@test "a file over 16 MiB is refused before parsing" {
    { cm_header big; echo 'data:'; head -c 17000000 /dev/zero | tr '\0' '#'; echo; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: input is larger than 16777216 bytes" ]
    unchanged
}

@test "5000 documents apply in one go; more than 20000 documents are refused" {
    awk 'BEGIN { for (i = 0; i < 5000; i++) printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doc-%d\n", i }' > "$F"
    apply_bounded
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c ' created$')" -eq 5000 ]
    run meshsim __store-check
    [[ "$output" == *$'\nconfigmaps default 5000'* ]]
    BEFORE=$(meshsim __store-check)
    # empty documents count too: they cost parsing time
    awk 'BEGIN { for (i = 0; i < 20001; i++) print "---" }' > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: more than 20000 documents in one stream" ]
    unchanged
}

@test "NUL bytes are refused" {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\0ul\n' > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: control characters are not allowed" ]
    unchanged
}

@test "invalid UTF-8 is refused, naming the line" {
    { cm_header bad; printf 'data:\n  k: "\377\376"\n'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: yaml: line 6: invalid leading UTF-8 octet" ]
    unchanged
}

@test "numbers JSON cannot hold: .inf and JSON 1e400 are refused as kubectl does" {
    { cm_header num; printf 'spec:\n  x: .inf\n'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: json: unsupported value: +Inf" ]
    { cm_header num; printf 'spec:\n  x: -.Inf\n'; } > "$F"
    apply_bounded
    [ "$output" = "error: error parsing $F: error converting YAML to JSON: json: unsupported value: -Inf" ]
    printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"num"},"spec":{"x":-1e400}}\n' > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: unable to decode \"$F\": json: cannot unmarshal number -1e400 into Go value of type float64" ]
    unchanged
}

@test "out-of-range YAML numbers are typed as kubectl types them" {
    # 1e400 is not a float to YAML: it is a string, so a valid ConfigMap value
    { cm_header num; printf 'data:\n  big: 1e400\n  small: -1e400\n'; } > "$F"
    apply_bounded
    [ "$status" -eq 0 ]
    run kubectl get configmap num -o jsonpath='{.data.big} {.data.small}'
    [ "$output" = "1e400 -1e400" ]
}

@test "a List whose items are not objects is refused as kubectl does" {
    { printf 'apiVersion: v1\nkind: List\nitems:\n'; printf -- '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: first\n- just-a-string\n'; } > "$F"
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: unable to decode \"$F\": json: cannot unmarshal string into Go value of type map[string]interface {}" ]
    unchanged
}

@test "random bytes never crash the loader" {
    for i in 1 2 3 4 5 6 7 8; do
        head -c 4096 /dev/urandom > "$F"
        apply_bounded
        [ "$status" -eq 1 ]
        [[ "$output" == error:* ]]
    done
    unchanged
}

@test "endless input (/dev/zero, a pipe that never ends) stops at the byte limit" {
    F=/dev/zero
    apply_bounded
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing /dev/zero: input is larger than 16777216 bytes" ]
    run bash -c "yes 'a: b' | timeout $(bound 20) kubectl apply -f -"
    [ "$status" -eq 1 ]
    [ "$output" = "error: error parsing STDIN: input is larger than 16777216 bytes" ]
    unchanged
}
