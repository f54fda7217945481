package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
)

// startSandboxProcess runs `bulk sandbox onefile` on a free port and returns its API root.
func startSandboxProcess(t *testing.T, bin, token string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox", "onefile", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), "serving at "); ok {
			go io.Copy(io.Discard, stdout)
			return strings.TrimSpace(url)
		}
	}
	t.Fatalf("bulk sandbox onefile printed no URL (%v)", sc.Err())
	return ""
}

// onefileUsers counts the organisation's users by MISID, through the API.
func onefileUsers(t *testing.T, c *api.Client) map[string]int {
	t.Helper()
	us, err := c.FindUsers(context.Background(), api.UserFilter{OrganisationID: 5740})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, u := range us {
		m[u.MISID]++
	}
	return m
}

// TestE2EKillAndRerun is the proof with the built binary: a load into a sandbox (a
// `bulk sandbox onefile` process, 40 ms latency) is killed with SIGKILL mid-load (no chance to
// clean up), run again, and every user is on OneFile exactly once.
func TestE2EKillAndRerun(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	const token = "e2e-token"
	url := startSandboxProcess(t, bin, token, "--latency", "40ms", "--rate-limit", "off")
	client, err := api.New(api.Config{BaseURL: url, CustomerToken: token, RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	dir := t.TempDir()
	const n = 200 // about 4 s of loading at 40 ms a call and 2 workers: the kill lands mid-load even on a loaded machine
	var b strings.Builder
	b.WriteString("Role,FirstName,LastName,Email,MISID\n")
	roles := []int{5, 10, 4}
	for i := range n {
		fmt.Fprintf(&b, "%d,First%d,Last%d,staff%d@northfield.example,E2E-%03d\n", roles[i%3], i, i, i, i)
	}
	in := writeFile(t, dir, "staff.csv", b.String())
	state := filepath.Join(dir, "ledger.db")
	args := []string{"load", "onefile", "--url", url, "--org", "5740", "--state", state, "--concurrency", "2", "--rate", "100000", in}
	newCmd := func(report string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append(args, "--report", filepath.Join(dir, report))...)
		cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		return cmd, &errb
	}
	loaded := func() int {
		k := 0
		for m := range onefileUsers(t, client) {
			if strings.HasPrefix(m, "E2E-") {
				k++
			}
		}
		return k
	}

	first, errb := newCmd("r1")
	killMidway(t, first, errb, func() bool { return loaded() >= 15 })
	created := loaded()
	if created >= n {
		t.Fatalf("killed after %d of %d users: not mid-load", created, n)
	}

	second, errb2 := newCmd("r2")
	if err := second.Run(); err != nil {
		t.Fatalf("second run: %v\n%s", err, errb2)
	}
	seen := onefileUsers(t, client)
	for i := range n {
		if m := fmt.Sprintf("E2E-%03d", i); seen[m] != 1 {
			t.Errorf("%s is on OneFile %d times", m, seen[m])
		}
	}
	res := readCSV(t, filepath.Join(dir, "r2", "results.csv"))
	counts := map[string]int{}
	for _, r := range res[1:] {
		counts[r[4]+"/"+r[5]]++
	}
	if counts["exists/skipped"] < created || counts["exists/skipped"]+counts["create/ok"] != n {
		t.Errorf("second run results %v; %d were created before the kill", counts, created)
	}
	// The ledger shows the killed run as stopped, and the second as ok.
	out, err := exec.Command(bin, "runs", "--state", state).Output()
	if err != nil || !strings.Contains(string(out), "stopped (no end recorded") || !strings.Contains(string(out), " ok ") {
		t.Errorf("bulk runs: %v\n%s", err, out)
	}
}
