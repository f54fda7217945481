package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

const loadPFKey = "load-pf-test-KEY-5e21"

// loadPFSandbox serves bulk's PeopleFluent sandbox on a free loopback port and returns it, its
// base URL and a key file for it. setup, when given, configures it before it starts.
func loadPFSandbox(t *testing.T, setup ...func(*sandbox.Server)) (*sandbox.Server, string, string) {
	t.Helper()
	srv := sandbox.New(peoplefluent.NewSecret(loadPFKey), sandbox.DefaultSeed())
	// expRun gives the command an empty environment, so the push ledger's default place is
	// under $HOME: a temporary one, so that tests never write to the real home and never
	// resume each other's pushes.
	t.Setenv("HOME", t.TempDir())
	for _, f := range setup {
		f(srv)
	}
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the sandbox: %v", err)
		}
	})
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(loadPFKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, base, keyFile
}

// rejectsByRow reads rejects.csv into "row rule" strings.
func rejectsByRow(t *testing.T, dir string) []string {
	t.Helper()
	recs, err := csv.NewReader(expOpen(t, filepath.Join(dir, "rejects.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs[1:] { // file,sheet,row,column,value,rule,severity,message
		out = append(out, r[2]+" "+r[5])
	}
	return out
}

// TestLoadPeopleFluentTraining: validation rejects one row, the LMS refuses one and warns about
// another; every outcome lands on its input row, and the counts add up.
func TestLoadPeopleFluentTraining(t *testing.T) {
	srv, base, keyFile := loadPFSandbox(t)
	dir := t.TempDir()
	in := expWriteFile(t, dir, "completions.csv", "User ID,Learning ID,Completion Date,Status,Action\n"+
		"JSmith,HS-101,05/09/2026,Completed,A\n"+ // row 2: loaded
		"broken.user,HS-101,05/09/2026,Completed,A\n"+ // row 3: the LMS refuses it
		"odd.user,HS-101,05/09/2026,Completed,A\n"+ // row 4: the LMS warns
		"adoe,HS-101,31/02/2026,Completed,A\n"+ // row 5: rejected by bulk, never sent
		"mlee,FIRE-01,06/09/2026,Pass,A\n") // row 6: loaded
	rep := filepath.Join(dir, "report")
	code, stderr := expRun(t, "load", "peoplefluent", "training-history", in, "--base", base, "--key-file", keyFile, "--report", rep)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := strings.Join(rejectsByRow(t, rep), ", ")
	if want := "3 lms-failed, 4 lms-warning, 5 date"; got != want {
		t.Errorf("rejects.csv rows %q, want %q", got, want)
	}
	s := expReadSummary(t, rep)
	if s.RowsRead != 5 || s.RowsRejected != 2 || s.RowsValid != 3 {
		t.Errorf("counts %+v: want 5 read, 2 rejected (one by bulk, one by the LMS), 3 valid", s)
	}
	if n := srv.TrainingRecords(); n != 3 {
		t.Errorf("the LMS holds %d training records, want 3 (jsmith, odd.user, mlee)", n)
	}
	payload, err := os.ReadFile(filepath.Join(rep, "payload-training-history.csv"))
	if err != nil || strings.Contains(string(payload), "adoe") || !strings.Contains(string(payload), "jsmith") {
		t.Errorf("payload (err %v):\n%s", err, payload)
	}
	if _, err := os.Stat(filepath.Join(rep, "results.csv")); err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr, loadPFKey) {
		t.Error("the key was printed")
	}
}

// TestLoadPeopleFluentCourses loads the courses sample: its valid modules and sessions reach the
// LMS as courses.xml; its mistakes stay in the report.
func TestLoadPeopleFluentCourses(t *testing.T) {
	srv, base, keyFile := loadPFSandbox(t)
	rep := filepath.Join(t.TempDir(), "report")
	code, stderr := expRun(t, "load", "peoplefluent", "courses", expSample("courses.csv"), "--base", base, "--key-file", keyFile, "--report", rep)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if st := srv.Stats(); st.Loaded["courses"] != 1 || st.Rejected["courses"] != 0 {
		t.Errorf("sandbox stats %+v:\n%s", st, stderr)
	}
	for _, r := range rejectsByRow(t, rep) {
		if strings.HasSuffix(r, "lms-failed") {
			t.Errorf("the LMS refused courses.xml: %s\n%s", r, stderr)
		}
	}
}

// TestLoadPeopleFluentCoursesFailed: when the LMS fails courses.xml as a whole (here every
// request is answered 500, and a courses post is never replayed), each row in the document is
// reported failed on its input row.
func TestLoadPeopleFluentCoursesFailed(t *testing.T) {
	_, base, keyFile := loadPFSandbox(t, func(s *sandbox.Server) { s.ErrorShare = 1 })
	dir := t.TempDir()
	in := expWriteFile(t, dir, "c.csv", "ModuleID,ModuleTitle,ModuleType,SessionCode,SessionStart,SessionEnd\n"+
		"M-1,One,classroom,S1,05/09/2026 09:00,05/09/2026 10:00\n"+
		"M-1,One,classroom,S2,06/09/2026 09:00,06/09/2026 10:00\n"+
		"M-2,Two,exam,,,\n")
	rep := filepath.Join(dir, "report")
	code, stderr := expRun(t, "load", "peoplefluent", "courses", in, "--base", base, "--key-file", keyFile, "--report", rep)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got, want := strings.Join(rejectsByRow(t, rep), ", "), "2 lms-failed, 3 lms-failed, 4 lms-failed"; got != want {
		t.Errorf("rejects %q, want %q", got, want)
	}
	if s := expReadSummary(t, rep); s.RowsRead != 3 || s.RowsRejected != 3 {
		t.Errorf("counts %+v", s)
	}
}

func TestLoadPeopleFluentCannotStart(t *testing.T) {
	_, base, keyFile := loadPFSandbox(t)
	dir := t.TempDir()
	in := expWriteFile(t, dir, "in.csv", "Action,UserId,Title\nA,jsmith,T\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"load", "peoplefluent", "external-training", in, "--base", base}, app.PFKeyEnv},
		{"no base", []string{"load", "peoplefluent", "external-training", in, "--key-file", keyFile}, "base"},
		{"bad base", []string{"load", "peoplefluent", "external-training", in, "--base", "ftp://lms", "--key-file", keyFile}, "ftp"},
		{"bad kind", []string{"load", "peoplefluent", "onefile-users", in, "--base", base, "--key-file", keyFile}, "cannot be exported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r")
			code, stderr := expRun(t, append(tc.args, "--report", rep)...)
			if code != ExitCannotRun || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d:\n%s\nwant exit 2 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(rep, "payload-external-training.csv")); err == nil {
				t.Error("a load that could not start wrote a payload")
			}
		})
	}
}

