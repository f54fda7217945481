package nightly

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/pgtest"
)

// runnerFixture is an export job on a temporary folder: training records in, payloads out.
type runnerFixture struct {
	t              *testing.T
	dir, in, out   string
	job, state     string
	stderr, logbuf bytes.Buffer
	drops          int
}

const trainingHeader = "User ID,Learning ID,Completion Date,Status,Action\n"

func newRunnerFixture(t *testing.T, extra string) *runnerFixture {
	t.Helper()
	return newRunnerFixtureIn(t, extra, "")
}

// newRunnerFixtureIn is newRunnerFixture with the job's state at state (a postgres:// URL), or
// in its folder when state is "".
func newRunnerFixtureIn(t *testing.T, extra, state string) *runnerFixture {
	t.Helper()
	dir := t.TempDir()
	if state == "" {
		state = filepath.Join(dir, "state.db")
	}
	f := &runnerFixture{t: t, dir: dir, in: filepath.Join(dir, "in"), out: filepath.Join(dir, "out"),
		job: filepath.Join(dir, "job.yaml"), state: state}
	if err := os.MkdirAll(f.in, 0o755); err != nil {
		t.Fatal(err)
	}
	job := fmt.Sprintf("name: training\ninputs: {folder: in, settle: 1s}\nkind: training-history\nstate: %s\ntarget: {type: export, folder: out}\n%s", f.state, extra)
	if err := os.WriteFile(f.job, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// onBothStates runs a runner test with the job's state in both places it may be, as subtests:
// a file, and a PostgreSQL database (state: postgres://..., with a password the test cluster,
// trusting loopback, does not check, and that must appear nowhere in the job's output).
func onBothStates(t *testing.T, extra string, test func(*testing.T, *runnerFixture)) {
	const secret = "job-s3cret"
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			state := ""
			if b.Name != "sqlite" {
				u, err := url.Parse(b.Place(t, ""))
				if err != nil {
					t.Fatal(err)
				}
				u.User = url.UserPassword(u.User.Username(), secret)
				state = u.String()
			}
			f := newRunnerFixtureIn(t, extra, state)
			test(t, f)
			if out := f.stderr.String() + f.logbuf.String(); strings.Contains(out, secret) {
				t.Errorf("the state's password is in the job's output:\n%s", out)
			}
		})
	}
}

// drop writes a settled export of rows (lines without the header).
func (f *runnerFixture) drop(rows ...string) {
	f.t.Helper()
	f.drops++
	p := filepath.Join(f.in, fmt.Sprintf("completions-%d.csv", f.drops))
	if err := os.WriteFile(p, []byte(trainingHeader+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		f.t.Fatal(err)
	}
}

func (f *runnerFixture) deps() app.Deps {
	return app.Deps{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &f.stderr, Getenv: func(string) string { return "" }}
}

func (f *runnerFixture) log() *slog.Logger { return slog.New(slog.NewTextHandler(&f.logbuf, nil)) }

func (f *runnerFixture) run(o RunOptions) app.Kind {
	f.t.Helper()
	return app.KindOf(RunJob(context.Background(), f.deps(), f.log(), f.job, o))
}

// payloadRows counts the data rows of every payload written so far, in the order written.
func (f *runnerFixture) payloadRows() []int {
	f.t.Helper()
	files, _ := filepath.Glob(filepath.Join(f.out, "training-*.csv"))
	var n []int
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.t.Fatal(err)
		}
		n = append(n, strings.Count(strings.TrimSpace(string(b)), "\n"))
	}
	return n
}

func (f *runnerFixture) runs() []Run {
	f.t.Helper()
	st, err := OpenState(f.state)
	if err != nil {
		f.t.Fatal(err)
	}
	defer st.Close()
	rs, err := st.Runs(100)
	if err != nil {
		f.t.Fatal(err)
	}
	return rs
}

var (
	jsmith = "JSmith,HS-101,05/09/2026,Completed,A"
	mlee   = "mlee,FIRE-01,06/09/2026,Pass,A"
	adoe   = "adoe,HS-101,07/09/2026,Completed,A"
	bad    = "adoe,GDPR-2026,31/02/2026,Completed,A" // 31 February: rejected
)

// TestRunnerSendsOnlyChanges: the first night exports every row, the second only the new one;
// each night's summary.json and history say what was read, sent and skipped, once.
func TestRunnerSendsOnlyChanges(t *testing.T) {
	onBothStates(t, "", testRunnerSendsOnlyChanges)
}

