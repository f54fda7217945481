//go:build unix

package app

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestOpenReportFolderWarned: a report folder that already exists and lets others in (the
// owner made it so) is left as it is but warned about in one line naming the chmod to run,
// once per folder however many use cases write in it; a private one is not.
func TestOpenReportFolderWarned(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "staff.csv", staff)
	for _, tc := range []struct {
		mode os.FileMode
		want int // warning lines
	}{{0o755, 1}, {0o750, 1}, {0o700, 0}} {
		rep := filepath.Join(dir, fmt.Sprintf("report-%o", tc.mode))
		if err := os.Mkdir(rep, tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(rep, tc.mode); err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		for range 2 {
			if _, err := Validate(context.Background(), Deps{Stderr: &stderr}, InputOptions{Files: []string{in}, ReportDir: rep, Quiet: true}); err != nil {
				t.Fatal(err)
			}
		}
		want := "bulk: warning: the report folder " + rep + " can be opened by other users (mode " + fmt.Sprintf("%o", tc.mode) + ") and its files hold personal data: run chmod 700 " + rep + "\n"
		if got := strings.Count(stderr.String(), want); got != tc.want {
			t.Errorf("folder %o: %d warnings, want %d:\n%s", tc.mode, got, tc.want, stderr.String())
		}
		if st, err := os.Stat(rep); err != nil || st.Mode().Perm() != tc.mode {
			t.Errorf("folder %o: the owner's mode was changed (%v, %v)", tc.mode, st.Mode(), err)
		}
	}
}
