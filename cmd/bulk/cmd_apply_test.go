package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// The plan/apply flow from the command line: a dry run writes plan.json (private, naming the
// target but no token), apply carries it out, a second apply sends nothing, and a row whose
// OneFile user changed in between is stale, not sent.
func TestPlanThenApply(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	box, url := startBox(t, sandbox.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "learners.csv", "Role,FirstName,LastName,Email,MISID,DefaultAssessorMISID,ClassroomName,PlacementName\n"+
		"1,Sam,Carter-Jones,sam.carter@learner.example,L-0001,STF-001,Business Administration L3,Acme Logistics Ltd\n"+
		"5,New,Person,new.person@northfield.example,NEW-9,,,\n"+
		"1,Amira,Khan,amira@learner.example,EMPC-001x,STF-001,Business Administration L3,Acme Logistics Ltd\n")
	rep := filepath.Join(dir, "rep")
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	// localhost here, 127.0.0.1 for apply below: one target, spelled two ways.
	local := strings.Replace(url, "127.0.0.1", "localhost", 1) + "/"
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", local, "--org", "5740", "--mode", "upsert", "--dry-run", "--report", rep, in)
	if code != ExitOK || !strings.Contains(stderr, "would create 2, update 1") || !strings.Contains(stderr, "bulk apply "+filepath.Join(rep, "plan.json")) {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	planPath := filepath.Join(rep, "plan.json")
	fi, err := os.Stat(planPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("plan.json: %v, mode %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(planPath)
	var plan struct {
		Target struct {
			APIRoot      string `json:"api_root"`
			Organisation int
		}
	}
	if err := json.Unmarshal(b, &plan); err != nil || plan.Target.APIRoot != url || plan.Target.Organisation != 5740 {
		t.Errorf("plan target %+v (%v), want %s org 5740", plan.Target, err, url)
	}
	if strings.Contains(string(b), box.CustomerToken()) {
		t.Error("the plan holds the token")
	}
	if box.Snapshot().Calls["POST /User"]+box.Snapshot().Calls["POST /User/{id}"] != 0 {
		t.Fatal("the dry run wrote to OneFile")
	}

	code, _, stderr = bulkRun(t, env, "apply", "--report", rep, planPath)
	if code != ExitOK || !strings.Contains(stderr, "2 created, 1 updated") {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	writes := func() int { s := box.Snapshot(); return s.Calls["POST /User"] + s.Calls["POST /User/{id}"] }
	before := writes()
	code, _, stderr = bulkRun(t, env, "apply", "--report", rep, planPath)
	if code != ExitOK || writes() != before {
		t.Fatalf("second apply: exit %d, %d writes\n%s", code, writes()-before, stderr)
	}
	if d := box.Snapshot().Duplicates(); len(d) > 0 {
		t.Errorf("duplicates: %+v", d)
	}

	// Plan again, then someone edits Sam on OneFile before the plan is applied.
	in2 := writeFile(t, dir, "again.csv", "Role,FirstName,LastName,Email,MISID,DefaultAssessorMISID,ClassroomName,PlacementName\n"+
		"1,Sam,Carter-Evans,sam.carter@learner.example,L-0001,STF-001,Business Administration L3,Acme Logistics Ltd\n")
	rep2 := filepath.Join(dir, "rep2")
	if code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--mode", "upsert", "--dry-run", "--report", rep2, in2); code != ExitOK {
		t.Fatalf("second dry run: exit %d\n%s", code, stderr)
	}
	c, err := api.New(api.Config{BaseURL: url, CustomerToken: box.CustomerToken(), RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.UpdateUser(context.Background(), 1010, api.UserUpdate{"LastName": "Someone-Else"}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = bulkRun(t, env, "apply", "--report", rep2, filepath.Join(rep2, "plan.json"))
	if code != ExitRejected {
		t.Fatalf("stale apply: exit %d, want 1\n%s", code, stderr)
	}
	recs := readCSV(t, filepath.Join(rep2, "results.csv"))
	if len(recs) != 2 || recs[1][5] != "stale" || !strings.Contains(recs[1][7], `LastName was "Carter-Jones" when planned, now "Someone-Else"`) {
		t.Errorf("results.csv %q", recs)
	}
}

// An upsert that would turn one person into another is a conflict from the command line too,
// and --allow-identity-change sends it.
func TestIdentityConflictCLI(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	box, url := startBox(t, sandbox.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "learners.csv", "Role,FirstName,LastName,Email,MISID,DefaultAssessorMISID,ClassroomName,PlacementName\n"+
		"1,Amira,Khan,sam.carter@learner.example,L-0001,STF-001,Business Administration L3,Acme Logistics Ltd\n")
	env := map[string]string{"BULK_ONEFILE_TOKEN": box.CustomerToken(), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	rep := filepath.Join(dir, "rep")
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--mode", "upsert", "--report", rep, in)
	if code != ExitRejected {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	recs := readCSV(t, filepath.Join(rep, "rejects.csv"))
	found := false
	for _, r := range recs[1:] {
		found = found || r[5] == "identity-change" && strings.Contains(r[7], "OneFile user 1010 (Sam Carter)")
	}
	if !found {
		t.Errorf("rejects.csv has no identity-change problem: %q", recs)
	}
	if code, _, stderr := bulkRun(t, env, "load", "onefile", "--url", url, "--org", "5740", "--mode", "upsert", "--allow-identity-change", "--report", rep, in); code != ExitOK {
		t.Fatalf("--allow-identity-change: exit %d\n%s", code, stderr)
	}
}

// A plan made against the in-process sandbox names a server that ended with its run: apply says
// so and how to rehearse instead, rather than retrying a dead port.
func TestApplyInProcessSandboxPlan(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "rep")
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state")}
	code, _, stderr := bulkRun(t, env, "load", "onefile", "--sandbox", "--dry-run", "--report", rep, filepath.Join(repoRoot(t), "samples", "term-start.xlsx"))
	if code != ExitRejected || !strings.Contains(stderr, "it cannot be applied") {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	env["BULK_ONEFILE_TOKEN"] = "anything"
	code, _, stderr = bulkRun(t, env, "apply", "--report", rep, filepath.Join(rep, "plan.json"))
	if code != ExitCannotRun || !strings.Contains(stderr, "bulk sandbox onefile") || strings.Contains(stderr, "attempts") {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
}
