package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestLoadOnefileOrgLock runs loads in-process while the test holds the organisation's lock, as
// another load would: a load is refused with exit 2, sends nothing and says who holds it,
// whether it knows the organisation from --org (refused before reading anything) or from the
// token (refused once the loader has found it); a dry run and an in-process sandbox need no lock.
func TestLoadOnefileOrgLock(t *testing.T) {
	seed := sandbox.DefaultSeed()
	seed.Organisations = seed.Organisations[:1] // the token sees one organisation: --org may be left out
	tests := []struct {
		name     string
		args     []string
		code     int
		refused  bool // stderr says who holds the lock; no report written before it
		reported bool // the refused load wrote its report (rows "not sent")
	}{
		{name: "--org given", args: []string{"--org", "5740"}, code: ExitCannotRun, refused: true},
		{name: "the organisation found from the token", code: ExitCannotRun, refused: true, reported: true},
		{name: "a dry run", args: []string{"--org", "5740", "--dry-run"}, code: ExitRejected}, // staffCSV has a row without a last name
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			box, url := startBox(t, sandbox.Config{CustomerToken: "tok", Seed: seed})
			dir := t.TempDir()
			state := filepath.Join(dir, "state", "ledger.db")
			led, err := ledger.Open(state)
			if err != nil {
				t.Fatal(err)
			}
			defer led.Close()
			lk, err := led.LockScope(ledger.Scope{APIRoot: url, Org: 5740})
			if err != nil {
				t.Fatal(err)
			}
			defer lk.Release()
			in := writeFile(t, dir, "staff.csv", staffCSV)
			report := filepath.Join(dir, "report")
			args := append([]string{"load", "onefile", "--url", url, "--state", state, "--report", report}, append(tc.args, in)...)
			code, _, stderr := bulkRun(t, map[string]string{app.TokenEnv: "tok"}, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr)
			}
			if n := box.Snapshot().Calls["POST /User"]; n != 0 {
				t.Errorf("%d users created while another load held the organisation", n)
			}
			if !tc.refused {
				return
			}
			for _, want := range []string{"another load into OneFile organisation 5740", url, "pid " + strconv.Itoa(os.Getpid()),
				"Nothing was sent by this run", "Wait for it to finish, or stop it", "kill " + strconv.Itoa(os.Getpid())} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "Loaded") {
				t.Errorf("a refused load printed a load summary:\n%s", stderr)
			}
			_, err = os.Stat(filepath.Join(report, "results.csv"))
			if !tc.reported {
				if !os.IsNotExist(err) {
					t.Errorf("a load refused before reading wrote its report (%v)", err)
				}
				return
			}
			if !strings.Contains(stderr, "(Northfield Training - Apprenticeships)") {
				t.Errorf("the organisation's name is known by then; stderr:\n%s", stderr)
			}
			for _, r := range readCSV(t, filepath.Join(report, "results.csv"))[1:] { // file,sheet,row,kind,action,status,onefile_id,message
				// Refused before anything was sent: the rows were not tried, so not failed.
				if r[5] != "rejected" && (r[5] != "skipped" || !strings.Contains(r[7], "another load")) {
					t.Errorf("results.csv row %s: %s %q, want skipped: not sent", r[2], r[5], r[7])
				}
			}
			if runs, _ := led.Runs(t.Context(), 0); len(runs) != 0 {
				t.Errorf("the refused load was recorded as a run: %+v", runs)
			}
		})
	}
}

// TestLoadOnefileSandboxTakesNoLock: --sandbox loads into a OneFile living in this process only,
// which no other load can reach, so it takes no lock (none appears beside its ledger).
func TestLoadOnefileSandboxTakesNoLock(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state", "ledger.db")
	in := writeFile(t, dir, "staff.csv", staffCSV)
	code, _, stderr := bulkRun(t, nil, "load", "onefile", "--sandbox", "--state", state, "--report", filepath.Join(dir, "r"), in)
	if code != ExitRejected { // staffCSV has one row without a last name
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "locks")); !os.IsNotExist(err) {
		t.Errorf("a sandbox load made a lock folder (%v)", err)
	}
}

