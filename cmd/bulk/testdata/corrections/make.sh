#!/bin/sh
# Remakes rejects-fixed.xlsx: the rejects.xlsx bulk writes for staff.csv (rows 3, 4 and 6
# rejected), fixed as a data officer would, by a program other than bulk (openpyxl; Debian:
# apt-get install --no-install-recommends python3-openpyxl): Bob's last name filled in, Cy's
# e-mail mistyped again, and Ed's row deleted (so it is read from staff.csv again). Its hidden
# Origin column names this machine's absolute path of staff.csv; the tests find staff.csv by
# its name when that path is not theirs, as after a clone elsewhere.
set -eu
cd "$(dirname "$0")"
root=$(cd ../../../.. && pwd)
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT
(cd "$root" && go run ./cmd/bulk validate --quiet --report "$report" cmd/bulk/testdata/corrections/staff.csv) || true
/usr/bin/python3 - "$report/rejects.xlsx" rejects-fixed.xlsx <<'PY'
import sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1])
ws = wb["staff"]
assert [c.value for c in ws[1]][-2:] == ["Problems", "Origin (bulk)"], [c.value for c in ws[1]]
ws["C2"] = "Bee"            # row 3 of staff.csv: the last name filled in
ws["D3"] = "cy@northfield"  # row 4: still no domain
ws.delete_rows(4)           # row 6 (Ed): deleted from the workbook
wb.save(sys.argv[2])
PY
echo "wrote rejects-fixed.xlsx"
