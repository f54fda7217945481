package nightly

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// onefileFixture is a OneFile job against a sandbox on loopback, notifying a webhook of done runs.
func onefileFixture(t *testing.T, extra string) (*runnerFixture, *hook) {
	t.Helper()
	box := sandbox.New(sandbox.Config{})
	url, stop, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stop(ctx)
	})
	h := newHook(t, 0)
	f := newRunnerFixture(t, "")
	writeFile(t, filepath.Join(f.dir, "token"), box.CustomerToken())
	writeFile(t, f.job, fmt.Sprintf(`name: learners-nightly
inputs: {folder: in, settle: 1s}
kind: onefile-users
state: %s
target: {type: onefile, url: %q, organisation: 5740, token_file: token, rate: 60000}
notify: {webhook: '%s/hook', on: [done, failed, held, busy]}
%s`, f.state, url, h.URL, extra))
	return f, h
}

func (f *runnerFixture) dropLearners(ids ...int) {
	f.t.Helper()
	f.drops++
	var b strings.Builder
	b.WriteString("FirstName,LastName,Email,MISID,Role,DefaultAssessorID,ClassroomID,PlacementID\n")
	for _, i := range ids {
		fmt.Fprintf(&b, "Zebedee%03d,Quixfarnsworth,zq%03d@personal.example,ZQ-%03d,Learner,1001,101,201\n", i, i, i)
	}
	p := filepath.Join(f.in, fmt.Sprintf("learners-%d.csv", f.drops))
	writeFile(f.t, p, b.String())
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		f.t.Fatal(err)
	}
}

// TestCredentialsKeptPrivately: the logins of the users a nightly OneFile run creates go to the
// job's credentials folder (0700, a folder per run), never under the archive or the reports;
// the log, the history and the notification say where, and a run's logins older than
// credentials.keep are removed by a later run.
func TestCredentialsKeptPrivately(t *testing.T) {
	fastWebhook(t)
	f, h := onefileFixture(t, "credentials: {folder: private/creds, keep: 2d}\n")
	f.dropLearners(1, 2, 3)
	if k := f.run(RunOptions{}); k != app.OK {
		t.Fatalf("run: %v\n%s", k, f.logbuf.String())
	}
	runs := f.runs()
	if len(runs) != 1 {
		t.Fatalf("history %+v", runs)
	}
	folder := filepath.Join(f.dir, "private", "creds")
	want := filepath.Join(folder, runs[0].ID, "credentials.csv")
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("no logins where the job keeps them: %v\n%s", err, f.logbuf.String())
	}
	if n := strings.Count(strings.TrimSpace(string(b)), "\n"); n != 3 {
		t.Errorf("%d logins kept, want 3:\n%s", n, b)
	}
	for _, p := range []string{folder, filepath.Dir(want)} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want mode 0700", p, err, st.Mode())
		}
	}
	// Nothing named credentials anywhere under the input folder (archive, reports, processing).
	_ = filepath.WalkDir(f.in, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "credentials") {
			t.Errorf("logins under the input folder: %s", p)
		}
		return nil
	})
	if runs[0].Summary["credentials"] != want {
		t.Errorf("the history says credentials %v, want %s", runs[0].Summary["credentials"], want)
	}
	if log := f.logbuf.String(); !strings.Contains(log, "credentials="+want) || !strings.Contains(log, "3 new, 0 changed, 0 rejected; sent 3 in ") ||
		!strings.Contains(log, "new logins in "+want) {
		t.Errorf("the log does not say where the logins are:\n%s", log)
	}
	bodies := h.got()
	var e Event
	if len(bodies) != 1 || json.Unmarshal(bodies[0], &e) != nil || e.Status != "done" || e.Credentials != want || e.Counts.Sent != 3 {
		t.Errorf("notification %s", bodies)
	}
	for _, p := range []string{"Zebedee", "Quixfarnsworth", "personal.example", "ZQ-00"} {
		if strings.Contains(string(bodies[0]), p) {
			t.Errorf("the notification holds %q", p)
		}
	}

	// Three days on, the first run's logins are past keep: 2d and go; the new run's stay.
	old := time.Now().Add(-72 * time.Hour)
	if err := os.Chtimes(filepath.Dir(want), old, old); err != nil {
		t.Fatal(err)
	}
	f.dropLearners(1, 2, 3, 4)
	if k := f.run(RunOptions{}); k != app.OK {
		t.Fatalf("second run: %v\n%s", k, f.logbuf.String())
	}
	if _, err := os.Stat(filepath.Dir(want)); !os.IsNotExist(err) {
		t.Errorf("logins older than keep are still there: %v", err)
	}
	ents, _ := os.ReadDir(folder)
	if len(ents) != 1 {
		t.Errorf("credentials folder holds %d runs, want the second's only", len(ents))
	}
}

// TestCredentialsFolderChecked: a credentials folder inside the archive or the reports is refused.
func TestCredentialsFolderChecked(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"credentials: {folder: in/archive/creds}\n", "inside the job's archive folder"},
		{"report: reports\ncredentials: {folder: reports}\n", "inside the job's report folder"},
		{"credentials: {keep: soon}\n", `"soon" is not a duration`},
	} {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "in"), 0o755)
		writeFile(t, filepath.Join(dir, "token"), "t")
		p := filepath.Join(dir, "job.yaml")
		writeFile(t, p, "inputs: {folder: in}\ntarget: {type: onefile, env: beta, token_file: token}\n"+tt.yaml)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