// TestGoldenPayloadsPassTheSandbox: the sandbox checks payload formats as the LMS does (dates,
// codes, lengths); with any user and module accepted, every row of each golden payload must load,
// except updates and deletes of records the fresh sandbox does not hold. This ties the two
// helpers' readings of the vendor tables together.
func TestGoldenPayloadsPassTheSandbox(t *testing.T) {
	_, base, keyFile := loadPFSandbox(t, func(s *sandbox.Server) {
		s.Seed.AnyUser, s.Seed.AnyModule = true, true
		s.Seed.Facilities = append(s.Seed.Facilities, "LDN-HQ", "MAN-2")
	})
	for _, tc := range []struct{ endpoint, file, action string }{
		{"trainingHistoryCsv", "../../formats/trainingcsv/testdata/training-history.payload.csv", "ACTION"},
		{"externalTrainingCsv", "../../formats/externalcsv/testdata/external-training.payload.csv", "Action"},
		{"courses", "../../formats/coursesxml/testdata/courses-csv.golden.xml", ""},
		{"courses", "../../formats/coursesxml/testdata/courses-xlsx.golden.xml", ""},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			rep := t.TempDir()
			code, stderr := expRun(t, "push", "peoplefluent", "--base", base, "--endpoint", tc.endpoint, "--key-file", keyFile, "--report", rep, tc.file)
			if code != ExitOK && code != ExitRejected {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var actions []string // payload row (from 2) → its action
			if tc.action != "" {
				recs, err := csv.NewReader(expOpen(t, tc.file)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				col := -1
				for i, h := range recs[0] {
					if h == tc.action {
						col = i
					}
				}
				for _, r := range recs[1:] {
					actions = append(actions, r[col])
				}
			}
			results, err := csv.NewReader(expOpen(t, filepath.Join(rep, "results.csv"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results[1:] { // file,row,status,message
				if r[2] == peoplefluent.StatusOK {
					continue
				}
				if r[2] == peoplefluent.StatusWarning && strings.Contains(r[3], "the score was not recorded") {
					continue // a SCORE on an online row: the export warns about the same row (ignored-value)
				}
				row := 0
				fmt.Sscan(r[1], &row)
				if row >= 2 && row-2 < len(actions) && (actions[row-2] == "U" || actions[row-2] == "D") && r[2] == peoplefluent.StatusFailed {
					continue // an update of a record this fresh LMS has never had
				}
				t.Errorf("row %s %s: %s", r[1], r[2], r[3])
			}
		})
	}
}

// TestLoadPeopleFluentReturnsReport: once the export has made the run's report, run returns it
// with whatever error ends the run (a nightly run reads the outcome from it); before that, no
// report.
func TestLoadPeopleFluentReturnsReport(t *testing.T) {
	_, base, keyFile := loadPFSandbox(t)
	wrongKey := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongKey, []byte("not-the-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := expWriteFile(t, t.TempDir(), "completions.csv", "User ID,Learning ID,Completion Date,Status,Action\n"+
		"JSmith,HS-101,05/09/2026,Completed,A\n"+ // loaded
		"broken.user,HS-101,05/09/2026,Completed,A\n"+ // the LMS refuses it
		"adoe,HS-101,31/02/2026,Completed,A\n") // rejected by bulk, never sent
	tests := []struct {
		name     string
		keyFile  string
		code     int
		rejected int64 // in the returned report; -1: no report
	}{
		{"rows rejected by bulk and by the LMS", keyFile, ExitRejected, 2},
		{"the push stopped after exporting (a wrong key): every row sent failed", wrongKey, ExitCannotRun, 3},
		{"stopped before exporting", filepath.Join(t.TempDir(), "absent"), ExitCannotRun, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "report")
			o := app.LoadPeopleFluentOptions{ExportOptions: app.ExportOptions{KindName: "training-history",
				InputOptions: app.InputOptions{Files: []string{in}, ReportDir: dir, DateOrder: "dmy", Quiet: true}},
				Base: base, KeyFile: tc.keyFile, ChunkRows: peoplefluent.DefaultChunkRows}
			o.State = filepath.Join(t.TempDir(), "pushes.db") // each case its own push
			var stderr bytes.Buffer
			a := &App{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
			out, err := loadPF(context.Background(), a, o)
			var rep *report.Report
			if out != nil {
				rep = out.Export.Report
			}
			if code := exitCodeOf(err); err == nil || code != tc.code {
				t.Fatalf("err %v (exit %d), want exit %d\n%s", err, code, tc.code, stderr.String())
			}
			if (rep != nil) != (tc.rejected >= 0) {
				t.Fatalf("report returned: %v, want %v", rep != nil, tc.rejected >= 0)
			}
			if rep == nil {
				return
			}
			if c := rep.Counts(); c.Read != 3 || c.Rejected != tc.rejected {
				t.Errorf("the returned report counts %+v, want 3 read, %d rejected", c, tc.rejected)
			}
			if s := expReadSummary(t, dir); s.RowsRead != 3 || s.RowsRejected != tc.rejected {
				t.Errorf("summary.json %+v, want it to say what the returned report says", s)
			}
		})
	}
}

// TestLoadPeopleFluentNothingToPush: when no row reaches the payload, the message says why. Rows
// the run's Keep filter holds back (a nightly run's diffing: unchanged since the last run) are
// valid: a run where every row is unchanged is a good run, and -q keeps it silent.
func TestLoadPeopleFluentNothingToPush(t *testing.T) {
	good := []string{"JSmith,HS-101,05/09/2026,Completed,A", "mlee,FIRE-01,06/09/2026,Pass,A"}
	bad := "adoe,HS-101,31/02/2026,Completed,A" // 31 February: rejected by bulk
	unchanged := func(*pipeline.Row) bool { return false }
	tests := []struct {
		name     string
		rows     []string
		keep     func(*pipeline.Row) bool
		quiet    bool
		wantErr  bool
		want     string // on stderr ("" with quiet: nothing at all)
		wantNote string // also on stderr, when set
	}{
		{"every row unchanged", good, unchanged, false, false, "Nothing to push: all 2 valid rows are unchanged since the last run.", ""},
		{"every row unchanged, quiet", good, unchanged, true, false, "", ""},
		{"the only row unchanged", good[:1], unchanged, false, false, "Nothing to push: the 1 valid row is unchanged since the last run.", ""},
		{"a row rejected, the others unchanged", append([]string{bad}, good...), unchanged, true, true,
			"Nothing to push: 1 row was rejected and the other 2 valid rows are unchanged since the last run.", "Fix the rejected rows in REPORT/rejects.xlsx "},
		{"every row rejected", []string{bad}, nil, true, true, "Nothing to push: no row passed the checks.", "Fix the rows in REPORT/rejects.xlsx "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, base, keyFile := loadPFSandbox(t)
			dir := t.TempDir()
			in := expWriteFile(t, dir, "completions.csv", "User ID,Learning ID,Completion Date,Status,Action\n"+strings.Join(tc.rows, "\n")+"\n")
			var stdout, stderr bytes.Buffer
			a := newApp(strings.NewReader(""), &stdout, &stderr)
			a.Getenv = func(string) string { return "" }
			o := app.LoadPeopleFluentOptions{ExportOptions: app.ExportOptions{KindName: "training-history",
				InputOptions: app.InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "report"), DateOrder: "dmy",
					Quiet: tc.quiet, Keep: tc.keep}}, Base: base, KeyFile: keyFile, ChunkRows: 100, Retries: 1}
			out, err := loadPF(context.Background(), a, o)
			var rep *report.Report
			if out != nil {
				rep = out.Export.Report
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v\n%s", err, tc.wantErr, stderr.String())
			}
			if err != nil && exitCodeOf(err) != ExitRejected {
				t.Errorf("exit %d, want %d", exitCodeOf(err), ExitRejected)
			}
			if rep == nil {
				t.Fatal("no report")
			}
			if c := rep.Counts(); c.Read != int64(len(tc.rows)) || c.Read != c.Valid+c.Rejected || c.Skipped > c.Valid {
				t.Errorf("counts %+v", c)
			}
			got := stderr.String()
			if tc.want == "" && got != "" {
				t.Errorf("-q printed:\n%s", got)
			}
			// The rejects file named is the workbook the report wrote, as the OneFile loader says.
			note := strings.ReplaceAll(tc.wantNote, "REPORT", filepath.Join(dir, "report"))
			if !strings.Contains(got, tc.want) || !strings.Contains(got, note) {
				t.Errorf("stderr lacks %q %q:\n%s", tc.want, note, got)
			}
			if n := srv.Stats().Requests; len(n) != 0 {
				t.Errorf("the LMS was sent %v", n)
			}
		})
	}
}

