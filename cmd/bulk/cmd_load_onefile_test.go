package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// bulkRun runs the command line in-process with the given environment.
func bulkRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := run(args, a)
	return code, out.String(), errb.String()
}

func startBox(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	t.Helper()
	s := sandbox.New(cfg)
	url, shutdown, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	})
	return s, url
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(reportText(t, path))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// reportText is a CSV report's text after its UTF-8 byte order mark, which it must have: Excel
// on Windows reads a CSV file without one in the ANSI code page.
func reportText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text, ok := strings.CutPrefix(string(b), report.BOM)
	if !ok {
		t.Errorf("%s does not start with a UTF-8 byte order mark: %q", path, b[:min(len(b), 8)])
	}
	return text
}

const staffCSV = "Role,FirstName,LastName,Email,MISID,PlacementID\n" +
	"5,Ada,Stone,ada.stone@northfield.example,NEW-S1,\n" +
	"10,Ian,Quill,ian.quill@northfield.example,NEW-S2,\n" +
	"5,No,,no.last@northfield.example,NEW-S3,\n" +
	"5,Priya,Shah,priya.shah@northfield.example,STF-001,\n"

func TestLoadOnefileCannotStart(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", staffCSV)
	_, url := startBox(t, sandbox.Config{CustomerToken: "right-token"})
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no target", nil, []string{in}, "give one of --url, --env or --sandbox"},
		{"two targets", nil, []string{"--env", "beta", "--sandbox", in}, "give one of"},
		{"no token", nil, []string{"--env", "beta", in}, "no OneFile customer token"},
		{"bad env", map[string]string{app.TokenEnv: "x"}, []string{"--env", "prod", in}, `--env "prod"`},
		{"bad mode", map[string]string{app.TokenEnv: "x"}, []string{"--env", "beta", "--mode", "merge", in}, "--mode"},
		{"live unattended", map[string]string{app.TokenEnv: "x"}, []string{"--env", "live", "--org", "1", in}, "nobody is here to confirm"},
		{"wrong token", map[string]string{app.TokenEnv: "wrong-token"}, []string{"--url", url, "--state", filepath.Join(dir, "l.db"), "--report", filepath.Join(dir, "r"), in}, "customer token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := bulkRun(t, tt.env, append([]string{"load", "onefile"}, tt.args...)...)
			if code != ExitCannotRun || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, ExitCannotRun, tt.want)
			}
			if strings.Contains(stdout+stderr, "wrong-token") {
				t.Error("the token appears in the output")
			}
		})
	}
}

