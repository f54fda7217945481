package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/version"
)

// TestReleaseReproducible runs the release command twice for this machine's platform into two
// folders and checks that it built the same bytes, and that the binary prints the version and
// commit stamped in. PGO=off keeps it quick; the profile does not change the reproducibility
// (it is a file in the repository). It lives beside buildBulk, which compiles with the release
// script's flags first, so that on a cold cache the two share one compilation.
func TestReleaseReproducible(t *testing.T) {
	buildBulk(t) // skips under -short; warms the cache the release builds then link from
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum")
	}
	script, err := filepath.Abs("../../scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	const stampV, stampC = "v0.0.0-reprotest", "0123456789abcdef0123456789abcdef01234567"
	build := func() (sums string, bin string) {
		dist := t.TempDir()
		cmd := exec.Command("sh", script, platform)
		cmd.Env = append(os.Environ(), "DIST="+dist, "VERSION="+stampV, "COMMIT="+stampC, "PGO=off")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("release.sh: %v\n%s", err, stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(out) {
			t.Errorf("printed sums %q differ from SHA256SUMS %q", out, b)
		}
		name := "bulk-" + stampV + "-" + runtime.GOOS + "-" + runtime.GOARCH
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		if !strings.HasSuffix(strings.TrimSpace(string(b)), "  "+name) {
			t.Fatalf("SHA256SUMS does not name %s: %s", name, b)
		}
		return string(b), filepath.Join(dist, name)
	}
	sums1, bin := build()
	sums2, _ := build()
	if sums1 != sums2 {
		t.Errorf("two builds of one commit differ:\n%s\n%s", sums1, sums2)
	}

	out, err := exec.Command(bin, "version", "--format", "json").Output()
	if err != nil {
		t.Fatalf("bulk version: %v", err)
	}
	var in version.Info
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := version.Info{Version: stampV, Commit: stampC, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if in != want {
		t.Errorf("bulk version printed %+v, want %+v", in, want)
	}
}
