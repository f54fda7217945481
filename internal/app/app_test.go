package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

const staff = "Role,FirstName,LastName,Email,MISID,ClassroomID\n" +
	"5,Ada,Stone,ada@x.example,S1,\n" +
	"5,No,,no@x.example,S2,\n" + // no LastName: rejected
	"5,Warn,Ing,warn@x.example,S3,101\n" // a learner-only field on staff: a warning

// TestValidateStrict: --strict rejects the row with a warning; the outcome's counts are the
// written summary.json's, and a Gate's error ends the use case with the report written.
func TestValidateStrict(t *testing.T) {
	for _, tc := range []struct {
		strict   bool
		rejected int64
	}{{false, 1}, {true, 2}} {
		dir := t.TempDir()
		in := writeFile(t, dir, "staff.csv", staff)
		o := InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "r"), Strict: tc.strict, Quiet: true}
		out, err := Validate(context.Background(), Deps{}, o)
		if err != nil {
			t.Fatal(err)
		}
		if out.Counts.Read != 3 || out.Counts.Rejected != tc.rejected {
			t.Errorf("strict=%v: counts %+v", tc.strict, out.Counts)
		}
		var s report.Summary
		b, _ := os.ReadFile(filepath.Join(o.ReportDir, "summary.json"))
		if json.Unmarshal(b, &s) != nil || s.RowsRejected != tc.rejected {
			t.Errorf("strict=%v: summary.json %s", tc.strict, b)
		}
	}
	dir := t.TempDir()
	held := &Error{Kind: Held}
	o := InputOptions{Files: []string{writeFile(t, dir, "staff.csv", staff)}, ReportDir: filepath.Join(dir, "r"), Quiet: true,
		Gate:   func(rep *report.Report) error { rep.Set("held", true); return held },
		Finish: func(rep *report.Report) { rep.Set("finished", true) }}
	out, err := Validate(context.Background(), Deps{}, o)
	if err != held || out == nil {
		t.Fatalf("a gated validation: %v, %v", out, err)
	}
	var s map[string]any
	b, _ := os.ReadFile(filepath.Join(o.ReportDir, "summary.json"))
	if json.Unmarshal(b, &s) != nil || s["held"] != true || s["finished"] != true {
		t.Errorf("summary.json %s", b)
	}
}

// TestLoadOnefileSandbox: a load into the in-process sandbox loads the valid rows, its results
// and report agree, and its failures reach the report from the loader's results.
func TestLoadOnefileSandbox(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", staff)
	var stderr bytes.Buffer
	o := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "r"), Quiet: true},
		Sandbox: true, Mode: "create", Concurrency: 2, Rate: SandboxRate}
	out, err := LoadOnefile(context.Background(), Deps{Stderr: &stderr}, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if out.Load == nil || out.Sandbox == nil || out.Counts.Read != 3 || out.Counts.Rejected != 1 {
		t.Fatalf("outcome %+v", out)
	}
	created := 0
	for _, r := range out.Load.Results {
		if r.Action == load.ActCreate && r.Status == load.StatusOK {
			created++
		}
	}
	if created != 2 || out.Sandbox.Calls["POST /User"] != 2 {
		t.Errorf("%d created, the sandbox saw %d creates", created, out.Sandbox.Calls["POST /User"])
	}
	if _, err := os.Stat(out.ResultsFile()); err != nil {
		t.Error(err)
	}
}

// TestLoadOnefileCannotStart: what stops a load before it reads anything is CannotRun with no
// outcome, and says what to do.
func TestLoadOnefileCannotStart(t *testing.T) {
	in := writeFile(t, t.TempDir(), "staff.csv", staff)
	base := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, Quiet: true}, Mode: "create", Concurrency: 1, Rate: 1}
	tests := []struct {
		name string
		edit func(*LoadOnefileOptions)
		want string
	}{
		{"no target", func(*LoadOnefileOptions) {}, "say where to load"},
		{"two targets", func(o *LoadOnefileOptions) { o.Sandbox, o.Env = true, "beta" }, "say where to load"},
		{"no token", func(o *LoadOnefileOptions) { o.Env = "beta" }, "no OneFile customer token"},
		{"a bad mode", func(o *LoadOnefileOptions) { o.Sandbox, o.Mode = true, "merge" }, "--mode"},
		{"live unconfirmed", func(o *LoadOnefileOptions) { o.Env = "live"; o.TokenFile = writeFile(t, t.TempDir(), "tok", "t\n") }, "nobody is here to confirm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			d := Deps{Getenv: func(string) string { return "" }, StdinIsTerminal: func() bool { return false }}
			out, err := LoadOnefile(context.Background(), d, o)
			if out != nil || KindOf(err) != CannotRun || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, %v; want CannotRun saying %q", out, err, tc.want)
			}
		})
	}
}

