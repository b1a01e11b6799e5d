# Shared setup for the command-line tests: the real binaries, a fresh cluster per test.
MESHSIM_BIN=${MESHSIM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}
export PATH="$MESHSIM_BIN:$PATH"
ROOT="$BATS_TEST_DIRNAME/../.."

fresh_cluster() {
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/home"
    rm -rf "$MESHSIM_HOME"
}

# run a command string under bash, stdout and stderr merged (like the acceptance checks)
runsh() { run bash -c "$1"; }