func testRunnerSendsOnlyChanges(t *testing.T, f *runnerFixture) {
	f.drop(jsmith, mlee)
	if k := f.run(RunOptions{}); k != app.OK {
		t.Fatalf("first night: %v\n%s", k, f.logbuf.String())
	}
	f.drop(jsmith, mlee, adoe)
	if k := f.run(RunOptions{}); k != app.OK {
		t.Fatalf("second night: %v\n%s", k, f.logbuf.String())
	}
	if got := f.payloadRows(); len(got) != 2 || got[0]+got[1] != 3 || (got[0] != 1 && got[1] != 1) {
		t.Errorf("payload rows per night %v, want 2 then 1", got)
	}
	runs := f.runs()
	if len(runs) != 2 {
		t.Fatalf("history %+v", runs)
	}
	last := runs[0] // newest first
	if last.Status != "done" || last.Summary["sent"] != float64(1) || last.Summary["skipped_unchanged"] != float64(2) || last.Summary["rows_read"] != float64(3) {
		t.Errorf("second night: %s %v", last.Status, last.Summary)
	}
	var sum map[string]any
	b, err := os.ReadFile(filepath.Join(last.Report, "summary.json"))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v %s", err, b)
	}
	if sum["run_id"] != last.ID || sum["sent"] != float64(1) || sum["held"] != false {
		t.Errorf("summary.json %v", sum)
	}
	if done, _ := filepath.Glob(filepath.Join(f.in, "archive", "done", "*")); len(done) != 2 {
		t.Errorf("archive/done holds %v", done)
	}
}

// TestRunnerHoldsThenApproves: a night over its thresholds writes no payload, files the input
// under held/ and says how to approve; Approve sends it as it stood and records both runs.
func TestRunnerHoldsThenApproves(t *testing.T) {
	onBothStates(t, "thresholds: {max_new: 1}\n", testRunnerHoldsThenApproves)
}

func testRunnerHoldsThenApproves(t *testing.T, f *runnerFixture) {
	f.drop(jsmith, mlee)
	if k := f.run(RunOptions{}); k != app.Held {
		t.Fatalf("2 new rows against max_new 1: %v, want held\n%s", k, f.logbuf.String())
	}
	if got := f.payloadRows(); len(got) != 0 {
		t.Errorf("a held run wrote payloads %v", got)
	}
	runs := f.runs()
	if len(runs) != 1 || runs[0].Status != "held" {
		t.Fatalf("history %+v", runs)
	}
	// The job keeps its own state: the printed command names the job file, so it works as printed.
	if want := "bulk approve " + f.job + " " + runs[0].ID; !strings.Contains(f.stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, f.stderr.String())
	}
	if b, err := os.ReadFile(filepath.Join(runs[0].Report, HeldFile)); err != nil || !strings.Contains(string(b), "2 new") || !strings.Contains(string(b), "No plan") {
		t.Errorf("held.txt: %v\n%s", err, b)
	}
	// Nobody at a terminal and no --yes: refused, nothing sent.
	if err := Approve(context.Background(), f.deps(), f.log(), ApproveOptions{Job: f.job, RunID: runs[0].ID}); app.KindOf(err) != app.CannotRun || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("approve without --yes: %v", err)
	}
	if got := f.payloadRows(); len(got) != 0 {
		t.Errorf("a refused approval wrote payloads %v", got)
	}
	var sum map[string]any
	b, _ := os.ReadFile(filepath.Join(runs[0].Report, "summary.json"))
	if json.Unmarshal(b, &sum) != nil || sum["held"] != true || sum["held_because"] == nil {
		t.Errorf("the held report's summary.json: %s", b)
	}
	if err := Approve(context.Background(), f.deps(), f.log(), ApproveOptions{Job: f.job, RunID: runs[0].ID, Yes: true}); err != nil {
		t.Fatalf("approve: %v\n%s", err, f.logbuf.String())
	}
	if got := f.payloadRows(); len(got) != 1 || got[0] != 2 {
		t.Errorf("after approval, payloads %v, want one of 2 rows", got)
	}
	runs = f.runs()
	if len(runs) != 2 || runs[1].Status != "approved" || runs[0].Status != "done" {
		t.Errorf("history after approval: %s, %s", runs[0].Status, runs[1].Status)
	}
	if err := Approve(context.Background(), f.deps(), f.log(), ApproveOptions{State: f.state, RunID: runs[1].ID, Yes: true}); app.KindOf(err) != app.CannotRun || !strings.Contains(err.Error(), "not held") {
		t.Errorf("approving twice: %v", err)
	}
}

