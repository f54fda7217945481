package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxOneFileCommand runs the command in-process, reads the base URL
// and token it prints, makes calls, stops it and reads the summary.
func TestSandboxOneFileCommand(t *testing.T) {
	outR, outW := io.Pipe()
	var errb strings.Builder
	a := &App{Stdin: strings.NewReader(""), Stdout: outW, Stderr: &errb, Getenv: func(string) string { return "" }}
	root := newRoot(a)
	root.SetArgs([]string{"sandbox", "onefile", "--addr", "127.0.0.1:0", "--rate-limit", "3/min", "--faults", "seed=4", "--keychain", "on"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); outW.Close() }()

	lines := bufio.NewScanner(outR)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("output ended: %v\n%s", <-done, errb.String())
		}
		return lines.Text()
	}
	base := strings.TrimPrefix(next(), "OneFile sandbox serving at ")
	token := strings.TrimPrefix(next(), "customer token (this sandbox only): ")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || len(token) < 16 {
		t.Fatalf("base %q token %q", base, token)
	}
	statuses := []int{}
	for range 4 {
		req, _ := http.NewRequest("POST", base+"/Authentication", nil)
		req.Header.Set("X-CustomerToken", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	if got := fmt.Sprint(statuses); got != "[200 200 200 429]" {
		t.Errorf("statuses %s, want [200 200 200 429] (--rate-limit 3/min)", got)
	}
	var rest strings.Builder
	collected := make(chan struct{})
	go func() {
		for lines.Scan() {
			rest.WriteString(lines.Text() + "\n")
		}
		close(collected)
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("exit: %v", err)
	}
	<-collected
	for _, want := range []string{"Ctrl-C stops it", "Sandbox holds 7 users", "Calls: 4 (429: 1",
		// The built-in seed has two organisations: a load without --org fails, so the hint says it.
		"--url " + base + " --org 5740 FILE", "Organisations: 5740 (Northfield Training - Apprenticeships), 5741"} {
		if !strings.Contains(rest.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, rest.String())
		}
	}
	if !strings.Contains(errb.String(), "3 calls per 1m0s") || !strings.Contains(errb.String(), "keychain on") {
		t.Errorf("settings line: %s", errb.String())
	}
}

func TestSandboxOneFileBadInput(t *testing.T) {
	dir := t.TempDir()
	badSeed := filepath.Join(dir, "seed.yaml")
	os.WriteFile(badSeed, []byte("Customer: {ID: 1}\nOrganisations: []\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--keychain", "maybe"}, `--keychain "maybe": say on (`},
		{[]string{"--rate-limit", "fast"}, "--rate-limit"},
		{[]string{"--faults", "drop=2"}, "between 0 and 1"},
		{[]string{"--seed", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"--seed", badSeed}, "at least one organisation"},
		{[]string{"--addr", "256.0.0.1:1"}, "cannot listen"},
		{[]string{"--roles", "iqa-as-assessor=on"}, `"iqa-as-assessor" is not a role setting; the settings are trainee-assessor-any-level`},
		{[]string{"--roles", "iqa-default-assessor=perhaps"}, "say on or off"},
	} {
		code, _, stderr := runBulk(t, nil, append([]string{"sandbox", "onefile"}, tt.args...)...)
		if code != ExitCannotRun || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %s; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
