package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/ledger"
)

// TestLedgerNewerSchema: a load refuses a ledger a newer bulk has migrated past what this one
// knows, saying so, and does not advise another --state (it would not know what the newer
// bulk's loads created) nor checking the database's rights, which are fine.
func TestLedgerNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	led, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	led.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	in := writeFile(t, t.TempDir(), "staff.csv", "Role,FirstName,LastName,Email\n5,Ann,Lee,ann@example.ac.uk\n")
	code, _, stderr := runBulk(t, map[string]string{"BULK_ONEFILE_TOKEN": "x"},
		"load", "onefile", "--url", "http://127.0.0.1:1/api/v2.1", "--org", "5740", "--state", path, "--report", t.TempDir(), in)
	if code != ExitCannotRun || !strings.Contains(stderr, "newer bulk (schema version 99") {
		t.Fatalf("exit %d, want %d and the newer schema named:\n%s", code, ExitCannotRun, stderr)
	}
	for _, bad := range []string{"another place", "give another with --state", "rights"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("the refusal advises %q:\n%s", bad, stderr)
		}
	}
}
