package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestE2ELearningAimsKillAndRerun is issue 13's proof for learning aims with the built binary:
// a load of new learners and their learning aims (onefile-standards rows) into a sandbox on
// loopback (40 ms a call) is SIGKILLed while it is putting learners on standards, then run
// again: every learner is on the standard once, the second run sends again only what the
// ledger left without an outcome (at most one call per worker), and `bulk runs show` lists
// the learning aim IDs the runs made.
func TestE2ELearningAimsKillAndRerun(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	const token = "e2e-aims-token"
	srv := sandbox.New(sandbox.Config{CustomerToken: token, Latency: 40 * time.Millisecond})
	url, shutdown, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	})
	dir := t.TempDir()
	const n, workers = 120, 2
	var users, aims strings.Builder
	users.WriteString("Role,FirstName,LastName,Email,MISID,DefaultAssessorMISID,ClassroomID,PlacementID\n")
	aims.WriteString("LearnerMISID,StandardID\n")
	for i := range n {
		fmt.Fprintf(&users, "1,First%d,Last%d,aim%d@learner.example,AIM-%03d,STF-001,101,201\n", i, i, i, i)
		fmt.Fprintf(&aims, "AIM-%03d,301\n", i)
	}
	in1 := writeFile(t, dir, "learners.csv", users.String())
	in2 := writeFile(t, dir, "standards.csv", aims.String())
	state := filepath.Join(dir, "ledger.db")
	args := []string{"load", "onefile", "--url", url, "--org", "5740", "--state", state, "--concurrency", strconv.Itoa(workers), "--rate", "100000", in1, in2}
	newCmd := func(report string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append(args, "--report", filepath.Join(dir, report))...)
		cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		return cmd, &errb
	}
	const aimCalls = "POST /Standard/{id}/{action}/{learnerId}"

	first, errb := newCmd("r1")
	killMidway(t, first, errb, func() bool { return len(srv.LearningAims()) >= 15 })
	made := len(srv.LearningAims())
	if made >= n {
		t.Fatalf("killed after %d of %d learning aims: not mid-load", made, n)
	}
	callsBefore := srv.Snapshot().Calls[aimCalls]

	second, errb2 := newCmd("r2")
	if err := second.Run(); err != nil {
		t.Fatalf("second run: %v\n%s", err, errb2)
	}
	aimsOf := map[int]int{}
	for _, a := range srv.LearningAims() {
		aimsOf[a.LearnerID]++
	}
	if len(aimsOf) != n {
		t.Errorf("%d learners have learning aims, want %d", len(aimsOf), n)
	}
	for l, k := range aimsOf {
		if k != 1 {
			t.Errorf("learner %d is on the standard %d times", l, k)
		}
	}
	// What the first run recorded as done is not sent again; only the calls in flight at the
	// kill (one per worker) may be, and OneFile's "already assigned" then settles them.
	if again := srv.Snapshot().Calls[aimCalls] - callsBefore; again > n-made+workers {
		t.Errorf("second run made %d learning-aim calls for %d missing aims", again, n-made)
	}
	res := readCSV(t, filepath.Join(dir, "r2", "results.csv"))
	counts := map[string]int{}
	for _, r := range res[1:] {
		if strings.HasSuffix(r[0], "standards.csv") {
			counts[r[4]+"/"+r[5]]++
		}
	}
	if counts["exists/skipped"] < made-workers || counts["exists/skipped"]+counts["assign/ok"] != n {
		t.Errorf("second run's learning aim rows %v; %d were made before the kill", counts, made)
	}
	// bulk runs show lists what the second run made, learning aim IDs included.
	out, err := exec.Command(bin, "runs", "show", "2", "--state", state).Output()
	if err != nil {
		t.Fatalf("bulk runs show: %v", err)
	}
	last := srv.LearningAims()[n-1]
	if !strings.Contains(string(out), strconv.Itoa(last.ID)) || !strings.Contains(string(out), "onefile-standards") {
		t.Errorf("bulk runs show 2 does not list learning aim %d:\n%s", last.ID, out)
	}
}
