package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
)

// bulk runs the command line in-process, as main does, and returns the exit status and stderr.
func expRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := newApp(strings.NewReader(""), &stdout, &stderr)
	a.Getenv = func(string) string { return "" }
	code := run(args, a)
	return code, stderr.String()
}

func expSample(name string) string { return filepath.Join("..", "..", "samples", "peoplefluent", name) }

func expWriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type expSummary struct {
	RowsRead     int64          `json:"rows_read"`
	RowsValid    int64          `json:"rows_valid"`
	RowsRejected int64          `json:"rows_rejected"`
	Payload      map[string]any `json:"payload"`
}

func expReadSummary(t *testing.T, dir string) expSummary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s expSummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExportSamples runs the command on each sample and checks the payload is the package's
// golden payload, the counts add up, and the exit status says rows were rejected.
func TestExportSamples(t *testing.T) {
	tests := []struct{ kind, input, golden string }{
		{"training-history", "training-history.csv", "../../formats/trainingcsv/testdata/training-history.payload.csv"},
		{"external-training", "external-training.csv", "../../formats/externalcsv/testdata/external-training.payload.csv"},
		{"courses", "courses.csv", "../../formats/coursesxml/testdata/courses-csv.golden.xml"},
		{"courses", "courses.xlsx", "../../formats/coursesxml/testdata/courses-xlsx.golden.xml"},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			restore := pipeline.SetClock(func() time.Time { return expClock })
			defer restore()
			dir := t.TempDir()
			out := filepath.Join(dir, "payload")
			rep := filepath.Join(dir, "report")
			code, stderr := expRun(t, "export", tc.kind, expSample(tc.input), "-o", out, "--report", rep)
			if code != ExitRejected {
				t.Fatalf("exit %d, want %d (the samples have deliberate mistakes)\n%s", code, ExitRejected, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("payload differs from %s:\n%s", tc.golden, got)
			}
			s := expReadSummary(t, rep)
			if s.RowsRead != s.RowsValid+s.RowsRejected || s.RowsRejected == 0 {
				t.Errorf("counts: %+v", s)
			}
			if rows := int64(s.Payload["rows"].(float64)); rows != s.RowsValid {
				t.Errorf("payload holds %d rows, %d were valid", rows, s.RowsValid)
			}
			if !strings.Contains(stderr, "Wrote "+out) {
				t.Errorf("stderr does not say what was written:\n%s", stderr)
			}
			rejects, err := os.ReadFile(filepath.Join(rep, "rejects.csv"))
			if err != nil || !bytes.Contains(rejects, []byte(tc.input)) {
				t.Errorf("rejects.csv does not list the rejected rows: %v\n%s", err, rejects)
			}
		})
	}
}

func TestExportAllValid(t *testing.T) {
	dir := t.TempDir()
	in := expWriteFile(t, dir, "in.csv", "User ID,Learning ID,Completion Date,Status\r\nJSmith,HS-101,05/09/2026,passed\r\n")
	out := filepath.Join(dir, "out.csv")
	code, stderr := expRun(t, "export", "training-history", in, "-o", out, "--report", filepath.Join(dir, "r"))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got, _ := os.ReadFile(out)
	if want := "USERID,LEARNINGID,ENDDATE,STUDENTSTATUS\r\njsmith,HS-101,05-09-2026 00:00,Pass\r\n"; string(got) != want {
		t.Errorf("payload %q, want %q", got, want)
	}
	// --month-names: the dd-Mmm-yyyy form, for an LMS whose date parser wants names.
	if code, stderr := expRun(t, "export", "training-history", in, "-o", out, "--report", filepath.Join(dir, "r2"), "--month-names"); code != ExitOK {
		t.Fatalf("--month-names: exit %d\n%s", code, stderr)
	}
	got, _ = os.ReadFile(out)
	if want := "USERID,LEARNINGID,ENDDATE,STUDENTSTATUS\r\njsmith,HS-101,05-Sep-2026 00:00,Pass\r\n"; string(got) != want {
		t.Errorf("--month-names payload %q, want %q", got, want)
	}
}

