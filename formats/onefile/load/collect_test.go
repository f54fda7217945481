package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// TestCollectorKeepsEveryRow: every row read has an item, in input order, rejected ones
// included; a strict run rejects rows with warnings in the pipeline, before the sink, so the
// collector never keeps their values.
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
		if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Sink: col, Reporter: tee{rep, col}, Strict: strict}); err != nil {
			t.Fatal(err)
		}
		in.Close()
		items := col.Items()
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

// TestCollectorSkipped: rows the run's Keep filter holds back reach the collector as skipped
// (Unchanged, with their values, for the loader to create should OneFile no longer hold the
// user), never through Accept; a strict run rejects a row with a warning
// before Keep is asked, so it is rejected only.
func TestCollectorSkipped(t *testing.T) {
	body := "Role,FirstName,LastName,Email,MISID,ClassroomID\n" +
		"5,Ada,Stone,ada@x.example,S1,\n" + // row 2: unchanged
		"5,No,,no@x.example,S2,\n" + // row 3: rejected (no LastName), Keep never asked
		"5,Warn,Ing,warn@x.example,S3,101\n" + // row 4: unchanged, with a warning
		"5,Bo,Ng,bo@x.example,S4,\n" // row 5: sent
	tests := []struct {
		strict bool
		want   string // row:outcome per item
		asked  string // the rows Keep is asked about
	}{
		{false, "2:unchanged 3:rejected 4:unchanged 5:kept", "S1,S3,S4"},
		{true, "2:unchanged 3:rejected 4:rejected 5:kept", "S1,S4"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("strict=", tc.strict), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "users.csv")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := read.Open(path, read.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			col := NewCollector()
			rep := report.New(dir, tc.strict)
			var asked []string
			keep := func(r *pipeline.Row) bool {
				misid := r.Value(r.Map.Kind.FieldIndex("MISID"))
				asked = append(asked, misid)
				return misid == "S4"
			}
			if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: onefile.Users, Sink: col, Keep: keep, Reporter: tee{rep, col}, Strict: tc.strict}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range col.Items() {
				out := "kept"
				switch {
				case it.Rejected && it.Unchanged:
					out = "rejected+unchanged"
				case it.Rejected:
					out = "rejected"
				case it.Unchanged:
					out = "unchanged"
				}
				if (it.User != nil) != (out == "kept" || out == "unchanged") {
					t.Errorf("row %d (%s): user %+v", it.Row, out, it.User)
				}
				if out == "unchanged" && it.User.MISID != map[int]string{2: "S1", 4: "S3"}[it.Row] {
					t.Errorf("row %d (unchanged) kept the values of MISID %s", it.Row, it.User.MISID)
				}
				got = append(got, fmt.Sprintf("%d:%s", it.Row, out))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("items %q, want %q", g, tc.want)
			}
			if g := strings.Join(asked, ","); g != tc.asked {
				t.Errorf("Keep was asked about %q, want the valid rows %s", g, tc.asked)
			}
		})
	}
}
