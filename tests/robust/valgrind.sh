#!/bin/sh
# `make test-valgrind`: the unit tests given as arguments and a few typical
# CLI commands under valgrind's memcheck.  Any memory error or definite /
# indirect / possible leak fails the run.  Not part of `make test` (valgrind
# is ~30x slower: about 4 minutes here); ASan covers the whole suite there.
set -u
cd "$(dirname "$0")/../.." || exit 2
command -v valgrind >/dev/null || { echo "valgrind: not installed (Debian: apt-get install valgrind)" >&2; exit 2; }
BIN=${MESHSIM_BIN:-build/bin}
LOGDIR=${VALGRIND_LOGS:-build/valgrind}
mkdir -p "$LOGDIR"
# Forked children (simulated peers in the tests) end with _exit() and leave
# their memory to the kernel: only the processes we start are checked.
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --child-silent-after-fork=yes"
pass=0 fail=0
check() {   # check NAME COMMAND...: run under memcheck, log to $LOGDIR/NAME.log
    name=$1; shift
    $VG --log-file="$LOGDIR/$name.log" "$@" >"$LOGDIR/$name.out" 2>&1
    rc=$?
    if [ $rc -eq 99 ] || [ -s "$LOGDIR/$name.log" ]; then
        fail=$((fail + 1)); echo "valgrind: $name: memcheck errors (exit $rc), see $LOGDIR/$name.log" >&2
        head -30 "$LOGDIR/$name.log" >&2
    else
        pass=$((pass + 1))
    fi
}

for t in "$@"; do check "unit-$(basename "$t")" "$t"; done

home=$(mktemp -d)
export MESHSIM_HOME="$home/home"
cat > "$home/se.yaml" <<'YAML'
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: cnn
spec:
  hosts:
  - edition.cnn.com
  ports:
  - number: 80
    name: http-port
    protocol: HTTP
  resolution: DNS
YAML
check cli-get-namespaces "$BIN/kubectl" get namespaces
check cli-apply "$BIN/kubectl" apply -f "$home/se.yaml"
check cli-get-json "$BIN/kubectl" get serviceentry cnn -o json
check cli-get-jsonpath "$BIN/kubectl" get pods -A -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'
check cli-label "$BIN/kubectl" label serviceentry cnn team=mesh
check cli-get-selector "$BIN/kubectl" get serviceentries -l 'team in (mesh),!x' --show-labels
check cli-bad-yaml sh -c "printf 'a: [\n' | $BIN/kubectl apply -f -"
check cli-delete "$BIN/kubectl" delete serviceentry cnn
check cli-store-check "$BIN/meshsim" __store-check
check cli-istioctl-version "$BIN/istioctl" version --remote=false
rm -rf "$home"
echo "valgrind: $pass clean, $fail with errors"
[ "$fail" -eq 0 ]