// TestRunnerRejectedRows: a night with a rejected row still exports the valid ones, files the
// input under failed/ and ends Rejected; the rejected row is not remembered, so it is new the
// next night.
func TestRunnerRejectedRows(t *testing.T) {
	f := newRunnerFixture(t, "")
	f.drop(jsmith, bad)
	if k := f.run(RunOptions{}); k != app.Rejected {
		t.Fatalf("%v, want rejected\n%s", k, f.logbuf.String())
	}
	if failed, _ := filepath.Glob(filepath.Join(f.in, "archive", "failed", "*")); len(failed) != 1 {
		t.Errorf("archive/failed holds %v", failed)
	}
	runs := f.runs()
	if s := runs[0].Summary; s["rows_rejected"] != float64(1) || s["sent"] != float64(1) {
		t.Errorf("summary %v", s)
	}
	if got := f.payloadRows(); len(got) != 1 || got[0] != 1 {
		t.Errorf("payloads %v", got)
	}
}

// TestRunJobRefuses: what is wrong before any file is claimed ends CannotRun with a hint, and
// --check reports a good job without running it.
func TestRunJobRefuses(t *testing.T) {
	f := newRunnerFixture(t, "")
	f.drop(jsmith)
	tests := []struct {
		name string
		job  string
		o    RunOptions
		want string
	}{
		{"no job file", filepath.Join(f.dir, "absent.yaml"), RunOptions{}, "Check the job file's path."},
		{"a zero interval", f.job, RunOptions{Watch: true}, "--interval 0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := RunJob(context.Background(), f.deps(), f.log(), tc.job, tc.o)
			var ae *app.Error
			if app.KindOf(err) != app.CannotRun || !errors.As(err, &ae) || !strings.Contains(ae.Error()+" "+ae.Hint, tc.want) {
				t.Errorf("%v, want CannotRun saying %q", err, tc.want)
			}
		})
	}
	var out bytes.Buffer
	d := f.deps()
	d.Stdout = &out
	if err := RunJob(context.Background(), d, f.log(), f.job, RunOptions{Check: true}); err != nil || !strings.Contains(out.String(), "is ready") {
		t.Errorf("--check: %v %q", err, out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(f.in, "*.csv")); len(left) != 1 {
		t.Errorf("--check claimed a file: %v", left)
	}
}

// TestRunnerCannotArchive: a run whose input cannot be filed is not done: it ends CannotRun
// (exit 2), is recorded failed with the reason, and its file stays in processing/, named in
// the log, for the next run (which sends nothing twice: the state remembers what was sent).
func TestRunnerCannotArchive(t *testing.T) {
	f := newRunnerFixture(t, "")
	f.drop(jsmith)
	// done/ cannot be made: a file has its name.
	if err := os.MkdirAll(filepath.Join(f.in, "archive"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.in, "archive", "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if k := f.run(RunOptions{}); k != app.CannotRun {
		t.Fatalf("%v, want cannot run\n%s", k, f.logbuf.String())
	}
	left, _ := filepath.Glob(filepath.Join(f.in, "processing", "*-completions-1.csv"))
	if len(left) != 1 {
		t.Fatalf("processing/ holds %v, want the file left there", left)
	}
	if !strings.Contains(f.logbuf.String(), "cannot archive the input") || !strings.Contains(f.logbuf.String(), left[0]) {
		t.Errorf("the log does not name the file left behind:\n%s", f.logbuf.String())
	}
	runs := f.runs()
	if len(runs) != 1 || runs[0].Status != "failed" || runs[0].Archive != left[0] ||
		!strings.Contains(fmt.Sprint(runs[0].Summary["error"]), "could not be filed") {
		t.Errorf("history %+v", runs)
	}
}

// TestCheckRefusesLockNames: a job whose name cannot name its lock file fails --check, saying
// why, instead of passing it and failing every night.
func TestCheckRefusesLockNames(t *testing.T) {
	tests := []struct{ name, want string }{
		{strings.Repeat("a", 240), "bytes long"},
		{"learners/2026", "a file name cannot"},
		{"..", "not a file name"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			f := newRunnerFixture(t, "")
			b, _ := os.ReadFile(f.job)
			os.WriteFile(f.job, []byte(strings.Replace(string(b), "name: training", fmt.Sprintf("name: %q", tc.name), 1)), 0o644)
			err := RunJob(context.Background(), f.deps(), f.log(), f.job, RunOptions{Check: true})
			if app.KindOf(err) != app.CannotRun || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "lock file") && tc.want == "bytes long" {
				t.Errorf("--check: %v, want CannotRun saying %q", err, tc.want)
			}
		})
	}
	f := newRunnerFixture(t, "")
	if err := RunJob(context.Background(), f.deps(), f.log(), f.job, RunOptions{Check: true}); err != nil {
		t.Errorf("a good name fails --check: %v", err)
	}
}
