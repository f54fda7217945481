package sqlstore

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.db")
	db, err := Open(path, "run ledger", Normal, Exec(`CREATE TABLE IF NOT EXISTS t (x INTEGER)`, `INSERT INTO t VALUES (1)`))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("count %d, %v", n, err)
	}
	db.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

// A --state that is a URL is refused with a sentence, not turned into a folder named "postgres:",
// and a password in it is not repeated.
func TestOpenRefusesURLs(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, u := range []string{"postgres://bulk:s3cret@db.example/bulk", "mysql://db/x"} {
		_, err := Open(u, "job state", Normal, func(*sql.DB) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "is a URL") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("a refused URL left %v behind", entries)
	}
	// A Windows path with a drive letter, or a path with a colon, is a path.
	db, err := Open(filepath.Join(t.TempDir(), "a:b.db"), "job state", Normal, func(*sql.DB) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
