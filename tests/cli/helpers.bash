# Shared setup for the command-line tests: the real binaries, a fresh cluster per test.
MESHSIM_BIN=${MESHSIM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}
export PATH="$MESHSIM_BIN:$PATH"
ROOT="$BATS_TEST_DIRNAME/../.."

fresh_cluster() {
    export MESHSIM_HOME="$BATS_TEST_TMPDIR/home"
    rm -rf "$MESHSIM_HOME"
}

# A wall-clock bound (seconds) meant for the real binaries, scaled for
# `make test-valgrind` (MESHSIM_VALGRIND=1), where every meshsim process runs
# under memcheck, 30 times slower.
bound() { if [ -n "${MESHSIM_VALGRIND:-}" ]; then echo $(($1 * 30)); else echo "$1"; fi; }

# run a command string under bash, stdout and stderr merged (like the acceptance checks)
runsh() { run bash -c "$1"; }
