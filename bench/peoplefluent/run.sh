#!/bin/sh
# Measures `bulk export training-history` against a bare encoding/csv copy of the same file, in
# the same run, with the built binary: rows/s, their ratio, peak RSS. Extra arguments go to the
# measure program (-rows N, -runs N). Exit status 1 when the export misses its bar.
#
#   bench/peoplefluent/run.sh              # 1,000,000 rows, 3 runs each
#   bench/peoplefluent/run.sh -rows 200000
#
# The in-process Go benchmark (gocsv and direct writers side by side) is:
#   go test ./bench/peoplefluent -run '^$' -bench ExportTrainingHistory -benchtime 3x
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bulk" ./cmd/bulk
go build -o "$tmp/measure" ./bench/peoplefluent/measure
"$tmp/measure" -bulk "$tmp/bulk" -dir "$tmp" "$@"
