#!/bin/sh
# Regenerates the workbooks under testdata/ that a spreadsheet program other than excelize
# wrote: LibreOffice Calc converts the flat-ODS sources in src/ to .xlsx headless. The tests
# read the committed .xlsx files, so neither CI nor a developer needs LibreOffice; run this
# after changing a source (Debian: apt-get install --no-install-recommends libreoffice-calc).
set -eu
cd "$(dirname "$0")"
profile=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$profile" "$out"' EXIT
# src/rejects.xlsx is a rejects.xlsx bulk wrote (bulk validate --kind onefile-users --sheet
# Learners lo-term.xlsx); LibreOffice saving it again is the round trip a data officer makes.
for src in src/*.fods src/rejects.xlsx; do
	soffice -env:UserInstallation="file://$profile" --headless --convert-to xlsx --outdir "$out" "$src" >/dev/null
done
# The names the tests use: lo-<source name>.xlsx.
for f in "$out"/*.xlsx; do
	base=$(basename "$f" .xlsx)
	case $base in
	term) dest=lo-term.xlsx ;;
	mac1904) dest=lo-1904.xlsx ;;
	rejects) dest=lo-rejects.xlsx ;;
	*) dest=lo-$base.xlsx ;;
	esac
	cp "$f" "$dest"
	# Check that LibreOffice, not excelize, wrote it.
	unzip -p "$dest" docProps/app.xml | grep -q '<Application>LibreOffice' || { echo "$dest: not written by LibreOffice" >&2; exit 1; }
	echo "wrote $dest"
done
