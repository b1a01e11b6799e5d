#!/bin/bash
# meshsim's `kubectl patch --local` against the real kubectl on random patches
# (patch_gen.py): the output and exit status must be the same byte for byte.
# A developer's check, not part of `make test` (it needs a real kubectl).
#
#   tests/robust/patch_vs_kubectl.sh [N]      # N seeds per file and type (50)
#
# Env: KUBECTL (the real one: the first kubectl on PATH outside build/),
#      MESHSIM_BIN (build/bin).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MESHSIM_BIN:-$here/../../build/bin}
N=${1:-50}
REAL=${KUBECTL:-$(type -ap kubectl | grep -v "/build" | head -1)}
[ -x "$REAL" ] || { echo "no real kubectl: skipped"; exit 0; }
export KUBECONFIG=/dev/null
F="$here/../cli/fixtures/patch"
bad=0 n=0
for f in "$F/sleep-deployment.yaml" "$F/pod.yaml" "$F/service.yaml"; do
    for i in $(seq 1 "$N"); do
        for t in strategic merge json; do
            p=$(python3 "$here/patch_gen.py" "$i" "$t")
            a=$("$REAL" patch --local -f "$f" --type "$t" -p "$p" -o json 2>&1; echo "rc=$?")
            b=$("$BIN/kubectl" patch --local -f "$f" --type "$t" -p "$p" -o json 2>&1; echo "rc=$?")
            n=$((n + 1))
            if [ "$a" != "$b" ]; then
                bad=$((bad + 1))
                echo "DIFF $(basename "$f") --type $t -p '$p'"
                diff <(echo "$a") <(echo "$b") | head -10
            fi
        done
    done
done
echo "patch vs kubectl: $n cases, $bad different"
[ "$bad" -eq 0 ]
