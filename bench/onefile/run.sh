#!/usr/bin/env bash
# Loader benchmark: load a term-start file into the OneFile sandbox limited to LIMIT calls per
# WINDOW (OneFile allows 300 a minute; the window is scaled down, with the client's limiter, so
# the run takes well under a minute) with 30 ms latency on every call, then check the goals:
#
#   sustained rate   >= 0.95 x LIMIT per WINDOW
#   answers 429      <  1% of calls
#   calls            <= 1.05 x the fewest possible (one create per new user, one call per
#                       assignment, plus the paged download of the organisation's users)
#
# Usage: bench/onefile/run.sh            (LIMIT=300 WINDOW=10s LEARNERS=300 CONCURRENCY=4)
#        LIMIT=300 WINDOW=60s LEARNERS=600 bench/onefile/run.sh   (OneFile's real minute)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
export BULK_BENCH_LIMIT="${LIMIT:-300}"
export BULK_BENCH_WINDOW="${WINDOW:-10s}"
export BULK_BENCH_LEARNERS="${LEARNERS:-300}"
export BULK_BENCH_CONCURRENCY="${CONCURRENCY:-4}"
echo "sandbox: ${BULK_BENCH_LIMIT} calls per ${BULK_BENCH_WINDOW}, 30ms latency; ${BULK_BENCH_LEARNERS} learners, concurrency ${BULK_BENCH_CONCURRENCY}"
out=$(go test -run '^$' -bench 'BenchmarkLoadAtRateLimit$' -benchtime 1x ./formats/onefile/load/)
echo "$out"
line=$(grep '^BenchmarkLoadAtRateLimit' <<<"$out")
metric() { awk -v m="$1" '{for (i = 2; i <= NF; i++) if ($i == m) print $(i-1)}' <<<"$line"; }
rate=$(metric rate/limit)
tooMany=$(metric 429/call)
calls=$(metric calls/min-calls)
fail=0
check() { # name value op goal
	if awk -v v="$2" -v g="$4" "BEGIN { exit !(v $3 g) }"; then
		printf '  ok    %-16s %s (goal %s %s)\n' "$1" "$2" "$3" "$4"
	else
		printf '  FAIL  %-16s %s (goal %s %s)\n' "$1" "$2" "$3" "$4"
		fail=1
	fi
}
echo "goals:"
check "rate/limit" "$rate" ">=" 0.95
check "429/call" "$tooMany" "<" 0.01
check "calls/min-calls" "$calls" "<=" 1.05
exit $fail
