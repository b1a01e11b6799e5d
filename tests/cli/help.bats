#!/usr/bin/env bats
# --help: every personality and every command in their tables answers it with exit 0.
load helpers

setup() { fresh_cluster; }

# The commands a personality lists under its "... Commands:" headings.
commands_of() {
    "$@" --help | awk '/^[A-Za-z].*ommands/{s=1;next} /^[A-Za-z]/{s=0} s && /^  [a-z]/{print $1}'
}

@test "the three personalities answer --help with exit 0" {
    for p in kubectl istioctl meshsim; do
        run "$p" --help
        [ "$status" -eq 0 ] || { echo "$p --help: exit $status"; return 1; }
        [ -n "$output" ]
    done
}

@test "meshsim lists its own commands, shell, doctest and completion among them" {
    run commands_of meshsim
    [ "$status" -eq 0 ]
    for c in kubectl istioctl reset version env shell doctest completion; do
        grep -qx "$c" <<<"$output" || { echo "missing: $c"; return 1; }
    done
}

@test "every subcommand of kubectl, istioctl and meshsim answers --help with exit 0" {
    local bad=() n=0
    for p in kubectl istioctl meshsim; do
        for c in $(commands_of "$p"); do
            n=$((n + 1))
            "$p" "$c" --help >/dev/null 2>&1 || bad+=("$p $c (exit $?)")
        done
    done
    printf 'failed: %s\n' "${bad[@]}"
    [ "$n" -ge 10 ]
    [ "${#bad[@]}" -eq 0 ]
}

# Commands whose --help prints nothing yet (none now).  A ratchet:
# the test fails when one of them starts printing help, so that the list
# only ever shrinks, and fails for any other command that prints nothing.
SILENT_HELP=" "

@test "every subcommand prints help text for --help" {
    local bad=()
    for p in kubectl istioctl meshsim; do
        for c in $(commands_of "$p"); do
            out=$("$p" "$c" --help 2>&1)
            if [ -z "$out" ] && [[ $SILENT_HELP != *" $p-$c "* ]]; then bad+=("$p $c prints no help"); fi
            if [ -n "$out" ] && [[ $SILENT_HELP == *" $p-$c "* ]]; then bad+=("$p $c prints help now: take it off SILENT_HELP"); fi
        done
    done
    printf '%s\n' "${bad[@]}"
    [ "${#bad[@]}" -eq 0 ]
}

@test "--help never touches the cluster" {
    meshsim reset --help
    meshsim version --help
    meshsim doctest --help
    meshsim shell --help
    meshsim completion --help
    [ ! -e "$MESHSIM_HOME/state.db" ]
}

@test "meshsim alone without a terminal prints its usage and exits 2" {
    run meshsim </dev/null
    [ "$status" -eq 2 ]
    [[ $output == *"Usage:"* ]]
}
