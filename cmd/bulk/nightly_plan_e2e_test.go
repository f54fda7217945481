package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/nightly"
)

// binJob is a nightly job of staff rows run by the built binary against an in-process OneFile
// sandbox on loopback. The job keeps its own state (state: in the job file), as the issue's
// held-run defect needs.
type binJob struct {
	t          *testing.T
	bin, dir   string
	in, job    string
	state      string
	url, token string
	box        *sandbox.Server
	stop       func(context.Context) error
	env        []string
	drops      int
	staff      [][]string // FirstName, LastName, Email, MISID
}

func newBinJob(t *testing.T, bin string, n int) *binJob {
	t.Helper()
	dir := t.TempDir()
	f := &binJob{t: t, bin: bin, dir: dir, in: filepath.Join(dir, "in"), job: filepath.Join(dir, "learners.yaml"),
		state: filepath.Join(dir, "jobstate", "nightly.db")}
	f.serve("127.0.0.1:0")
	os.MkdirAll(f.in, 0o755)
	f.env = append(os.Environ(), "BULK_STATE_DIR="+filepath.Join(dir, "defaultstate"), "XDG_STATE_HOME="+filepath.Join(dir, "xdg"))
	for i := range n {
		f.staff = append(f.staff, []string{"Staff", fmt.Sprintf("Number%02d", i), fmt.Sprintf("s%02d@staff.example", i), fmt.Sprintf("ST-%02d", i)})
	}
	f.writeJob(5740, "")
	return f
}

