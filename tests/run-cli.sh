#!/bin/sh
# Run the command-line tests (bats) against $MESHSIM_BIN; tally into $COUNTS.
COUNTS=${COUNTS:-build/test-counts}
cd "$(dirname "$0")/.." || exit 2
out=$(bats --tap tests/cli 2>&1); rc=$?
printf '%s\n' "$out" | grep -v '^ok ' 
pass=$(printf '%s\n' "$out" | grep -c '^ok ')
fail=$(printf '%s\n' "$out" | grep -c '^not ok ')
[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "cli: $pass passed, $fail failed"
echo "$pass $fail" >> "$COUNTS"
[ "$fail" -eq 0 ]