// TestLoadOnefileReport loads into a sandbox through the command line and checks the report
// files: results.csv exactly, rejects with the api rule, private credentials, no secrets.
func TestLoadOnefileReport(t *testing.T) {
	dir := t.TempDir()
	// Row 6 is valid to validation but OneFile refuses it: placement 999 does not exist.
	in := writeFile(t, dir, "staff.csv", staffCSV+"40,Erin,Boss,erin@cobalt.example,NEW-E1,999\n")
	box, url := startBox(t, sandbox.Config{CustomerToken: "tok-123456"})
	rep := filepath.Join(dir, "report")
	state := filepath.Join(dir, "ledger.db")
	env := map[string]string{app.TokenEnv: "tok-123456"}
	code, stdout, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--state", state, "--report", rep, in)
	if code != ExitRejected {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitRejected, stderr)
	}
	got := readCSV(t, filepath.Join(rep, "results.csv"))
	want := [][]string{
		{"file", "sheet", "row", "kind", "action", "status", "onefile_id", "message"},
		{"staff.csv", "", "2", "onefile-users", "create", "ok"},
		{"staff.csv", "", "3", "onefile-users", "create", "ok"},
		{"staff.csv", "", "4", "onefile-users", "reject", "rejected"},
		{"staff.csv", "", "5", "onefile-users", "exists", "skipped", "1001"},
		{"staff.csv", "", "6", "onefile-users", "create", "failed"},
	}
	if len(got) != len(want) || !slices.Equal(got[0], want[0]) {
		t.Fatalf("results.csv:\n%v", got)
	}
	for i := 1; i < len(want); i++ {
		if !slices.Equal(got[i][:len(want[i])], want[i]) {
			t.Errorf("results line %d = %v, want prefix %v", i, got[i], want[i])
		}
	}
	if got[1][6] == "" || !strings.Contains(got[5][7], "PlacementID 999") {
		t.Errorf("results: id %q, failure message %q", got[1][6], got[5][7])
	}
	rejects := readCSV(t, filepath.Join(rep, "rejects.csv"))
	var rules []string
	for _, r := range rejects[1:] {
		rules = append(rules, r[2]+":"+r[5])
	}
	if !slices.Equal(rules, []string{"4:required", "6:api"}) {
		t.Errorf("rejects rules %v", rules)
	}
	fi, err := os.Stat(filepath.Join(rep, "credentials.csv"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials.csv: %v, mode %v", err, fi)
	}
	creds := readCSV(t, filepath.Join(rep, "credentials.csv"))
	if len(creds) != 3 || creds[1][6] == "" {
		t.Fatalf("credentials: %v", creds)
	}
	// Secrets: the passwords only in credentials.csv; the token and session nowhere.
	outputs := stdout + stderr
	for _, name := range []string{"results.csv", "rejects.csv", "summary.json"} {
		b, _ := os.ReadFile(filepath.Join(rep, name))
		outputs += string(b)
	}
	for _, c := range creds[1:] {
		if strings.Contains(outputs, c[6]) {
			t.Errorf("a password appears outside credentials.csv")
		}
	}
	if strings.Contains(outputs, "tok-123456") {
		t.Error("the customer token appears in the output")
	}
	var sum map[string]any
	b, _ := os.ReadFile(filepath.Join(rep, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum["load"] == nil {
		t.Errorf("summary.json has no load section: %s", b)
	}
	if n := len(box.Snapshot().Users); n != 7+2 {
		t.Errorf("sandbox holds %d users, want 9", n)
	}

	// The ledger lists the run; a second run sends nothing new.
	code, stdout, _ = bulkRun(t, nil, "runs", "--state", state)
	if code != 0 || !strings.Contains(stdout, url) || !strings.Contains(stdout, "failed") {
		t.Errorf("bulk runs: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = bulkRun(t, nil, "runs", "show", "1", "--state", state)
	if code != 0 || !strings.Contains(stdout, "NEW-S1") && !strings.Contains(stdout, "create") {
		t.Errorf("bulk runs show 1: exit %d\n%s", code, stdout)
	}
	before := box.Snapshot().Calls["POST /User"]
	code, _, stderr = bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--state", state, "--report", rep, in)
	if code != ExitRejected || box.Snapshot().Calls["POST /User"] != before+1 { // only the refused row again
		t.Errorf("second run: exit %d, %d creates; stderr:\n%s", code, box.Snapshot().Calls["POST /User"]-before, stderr)
	}
}

// TestLoadOnefileSandbox is the README's first command on a file of staff.
func TestLoadOnefileSandbox(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", "Role,FirstName,LastName,Email,MISID\n5,Ada,Stone,ada@x.example,S1\n")
	code, stdout, stderr := bulkRun(t, map[string]string{"HOME": dir}, "load", "onefile", "--sandbox", "--report", filepath.Join(dir, "r"), in)
	if code != 0 || !strings.Contains(stdout, "Sandbox holds 8 users") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".local")); err == nil {
		t.Error("a sandbox load left a ledger in the home folder")
	}
}

// TestLoadOnefileDryRun: the command reports what it would do and sends nothing.
func TestLoadOnefileDryRun(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", staffCSV)
	box, url := startBox(t, sandbox.Config{CustomerToken: "t"})
	code, _, stderr := bulkRun(t, map[string]string{app.TokenEnv: "t"}, "load", "onefile", "--url", url, "--org", "5740", "--dry-run",
		"--state", filepath.Join(dir, "l.db"), "--report", filepath.Join(dir, "r"), in)
	if code != ExitRejected { // row 4 is rejected by validation
		t.Errorf("exit %d; %s", code, stderr)
	}
	if n := box.Snapshot().Calls["POST /User"]; n != 0 {
		t.Errorf("dry run created %d users", n)
	}
	got := readCSV(t, filepath.Join(dir, "r", "results.csv"))
	var acts []string
	for _, r := range got[1:] {
		acts = append(acts, r[4]+"/"+r[5])
	}
	if want := []string{"create/skipped", "create/skipped", "reject/rejected", "exists/skipped"}; !slices.Equal(acts, want) {
		t.Errorf("actions %v, want %v", acts, want)
	}
	if !strings.Contains(stderr, "Dry run") {
		t.Errorf("stderr: %s", stderr)
	}
	_ = load.ActCreate
	_ = fmt.Sprint
}

// TestLoadOnefileSample is the README's first command on the shipped sample workbook: it loads
// what is valid into the in-process sandbox, and results.csv has a line for every row read.
func TestLoadOnefileSample(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "r")
	code, stdout, stderr := bulkRun(t, map[string]string{"HOME": dir}, "load", "onefile", "--sandbox", "--report", rep, "../../samples/term-start.xlsx")
	if code != ExitRejected || !strings.Contains(stdout, "Sandbox holds") || strings.Contains(stdout, "duplicate") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var sum struct {
		RowsRead     int64 `json:"rows_read"`
		RowsRejected int64 `json:"rows_rejected"`
	}
	b, _ := os.ReadFile(filepath.Join(rep, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	res := readCSV(t, filepath.Join(rep, "results.csv"))
	byStatus := map[string]int64{}
	for _, r := range res[1:] {
		byStatus[r[5]]++
	}
	if int64(len(res)-1) != sum.RowsRead || byStatus["rejected"] != sum.RowsRejected || byStatus["failed"] != 0 || byStatus["ok"] == 0 {
		t.Errorf("results %v for %d rows read, %d rejected", byStatus, sum.RowsRead, sum.RowsRejected)
	}
}

// TestLoadOnefileReturnsReport: once validation has made the run's report, the load
// returns it with whatever error ends the run (a nightly run reads the outcome from it), and
// the report it returns is the one written to the report folder; before that, no report.
func TestLoadOnefileReturnsReport(t *testing.T) {
	in := writeFile(t, t.TempDir(), "staff.csv", staffCSV) // row 4 fails validation
	_, url := startBox(t, sandbox.Config{CustomerToken: "right-token"})
	tests := []struct {
		name   string
		token  string
		target func(o *app.LoadOnefileOptions)
		code   int
		report bool
	}{
		{"a row rejected", "", func(o *app.LoadOnefileOptions) { o.Sandbox = true }, ExitRejected, true},
		{"the load stopped after validating", "wrong-token", func(o *app.LoadOnefileOptions) { o.URL, o.Org = url, 5740 }, ExitCannotRun, true},
		{"stopped before validating", "", func(o *app.LoadOnefileOptions) {}, ExitCannotRun, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := app.LoadOnefileOptions{InputOptions: app.InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "report"), DateOrder: "dmy", Quiet: true},
				Mode: "create", Concurrency: 2, Rate: app.SandboxRate, Drain: time.Second, State: filepath.Join(dir, "ledger.db")}
			tc.target(&o)
			var stderr bytes.Buffer
			a := &App{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
				Getenv: func(k string) string { return map[string]string{app.TokenEnv: tc.token}[k] }}
			out, err := loadOnefile(context.Background(), a, o)
			if code := exitCodeOf(err); err == nil || code != tc.code {
				t.Fatalf("err %v (exit %d), want exit %d\n%s", err, code, tc.code, stderr.String())
			}
			if (out != nil) != tc.report {
				t.Fatalf("report returned: %v, want %v", out != nil, tc.report)
			}
			if out == nil {
				return
			}
			c := out.Report.Counts()
			if c.Read != 4 || c.Rejected != 1 || c.Valid != 3 {
				t.Errorf("the returned report counts %+v, want 4 read, 1 rejected", c)
			}
			var s map[string]any
			b, _ := os.ReadFile(filepath.Join(o.ReportDir, "summary.json"))
			if err := json.Unmarshal(b, &s); err != nil || s["rows_read"] != float64(c.Read) || s["rows_rejected"] != float64(c.Rejected) {
				t.Errorf("summary.json (%v) says %v read, %v rejected; the returned report %+v", err, s["rows_read"], s["rows_rejected"], c)
			}
		})
	}
}

