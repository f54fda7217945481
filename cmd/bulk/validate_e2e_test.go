package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// End-to-end tests of `bulk validate`: the binary is built, run on the samples and on small
// files under testdata/validate, and its exit status and report are checked. The reports are
// compared with golden copies; `go test ./cmd/bulk -run TestValidateE2E -update` rewrites them
// after a deliberate change (and the diff then shows what changed for users).

func init() {
	// Another test file of this package may define -update too; define it once.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// repoRoot is where the samples are; the binary runs there so inputs read as users type them.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type validateRun struct {
	code           int
	stderr         string
	rejects        []byte
	summary        map[string]any
	reportDir      string
	problemsByRule map[string]float64
}

// runValidate runs the binary in the repository root with args after "validate --report DIR".
func runValidate(t *testing.T, bin string, args ...string) validateRun {
	t.Helper()
	report := t.TempDir()
	cmd := exec.Command(bin, append([]string{"validate", "--report", report}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "TERM=dumb")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	r := validateRun{stderr: stderr.String(), reportDir: report}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running bulk: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(report, "rejects.csv")); err == nil {
		r.rejects = b
	}
	if b, err := os.ReadFile(filepath.Join(report, "summary.json")); err == nil {
		if err := json.Unmarshal(b, &r.summary); err != nil {
			t.Fatalf("summary.json: %v\n%s", err, b)
		}
		r.problemsByRule = map[string]float64{}
		if m, ok := r.summary["problems_by_rule"].(map[string]any); ok {
			for k, v := range m {
				r.problemsByRule[k], _ = v.(float64)
			}
		}
	}
	return r
}

