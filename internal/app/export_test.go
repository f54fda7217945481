package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExportKeepsOldOutputWhenStopped: an export that cannot finish leaves an existing payload
// as it was and no temporary file behind.
func TestExportKeepsOldOutputWhenStopped(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "Action,UserId,Title\nA,a,T\n")
	out := writeFile(t, dir, "out.csv", "previous payload\n")
	o := ExportOptions{KindName: "external-training", Out: out, InputOptions: InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "r"), Quiet: true}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	before := runtime.NumGoroutine()
	if _, err := Export(ctx, Deps{Stderr: &stderr}, o); err == nil {
		t.Fatal("a cancelled export succeeded")
	}
	// The payload writer's goroutines stop with the export (a nightly run makes many exports).
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before the export, %d after", before, n)
	}
	if got, _ := os.ReadFile(out); string(got) != "previous payload\n" {
		t.Errorf("output replaced: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".out.csv") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
