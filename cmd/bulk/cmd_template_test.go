package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/template"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

func TestTemplateCommand(t *testing.T) {
	k := catalog.Kinds()[0]
	header := strings.Join(template.Headers(k), ",") + "\r\n"
	for _, tc := range []struct {
		name    string
		args    []string // {dir} is replaced by a fresh temporary folder
		before  []string // files that exist first (relative to {dir})
		code    int
		files   []string // files that exist after (relative to {dir})
		stdout  string
		stderr  string
		unknown bool
	}{
		{name: "xlsx", args: []string{"template", k.Name, "-o", "{dir}/mine.xlsx"}, files: []string{"mine.xlsx"}, stderr: "bulk validate {dir}/mine.xlsx"},
		{name: "default name", args: []string{"template", k.Name}, files: []string{k.Name + ".xlsx"}},
		{name: "into a folder", args: []string{"template", k.Name, "-o", "{dir}"}, files: []string{k.Name + ".xlsx"}},
		{name: "csv by flag", args: []string{"template", k.Name, "--csv", "-o", "{dir}/h.csv"}, files: []string{"h.csv"}},
		{name: "csv by name", args: []string{"template", k.Name, "-o", "{dir}/h.csv"}, files: []string{"h.csv"}},
		{name: "csv to stdout", args: []string{"template", k.Name, "--csv", "-o", "-"}, stdout: header},
		{name: "all", args: []string{"template", "--all", "-o", "{dir}/t"}, files: obAllFiles("t/", ".xlsx")},
		{name: "all csv", args: []string{"template", "--all", "--csv", "-o", "{dir}/t"}, files: obAllFiles("t/", ".csv")},
		{name: "kind name in capitals", args: []string{"template", strings.ToUpper(k.Name), "-o", "{dir}/x.xlsx"}, files: []string{"x.xlsx"}},

		{name: "exists", args: []string{"template", k.Name, "-o", "{dir}/mine.xlsx"}, before: []string{"mine.xlsx"}, code: 2, stderr: "already exists"},
		{name: "force", args: []string{"template", k.Name, "-o", "{dir}/mine.xlsx", "--force"}, before: []string{"mine.xlsx"}, files: []string{"mine.xlsx"}},
		{name: "all, one exists", args: []string{"template", "--all", "-o", "{dir}"}, before: []string{k.Name + ".xlsx"}, code: 2, stderr: "already exists"},
		{name: "no kind", args: []string{"template"}, code: 2, stderr: "give a KIND, or --all"},
		{name: "kind and all", args: []string{"template", k.Name, "--all"}, code: 2, stderr: "not both"},
		{name: "two kinds", args: []string{"template", k.Name, k.Name}, code: 2, stderr: "one KIND at a time"},
		{name: "unknown kind", args: []string{"template", k.Name + "s"}, code: 2, stderr: "Did you mean " + k.Name + "?"},
		{name: "csv named xlsx", args: []string{"template", k.Name, "--csv", "-o", "{dir}/x.xlsx"}, code: 2, stderr: "names a workbook"},
		{name: "old excel", args: []string{"template", k.Name, "-o", "{dir}/x.xls"}, code: 2, stderr: "name the file .xlsx"},
		{name: "no such folder", args: []string{"template", k.Name, "-o", "{dir}/missing/x.xlsx"}, code: 2, stderr: "Check that the folder exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			for _, f := range tc.before {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("someone's work"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := slices.Clone(tc.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "{dir}", dir)
			}
			code, out, errOut := obBulk(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if tc.stdout != "" && out != tc.stdout {
				t.Errorf("stdout %q, want %q", out, tc.stdout)
			}
			if want := strings.ReplaceAll(tc.stderr, "{dir}", dir); !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not say %q", errOut, want)
			}
			for _, f := range tc.files {
				obCheckTemplateFile(t, filepath.Join(dir, f))
			}
			for _, f := range tc.before {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if code != 0 && string(b) != "someone's work" {
					t.Errorf("%s was changed by a run that failed", f)
				}
			}
			if tc.code != 0 {
				// Nothing half-written is left behind.
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if !slices.Contains(tc.before, e.Name()) {
						t.Errorf("left %s behind", e.Name())
					}
				}
			}
		})
	}
}

