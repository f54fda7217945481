//go:build unix

package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUIStopsOnSIGTERM: the real binary prints its address with a one-time token, serves the
// page behind it, and on SIGTERM stops cleanly (status 0) with its private folder removed.
func TestUIStopsOnSIGTERM(t *testing.T) {
	bin := buildBulk(t)
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "ui", "--no-open")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]+`)
	var url string
	for sc := bufio.NewScanner(out); url == "" && sc.Scan(); {
		url = addr.FindString(sc.Text())
	}
	if url == "" {
		cmd.Process.Kill()
		t.Fatalf("no address printed; stderr: %s", stderr.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the printed address answers %s", resp.Status)
	}
	// An open tab's event stream must not hold the stop up.
	events, err := c.Get(strings.SplitN(url, "/?", 2)[0] + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	folders, _ := filepath.Glob(filepath.Join(tmp, "bulk-ui-*"))
	if len(folders) != 1 {
		t.Errorf("private folders while running: %v, want one", folders)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v; stderr: %s", err, stderr.String())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(began).Round(time.Millisecond))
	if left, _ := filepath.Glob(filepath.Join(tmp, "bulk-ui-*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: %q", stderr.String())
	}
}
