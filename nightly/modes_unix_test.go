//go:build unix

package nightly

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/bulkload/bulk/internal/app"
)

// TestNightlyReportPrivate: with a umask that hides nothing, a nightly run's report files are
// 0600, and the folders it makes for inputs and reports (processing/, the archive, its
// outcome folders, the run's report folder) are 0700.
func TestNightlyReportPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	f := newRunnerFixture(t, "")
	f.drop(jsmith, bad)
	if k := f.run(RunOptions{}); k != app.Rejected {
		t.Fatalf("%v, want rejected\n%s", k, f.logbuf.String())
	}
	archive := filepath.Join(f.in, "archive")
	reports, _ := filepath.Glob(filepath.Join(archive, "reports", "*"))
	if len(reports) != 1 {
		t.Fatalf("report folders %v", reports)
	}
	for _, d := range []string{filepath.Join(f.in, "processing"), archive, filepath.Join(archive, "failed"), filepath.Join(archive, "reports"), reports[0]} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a folder 0700", d, st.Mode(), err)
		}
	}
	files := 0
	filepath.WalkDir(reports[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if info, _ := d.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", p, info.Mode().Perm())
		}
		return nil
	})
	if files < 3 { // rejects.csv, rejects.xlsx, summary.json
		t.Errorf("%d report files", files)
	}
}
