package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// Tests for what a data officer ran into following the docs (the "tour").

func TestRunJobCheckRefusesUnknownKind(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	job := filepath.Join(dir, "job.yaml")
	os.WriteFile(job, []byte("name: x\ninputs: {folder: in}\nkind: onefile-user\n"), 0o644)
	for _, args := range [][]string{{"run", "--check", job}, {"run", "--once", job}} {
		code, stdout, stderr := runBulk(t, map[string]string{"BULK_STATE_DIR": filepath.Join(dir, "state")}, args...)
		if code != ExitCannotRun {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, ExitCannotRun, stdout, stderr)
		}
		for _, want := range []string{"job.yaml: kind", `"onefile-user"`, "Did you mean onefile-users?"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr does not say %q:\n%s", args, want, stderr)
			}
		}
	}
}

// The nightly "run finished" line counts rows after the target has spoken: valid + rejected =
// read, even when the load rejects a row validation passed (an assessor nobody has).
func TestNightlyCountsAddUpAfterLoadRejects(t *testing.T) {
	f := newNightlyFixture(t, 0, "")
	csv := "FirstName,LastName,Email,MISID,Role,DefaultAssessorMISID,ClassroomID,PlacementID\n" +
		"A,One,a1@learner.example,NL-1,1,STF-001,101,201\n" +
		"B,Two,b2@learner.example,NL-2,1,NOBODY-9,101,201\n" +
		"C,Three,c3@learner.example,NL-3,1,STF-002,101,201\n"
	p := filepath.Join(f.in, "export.csv")
	os.WriteFile(p, []byte(csv), 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(p, old, old)

	code, stderr := f.run("run", "--once", "--log-format", "json", f.job)
	if code != ExitRejected {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRejected, stderr)
	}
	var fin map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, `"run finished"`) {
			if err := json.Unmarshal([]byte(line), &fin); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fin == nil {
		t.Fatalf("no 'run finished' line:\n%s", stderr)
	}
	if fin["rows_read"] != 3.0 || fin["rows_valid"] != 2.0 || fin["rows_rejected"] != 1.0 {
		t.Errorf("run finished: read %v, valid %v, rejected %v; want 3, 2, 1\n%s",
			fin["rows_read"], fin["rows_valid"], fin["rows_rejected"], stderr)
	}
}

