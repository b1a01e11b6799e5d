#!/usr/bin/env bats
# The manual pages: present, lint-clean under mandoc, rendered by man.
load helpers

PAGES="meshsim.1 meshsim-kubectl.1 meshsim-istioctl.1 meshsim-shell.1 meshsim-trace.1 meshsim-analyze.7"

@test "every page of the manual exists" {
    for p in $PAGES; do
        [ -f "$ROOT/man/$p" ] || { echo "missing man/$p"; return 1; }
    done
}

# mandoc -T lint: nothing at all, apart from notes about pages that are not
# installed on this machine (other meshsim pages, curl(1), sh(1) ...).
@test "every page is clean under mandoc -T lint" {
    for f in "$ROOT"/man/*.[1-9]; do
        out=$(mandoc -T lint "$f" 2>&1 | grep -v -e 'referenced manual not found' -e 'outdated mandoc.db' || true)
        [ -z "$out" ] || { echo "$out"; return 1; }
    done
}

@test "man -l renders meshsim(1) with its commands" {
    run env MANWIDTH=100 man -l "$ROOT/man/meshsim.1"
    [ "$status" -eq 0 ]
    [[ $output == *"NAME"*"meshsim"*"SYNOPSIS"* ]]
    for c in shell doctest trace completion reset; do
        [[ $output == *"$c"* ]] || { echo "no $c"; return 1; }
    done
}

@test "every page renders with man -l and names itself in its NAME section" {
    for p in $PAGES; do
        name=${p%.*}
        out=$(MANWIDTH=100 man -l "$ROOT/man/$p" 2>/dev/null)
        grep -q "^ *$name " <<<"$out" || grep -q "^ *$name —" <<<"$out" || { echo "$p does not name $name"; return 1; }
    done
}

@test "meshsim-analyze(7) documents every MSH code it names" {
    out=$(MANWIDTH=100 man -l "$ROOT/man/meshsim-analyze.7" 2>/dev/null)
    for code in MSH0001 MSH0002 MSH0003 MSH0004; do
        [[ $out == *"$code"* ]] || { echo "no $code"; return 1; }
    done
}

@test "the meshsim commands of meshsim --help are all in meshsim(1)" {
    out=$(MANWIDTH=100 man -l "$ROOT/man/meshsim.1" 2>/dev/null)
    for c in $(meshsim --help | awk '/^[A-Za-z].*ommands/{s=1;next} /^[A-Za-z]/{s=0} s && /^  [a-z]/{print $1}'); do
        [[ $out == *"     $c"* ]] || { echo "meshsim(1) does not describe: $c"; return 1; }
    done
}