func obAllFiles(prefix, ext string) []string {
	var fs []string
	for _, k := range catalog.Kinds() {
		fs = append(fs, prefix+k.Name+ext)
	}
	return fs
}

// obCheckTemplateFile opens a written template the way bulk would and checks its header.
func obCheckTemplateFile(t *testing.T, path string) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	k, err := catalog.KindByName(name)
	if err != nil {
		k = catalog.Kinds()[0]
	}
	var header []string
	if strings.HasSuffix(path, ".csv") {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		header, err = csv.NewReader(f).Read()
		if err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer f.Close()
		rows, err := f.GetRows(template.MainSheet(k))
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", path, err)
		}
		header = rows[0]
	}
	if !slices.Equal(header, template.Headers(k)) {
		t.Errorf("%s: header %q, want %q", path, header, template.Headers(k))
	}
}

// TestTemplateToValidate is the data officer's first hour, end to end with the binary: write the
// learners and staff template, fill it in as Excel would (date cells, IDs as text) with the kind's
// examples, validate it: exit 0. The same with one bad value: exit 1, and the report names the row
// and the rule. (formats/template's tests do the same for every kind, column by column.)
func TestTemplateToValidate(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	dir, env := obBulkExe(t)
	for _, name := range []string{"onefile-users"} {
		k, err := catalog.KindByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(k.Name, func(t *testing.T) {
			work := t.TempDir()
			exe := func(args ...string) (int, string) {
				t.Helper()
				cmd := exec.Command(filepath.Join(dir, "bulk"), args...)
				cmd.Env, cmd.Dir = env, work
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); ok {
					return ee.ExitCode(), string(out)
				} else if err != nil {
					t.Fatal(err)
				}
				return 0, string(out)
			}
			if code, out := exe("template", k.Name, "-o", "blank.xlsx"); code != 0 {
				t.Fatalf("bulk template: exit %d\n%s", code, out)
			}
			good := map[string]string{}
			for _, f := range k.Fields {
				good[f.Name] = f.Example
			}
			obFillTemplate(t, k, filepath.Join(work, "blank.xlsx"), filepath.Join(work, "good.xlsx"), good)
			if code, out := exe("validate", "good.xlsx", "--report", "good-report"); code != 0 {
				t.Fatalf("bulk validate good.xlsx: exit %d\n%s", code, out)
			}

			// A bad value in the first column whose type Excel and bulk both check.
			bad, field := obClone(good), ""
			for _, f := range k.Fields {
				switch {
				case f.Type == pipeline.Date:
					bad[f.Name] = "31/02/2026"
				case f.Type == pipeline.Email:
					bad[f.Name] = "not-an-address"
				case f.Type == pipeline.Integer:
					bad[f.Name] = "1.5"
				default:
					continue
				}
				field = f.Name
				break
			}
			if field == "" {
				t.Skip("no field with a checkable type")
			}
			obFillTemplate(t, k, filepath.Join(work, "blank.xlsx"), filepath.Join(work, "bad.xlsx"), good, bad)
			code, out := exe("validate", "bad.xlsx", "--report", "bad-report")
			if code != ExitRejected || !strings.Contains(out, "2 rows: 1 valid, 1 rejected") {
				t.Fatalf("bulk validate bad.xlsx: exit %d, want 1\n%s", code, out)
			}
			rejects, err := os.ReadFile(filepath.Join(work, "bad-report", "rejects.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if want := ",3," + field + "," + bad[field] + ","; !strings.Contains(string(rejects), want) {
				t.Errorf("rejects.csv does not reject row 3's %s:\n%s", field, rejects)
			}
		})
	}
}