// stableSummary is summary.json without what changes from run to run (times, the report path).
func stableSummary(t *testing.T, s map[string]any) []byte {
	t.Helper()
	c := map[string]any{}
	for k, v := range s {
		switch k {
		case "started", "finished", "duration":
		default:
			c[k] = v
		}
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// golden compares got with testdata/validate/<name>, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "validate", name)
	if updatingGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden copy (rerun with -update if the change is intended)\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	inW, inG := map[string]int{}, map[string]int{}
	for _, l := range w {
		inW[l]++
	}
	for _, l := range g {
		inG[l]++
	}
	var b strings.Builder
	for _, l := range w {
		if inG[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if inW[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

func TestValidateE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBulk(t)

	t.Run("the sample workbook", func(t *testing.T) {
		r := runValidate(t, bin, "samples/term-start.xlsx")
		if r.code != ExitRejected {
			t.Fatalf("exit %d, want %d (rows rejected)\n%s", r.code, ExitRejected, r.stderr)
		}
		for _, want := range []string{
			"term-start.xlsx, sheet Staff: read as onefile-users",
			"term-start.xlsx, sheet Learners: read as onefile-users",
			"term-start.xlsx, sheet Assignments: read as onefile-assignments",
			"100 rows: 79 valid, 21 rejected, 9 warnings.",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		// Every deliberate mistake of samples/README.md is reported.
		for _, rule := range []string{"role", "excel-mangled", "unknown-column", "uln", "date", "duplicate", "required",
			"date-order", "nino", "reference"} {
			if r.problemsByRule[rule] == 0 {
				t.Errorf("no %s problem reported", rule)
			}
		}
		golden(t, "term-start/rejects.csv", r.rejects)
		golden(t, "term-start/summary.json", stableSummary(t, r.summary))
	})

	t.Run("the sample CSV files report what the workbook does", func(t *testing.T) {
		// The golden copy was made with the CSV reader that sniffs delimiters and decodes
		// Windows-1252 (branch csv-read); a build without it cannot read assignments.csv at all.
		if probe := runValidate(t, bin, "samples/assignments.csv"); probe.code == ExitCannotRun {
			t.Skipf("this build's CSV reader does not read the ';'-delimited sample yet: %s", probe.stderr)
		}
		x := runValidate(t, bin, "samples/term-start.xlsx")
		c := runValidate(t, bin, "samples/staff.csv", "samples/learners.csv", "samples/assignments.csv")
		if c.code != ExitRejected {
			t.Fatalf("exit %d\n%s", c.code, c.stderr)
		}
		sheetOf := map[string]string{"staff.csv": "Staff", "learners.csv": "Learners", "assignments.csv": "Assignments"}
		located := func(rejects []byte, fromCSV bool) []string {
			recs, err := csv.NewReader(bytes.NewReader(rejects)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, rec := range recs[1:] {
				sheet := rec[1]
				if fromCSV {
					sheet = sheetOf[rec[0]]
				}
				// file, sheet, row, column, value, rule, severity, message: values and messages
				// may differ in form (a date cell against its text), locations and rules may not.
				out = append(out, strings.Join([]string{sheet, rec[2], rec[3], rec[5], rec[6]}, " "))
			}
			sort.Strings(out)
			return out
		}
		if got, want := located(c.rejects, true), located(x.rejects, false); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the CSV files and the workbook are reported differently:\n%s", lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
		golden(t, "csv/rejects.csv", c.rejects)
		golden(t, "csv/summary.json", stableSummary(t, c.summary))
	})

	t.Run("a valid file", func(t *testing.T) {
		r := runValidate(t, bin, "cmd/bulk/testdata/validate/valid-users.csv")
		if r.code != ExitOK {
			t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stderr, r.rejects)
		}
		golden(t, "valid/rejects.csv", r.rejects)
		golden(t, "valid/summary.json", stableSummary(t, r.summary))
	})

	t.Run("warnings reject only with --strict", func(t *testing.T) {
		// valid-users.csv names an assessor who is not in the file: a warning.
		if r := runValidate(t, bin, "cmd/bulk/testdata/validate/valid-users.csv"); r.code != ExitOK || r.problemsByRule["reference"] != 1 {
			t.Fatalf("exit %d, problems %v", r.code, r.problemsByRule)
		}
		if r := runValidate(t, bin, "--strict", "cmd/bulk/testdata/validate/valid-users.csv"); r.code != ExitRejected {
			t.Fatalf("--strict: exit %d, want %d", r.code, ExitRejected)
		}
	})

	t.Run("date order", func(t *testing.T) {
		us := "cmd/bulk/testdata/validate/us-dates.csv"
		r := runValidate(t, bin, us)
		if r.code != ExitRejected || !strings.Contains(string(r.rejects), "--date-order mdy") {
			t.Fatalf("day-first reading of US dates: exit %d\n%s", r.code, r.rejects)
		}
		if r := runValidate(t, bin, "--date-order", "mdy", us); r.code != ExitOK {
			t.Fatalf("--date-order mdy: exit %d\n%s", r.code, r.rejects)
		}
	})

	t.Run("exit status 2 when it cannot run", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			says string
		}{
			{[]string{"samples/no-such-file.xlsx"}, "no-such-file.xlsx"},
			{[]string{}, "no input files given"},
			{[]string{"--date-order", "ymd", "samples/term-start.xlsx"}, "--date-order"},
			{[]string{"--kind", "onefile-nonsense", "samples/term-start.xlsx"}, "onefile-users"},
			{[]string{"--no-such-flag", "samples/term-start.xlsx"}, "unknown flag"},
			{[]string{"cmd/bulk/testdata/validate/not-a-kind.csv"}, "--kind"},
			{[]string{"samples/README.md"}, "unsupported file type"},
		} {
			r := runValidate(t, bin, tc.args...)
			if r.code != ExitCannotRun || !strings.Contains(r.stderr, tc.says) {
				t.Errorf("validate %q: exit %d, want %d, saying %q:\n%s", tc.args, r.code, ExitCannotRun, tc.says, r.stderr)
			}
		}
	})

	t.Run("--kind on one sheet", func(t *testing.T) {
		r := runValidate(t, bin, "--kind", "onefile-users", "--sheet", "Staff", "samples/term-start.xlsx")
		if r.code != ExitRejected || r.problemsByRule["role"] != 1 || r.summary["rows_read"] != float64(10) {
			t.Fatalf("exit %d, summary %v\n%s", r.code, r.summary, r.stderr)
		}
	})
}