// TestTracer: the LMS's answers by payload row land on the input rows they came from; a
// courses document's one answer applies to every row; rows rejected before sending and row
// numbers the payload lacks are passed over.
func TestTracer(t *testing.T) {
	a := &pipeline.Source{Index: 0, File: "a.csv"}
	b := &pipeline.Source{Index: 1, File: "b.xlsx", Sheet: "S"}
	rows := []rowRef{{0, 2}, {0, 4}, {1, 3}}
	srcs := map[int]*pipeline.Source{0: a, 1: b}
	rejected := func(src *pipeline.Source, row int) bool { return src == a && row == 4 }
	tests := []struct {
		name    string
		whole   bool
		answers []peoplefluent.Result
		want    []string // file:row:rule
	}{
		{"by payload row", false, []peoplefluent.Result{
			{Row: 2, Status: peoplefluent.StatusFailed, Message: "no such user"},
			{Row: 3, Status: peoplefluent.StatusFailed, Message: "rejected before"}, // a.csv row 4
			{Row: 4, Status: peoplefluent.StatusWarning, Message: "full"},
			{Row: 9, Status: peoplefluent.StatusFailed, Message: "beyond the payload"},
			{Row: 2, Status: peoplefluent.StatusOK},
		}, []string{"a.csv:2:lms-failed", "b.xlsx:3:lms-warning"}},
		{"a whole document", true, []peoplefluent.Result{{Row: 0, Status: peoplefluent.StatusFailed, Message: "bad XML"}},
			[]string{"a.csv:2:lms-failed", "b.xlsx:3:lms-failed"}},
		// The LMS may or may not have it: not loaded as far as bulk can tell.
		{"outcome unknown", false, []peoplefluent.Result{{Row: 4, Status: peoplefluent.StatusUnknown, Message: "answer lost"}},
			[]string{"b.xlsx:3:lms-failed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tracer{rows: rows, srcs: srcs, whole: tc.whole}
			for _, r := range tc.answers {
				tr.add(r)
			}
			var got []string
			note := func(p pipeline.Problem) {
				got = append(got, p.File+":"+strconv.Itoa(p.Row)+":"+p.Rule)
				if tc.name == "outcome unknown" && !strings.Contains(p.Message, "outcome unknown, check it in the LMS: answer lost") {
					t.Errorf("message %q does not say to check the row in the LMS", p.Message)
				}
			}
			if n := tr.report(rejected, note, note); n != len(tc.want) || strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("traced %d: %v, want %v", n, got, tc.want)
			}
		})
	}
}

// TestWithEnvAlias: a job's token_env names the variable the use case reads its secret from.
func TestWithEnvAlias(t *testing.T) {
	env := map[string]string{TokenEnv: "default", "NIGHTLY": "job's", "OTHER": "other"}
	d := Deps{Getenv: func(k string) string { return env[k] }}
	a := d.WithEnvAlias(TokenEnv, "NIGHTLY")
	if a.Env(TokenEnv) != "job's" || a.Env("OTHER") != "other" || d.Env(TokenEnv) != "default" {
		t.Errorf("aliased %q %q, original %q", a.Env(TokenEnv), a.Env("OTHER"), d.Env(TokenEnv))
	}
	if same := d.WithEnvAlias(TokenEnv, ""); same.Env(TokenEnv) != "default" {
		t.Error("an empty alias changed the variable")
	}
}

// TestTracerColumn: an LMS answer that names a field is put on the input's column for it (the
// officer's own header), so rejects.xlsx marks the cell; one that names none, or a courses
// document's one answer, carries no column.
func TestTracerColumn(t *testing.T) {
	k := &pipeline.Kind{Name: "th", Fields: []pipeline.Field{
		{Name: "USERID", Synonyms: []string{"User ID", "Login"}}, {Name: "LEARNINGID", Synonyms: []string{"Learning ID"}}, {Name: "ENDDATE"}}}
	src := &pipeline.Source{Index: 0, File: "a.csv", Header: []string{"Login", "Learning ID"}}
	m := &pipeline.Mapping{Kind: k, Col: []int{0, 1, -1}}
	for _, tc := range []struct {
		msg   string
		whole bool
		want  string
	}{
		{"User ID nobody does not exist.", false, "Login"},
		{"Learning ID HS-9 does not exist.", false, "Learning ID"},
		{"ENDDATE is before STARTDATE.", false, "ENDDATE"}, // not a column of the input: the field's name
		{"Simulated failure for user x.", false, ""},
		{"User ID nobody does not exist.", true, ""},
	} {
		tr := tracer{rows: []rowRef{{0, 2}}, srcs: map[int]*pipeline.Source{0: src}, maps: map[int]*pipeline.Mapping{0: m}, whole: tc.whole}
		row := 2
		if tc.whole {
			row = 0
		}
		tr.add(peoplefluent.Result{Row: row, Status: peoplefluent.StatusFailed, Message: tc.msg})
		var got []string
		tr.report(func(*pipeline.Source, int) bool { return false }, func(p pipeline.Problem) { got = append(got, p.Column) }, nil)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%q (whole %v): columns %q, want %q", tc.msg, tc.whole, got, tc.want)
		}
	}
}
