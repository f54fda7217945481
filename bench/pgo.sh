#!/usr/bin/env bash
# Remakes cmd/bulk/default.pgo, the CPU profile `go build` optimises bulk with (profile-guided
# optimisation: hot calls such as Row.Value are inlined where the profile says they are hot).
# Run it after changing the hot code (reader, row checks, sequencer), then commit the file.
#
#   bench/pgo.sh             # 1,000,000 learner rows, 3 runs merged
#   ROWS=300000 bench/pgo.sh
#
# The profile comes from `bulk validate` on the benchmark file: reading and checking rows is the
# first stage of every command, so it is what the profile should describe.
set -euo pipefail
ROWS=${ROWS:-1000000}
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/bulk-pgo.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Built without the old profile, so the new one describes the code as written.
go build -pgo=off -o "$work/" ./cmd/bulk ./bench/gen
"$work/gen" -rows "$ROWS" -kind onefile-users -o "$work/learners.csv"
for i in 1 2 3; do
	BULK_CPUPROFILE="$work/cpu$i.prof" "$work/bulk" validate --quiet --kind onefile-users --report "$work/report" "$work/learners.csv"
done
go tool pprof -proto "$work"/cpu*.prof >cmd/bulk/default.pgo
echo "wrote cmd/bulk/default.pgo ($(stat -c %s cmd/bulk/default.pgo) bytes); rebuild to use it"