// TestLoadPeopleFluentSystemUser: an LMS set up with an admin user (the sandbox's --admin-user)
// refuses the default system user name, and the error says which name was sent and where to set
// it; --user or BULK_PF_USER gets the load through.
func TestLoadPeopleFluentSystemUser(t *testing.T) {
	srv, base, keyFile := loadPFSandbox(t, func(s *sandbox.Server) { s.AdminUser = "lms.admin" })
	in := expWriteFile(t, t.TempDir(), "in.csv", "User ID,Learning ID,Completion Date,Status\r\njsmith,HS-101,05/09/2026,passed\r\n")
	load := func(env map[string]string, extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		a := newApp(strings.NewReader(""), &stdout, &stderr)
		a.Getenv = func(k string) string { return env[k] }
		args := append([]string{"load", "peoplefluent", "training-history", in, "--base", base, "--key-file", keyFile, "--report", t.TempDir()}, extra...)
		return run(args, a), stderr.String()
	}
	code, stderr := load(nil)
	if code != ExitCannotRun || !strings.Contains(stderr, `system user "bulk"`) || !strings.Contains(stderr, "--user") {
		t.Fatalf("default user: exit %d\n%s", code, stderr)
	}
	if srv.TrainingRecords() != 0 {
		t.Fatal("rows loaded with a user the LMS refused")
	}
	if code, stderr := load(nil, "--user", "lms.admin"); code != ExitOK {
		t.Fatalf("--user: exit %d\n%s", code, stderr)
	}
	if code, stderr := load(map[string]string{"BULK_PF_USER": "LMS.Admin"}, "--push-again"); code != ExitOK {
		t.Fatalf("BULK_PF_USER: exit %d\n%s", code, stderr)
	}
	if code, stderr := load(nil, "--user", "a:b"); code != ExitCannotRun || !strings.Contains(stderr, "colon") {
		t.Fatalf("a user name with a colon: exit %d\n%s", code, stderr)
	}
}