// serve starts a fresh sandbox (the default seed) at addr: a restart at the same address is
// "a refreshed beta", the same target holding none of what was loaded into it.
func (f *binJob) serve(addr string) {
	f.t.Helper()
	if f.stop != nil {
		f.stop(context.Background())
		f.stop = nil
	}
	box := sandbox.New(sandbox.Config{})
	var url string
	var stop func(context.Context) error
	var err error
	for range 50 { // the port just closed may take a moment to be free again
		if url, stop, err = box.Start(addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	f.stop = stop
	f.t.Cleanup(func() {
		if f.stop != nil {
			f.stop(context.Background())
			f.stop = nil
		}
	})
	f.box, f.url, f.token = box, url, box.CustomerToken()
}

func (f *binJob) writeJob(org int, extra string) {
	f.t.Helper()
	job := fmt.Sprintf("name: learners\ninputs: {folder: in, settle: 1s}\nkind: onefile-users\nstate: %s\n"+
		"target: {type: onefile, url: %q, organisation: %d, token_env: NIGHTLY_TOKEN, rate: 60000}\n%s", f.state, f.url, org, extra)
	if err := os.WriteFile(f.job, []byte(job), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *binJob) drop() {
	f.t.Helper()
	f.drops++
	var b strings.Builder
	b.WriteString("FirstName,LastName,Email,MISID,Role\n")
	for _, s := range f.staff {
		b.WriteString(strings.Join(s, ",") + ",5\n")
	}
	p := filepath.Join(f.in, fmt.Sprintf("export-%d.csv", f.drops))
	os.WriteFile(p, []byte(b.String()), 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(p, old, old)
}

// run runs the built binary with no terminal on stdin; args starting with "sh" run a shell
// with the binary on its PATH as bulk.
func (f *binJob) run(args ...string) (int, string, string) {
	f.t.Helper()
	cmd := exec.Command(f.bin, args...)
	if args[0] == "sh" {
		cmd = exec.Command("/bin/sh", args[1:]...)
	}
	cmd.Env = append(f.env, "NIGHTLY_TOKEN="+f.token, // the sandbox's: a refreshed one has its own
		"PATH="+filepath.Dir(f.bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		f.t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func (f *binJob) calls(what string) int { return f.box.Snapshot().Calls[what] }

func (f *binJob) lastRun() nightly.Run {
	f.t.Helper()
	st, err := nightly.OpenState(f.state)
	if err != nil {
		f.t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(1)
	if err != nil || len(runs) != 1 {
		f.t.Fatalf("runs %v %v", runs, err)
	}
	return runs[0]
}

// TestBinNightlyStateKeyedByTarget (issue 10, defect 1): the same job pointed at another
// organisation sends every row there (exit 0); pointed back, unchanged rows are not sent.
func TestBinNightlyStateKeyedByTarget(t *testing.T) {
	f := newBinJob(t, buildBulk(t), 5)
	for i, step := range []struct {
		org     int
		creates int
	}{{5740, 5}, {5741, 5}, {5740, 0}, {5741, 0}} {
		f.writeJob(step.org, "")
		f.drop()
		before := f.calls("POST /User")
		if code, _, stderr := f.run("run", "--once", f.job); code != 0 {
			t.Fatalf("night %d (org %d): exit %d\n%s", i+1, step.org, code, stderr)
		}
		if got := f.calls("POST /User") - before; got != step.creates {
			t.Errorf("night %d (org %d): %d users created, want %d", i+1, step.org, got, step.creates)
		}
		r := f.lastRun()
		if r.Status != "done" || !strings.Contains(r.Target, fmt.Sprintf("org=%d", step.org)) || r.Summary["sent"] != float64(step.creates) {
			t.Errorf("night %d: %s %s %v", i+1, r.Status, r.Target, r.Summary)
		}
	}
}

// TestBinNightlyRefreshedTarget (issue 10, defect 2): 40 users loaded by a nightly job; the
// sandbox is started afresh at the same address (a refreshed beta, with the same state); the
// next run of the same file sends all 40 again, counted as not on the target, and remembers
// them, so the run after sends nothing.
func TestBinNightlyRefreshedTarget(t *testing.T) {
	f := newBinJob(t, buildBulk(t), 40)
	f.drop()
	if code, _, stderr := f.run("run", "--once", f.job); code != 0 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	f.serve(strings.TrimPrefix(strings.Split(strings.TrimPrefix(f.url, "http://"), "/")[0], "http://"))
	f.writeJob(5740, "") // the same URL: the same target key
	f.drop()
	code, _, stderr := f.run("run", "--once", f.job)
	if code != 0 {
		t.Fatalf("after the refresh: exit %d\n%s", code, stderr)
	}
	if got := f.calls("POST /User"); got != 40 {
		t.Fatalf("after the refresh %d users created, want all 40 (not \"39 unchanged\")", got)
	}
	r := f.lastRun()
	var sum map[string]any
	b, _ := os.ReadFile(filepath.Join(r.Report, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for name, s := range map[string]map[string]any{"history": r.Summary, "summary.json": sum} {
		diff, _ := s["diff"].(map[string]any)
		if s["sent"] != float64(40) || s["skipped_unchanged"] != float64(0) || diff["not_on_target"] != float64(40) || diff["unchanged"] != float64(0) || diff["new"] != float64(40) {
			t.Errorf("%s: sent %v, skipped %v, diff %v", name, s["sent"], s["skipped_unchanged"], diff)
		}
	}
	f.drop()
	if code, _, stderr := f.run("run", "--once", f.job); code != 0 {
		t.Fatalf("the night after: exit %d\n%s", code, stderr)
	}
	if got := f.calls("POST /User"); got != 40 {
		t.Errorf("the night after created %d more users", got-40)
	}
	if r := f.lastRun(); r.Summary["sent"] != float64(0) || r.Summary["skipped_unchanged"] != float64(40) {
		t.Errorf("the night after: %v", r.Summary)
	}
}

var approveLine = regexp.MustCompile(`(?m)send it with:\n  (bulk approve .+)$`)

// TestBinNightlyHeldPlan (issue 10, defect 6): a held run saves its plan and says what it would
// create and change; its printed approve command (the job keeps its own state) works as
// printed; without --yes and no terminal nothing is sent; a plan gone stale is not sent there.
func TestBinNightlyHeldPlan(t *testing.T) {
	bin := buildBulk(t)
	for _, stale := range []bool{false, true} {
		t.Run(fmt.Sprint("stale=", stale), func(t *testing.T) {
			f := newBinJob(t, bin, 6)
			f.drop()
			if code, _, stderr := f.run("run", "--once", f.job); code != 0 {
				t.Fatalf("first night: exit %d\n%s", code, stderr)
			}
			f.writeJob(5740, "thresholds: {max_changes: 1}\n")
			for _, i := range []int{1, 3, 4} {
				f.staff[i][1] += "-Changed"
			}
			f.staff = append(f.staff, []string{"New", "Starter", "new@staff.example", "ST-NEW"})
			f.drop()
			before := f.box.Snapshot().Calls
			code, _, stderr := f.run("run", "--once", f.job)
			if code != ExitHeld {
				t.Fatalf("3 changes against max_changes 1: exit %d\n%s", code, stderr)
			}
			after := f.box.Snapshot().Calls
			if after["POST /User"] != before["POST /User"] || after["POST /User/{id}"] != before["POST /User/{id}"] {
				t.Fatal("a held run sent something")
			}
			m := approveLine.FindStringSubmatch(stderr)
			if m == nil || !strings.Contains(m[1], f.job) {
				t.Fatalf("the held message names no approve command with the job file:\n%s", stderr)
			}
			held := f.lastRun()
			if held.Status != "held" || held.Plan == "" {
				t.Fatalf("held run %+v", held)
			}
			txt, err := os.ReadFile(filepath.Join(held.Report, nightly.HeldFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Would create", "New Starter (MISID ST-NEW)", "Would change", `LastName: "Number01" → "Number01-Changed"`, "1 to create, 3 to update, 3 unchanged"} {
				if !strings.Contains(string(txt), want) {
					t.Errorf("held.txt lacks %q:\n%s", want, txt)
				}
			}
			// The job's own state: bulk runs --nightly JOB.yaml lists the held run.
			if code, out, errs := f.run("runs", "--nightly", f.job); code != 0 || !strings.Contains(out, held.ID) || !strings.Contains(out, "held") {
				t.Errorf("runs --nightly JOB.yaml: exit %d\n%s%s", code, out, errs)
			}
			// As printed, by a shell that finds the built binary as bulk.
			shell := func(extra string) []string { return []string{"sh", "-c", m[1] + extra} }
			// No terminal, no --yes: exit 2, nothing sent.
			code, out, errs := f.run(shell("")...)
			if code != ExitCannotRun || !strings.Contains(errs, "--yes") || !strings.Contains(out, "Would change") {
				t.Errorf("approve without --yes: exit %d\n%s%s", code, out, errs)
			}
			if c := f.box.Snapshot().Calls; c["POST /User"] != before["POST /User"] || c["POST /User/{id}"] != before["POST /User/{id}"] {
				t.Fatal("an unconfirmed approval sent something")
			}
			if stale { // someone edits Number03's e-mail on OneFile between the hold and the approval
				c, err := api.New(api.Config{BaseURL: f.url, CustomerToken: f.token, RatePerMinute: -1})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				us, err := c.FindUsers(context.Background(), api.UserFilter{OrganisationID: 5740})
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					if u.MISID == "ST-03" {
						if err := c.UpdateUser(context.Background(), u.ID, api.UserUpdate{"Email": "edited@staff.example"}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			before = f.box.Snapshot().Calls
			code, out, errs = f.run(shell(" --yes")...)
			wantCode, wantUpdates, archive := ExitOK, 3, "done"
			if stale {
				wantCode, wantUpdates, archive = ExitRejected, 2, "failed"
			}
			after = f.box.Snapshot().Calls
			if code != wantCode || after["POST /User/{id}"]-before["POST /User/{id}"] != wantUpdates || after["POST /User"]-before["POST /User"] != 1 {
				t.Fatalf("approve --yes: exit %d (want %d), %d updates (want %d), %d creates\n%s%s", code, wantCode,
					after["POST /User/{id}"]-before["POST /User/{id}"], wantUpdates, after["POST /User"]-before["POST /User"], out, errs)
			}
			if stale && !strings.Contains(out, "1 stale") {
				t.Errorf("approve does not count the stale row:\n%s", out)
			}
			if got, _ := filepath.Glob(filepath.Join(f.in, "archive", archive, "*-export-2.csv")); len(got) != 1 {
				t.Errorf("archive/%s holds %v", archive, got)
			}
			// What was applied is remembered: the same file again sends only what did not go.
			f.writeJob(5740, "")
			f.drop()
			before = f.box.Snapshot().Calls
			if code, _, errs := f.run("run", "--once", f.job); code != 0 {
				t.Fatalf("the next night: exit %d\n%s", code, errs)
			}
			want := 0
			if stale {
				want = 1 // the stale row: its update never went (and now overwrites the edit: the file says so)
			}
			if got := f.box.Snapshot().Calls["POST /User/{id}"] - before["POST /User/{id}"]; got != want {
				t.Errorf("the next night sent %d updates, want %d", got, want)
			}
		})
	}
}
