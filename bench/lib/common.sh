# Helpers for the bench/*.sh scripts (sourced; not a benchmark itself).
# Every figure is a median of RUNS runs; times are wall-clock seconds.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MESHSIM_BIN:-$ROOT/build/bin}
RUNS=${RUNS:-5}

now() { date +%s.%N; }

# seconds taken by "$@" (output discarded)
elapsed() {
    _t0=$(now); "$@" >/dev/null 2>&1; _rc=$?; _t1=$(now)
    echo "$_t1 $_t0" | awk '{ printf "%.6f\n", $1 - $2 }'
    return $_rc
}

# median of the numbers on standard input
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.6f", v[int((NR + 1) / 2)] }'; }

# median of RUNS timings of "$@"; $SETUP (a shell function name) runs before each
median_of() {
    _i=0
    while [ $_i -lt "$RUNS" ]; do
        [ -n "${SETUP:-}" ] && $SETUP
        elapsed "$@"
        _i=$((_i + 1))
    done | median
}

# ms from s
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
# "yes"/"NO" for value <= target
meets() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 <= t + 0) ? "yes" : "NO" }'; }

# "yes (spread ...)" / "NO (...)" for peak memory figures (KiB) on standard
# input, one line: flat when they spread by at most 5% or 2 MiB.  The heap
# is in transparent huge pages (lib/model/heap.c), so where it lands (the
# address is random) moves the peak by up to one 2 MiB page from run to run.
flat() {
    awk '{ lo = hi = $1; for (i = 2; i <= NF; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i }
        ok = (hi - lo) <= lo / 20 || (hi - lo) <= 2048
        printf "%s (spread %d KiB, %.1f%%)", ok ? "yes" : "NO", hi - lo, lo ? 100 * (hi - lo) / lo : 0 }'
}

# peak resident memory (KiB) of "$@", from /usr/bin/time -v
peak_kib() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ { print $6 }'
    else
        echo "n/a"
    fi
}
