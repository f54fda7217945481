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
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
)

// TestE2ESpellingsAreOneOrganisation: while a load sends to the sandbox organisation through
// http://127.0.0.1:PORT/api/v2.1, loads naming the same server as localhost with a trailing
// slash, or with a doubled slash in the path, are refused with exit 2 naming the first, and
// nobody is created twice once every load has run.
func TestE2ESpellingsAreOneOrganisation(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	const token = "e2e-spell-token"
	url := startSandboxProcess(t, bin, token, "--latency", "40ms", "--rate-limit", "off")
	port := url[strings.LastIndex(url, ":")+1 : strings.Index(url, "/api")]
	client, err := api.New(api.Config{BaseURL: url, CustomerToken: token, RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	dir := t.TempDir()
	const n = 150
	var b strings.Builder
	b.WriteString("Role,FirstName,LastName,Email,MISID\n")
	for i := range n {
		fmt.Fprintf(&b, "5,First%d,Last%d,sp%d@northfield.example,SPL-%03d\n", i, i, i, i)
	}
	in := writeFile(t, dir, "staff.csv", b.String())
	state := filepath.Join(dir, "state", "ledger.db")
	load := func(u, report string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "load", "onefile", "--url", u, "--org", "5740", "--state", state, "--concurrency", "2",
			"--rate", "100000", "--report", filepath.Join(dir, report), in)
		cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		return cmd, &errb
	}
	count := func() (users, twice int) {
		for m, c := range onefileUsers(t, client) {
			if strings.HasPrefix(m, "SPL-") {
				users++
				if c > 1 {
					twice++
				}
			}
		}
		return
	}

	one, oneErr := load("http://127.0.0.1:"+port+"/api/v2.1", "r1")
	if err := one.Start(); err != nil {
		t.Fatal(err)
	}
	defer one.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for u, _ := count(); u < 10; u, _ = count() {
		if time.Now().After(deadline) {
			t.Fatalf("the first load did not get going; stderr:\n%s", oneErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, spelling := range []string{"http://localhost:" + port + "/api/v2.1/", "http://127.0.0.1:" + port + "//api/v2.1"} {
		two, twoErr := load(spelling, "r"+strconv.Itoa(i+2))
		err := two.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitCannotRun {
			t.Fatalf("%s while the first load runs: %v, want exit %d\n%s", spelling, err, ExitCannotRun, twoErr)
		}
		if !strings.Contains(twoErr.String(), "pid "+strconv.Itoa(one.Process.Pid)) {
			t.Errorf("%s: the refusal does not name the first load (pid %d):\n%s", spelling, one.Process.Pid, twoErr)
		}
	}
	if one.ProcessState != nil {
		t.Fatal("the first load ended before the others were refused: the test proves nothing")
	}
	if err := one.Wait(); err != nil {
		t.Fatalf("the first load: %v\n%s", err, oneErr)
	}
	if users, twice := count(); users != n || twice != 0 {
		t.Errorf("%d users, %d of them twice; want %d once each", users, twice, n)
	}
}

// TestE2ELiveSpellingsAndUserinfo: a spelling of OneFile live is live (no --yes and no
// terminal: exit 2 asking for confirmation, at once, before any call), and a URL holding a
// password is refused without the password reaching any output or file.
func TestE2ELiveSpellingsAndUserinfo(t *testing.T) {
	bin := buildBulk(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", "Role,FirstName,LastName,Email,MISID\n5,A,B,a@b.example,S1\n")
	const secret = "pw-Secr3t-9d1"
	for _, tc := range []struct {
		url, want string
	}{
		{"HTTPS://WSAPI.onefile.co.uk.:443/api/v2.1/", "nobody is here to confirm"},
		{"https://wsapi.onefile.co.uk:443/api/v2.1", "nobody is here to confirm"},
		{"https://user:" + secret + "@127.0.0.1:9/api/v2.1", "--url"},
	} {
		report := filepath.Join(dir, "r")
		os.RemoveAll(report)
		cmd := exec.Command(bin, "load", "onefile", "--url", tc.url, "--org", "5740", "--state", filepath.Join(dir, "state", "l.db"),
			"--report", report, in)
		// No proxy can carry a call anywhere, and the token is one nothing accepts.
		cmd.Env = append(os.Environ(), app.TokenEnv+"=not-a-real-token", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=")
		cmd.Stdin = strings.NewReader("")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitCannotRun {
			t.Errorf("%s: %v, want exit %d\n%s", tc.url, err, ExitCannotRun, errb.String())
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: stderr lacks %q:\n%s", tc.url, tc.want, errb.String())
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("%s: took %s: it waited on the network", tc.url, took)
		}
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("%s: the password is in the output", tc.url)
		}
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
					t.Errorf("the password is in %s", p)
				}
			}
			return nil
		})
		if _, err := os.Stat(report); !os.IsNotExist(err) {
			t.Errorf("%s: refused, yet a report was written (%v)", tc.url, err)
		}
	}
}
