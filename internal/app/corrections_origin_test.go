package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

// TestOriginRelativeToWorkbook: rejects.xlsx names its inputs relative to its own folder (no
// user name from an absolute path in a mailed workbook), and a correction finds that input
// from wherever the workbook is read, even when another input has the same base name.
func TestOriginRelativeToWorkbook(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/learners.csv", "b/learners.csv", "bulk-report/rejects.xlsx"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	book := filepath.Join(dir, "bulk-report", "rejects.xlsx")
	paths := []string{book, filepath.Join(dir, "a", "learners.csv"), filepath.Join(dir, "b", "learners.csv")}
	names := []string{"rejects.xlsx", "learners.csv", "learners.csv"} // the names cannot tell them apart
	o := pipeline.Origin{Path: filepath.Join("..", "b", "learners.csv"), File: "learners.csv", Row: 7}
	if got := originalOf(o, 0, paths, names); got != paths[2] {
		t.Errorf("origin %q found %q, want %q", o.Path, got, paths[2])
	}
}
