package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateOfficerWorkbookE2E runs the binary on the workbook of issue 11 as openpyxl wrote
// it (pipeline/read/testdata/openpyxl/make.py): a title above the header, hidden rows, a hidden
// and a very hidden sheet, Excel's errors, a formula with no saved value and a totals row.
func TestValidateOfficerWorkbookE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	const wb = "pipeline/read/testdata/px-officer.xlsx"

	t.Run("as given", func(t *testing.T) {
		r := runValidate(t, bin, wb)
		if r.code != ExitRejected {
			t.Fatalf("exit %d, want %d (rows rejected)\n%s", r.code, ExitRejected, r.stderr)
		}
		for _, want := range []string{
			`px-officer.xlsx: not read, because Excel hides them: sheet "Old learners 2024", sheet "Lookups"`,
			"px-officer.xlsx, sheet Learners: read as onefile-users",
			"px-officer.xlsx, sheet Learners: header on row 4; the row above it is not data",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		for rule, n := range map[string]float64{
			"hidden-row":  2, // rows 7 and 8
			"excel-error": 3, // #N/A, #REF! and a formula with no saved value
			"totals-row":  1,
			"email":       0, // #N/A is Excel's error, not a bad address
			"required":    0, // the formula's cell is not merely empty; the totals line is no learner
			"role":        0,
		} {
			if r.problemsByRule[rule] != n {
				t.Errorf("%v %s problems, want %v", r.problemsByRule[rule], rule, n)
			}
		}
		golden(t, "officer/rejects.csv", r.rejects)
		golden(t, "officer/summary.json", stableSummary(t, r.summary))
	})

	t.Run("--include-hidden reads the hidden sheets", func(t *testing.T) {
		r := runValidate(t, bin, "--include-hidden", wb)
		if strings.Contains(r.stderr, "not read, because Excel hides them") || !strings.Contains(r.stderr, "sheet Old learners 2024: read as onefile-users") {
			t.Errorf("--include-hidden: the hidden sheet was not read:\n%s", r.stderr)
		}
	})

	t.Run("header_row in a --map file and --header-row agree", func(t *testing.T) {
		m := filepath.Join(t.TempDir(), "map.yaml")
		if err := os.WriteFile(m, []byte("header_row: 4\nLearner Forename: FirstName\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		byMap := runValidate(t, bin, "--map", m, wb)
		byFlag := runValidate(t, bin, "--header-row", "4", wb)
		for _, r := range []validateRun{byMap, byFlag} {
			if r.code != ExitRejected || !strings.Contains(r.stderr, "header on row 4") {
				t.Errorf("exit %d, want %d with the header on row 4:\n%s", r.code, ExitRejected, r.stderr)
			}
		}
		if string(byMap.rejects) != string(byFlag.rejects) {
			t.Errorf("the map's header_row and --header-row report differently:\n%s\n%s", byMap.rejects, byFlag.rejects)
		}
		typo := filepath.Join(t.TempDir(), "typo.yaml")
		if err := os.WriteFile(typo, []byte("header_row: 4\nLearner Surname: LastNme\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		bad := runValidate(t, bin, "--map", typo, wb)
		if want := `line 2: "Learner Surname" maps to LastNme, which is not a field (did you mean LastName?)`; bad.code != ExitCannotRun || !strings.Contains(bad.stderr, want) {
			t.Errorf("a map target that is no field: exit %d, want %d saying %q:\n%s", bad.code, ExitCannotRun, want, bad.stderr)
		}
		wrong := runValidate(t, bin, "--header-row", "2", wb)
		if wrong.code != ExitCannotRun || !strings.Contains(wrong.stderr, "row 2 of px-officer.xlsx, sheet Learners") {
			t.Errorf("--header-row 2 (empty): exit %d\n%s", wrong.code, wrong.stderr)
		}
	})
}

// TestValidateLossyCSVE2E: a CSV Excel's plain "CSV" saved (written by Python's cp1252 codec,
// see pipeline/read/testdata/openpyxl/make.py) warns where names lost characters to '?'.
func TestValidateLossyCSVE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)
	r := runValidate(t, bin, "--kind", "onefile-users", "pipeline/read/testdata/px-lossy-cp1252.csv")
	if r.code != 0 || r.problemsByRule["lossy-encoding"] != 3 {
		t.Errorf("exit %d, %v lossy-encoding warnings; want 0 and 3 (Adébáy??, ?, ?ukasz)\n%s", r.code, r.problemsByRule["lossy-encoding"], r.stderr)
	}
	golden(t, "lossy-cp1252/rejects.csv", r.rejects)
}
