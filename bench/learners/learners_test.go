package learners

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// The benchmark measures valid rows: every generated row must pass the onefile-users rules.
func TestGeneratedRowsAreValid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "learners.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, 5000, 7); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	in, err := read.Open(path, read.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rep := report.New(t.TempDir(), false)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts(); c.Read != 5000 || c.Rejected != 0 || c.Warnings != 0 {
		t.Fatalf("counts %+v; problems %+v", c, rep.Problems()[:min(5, len(rep.Problems()))])
	}
}