func obClone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// obFillTemplate types rows into the data sheet of the template at from and saves it as to: numbers
// in number columns, real dates in date columns, text elsewhere, each cell keeping the column's
// format, as Excel does when someone types into the template.
func obFillTemplate(t *testing.T, k *pipeline.Kind, from, to string, rows ...map[string]string) {
	t.Helper()
	f, err := excelize.OpenFile(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for r, row := range rows {
		for c, fi := range template.Order(k) {
			fd := &k.Fields[fi]
			s := row[fd.Name]
			if s == "" {
				continue
			}
			var v any = s
			switch fd.Type {
			case pipeline.Integer, pipeline.Decimal:
				if n, err := strconv.ParseFloat(s, 64); err == nil {
					v = n
				}
			case pipeline.Date:
				if d, err := check.ParseDate(s, check.DayFirst, time.Now()); err == nil {
					v = d.Time
				}
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			if err := f.SetCellValue(template.MainSheet(k), cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(to); err != nil {
		t.Fatal(err)
	}
}

// TestEveryKindsTemplate covers every kind this binary registers (formats/template's own tests
// cover the kinds its test file imports): the template of each, filled with the kind's examples
// and then with each drop-down value in turn, goes through the real reader and pipeline, and bulk
// must not refuse any of those spellings in their own column. A refusal shows as a value-check
// rule or, for a drop-down value, as a message quoting it; errors about how a value combines with
// the rest of the row (a learner at Level 3, the example's learner also its assessor) are the
// kind's own business: the example row shows one value per column, some of them alternatives.
func TestEveryKindsTemplate(t *testing.T) {
	spelling := map[string]bool{pipeline.RuleEnum: true, pipeline.RuleInteger: true, pipeline.RuleDecimal: true,
		pipeline.RuleBool: true, pipeline.RuleDate: true, pipeline.RuleMaxLength: true, pipeline.RuleEmail: true,
		pipeline.RuleULN: true, pipeline.RuleNINO: true, pipeline.RuleExcelMangled: true}
	for _, k := range catalog.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			dir := t.TempDir()
			blank := filepath.Join(dir, "blank.xlsx")
			if code, _, errOut := obBulk(t, "template", k.Name, "-o", blank); code != 0 {
				t.Fatalf("bulk template: exit %d: %s", code, errOut)
			}
			ex := map[string]string{}
			for _, f := range k.Fields {
				ex[f.Name] = f.Example
			}
			rows := []map[string]string{ex}
			offered := []string{""} // per data row: the field and value under test
			for _, f := range k.Fields {
				vals, _ := template.Values(&f)
				for _, v := range vals {
					r := obClone(ex)
					r[f.Name] = v
					rows = append(rows, r)
					offered = append(offered, f.Name+"\x00"+v)
				}
			}
			filled := filepath.Join(dir, "filled.xlsx")
			obFillTemplate(t, k, blank, filled, rows...)
			in, err := read.Open(filled, read.Options{Sheet: template.MainSheet(k)})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			rep := report.New(dir, false)
			if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
				t.Fatal(err)
			}
			if c := rep.Counts(); c.Read != int64(len(rows)) {
				t.Fatalf("read %d rows, wrote %d", c.Read, len(rows))
			}
			for _, p := range rep.Problems() {
				i := p.Row - 2
				if p.Severity != pipeline.Error || i < 0 || i >= len(offered) {
					continue
				}
				field, v, _ := strings.Cut(offered[i], "\x00")
				if i == 0 {
					field, v = p.Column, ex[p.Column] // the example row: any column
				}
				quoted := i > 0 && strings.Contains(p.Message, fmt.Sprintf("%q", v))
				if p.Column == field && v != "" && (spelling[p.Rule] || quoted) {
					what := "drop-down value"
					if i == 0 {
						what = "example"
					}
					t.Errorf("%s %s=%q is refused: %s (%s)", what, field, v, p.Message, p.Rule)
				}
			}
		})
	}
}
