#!/bin/sh
# Run every cmocka unit-test binary given; tally into $COUNTS (default build/test-counts).
COUNTS=${COUNTS:-build/test-counts}
pass=0 fail=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
    f=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] [a-z_]')
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f))
    if [ $rc -ne 0 ]; then printf '%s\n' "$out"; echo "unit: $t FAILED" >&2; fi
done
echo "unit: $pass passed, $fail failed"
echo "$pass $fail" >> "$COUNTS"
[ "$fail" -eq 0 ]
