#!/usr/bin/env bash
# Measures `bulk validate` on a learner workbook stored as Excel stores it (every text cell a
# shared string) against excelize's Rows over the same workbook, each as its own process, and
# prints their times, the ratio the XLSX speed target is set on (<= 1.25) and peak RSS.
#
#   bench/xlsxmem/run.sh                      # 1,000,000 learners (about 100 MB)
#   ROWS=200000 bench/xlsxmem/run.sh          # smaller
#   RUNS=3 bench/xlsxmem/run.sh               # bulk runs 3 times (best counts), excelize once
#   BEFORE=/path/to/old/bulk bench/xlsxmem/run.sh
#                                             # also an older build, alternating with this one
#   EXCELIZE=0 bench/xlsxmem/run.sh           # skip excelize (5 minutes at a million rows)
#
# Then, in-process: the reader's live heap with the shared string table loaded, and the peak
# live heap of a whole validation (xlsxmem heap / xlsxmem validate).
set -euo pipefail

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-2}
EXCELIZE=${EXCELIZE:-1}
BEFORE=${BEFORE:-}
cd "$(dirname "$0")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/bulk-xlsxmem.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -x /usr/bin/time ]; then
	echo "installing GNU time (for peak memory)..." >&2
	apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
fi

go build -o "$work/" ./cmd/bulk ./bench/xlsxmem
"$work/xlsxmem" gen -rows "$ROWS" -o "$work/learners.xlsx"
echo "size: $(du -m "$work/learners.xlsx" | cut -f1) MB, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run LABEL CMD...: prints "LABEL seconds user-seconds peak-MB".
run() {
	local label=$1
	shift
	/usr/bin/time -f "%e %U %M" -o "$work/time.out" "$@" >/dev/null 2>"$work/stderr" || {
		echo "command failed: $*" >&2
		cat "$work/stderr" >&2
		exit 1
	}
	read -r s u kb <"$work/time.out"
	printf "%-14s %7.2f s  %7.2f s user  %7.1f MB peak RSS\n" "$label" "$s" "$u" "$(awk -v k="$kb" 'BEGIN{print k/1024}')"
}

if [ "$EXCELIZE" = 1 ]; then
	run excelize-rows "$work/xlsxmem" excelize "$work/learners.xlsx" | tee "$work/excelize.log"
fi
for i in $(seq "$RUNS"); do
	if [ -n "$BEFORE" ]; then
		run bulk-before "$BEFORE" validate --quiet --kind onefile-users --report "$work/report-before" "$work/learners.xlsx"
	fi
	run bulk "$work/bulk" validate --quiet --kind onefile-users --report "$work/report" "$work/learners.xlsx" | tee -a "$work/bulk.log"
done
grep -q "\"rows_valid\": $ROWS" "$work/report/summary.json" || { echo "not every row was valid:" >&2; cat "$work/report/summary.json" >&2; exit 1; }

if [ "$EXCELIZE" = 1 ]; then
	awk 'FNR == 1 && FILENAME ~ /excelize.log$/ { e = $2 } FILENAME ~ /bulk.log$/ && (b == "" || $2 < b) { b = $2 }
		END { printf "validate/excelize: %.2f (best bulk run; target <= 1.25)\n", b / e }' "$work/excelize.log" "$work/bulk.log"
fi
"$work/xlsxmem" heap "$work/learners.xlsx"
"$work/xlsxmem" validate "$work/learners.xlsx"
