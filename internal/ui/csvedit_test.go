package ui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/internal/app"
)

// TestEditCSV: a cell fixed in a CSV file written by Excel's plain "CSV" (Windows-1252) is
// written back as UTF-8 with every row on its number and every accent kept, and the fixed file
// validates as the page said.
func TestEditCSV(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	ts.upload(t, c, "../../samples/learners.csv")
	before := ts.state(t, c).Validation.Counts
	table, r, col := ts.badCell(t, c, "", "date")
	var ok map[string]any
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": r.Row, "col": col, "value": "28/02/2026"}, &ok); code != http.StatusOK {
		t.Fatalf("edit: %d %v", code, ok)
	}
	after := ts.state(t, c).Validation.Counts
	if after.Rejected != before.Rejected-1 || after.Read != before.Read {
		t.Errorf("after fixing row %d: %+v, before %+v", r.Row, after, before)
	}
	resp, err := c.Get(ts.base + "/api/download/learners.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("Zoë")) || !bytes.Contains(b, []byte("28/02/2026")) {
		t.Errorf("the fixed file is not UTF-8 with its accents and the fix: %.300q", b)
	}
	fixed := filepath.Join(t.TempDir(), "learners-fixed.csv")
	os.WriteFile(fixed, b, 0o600)
	out, err := app.Validate(context.Background(), app.Deps{Stderr: io.Discard}, app.InputOptions{Files: []string{fixed}, ReportDir: t.TempDir(), Quiet: true})
	if out == nil {
		t.Fatal(err)
	}
	if got := out.Counts; got.Read != after.Read || got.Rejected != after.Rejected || got.Warnings != after.Warnings {
		t.Errorf("the fixed file validates as %+v, the page said %+v", got, after)
	}
}
