package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/internal/version"
)

// TestSummaryCarriesBulkVersion: summary.json names the bulk that wrote it, so a report sent in
// with a question says which build made it.
func TestSummaryCarriesBulkVersion(t *testing.T) {
	dir := t.TempDir()
	r := New(dir, false)
	if err := r.Write(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := m["bulk_version"], version.String(); got != want || want == "" {
		t.Errorf("bulk_version %v, want %q", got, want)
	}
}