// Running the same load again with the same report folder (what the docs say to do after
// Ctrl-C) must not overwrite the logins OneFile returned the first time: it never shows them again.
func TestLoadKeepsEarlierCredentials(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "rep")
	in := writeFile(t, dir, "staff.csv", "FirstName,LastName,Email,MISID,Role\nAnn,Lee,ann@example.ac.uk,S-1,5\n")
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state")}
	for i := range 3 {
		code, _, stderr := bulkRun(t, env, "load", "onefile", "--sandbox", "--keychain", "off", "--report", rep, in)
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, stderr)
		}
		if i > 0 && !strings.Contains(stderr, "were kept: they are now in "+filepath.Join(rep, "credentials-"+strconv.Itoa(i)+".csv")) {
			t.Errorf("run %d does not say where the earlier logins went:\n%s", i+1, stderr)
		}
		if strings.Contains(stderr, "rows done") && strings.Contains(stderr, "failed)") {
			t.Errorf("the progress line calls rows failed:\n%s", stderr)
		}
	}
	for _, name := range []string{"credentials.csv", "credentials-1.csv", "credentials-2.csv"} {
		fi, err := os.Stat(filepath.Join(rep, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
		if recs := readCSV(t, filepath.Join(rep, name)); len(recs) != 2 || recs[1][3] != "ann@example.ac.uk" {
			t.Errorf("%s holds %v", name, recs)
		}
	}
}

// A token that sees several organisations and no --org: nothing is sent, and the summary must
// not claim a load "into organisation 0".
func TestLoadWithoutOrgSaysNothingLoaded(t *testing.T) {
	box, url := startBox(t, sandbox.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", "FirstName,LastName,Email,MISID,Role\nAnn,Lee,ann@example.ac.uk,S-1,5\n")
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--report", filepath.Join(dir, "rep"), in)
	if code != ExitCannotRun {
		t.Fatalf("exit %d, want %d\n%s", code, ExitCannotRun, stderr)
	}
	if strings.Contains(stderr, "organisation 0") || !strings.Contains(stderr, "Nothing loaded:") || !strings.Contains(stderr, "--org") ||
		strings.Contains(stderr, "run the same command again") || !strings.Contains(stderr, "nothing was sent") {
		t.Errorf("stderr:\n%s", stderr)
	}
	// The row was never tried: it is not sent, not failed.
	for _, rec := range readCSV(t, filepath.Join(dir, "rep", "results.csv"))[1:] {
		if rec[5] != "skipped" || !strings.Contains(rec[7], "not sent") {
			t.Errorf("results.csv row %v, want skipped, not sent", rec)
		}
	}
}

func TestFirstStepsMessages(t *testing.T) {
	dir := t.TempDir()
	wb := filepath.Join(dir, "learners.xlsx")
	if code, _, stderr := runBulk(t, nil, "template", "onefile-users", "-o", wb); code != 0 {
		t.Fatalf("template: exit %d\n%s", code, stderr)
	}
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state")}
	for _, tt := range []struct {
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		// --kind given: the skipped sheets must not be told to use --kind. The template's own
		// Read me sheet is not data and not worth a notice either way.
		{[]string{"validate", "--report", filepath.Join(dir, "r1"), "--kind", "onefile-users", wb}, ExitRejected,
			[]string{"has a header row but no data rows"}, []string{"Use --kind", "Read me"}},
		{[]string{"validate", "--report", filepath.Join(dir, "r2"), wb}, ExitRejected,
			[]string{"has a header row but no data rows"}, []string{"Read me"}},
		{[]string{"validate", "--report", filepath.Join(dir, "r3"), filepath.Join(dir, "learnres.csv")}, ExitCannotRun,
			[]string{"learnres.csv", "Check the file's name and folder"}, nil},
		// A fresh machine: no ledger is an empty history.
		{[]string{"runs"}, 0, []string{"No runs recorded yet"}, nil},
		// An explicit ledger that is not there is a mistake.
		{[]string{"runs", "--state", filepath.Join(dir, "nope.db")}, ExitCannotRun, []string{"no run ledger at"}, nil},
	} {
		code, _, stderr := bulkRun(t, env, tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, code, tt.code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tt.args, w, stderr)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(stderr, w) {
				t.Errorf("%v: stderr says %q:\n%s", tt.args, w, stderr)
			}
		}
	}
}

// A --sandbox load behaves as the 2026 guide says by default (keychain on: no ID, no login in a
// create's answer), so it finds the new user by search and writes no credentials.csv; --keychain
// is a sandbox setting and refused with a real target.
func TestSandboxKeychainDefault(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "rep")
	in := writeFile(t, dir, "staff.csv", "FirstName,LastName,Email,MISID,Role\nAnn,Lee,ann@example.ac.uk,S-1,5\n")
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state")}
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--sandbox", "--report", rep, in)
	if code != 0 || !strings.Contains(stderr, "keychain setting is on") || !strings.Contains(stderr, "1 created") || !strings.Contains(stderr, "at 300 calls a minute this load would take about") {
		t.Fatalf("exit %d, want 0 saying the keychain is on:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(rep, "credentials.csv")); !os.IsNotExist(err) {
		t.Errorf("credentials.csv with the keychain on: %v", err)
	}
	res, err := os.ReadFile(filepath.Join(rep, "results.csv"))
	if err != nil || !strings.Contains(string(res), "create,ok,1") {
		t.Errorf("results.csv does not give the new user's OneFile ID: %s %v", res, err)
	}
	code, _, stderr = bulkRun(t, env, "load", "onefile", "--url", "https://wsapibeta.onefile.co.uk/api/v2.1", "--keychain", "off", in)
	if code != 2 || !strings.Contains(stderr, "--keychain is a setting of the sandbox") {
		t.Errorf("--keychain with --url: exit %d\n%s", code, stderr)
	}
}