// TestE2EOneLoadPerOrganisation is the proof with two real bulk processes against a
// `bulk sandbox onefile` process: while one load sends to an organisation, a second one (the
// same file plus a row of its own, as a data officer's manual load beside the nightly job) is
// refused at once with exit 2 and sends nothing. Once the first has finished, or has been
// killed mid-load with SIGKILL, the second gets the lock and completes, and every user is on
// OneFile exactly once.
func TestE2EOneLoadPerOrganisation(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	for _, kill := range []bool{false, true} {
		name := "after the first finishes"
		if kill {
			name = "after the first is killed"
		}
		t.Run(name, func(t *testing.T) {
			const token = "e2e-lock-token"
			url := startSandboxProcess(t, bin, token, "--latency", "40ms", "--rate-limit", "off")
			client, err := api.New(api.Config{BaseURL: url, CustomerToken: token, RatePerMinute: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			dir := t.TempDir()
			const n = 150 // about 3 s at 40 ms a call and 2 workers: long enough to be caught mid-load
			var b strings.Builder
			b.WriteString("Role,FirstName,LastName,Email,MISID\n")
			for i := range n {
				fmt.Fprintf(&b, "5,First%d,Last%d,staff%d@northfield.example,LCK-%03d\n", i, i, i, i)
			}
			first := writeFile(t, dir, "nightly.csv", b.String())
			second := writeFile(t, dir, "manual.csv", b.String()+"5,Only,Second,only.second@northfield.example,ONLY-2ND\n")
			state := filepath.Join(dir, "state", "ledger.db")
			load := func(in, report string) (*exec.Cmd, *bytes.Buffer) {
				cmd := exec.Command(bin, "load", "onefile", "--url", url, "--org", "5740", "--state", state, "--concurrency", "2",
					"--rate", "100000", "--report", filepath.Join(dir, report), in)
				cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
				var errb bytes.Buffer
				cmd.Stderr = &errb
				return cmd, &errb
			}
			count := func(prefix string) int {
				k := 0
				for m, c := range onefileUsers(t, client) {
					if strings.HasPrefix(m, prefix) {
						k += c
					}
				}
				return k
			}

			one, oneErr := load(first, "r1")
			if err := one.Start(); err != nil {
				t.Fatal(err)
			}
			defer one.Process.Kill()
			deadline := time.Now().Add(60 * time.Second)
			for count("LCK-") < 10 {
				if time.Now().After(deadline) {
					t.Fatalf("the first load did not get going; stderr:\n%s", oneErr)
				}
				time.Sleep(20 * time.Millisecond)
			}

			two, twoErr := load(second, "r2")
			start := time.Now()
			err = two.Run()
			took := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != ExitCannotRun {
				t.Fatalf("the second load while the first runs: %v, want exit %d\n%s", err, ExitCannotRun, twoErr)
			}
			for _, want := range []string{"another load into OneFile organisation 5740", "pid " + strconv.Itoa(one.Process.Pid),
				"load onefile", "nightly.csv", "Nothing was sent by this run", "Wait for it to finish, or stop it"} {
				if !strings.Contains(twoErr.String(), want) {
					t.Errorf("the refusal lacks %q:\n%s", want, twoErr)
				}
			}
			if one.ProcessState != nil {
				t.Fatalf("the first load ended before the second was refused: the test proves nothing\n%s", oneErr)
			}
			if count("ONLY-") != 0 {
				t.Error("the refused load created its own row")
			}
			if _, err := os.Stat(filepath.Join(dir, "r2")); !os.IsNotExist(err) {
				t.Errorf("the refused load wrote a report (%v)", err)
			}
			t.Logf("refused in %s", took)

			if kill {
				if err := one.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				one.Wait()
				if c := count("LCK-"); c >= n {
					t.Fatalf("killed after %d of %d users: not mid-load", c, n)
				}
			} else if err := one.Wait(); err != nil {
				t.Fatalf("the first load: %v\n%s", err, oneErr)
			}

			again, againErr := load(second, "r2")
			if err := again.Run(); err != nil {
				t.Fatalf("the second load, run again: %v\n%s", err, againErr)
			}
			if kill && !strings.Contains(againErr.String(), "pid "+strconv.Itoa(one.Process.Pid)) {
				t.Errorf("the re-run does not say the killed load (pid %d) stopped without finishing:\n%s", one.Process.Pid, againErr)
			}
			seen := onefileUsers(t, client)
			for i := range n {
				if m := fmt.Sprintf("LCK-%03d", i); seen[m] != 1 {
					t.Errorf("%s is on OneFile %d times", m, seen[m])
				}
			}
			if seen["ONLY-2ND"] != 1 {
				t.Errorf("ONLY-2ND is on OneFile %d times", seen["ONLY-2ND"])
			}
		})
	}
}
