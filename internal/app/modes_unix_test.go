//go:build unix

package app

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs f with the process's umask set to m, so a mode that depends on the umask
// shows: with 0 nothing takes the group's and others' bits away.
func withUmask(t *testing.T, m int, f func()) {
	t.Helper()
	old := syscall.Umask(m)
	defer syscall.Umask(old)
	f()
}

// assertPrivate checks every file under dir is 0600 and every folder 0700 (dir included), and
// that the files named in want are there.
func assertPrivate(t *testing.T, dir string, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		seen[rel] = true
		wantMode := fs.FileMode(0o600)
		if d.IsDir() {
			wantMode = 0o700
		}
		if got := info.Mode().Perm(); got != wantMode {
			t.Errorf("%s: mode %04o, want %04o", rel, got, wantMode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s was not written (have %v)", w, seen)
		}
	}
}

// TestReportFilesPrivate: with a umask that hides nothing, the report folder is created 0700
// and every file a validation, a load (credentials included) and a dry run (plan.json) write
// in it is 0600.
func TestReportFilesPrivate(t *testing.T) {
	withUmask(t, 0, func() {
		dir := t.TempDir()
		in := writeFile(t, dir, "staff.csv", staff)

		rep := filepath.Join(dir, "validate", "nested")
		if _, err := Validate(context.Background(), Deps{}, InputOptions{Files: []string{in}, ReportDir: rep, Quiet: true}); err != nil {
			t.Fatal(err)
		}
		assertPrivate(t, rep, "rejects.csv", "rejects.xlsx", "summary.json")
		assertPrivate(t, filepath.Join(dir, "validate"))

		for _, dry := range []bool{false, true} {
			rep := filepath.Join(dir, "load")
			want := []string{"results.csv", "summary.json", "rejects.csv", "credentials.csv"}
			if dry {
				rep = filepath.Join(dir, "dry")
				want = []string{"results.csv", "summary.json", "plan.json"}
			}
			o := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: rep, Quiet: true},
				Sandbox: true, Keychain: "off", Mode: "create", Concurrency: 2, Rate: SandboxRate, DryRun: dry}
			if _, err := LoadOnefile(context.Background(), Deps{}, o); err != nil {
				t.Fatalf("dry run %v: %v", dry, err)
			}
			assertPrivate(t, rep, want...)
		}
	})
}
