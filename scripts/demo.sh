#!/bin/sh
# Play the Egress Gateways walkthrough against a fresh store of its own.
set -u
cd "$(dirname "$0")/.." || exit 2
export PATH="$PWD/build/bin:$PATH"
MESHSIM_HOME=$(mktemp -d "${TMPDIR:-/tmp}/meshsim-demo.XXXXXX")
export MESHSIM_HOME
trap 'rm -rf "$MESHSIM_HOME"' EXIT
step() { printf '\n$ %s\n' "$1"; sh -c "$1" 2>&1; }
step 'kubectl get namespaces'
step 'kubectl get pods -n kube-system'
