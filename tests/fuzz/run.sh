#!/bin/sh
# `make fuzz`: build every tests/fuzz/fuzz_<target>.c with clang, libFuzzer,
# ASan and UBSan, then run each for FUZZ_SECONDS (default 10) from its seed
# corpus.  New inputs go to build-fuzz/corpus/<target>/ (the committed seeds
# stay as they are); crashes go to build-fuzz/crashes/<target>/ and make the
# run fail.  FUZZ_TARGETS="loader_yaml jsonpath" picks targets; FUZZ_JOBS=N
# runs N jobs per target (default 1: the machine is shared).
set -u
cd "$(dirname "$0")/../.." || exit 2
SECS=${FUZZ_SECONDS:-10}
JOBS=${FUZZ_JOBS:-1}
B=${FUZZ_BUILD:-build-fuzz}
CC=${FUZZ_CC:-clang}
PKGS="yaml-0.1 jansson libcurl openssl sqlite3 libnghttp2 readline"

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found (Debian: apt-get install clang)" >&2
    exit 2
fi
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# The library is instrumented for coverage but not linked with libFuzzer's main.
make --no-print-directory BUILD="$B" CC="$CC" OPT=-O1 SAN="-fsanitize=fuzzer-no-link $SAN" "$B/libmeshsim.a" >"$B.log" 2>&1 || {
    cat "$B.log" >&2; echo "fuzz: building the instrumented library failed" >&2; exit 2; }

targets=${FUZZ_TARGETS:-$(for f in tests/fuzz/fuzz_*.c; do t=${f#tests/fuzz/fuzz_}; echo "${t%.c}"; done)}
failed=""
mkdir -p "$B/fuzz"
for t in $targets; do
    src=tests/fuzz/fuzz_$t.c
    [ -f "$src" ] || { echo "fuzz: no target $src" >&2; exit 2; }
    # shellcheck disable=SC2046
    $CC -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -Itests/fuzz $(pkg-config --cflags $PKGS) \
        -fsanitize=fuzzer $SAN -o "$B/fuzz/$t" "$src" "$B/libmeshsim.a" \
        $(pkg-config --libs $PKGS) -lm -pthread || { echo "fuzz: cannot build $t" >&2; exit 2; }
    mkdir -p "$B/corpus/$t" "$B/crashes/$t" "tests/fuzz/regressions/$t"
    # -jobs makes libFuzzer write fuzz-N.log files into the current directory
    jobs=""
    [ "$JOBS" -gt 1 ] && jobs="-jobs=$JOBS -workers=$JOBS"
    dict=""
    [ -f "tests/fuzz/dict/$t.dict" ] && dict="-dict=tests/fuzz/dict/$t.dict"
    echo "fuzz: $t for ${SECS}s"
    # -timeout: an input slower than 10 s is a finding (hostile input must stay bounded);
    # -rss_limit_mb: so is one that needs more than 2 GB.
    "$B/fuzz/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        $jobs -print_final_stats=1 $dict \
        -artifact_prefix="$B/crashes/$t/" "$B/corpus/$t" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" \
        >"$B/fuzz/$t.log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ +DONE' "$B/fuzz/$t.log" | sed "s/^/  /"
    if [ $rc -ne 0 ] || [ -n "$(ls -A "$B/crashes/$t" 2>/dev/null)" ]; then
        failed="$failed $t"
        grep -E 'ERROR|SUMMARY|invariant' "$B/fuzz/$t.log" | head -5 | sed "s/^/  /"
        echo "  findings in $B/crashes/$t/ (log: $B/fuzz/$t.log)"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in:$failed — minimise with '$B/fuzz/<target> -minimize_crash=1 FILE'," >&2
    echo "      fix, and add the input to tests/fuzz/regressions/<target>/" >&2
    exit 1
fi
echo "fuzz: no findings"
