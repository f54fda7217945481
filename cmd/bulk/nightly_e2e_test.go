package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/nightly"
)

// nightlyFixture is a job that sends a folder's learner exports to a OneFile sandbox on loopback.
type nightlyFixture struct {
	t        *testing.T
	dir, in  string
	job      string
	url      string // the sandbox's API root
	env      map[string]string
	box      *sandbox.Server
	drops    int
	learners [][]string
}

func newNightlyFixture(t *testing.T, n int, extraJob string) *nightlyFixture {
	t.Helper()
	box := sandbox.New(sandbox.Config{})
	url, stop, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	dir := t.TempDir()
	f := &nightlyFixture{t: t, dir: dir, in: filepath.Join(dir, "in"), job: filepath.Join(dir, "job.yaml"), box: box, url: url,
		env: map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state"), "XDG_STATE_HOME": filepath.Join(dir, "xdg"), "NIGHTLY_TOKEN": box.CustomerToken()}}
	os.MkdirAll(f.in, 0o755)
	job := fmt.Sprintf(`name: learners
inputs: {folder: in, glob: "*.csv", settle: 1s}
kind: onefile-users
target: {type: onefile, url: %q, organisation: 5740, token_env: NIGHTLY_TOKEN, rate: 60000, concurrency: 4}
%s`, url, extraJob)
	os.WriteFile(f.job, []byte(job), 0o644)
	for i := 0; i < n; i++ {
		f.learners = append(f.learners, []string{"Learner", fmt.Sprintf("Number%03d", i), fmt.Sprintf("l%03d@learner.example", i),
			fmt.Sprintf("NL-%03d", i), "1", "1001", "101", "201", ""})
	}
	return f
}

// drop writes the learners (or the first n of them) as a settled export.
func (f *nightlyFixture) drop(n int) {
	f.t.Helper()
	f.drops++
	var b strings.Builder
	b.WriteString("FirstName,LastName,Email,MISID,Role,DefaultAssessorID,ClassroomID,PlacementID,MobileNumber\n")
	for _, l := range f.learners[:n] {
		b.WriteString(strings.Join(l, ",") + "\n")
	}
	p := filepath.Join(f.in, fmt.Sprintf("export-%d.csv", f.drops))
	os.WriteFile(p, []byte(b.String()), 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(p, old, old)
}

func (f *nightlyFixture) run(args ...string) (int, string) {
	f.t.Helper()
	code, _, stderr := runBulk(f.t, f.env, args...)
	return code, stderr
}

func TestNightlySendsOnlyChanges(t *testing.T) {
	f := newNightlyFixture(t, 500, "")
	f.drop(500)
	if code, stderr := f.run("run", "--once", f.job); code != 0 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	before := f.box.Snapshot()
	if got := before.UsersByRole[1]; got != 501 { // 500 + the seed's learner
		t.Fatalf("after the first night the sandbox holds %d learners, want 501", got)
	}
	// The second export changes 3 of the 500.
	for _, i := range []int{7, 250, 499} {
		f.learners[i][1] += "-Smith"
	}
	f.drop(500)
	if code, stderr := f.run("run", "--once", "--log-format", "json", f.job); code != 0 {
		t.Fatalf("second night: exit %d\n%s", code, stderr)
	}
	after := f.box.Snapshot()
	updates := after.Calls["POST /User/{id}"] - before.Calls["POST /User/{id}"]
	creates := after.Calls["POST /User"] - before.Calls["POST /User"]
	if updates != 3 || creates != 0 {
		t.Fatalf("second night sent %d updates and %d creates, want 3 and 0", updates, creates)
	}
	done, _ := filepath.Glob(filepath.Join(f.in, "archive", "done", "*-export-*.csv"))
	if len(done) != 2 {
		t.Errorf("archive/done holds %v", done)
	}
	st, _ := nightly.OpenState(filepath.Join(f.dir, "state", "nightly.db"))
	defer st.Close()
	runs, _ := st.Runs(10)
	if len(runs) != 2 || runs[0].Summary["sent"] != float64(3) || runs[0].Summary["skipped_unchanged"] != float64(497) {
		t.Fatalf("run history: %+v", runs)
	}
	// The second run's report: every row has its line in results.csv, the unchanged ones
	// skipped, and summary.json's counts add up with the skipped rows among the valid ones.
	rep := filepath.Join(f.in, "archive", "reports", runs[0].ID)
	outcomes := map[string]int{}
	for _, r := range readCSV(t, filepath.Join(rep, "results.csv"))[1:] { // file,sheet,row,kind,action,status,onefile_id,message
		if r[5] == "skipped" && !strings.Contains(r[7], "unchanged") {
			t.Errorf("row %s skipped for %q", r[2], r[7])
		}
		outcomes[r[4]+"/"+r[5]]++
	}
	if want := map[string]int{"exists/skipped": 497, "update/ok": 3}; !maps.Equal(outcomes, want) {
		t.Errorf("results.csv outcomes %v, want %v", outcomes, want)
	}
	var sum map[string]any
	if b, err := os.ReadFile(filepath.Join(rep, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	for k, want := range map[string]float64{"rows_read": 500, "rows_valid": 500, "rows_rejected": 0, "sent": 3, "skipped_unchanged": 497} {
		if sum[k] != want {
			t.Errorf("summary.json %s = %v, want %v", k, sum[k], want)
		}
	}
}

// TestNightlySkippedCounts: summary.json's skipped_unchanged is what the report counted as held
// back by diffing, so the counts add up (rows_read = rows_valid + rows_rejected, rows_valid =
// sent + skipped_unchanged): an unchanged row that strict mode rejects for a warning is
// rejected, not skipped, and --full skips nothing.
func TestNightlySkippedCounts(t *testing.T) {
	tests := []struct {
		name   string
		strict bool // the second night's job only; the first sends every row
		args   []string
		code   int
		want   map[string]float64
	}{
		{"unchanged rows are skipped", false, nil, ExitOK,
			map[string]float64{"rows_read": 3, "rows_valid": 3, "rows_rejected": 0, "sent": 0, "skipped_unchanged": 3}},
		{"strict: an unchanged row with a warning is rejected, not skipped", true, nil, ExitRejected,
			map[string]float64{"rows_read": 3, "rows_valid": 2, "rows_rejected": 1, "sent": 0, "skipped_unchanged": 2}},
		{"--full sends every row and skips none", false, []string{"--full"}, ExitOK,
			map[string]float64{"rows_read": 3, "rows_valid": 3, "rows_rejected": 0, "sent": 3, "skipped_unchanged": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newNightlyFixture(t, 3, "")
			f.learners[1][8] = "7700900123" // a mobile that lost its 0: a warning
			f.drop(3)
			if code, stderr := f.run("run", "--once", f.job); code != 0 {
				t.Fatalf("first night: exit %d\n%s", code, stderr)
			}
			if tc.strict {
				job, _ := os.ReadFile(f.job)
				os.WriteFile(f.job, append(job, "strict: true\n"...), 0o644)
			}
			f.drop(3)
			if code, stderr := f.run(append(append([]string{"run", "--once"}, tc.args...), f.job)...); code != tc.code {
				t.Fatalf("second night: exit %d, want %d\n%s", code, tc.code, stderr)
			}
			st, _ := nightly.OpenState(filepath.Join(f.dir, "state", "nightly.db"))
			defer st.Close()
			runs, _ := st.Runs(10)
			if len(runs) != 2 {
				t.Fatalf("run history: %+v", runs)
			}
			var sum map[string]any
			b, err := os.ReadFile(filepath.Join(f.in, "archive", "reports", runs[0].ID, "summary.json"))
			if err != nil || json.Unmarshal(b, &sum) != nil {
				t.Fatalf("summary.json: %v\n%s", err, b)
			}
			for k, want := range tc.want {
				if sum[k] != want {
					t.Errorf("summary.json %s = %v, want %v", k, sum[k], want)
				}
				if runs[0].Summary[k] != want {
					t.Errorf("run history %s = %v, want %v", k, runs[0].Summary[k], want)
				}
			}
		})
	}
}

func TestNightlyHoldsTruncatedExportThenApproves(t *testing.T) {
	f := newNightlyFixture(t, 40, "")
	f.drop(40)
	if code, stderr := f.run("run", "--once", f.job); code != 0 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	f.learners[3][1] = "Changed"
	f.drop(20) // half the rows: a truncated export, with one real change in it
	before := f.box.Snapshot()
	code, stderr := f.run("run", "--once", f.job)
	if code != ExitHeld || !strings.Contains(stderr, "20 of 40 known rows are missing") {
		t.Fatalf("truncated export: exit %d, want %d\n%s", code, ExitHeld, stderr)
	}
	if f.box.Snapshot().Calls["POST /User/{id}"] != before.Calls["POST /User/{id}"] {
		t.Fatal("a held run sent updates")
	}
	// The held run's history says what a sent run's does: nothing sent, and the 19 rows of the
	// 20 that diffing found unchanged (the other is the change).
	st, _ := nightly.OpenState(filepath.Join(f.dir, "state", "nightly.db"))
	runs, _ := st.Runs(1)
	st.Close()
	if len(runs) != 1 || runs[0].Status != "held" || runs[0].Summary["sent"] != float64(0) || runs[0].Summary["skipped_unchanged"] != float64(19) {
		t.Errorf("the held run's history: %+v", runs)
	}
	held, _ := filepath.Glob(filepath.Join(f.in, "archive", "held", "*-export-2.csv"))
	if len(held) != 1 {
		t.Fatalf("archive/held holds %v", held)
	}
	runID := strings.TrimSuffix(filepath.Base(held[0]), "-export-2.csv")
	if code, stderr = f.run("approve", "--yes", runID); code != 0 {
		t.Fatalf("approve: exit %d\n%s", code, stderr)
	}
	if got := f.box.Snapshot().Calls["POST /User/{id}"] - before.Calls["POST /User/{id}"]; got != 1 {
		t.Fatalf("approving sent %d updates, want the 1 change", got)
	}
}

func TestNightlyRefusesOverlappingRun(t *testing.T) {
	f := newNightlyFixture(t, 3, "")
	f.drop(3)
	lock, err := nightly.Acquire(filepath.Join(f.in, "archive", "learners.lock"))
	if err != nil {
		os.MkdirAll(filepath.Join(f.in, "archive"), 0o755)
		if lock, err = nightly.Acquire(filepath.Join(f.in, "archive", "learners.lock")); err != nil {
			t.Fatal(err)
		}
	}
	defer lock.Release()
	code, stderr := f.run("run", "--once", f.job)
	if code != ExitCannotRun || !strings.Contains(stderr, "another run of this job is in progress") {
		t.Fatalf("overlapping run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(f.in, "export-1.csv")); err != nil {
		t.Fatal("the refused run touched the input file")
	}
}

func TestNightlyHistory(t *testing.T) {
	f := newNightlyFixture(t, 5, "")
	f.drop(5)
	if code, stderr := f.run("run", "--once", f.job); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runBulk(t, f.env, "runs", "--nightly")
	if code != 0 || !strings.Contains(stdout, "learners") || !strings.Contains(stdout, "done") {
		t.Fatalf("bulk runs --nightly: exit %d\n%s%s", code, stdout, stderr)
	}
	id := strings.Fields(strings.Split(stdout, "\n")[1])[0]
	code, stdout, _ = runBulk(t, f.env, "runs", "show", id)
	if code != 0 || !strings.Contains(stdout, "Status:  done") || !strings.Contains(stdout, `"sent": 5`) {
		t.Fatalf("bulk runs show %s: exit %d\n%s", id, code, stdout)
	}
}

func TestNightlyExportSendsOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	os.MkdirAll(in, 0o755)
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte("name: history\ninputs: {folder: in, settle: 1s}\nkind: training-history\ntarget: {type: export, folder: out}\n"), 0o644)
	env := map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state")}
	rows := []string{"jsmith,HS-101,05/09/2026 09:00,Completed,HS101-A", "ajones,HS-101,05/09/2026 09:00,Completed,HS101-A", "bkhan,FA-200,06/09/2026 09:00,Active,FA200-B"}
	drop := func(n int) {
		body := "USERID,LEARNINGID,STARTDATE,STUDENTSTATUS,SESSIONCODE\n" + strings.Join(rows, "\n") + "\n"
		p := filepath.Join(in, fmt.Sprintf("history-%d.csv", n))
		os.WriteFile(p, []byte(body), 0o644)
		old := time.Now().Add(-time.Minute)
		os.Chtimes(p, old, old)
	}
	payloadRows := func() []int {
		files, _ := filepath.Glob(filepath.Join(out, "history-*.csv"))
		var n []int
		for _, f := range files {
			b, _ := os.ReadFile(f)
			n = append(n, strings.Count(strings.TrimSpace(string(b)), "\n")) // lines after the header
		}
		return n
	}
	drop(1)
	if code, _, stderr := runBulk(t, env, "run", "--once", job); code != 0 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	rows[2] = "bkhan,FA-200,06/09/2026 09:00,Completed,FA200-B" // one record completed since
	drop(2)
	if code, _, stderr := runBulk(t, env, "run", "--once", job); code != 0 {
		t.Fatalf("second night: exit %d\n%s", code, stderr)
	}
	if got := payloadRows(); len(got) != 2 || got[0]+got[1] != 4 || (got[0] != 1 && got[1] != 1) {
		t.Fatalf("payload data rows per night = %v, want 3 then 1", got)
	}
}

// TestNightlyPeopleFluentUnchanged: a second night with the same export sends the LMS nothing
// and is a good run, saying nothing on stderr about rows failing checks they passed.
func TestNightlyPeopleFluentUnchanged(t *testing.T) {
	srv, base, keyFile := loadPFSandbox(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte(fmt.Sprintf("name: completions\ninputs: {folder: in, settle: 1s}\nkind: training-history\ntarget: {type: peoplefluent, base: %q, key_file: %q}\n", base, keyFile)), 0o644)
	env := map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state")}
	for night := 1; night <= 2; night++ {
		p := filepath.Join(in, fmt.Sprintf("completions-%d.csv", night))
		os.WriteFile(p, []byte("User ID,Learning ID,Completion Date,Status,Action\nJSmith,HS-101,05/09/2026,Completed,A\nmlee,FIRE-01,06/09/2026,Pass,A\n"), 0o644)
		old := time.Now().Add(-time.Minute)
		os.Chtimes(p, old, old)
		before := srv.Stats().Rows["trainingHistoryCsv"]
		code, _, stderr := runBulk(t, env, "run", "--once", job)
		if code != 0 || strings.Contains(stderr, "no row passed the checks") {
			t.Fatalf("night %d: exit %d\n%s", night, code, stderr)
		}
		want := map[int]int{1: 2, 2: 0}[night]
		if got := srv.Stats().Rows["trainingHistoryCsv"] - before; got != want {
			t.Errorf("night %d sent the LMS %d rows, want %d", night, got, want)
		}
	}
	done, _ := filepath.Glob(filepath.Join(in, "archive", "done", "*-completions-*.csv"))
	if len(done) != 2 {
		t.Errorf("archive/done holds %v", done)
	}
	// The push was recorded in the job's state folder, so a night killed mid-push resumes it.
	if _, err := os.Stat(filepath.Join(dir, "state", pushledger.FileName)); err != nil {
		t.Errorf("no push ledger in the job's state folder: %v", err)
	}
}

// TestNightlyRejectedRowsAreReported: a row OneFile's checks reject ends the load with
// ExitRejected; the nightly target still hands back the report, so the run records what was
// sent, files the input under archive/failed and exits 1 (not "could not run").
func TestNightlyRejectedRowsAreReported(t *testing.T) {
	f := newNightlyFixture(t, 5, "")
	f.learners[2][2] = "not-an-email"
	f.drop(5)
	if code, stderr := f.run("run", "--once", f.job); code != ExitRejected {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRejected, stderr)
	}
	failed, _ := filepath.Glob(filepath.Join(f.in, "archive", "failed", "*-export-1.csv"))
	if len(failed) != 1 {
		t.Errorf("archive/failed holds %v", failed)
	}
	st, _ := nightly.OpenState(filepath.Join(f.dir, "state", "nightly.db"))
	defer st.Close()
	runs, _ := st.Runs(10)
	if len(runs) != 1 {
		t.Fatalf("run history: %+v", runs)
	}
	s := runs[0].Summary
	if runs[0].Status != "failed" || s["rows_read"] != float64(5) || s["rows_rejected"] != float64(1) || s["rows_valid"] != float64(4) || s["sent"] != float64(4) {
		t.Errorf("run %s: %v", runs[0].Status, s)
	}
}

// TestNightlyOrganisationBusy: a nightly OneFile run while another load (a data officer's, by
// hand) holds the organisation's lock sends nothing, exits 2, and leaves its file in
// processing/, where the next run takes it up and sends it.
func TestNightlyOrganisationBusy(t *testing.T) {
	f := newNightlyFixture(t, 3, "")
	f.drop(3)
	led, err := ledger.Open(filepath.Join(f.env["XDG_STATE_HOME"], "bulk", "ledger.db")) // the ledger the job's target uses
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	lk, err := led.LockScope(ledger.Scope{APIRoot: f.url, Org: 5740})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := f.run("run", "--once", f.job)
	if code != ExitCannotRun || !strings.Contains(stderr, "another load into OneFile organisation 5740") {
		t.Fatalf("a run while the organisation is busy: exit %d, want %d\n%s", code, ExitCannotRun, stderr)
	}
	if n := f.box.Snapshot().Calls["POST /User"]; n != 0 {
		t.Errorf("%d users created while the organisation was busy", n)
	}
	if left, _ := filepath.Glob(filepath.Join(f.in, "processing", "*-export-1.csv")); len(left) != 1 {
		t.Errorf("processing/ holds %v, want the file left for the next run", left)
	}
	if failed, _ := filepath.Glob(filepath.Join(f.in, "archive", "failed", "*")); len(failed) != 0 {
		t.Errorf("archive/failed holds %v", failed)
	}
	st, _ := nightly.OpenState(filepath.Join(f.dir, "state", "nightly.db"))
	runs, _ := st.Runs(1)
	st.Close()
	if len(runs) != 1 || runs[0].Status != "busy" {
		t.Errorf("run history %+v, want the run busy", runs)
	}

	lk.Release()
	if code, stderr := f.run("run", "--once", f.job); code != 0 || !strings.Contains(stderr, "resuming") {
		t.Fatalf("the next run: exit %d\n%s", code, stderr)
	}
	if got := f.box.Snapshot().UsersByRole[1]; got != 4 { // 3 + the seed's learner
		t.Errorf("the sandbox holds %d learners, want 4", got)
	}
	if done, _ := filepath.Glob(filepath.Join(f.in, "archive", "done", "*-export-1.csv")); len(done) != 1 {
		t.Errorf("archive/done holds %v", done)
	}
}

// TestNightlyPeopleFluentUserAndMonthNames: a job file's target.user is the system user name sent
// (the sandbox takes only its admin user), and month_names: true writes 05-Sep-2026 dates.
func TestNightlyPeopleFluentUserAndMonthNames(t *testing.T) {
	srv, base, keyFile := loadPFSandbox(t, func(s *pfsandbox.Server) { s.AdminUser, s.KeepBodies = "lms.admin", true })
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte(fmt.Sprintf("name: completions\ninputs: {folder: in, settle: 1s}\nkind: training-history\n"+
		"target: {type: peoplefluent, base: %q, key_file: %q, user: lms.admin, month_names: true}\n", base, keyFile)), 0o644)
	p := filepath.Join(in, "completions.csv")
	os.WriteFile(p, []byte("User ID,Learning ID,Completion Date,Status\nJSmith,HS-101,05/09/2026 09:00,Completed\n"), 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(p, old, old)
	if code, _, stderr := runBulk(t, map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state")}, "run", "--once", job); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	bodies := srv.Bodies(peoplefluent.TrainingHistoryCSV)
	if len(bodies) != 1 || !strings.Contains(string(bodies[0]), "jsmith,HS-101,05-Sep-2026 09:00,Completed") {
		t.Fatalf("the LMS received %q", bodies)
	}
	if srv.TrainingRecords() != 1 || srv.Stats().AuthFails != 0 {
		t.Errorf("%d records, %d auth failures", srv.TrainingRecords(), srv.Stats().AuthFails)
	}
}