// TestLoadOnefileUnchanged: rows the run's Keep filter holds back (a nightly run's diffing:
// unchanged since the last run) are said to be unchanged, not "already there" on OneFile (which
// nobody asked), and a load where every valid row is unchanged says there was nothing to load.
func TestLoadOnefileUnchanged(t *testing.T) {
	const header = "FirstName,LastName,Email,MISID,Role,DefaultAssessorID,ClassroomID,PlacementID\n"
	ann := "Ann,Lee,ann@learner.example,UN-1,1,1001,101,201\n"
	bo := "Bo,Ng,bo@learner.example,UN-2,1,1001,101,201\n"
	bad := "Cy,Lo,not-an-email,UN-3,1,1001,101,201\n"
	sam := "Sam,Carter,sam.carter@learner.example,L-0001,1,1001,101,201\n" // on OneFile (the seed)
	tests := []struct {
		name    string
		rows    string
		keep    func(*pipeline.Row) bool
		code    int
		want    string
		creates int
	}{
		{"every row unchanged", sam, func(*pipeline.Row) bool { return false }, ExitOK,
			"Nothing to load: the 1 valid row is unchanged since the last run. Results: ", 0},
		{"a row rejected, the other unchanged", bad + sam, func(*pipeline.Row) bool { return false }, ExitRejected,
			"Nothing to load: 1 row was rejected and the other valid row is unchanged since the last run. Fix the rejected rows in ", 0},
		{"one new, one unchanged", ann + sam, func(r *pipeline.Row) bool { return r.Rec.Row == 2 }, ExitOK,
			"1 created, 0 updated, 0 assigned, 0 already there, 0 rejected, 0 failed, 0 skipped, 1 unchanged since the last run (", 1},
		// Bo was never loaded: "unchanged" by the state, but not on OneFile, so loaded (defect 2).
		{"one new, one unchanged but gone from OneFile", ann + bo, func(r *pipeline.Row) bool { return r.Rec.Row == 2 }, ExitOK,
			"2 created, 0 updated, 0 assigned, 0 already there, 0 rejected, 0 failed, 0 skipped, 1 sent before but no longer on OneFile (loaded again) (", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			box, url := startBox(t, sandbox.Config{})
			dir := t.TempDir()
			in := writeFile(t, dir, "learners.csv", header+tc.rows)
			var stdout, stderr bytes.Buffer
			a := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
				return map[string]string{app.TokenEnv: box.CustomerToken()}[k]
			}}
			o := app.LoadOnefileOptions{InputOptions: app.InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "report"), Keep: tc.keep}, URL: url, Org: 5740,
				Mode: "upsert", Concurrency: 2, Rate: 60000, State: filepath.Join(dir, "ledger.db")}
			before := box.Snapshot().Calls["POST /User"]
			_, err := loadOnefile(context.Background(), a, o)
			if code := exitCodeOf(err); err != nil && code != tc.code || err == nil && tc.code != ExitOK {
				t.Fatalf("error %v, want exit %d\n%s", err, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
			if got := box.Snapshot().Calls["POST /User"] - before; got != tc.creates {
				t.Errorf("%d users created, want %d", got, tc.creates)
			}
		})
	}
}

// exitCodeOf is the exit status bulk ends with for err.
func exitCodeOf(err error) int {
	code, _, _ := exitStatus(context.Background(), err)
	return code
}
