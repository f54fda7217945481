package load

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

// TestCollectorKeepsEveryRow: every row read has an item, in input order, rejected ones
// included; a strict run's report rejects rows with warnings after the sink took them, and
// Items drops their values.
func TestCollectorKeepsEveryRow(t *testing.T) {
	for _, strict := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "users.csv")
		body := "Role,FirstName,LastName,Email,MISID,ClassroomID\n" +
			"5,Ada,Stone,ada@x.example,S1,\n" +
			"5,No,,no@x.example,S2,\n" +
			"5,Warn,Ing,warn@x.example,S3,101\n" // a learner-only field on staff: a warning
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := read.Open(path, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		col := NewCollector()
		rep := report.New(dir, strict)
		if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Sink: col, Reporter: tee{rep, col}}); err != nil {
			t.Fatal(err)
		}
		in.Close()
		items := col.Items(rep.Rejected)
		want := []bool{false, true, strict}
		if len(items) != len(want) {
			t.Fatalf("strict=%v: %d items, want %d", strict, len(items), len(want))
		}
		for i, it := range items {
			if it.Seq != i || it.Row != i+2 || it.Rejected != want[i] || (it.User == nil) != want[i] {
				t.Errorf("strict=%v item %d: seq %d row %d rejected %v user %v; want rejected %v", strict, i, it.Seq, it.Row, it.Rejected, it.User != nil, want[i])
			}
			if it.Rejected && it.Why == "" {
				t.Errorf("strict=%v row %d rejected without a reason", strict, it.Row)
			}
		}
		if u := items[0].User; u == nil || u.MISID != "S1" || u.Fields["FirstName"] != "Ada" {
			t.Errorf("strict=%v: first row kept as %+v", strict, items[0].User)
		}
	}
}
