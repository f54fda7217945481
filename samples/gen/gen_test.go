package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
)

// TestSamplesAreGenerated: the files in samples/ are what this generator writes, byte for byte,
// so the documented figures are those of the generator's data and an edit to either shows.
func TestSamplesAreGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"term-start.xlsx", "staff.csv", "learners.csv", "assignments.csv", "learning-aims.xlsx"} {
		want, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatalf("%v: run 'go run ./samples/gen'", err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("samples/%s is not what samples/gen writes: run 'go run ./samples/gen'", name)
		}
	}
}

// TestLearningAimsLoad is samples/README.md's learning-aims command: term-start.xlsx and
// learning-aims.xlsx loaded together into the in-process sandbox put the 15 valid rows' learners
// on their standards (14 also on a framework template), after the users they name are made;
// the misnamed standard is told the nearest title and the repeated row is rejected.
func TestLearningAimsLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var stderr bytes.Buffer
	d := app.Deps{Stderr: &stderr, Getenv: func(string) string { return "" }}
	o := app.LoadOnefileOptions{InputOptions: app.InputOptions{Files: []string{filepath.Join("..", "term-start.xlsx"), filepath.Join("..", "learning-aims.xlsx")},
		ReportDir: filepath.Join(dir, "report"), Quiet: true}, Sandbox: true, State: filepath.Join(dir, "ledger.db"), Concurrency: 4, Rate: 100000}
	out, err := app.LoadOnefile(ctx, d, o)
	if out == nil || out.Load == nil || out.Sandbox == nil {
		t.Fatalf("load: %v\n%s", err, stderr.String())
	}
	if s := out.Sandbox; s.LearningAims != 15 || s.OnTemplates != 14 {
		t.Errorf("the sandbox holds %d learning aims and %d learners on templates, want 15 and 14", s.LearningAims, s.OnTemplates)
	}
	c := out.Load.Counts
	if c["create"] != 41 || c["assign"] != 52 || c["rejected"] != 24 || out.Stats.Calls != 117 {
		t.Errorf("counts %v, %d API calls: want 41 created, 52 assigned (37 assignments, 15 learning aims), 24 rejected, 117 calls (samples/README.md)", c, out.Stats.Calls)
	}
	want := map[int]string{
		17: `no standard of that name in organisation 5740. Did you mean 'Business Administrator (Level 3)'?`,
		18: "The same learner is put on the same standard on row 2",
	}
	for _, r := range out.Load.Results {
		if r.Item.Src.File != "learning-aims.xlsx" {
			continue
		}
		if w, bad := want[r.Item.Row]; bad {
			if r.Status != "rejected" || !strings.Contains(r.Message, w) {
				t.Errorf("learning-aims.xlsx row %d: %s %q, want rejected with %q", r.Item.Row, r.Status, r.Message, w)
			}
			delete(want, r.Item.Row)
		} else if r.Status != "ok" {
			t.Errorf("learning-aims.xlsx row %d: %s %s %q", r.Item.Row, r.Action, r.Status, r.Message)
		}
	}
	if len(want) != 0 {
		t.Errorf("rows not in the results: %v", want)
	}
}
