package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/pgtest"
)

// TestE2ESharedPostgresState is issue 15's proof for several machines with the built binary:
// processes that share nothing but one PostgreSQL state (each its own state folder, as two
// machines or containers would) never load one organisation at once, and a load killed on one
// is finished by a re-run on the other, every user on OneFile exactly once. The password in
// the state URL appears in no output.
func TestE2ESharedPostgresState(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	pg, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "e2e-pg-s3cret" // the test cluster trusts loopback: the password is only carried
	pg.User = url.UserPassword(pg.User.Username(), secret)
	state := pg.String()

	const token = "e2e-token"
	root := startSandboxProcess(t, bin, token, "--latency", "40ms", "--rate-limit", "off")
	client, err := api.New(api.Config{BaseURL: root, CustomerToken: token, RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	dir := t.TempDir()
	const n = 200 // about 4 s of loading at 40 ms a call and 2 workers
	input := func(prefix string) string {
		var b strings.Builder
		b.WriteString("Role,FirstName,LastName,Email,MISID\n")
		for i := range n {
			fmt.Fprintf(&b, "%d,First%d,Last%d,%s%d@northfield.example,%s-%03d\n", []int{5, 10, 4}[i%3], i, i, strings.ToLower(prefix), i, prefix, i)
		}
		return writeFile(t, dir, prefix+".csv", b.String())
	}
	// machine runs bulk as another machine would: its own state folder, the shared database.
	machine := func(name, in, report string) (*exec.Cmd, *bytes.Buffer) {
		home := filepath.Join(dir, "machine-"+name)
		cmd := exec.Command(bin, "load", "onefile", "--url", root, "--org", "5740", "--state", state, "--concurrency", "2", "--rate", "100000",
			"--report", filepath.Join(dir, report), in)
		cmd.Env = append(os.Environ(), app.TokenEnv+"="+token, "XDG_STATE_HOME="+home)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}
	loaded := func(prefix string) (k int, dup []string) {
		for m, c := range onefileUsers(t, client) {
			if strings.HasPrefix(m, prefix+"-") {
				k++
				if c != 1 {
					dup = append(dup, fmt.Sprintf("%s ×%d", m, c))
				}
			}
		}
		return k, dup
	}
	noSecret := func(what, s string) {
		t.Helper()
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the database password:\n%s", what, s)
		}
	}

	t.Run("two machines at once", func(t *testing.T) {
		in := input("PGA")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([]*bytes.Buffer, 2)
		for i := range 2 {
			cmd, out := machine(fmt.Sprint(i), in, fmt.Sprint("a", i))
			outs[i] = out
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = cmd.Run() }()
		}
		wg.Wait()
		refused := 0
		for i, err := range errs {
			noSecret("a load's output", outs[i].String())
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && strings.Contains(outs[i].String(), "another load into OneFile organisation 5740"):
				refused++
			default:
				t.Errorf("machine %d: %v\n%s", i, err, outs[i])
			}
		}
		// Both started together and a load takes seconds: one held the lock, the other was refused.
		if refused != 1 {
			t.Errorf("%d of 2 loads were refused the organisation's lock, want 1:\n%s\n---\n%s", refused, outs[0], outs[1])
		}
		if k, dup := loaded("PGA"); k != n || len(dup) > 0 {
			t.Errorf("%d of %d users on OneFile, duplicated: %v", k, n, dup)
		}
	})

	t.Run("killed on one machine, finished on another", func(t *testing.T) {
		in := input("PGK")
		first, out1 := machine("x", in, "k1")
		killMidway(t, first, out1, func() bool { k, _ := loaded("PGK"); return k >= 15 })
		created, _ := loaded("PGK")
		if created >= n {
			t.Fatalf("killed after %d of %d users: not mid-load", created, n)
		}
		second, out2 := machine("y", in, "k2")
		if err := second.Run(); err != nil {
			t.Fatalf("the re-run on another machine: %v\n%s", err, out2)
		}
		noSecret("the re-run's output", out2.String())
		// The advisory lock died with the killed load; the ledger's unfinished run tells the re-run.
		if !strings.Contains(out2.String(), "stopped without finishing") {
			t.Errorf("the re-run does not say an earlier load stopped without finishing:\n%s", out2)
		}
		if k, dup := loaded("PGK"); k != n || len(dup) > 0 {
			t.Errorf("%d of %d users on OneFile, duplicated: %v", k, n, dup)
		}
		counts := map[string]int{}
		for _, r := range readCSV(t, filepath.Join(dir, "k2", "results.csv"))[1:] {
			counts[r[4]+"/"+r[5]]++
		}
		if counts["exists/skipped"] < created || counts["exists/skipped"]+counts["create/ok"] != n {
			t.Errorf("the re-run's results %v; %d were created before the kill", counts, created)
		}
		summary, _ := os.ReadFile(filepath.Join(dir, "k2", "summary.json"))
		noSecret("summary.json", string(summary))
		// The shared ledger lists both, from any machine.
		runs := exec.Command(bin, "runs", "--state", state)
		runs.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "machine-z"))
		out, err := runs.CombinedOutput()
		noSecret("bulk runs", string(out))
		if err != nil || !strings.Contains(string(out), "stopped (no end recorded") || !strings.Contains(string(out), " ok ") {
			t.Errorf("bulk runs: %v\n%s", err, out)
		}
	})
}