// TestExportRequiredColumnsAlways: external-training's Action column is in the payload header.
func TestExportCSVColumns(t *testing.T) {
	dir := t.TempDir()
	in := expWriteFile(t, dir, "in.csv", "Comments,Action,Record ID\nfix typo,D,EXT-1\n")
	out := filepath.Join(dir, "out.csv")
	if code, stderr := expRun(t, "export", "external-training", in, "-o", out, "--report", filepath.Join(dir, "r")); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	recs, err := csv.NewReader(expOpen(t, out)).ReadAll()
	if err != nil || strings.Join(recs[0], ",") != "Action,RecordID,Comments" {
		t.Errorf("header %q, err %v: the vendor's order, only the columns given", recs, err)
	}
}

func expOpen(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestExportStrict: under --strict a row with a warning is rejected, so it must not be in the
// payload either.
func TestExportStrict(t *testing.T) {
	dir := t.TempDir()
	in := expWriteFile(t, dir, "in.csv", "Action,UserId,Title,Cost\nA,a,One,\nA,b,Two,250\n") // Cost without Currency: a warning
	out := filepath.Join(dir, "out.csv")
	code, _ := expRun(t, "export", "external-training", in, "-o", out, "--report", filepath.Join(dir, "r"), "--strict")
	if code != ExitRejected {
		t.Fatalf("exit %d", code)
	}
	got, _ := os.ReadFile(out)
	if strings.Contains(string(got), "Two") || !strings.Contains(string(got), "One") {
		t.Errorf("payload:\n%s", got)
	}
	code, _ = expRun(t, "export", "external-training", in, "-o", out, "--report", filepath.Join(dir, "r"))
	if got, _ := os.ReadFile(out); code != ExitOK || !strings.Contains(string(got), "Two") {
		t.Errorf("without --strict: exit %d\n%s", code, got)
	}
}

func TestExportUsage(t *testing.T) {
	dir := t.TempDir()
	in := expWriteFile(t, dir, "in.csv", "Action,UserId,Title\nA,a,T\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"export"}, "say which kind"},
		{"unknown kind", []string{"export", "transcripts", in, "-o", "x.csv"}, "cannot be exported"},
		{"kind without payload", []string{"export", "onefile-users", in, "-o", "x.csv"}, "cannot be exported"},
		{"no output", []string{"export", "external-training", in}, "give -o FILE"},
		{"no input", []string{"export", "external-training", "-o", "x.csv"}, "no input files"},
		{"output is input", []string{"export", "external-training", in, "-o", in}, "also an input file"},
		{"xsd on csv", []string{"export", "external-training", in, "-o", filepath.Join(dir, "x.csv"), "--xsd", in}, "courses.xml only"},
		{"missing input", []string{"export", "external-training", filepath.Join(dir, "nope.csv"), "-o", filepath.Join(dir, "x.csv")}, "nope.csv"},
		{"kind contradicted", []string{"export", "external-training", in, "-o", filepath.Join(dir, "x.csv"), "--kind", "courses"}, "contradicts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := expRun(t, append(tc.args, "--report", filepath.Join(dir, "r"))...)
			if code != ExitCannotRun || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, ExitCannotRun, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
		t.Error("a failed export wrote its output")
	}
}

func TestExportXSD(t *testing.T) {
	xsd := filepath.Join("..", "..", "formats", "coursesxml", "testdata", "courses.xsd")
	dir := t.TempDir()
	t.Run("no xmllint", func(t *testing.T) {
		t.Setenv("PATH", dir) // an empty folder: no xmllint on the path
		code, stderr := expRun(t, "export", "courses", expSample("courses.csv"), "-o", filepath.Join(dir, "c.xml"), "--xsd", xsd, "--report", filepath.Join(dir, "r"))
		if code != ExitCannotRun || !strings.Contains(stderr, "libxml2-utils") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils); --xsd is not exercised")
	}
	t.Run("valid", func(t *testing.T) {
		out := filepath.Join(dir, "ok.xml")
		code, stderr := expRun(t, "export", "courses", expSample("courses.xlsx"), "-o", out, "--xsd", xsd, "--report", filepath.Join(dir, "r1"))
		if code != ExitRejected {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if _, err := os.Stat(out); err != nil {
			t.Error(err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		// A schema that wants a <catalog> root: the document does not match.
		strict := expWriteFile(t, dir, "strict.xsd", `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="catalog" type="xs:string"/></xs:schema>`)
		out := filepath.Join(dir, "bad.xml")
		rep := filepath.Join(dir, "r2")
		code, stderr := expRun(t, "export", "courses", expSample("courses.csv"), "-o", out, "--xsd", strict, "--report", rep)
		if code != ExitCannotRun || !strings.Contains(stderr, "does not match") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a payload that fails the schema was written")
		}
		if _, err := os.Stat(filepath.Join(rep, "courses.invalid.xml")); err != nil {
			t.Errorf("the failing document is not kept for inspection: %v", err)
		}
	})
}

// TestDetectPeopleFluentKinds: `bulk validate` tells the PeopleFluent kinds apart, and from the
// other kinds, by headers alone; headers that fit two kinds equally are not guessed.
func TestDetectPeopleFluentKinds(t *testing.T) {
	tests := []struct{ header, want string }{
		{"USERID,LEARNINGID,LOTITLE,ENROLLDATE,STARTDATE,ENDDATE,STUDENTSTATUS", "training-history"},
		{"User ID,Course Title,Completion Date,Score", "training-history"},
		{"User ID,Learning ID,Session Code,Start Date,End Date,Instructor", "training-history"},
		{"Learning ID,Session Code,Start Date,End Date,Instructor,Status", "training-history"},
		{"Action,RecordID,UserId,Title,CourseType,StartDate,EndDate,Status", "external-training"},
		{"UserId,Title,StartDate,EndDate,Action", "external-training"},
		{"Action,Record ID,User ID,Course Title,Course Type,Start Date,End Date,Status,Duration,Unit,Cost,Currency", "external-training"},
		{"ModuleID,SessionCode,SessionStart,SessionEnd,Instructors,Seats", "courses"},
		{"ModuleID,ModuleTitle,ModuleType,Subject,Language", "courses"},
		{"Module ID,Module Title,Module Type,Session Code,Start,End,Capacity", "courses"},
		{"Role,FirstName,LastName,Email", "onefile-users"},
		// Fits two kinds equally: the user is asked for --kind rather than guessed at.
		{"User ID,Course Title,Start Date,End Date,Status", ""},
		{"Course Code,Course Title,Start Date,End Date,Instructor,Venue", ""},
	}
	for _, tc := range tests {
		k, cs := pipeline.DetectKind(&pipeline.Source{Header: strings.Split(tc.header, ",")}, nil, catalog.Kinds())
		got := ""
		if k != nil {
			got = k.Name
		}
		if got != tc.want {
			t.Errorf("%s: detected %q, want %q (candidates %v)", tc.header, got, tc.want, cs)
		}
	}
}

// TestValidateDetectsSamples: the samples are read as their kinds by `bulk validate`.
func TestValidateDetectsSamples(t *testing.T) {
	for file, kind := range map[string]string{"training-history.csv": "training-history", "external-training.csv": "external-training", "courses.csv": "courses", "courses.xlsx": "courses"} {
		code, stderr := expRun(t, "validate", expSample(file), "--report", t.TempDir())
		if code != ExitRejected || !strings.Contains(stderr, "read as "+kind) {
			t.Errorf("%s: exit %d\n%s", file, code, stderr)
		}
	}
}

// expClock is the clock the golden payloads were made with (formats/internal/kindtest.Clock).
var expClock = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// TestDocsCoverPeopleFluentKinds keeps docs/peoplefluent-formats.md in step with the kinds:
// every field and every rule code they raise is described there.
func TestDocsCoverPeopleFluentKinds(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "peoplefluent-formats.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ek := range app.ExportKinds() {
		for _, f := range ek.Kind.Fields {
			if !bytes.Contains(doc, []byte("`"+f.Name+"`")) {
				t.Errorf("%s field %s is not in the docs", ek.Kind.Name, f.Name)
			}
		}
	}
	codes := []string{"date-range", "user-id-list", "time-zone", "currency", "language", "ignored-value",
		"paired-value", "negative", "nothing-to-change", "course-type-tns", "module-conflict", "module-incomplete",
		peoplefluent.RuleLMSFailed, peoplefluent.RuleLMSWarning}
	for _, code := range codes {
		if !bytes.Contains(doc, []byte("`"+code+"`")) {
			t.Errorf("rule %s is not in the docs", code)
		}
	}
	// And every code listed is registered, with a summary for `bulk rules`.
	known := map[string]bool{}
	for _, r := range catalog.Rules() {
		known[r.Code] = r.Summary != ""
	}
	for _, code := range codes {
		if !known[code] {
			t.Errorf("rule %s is not registered", code)
		}
	}
}
