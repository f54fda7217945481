package nightly

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadJob(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"minimal", "inputs: {folder: in}\n", ""},
		{"unknown key", "inputs: {folder: in}\ntargte: {type: export}\n", `line 2: "targte" is not a setting`},
		{"every problem at once", "inputs: {folder: in, setle: 2m}\ntarget: {type: ftp}\n", "\"setle\" is not a setting under inputs (see docs/nightly.md for the settings)\n  - target.type \"ftp\""},
		{"secret in file", "inputs: {folder: in}\ntarget: {type: onefile, url: x, token: abc}\n", "secrets are never kept"},
		{"missing folder", "inputs: {folder: nowhere}\n", "is not a folder that exists"},
		{"bad threshold", "inputs: {folder: in}\nthresholds: {max_new: lots}\n", "is not a count"},
		{"export needs kind", "inputs: {folder: in}\ntarget: {type: export, folder: out}\n", "kind is missing"},
		{"bad target", "inputs: {folder: in}\ntarget: {type: ftp}\n", "use validate, export, onefile or peoplefluent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "job.yaml")
			writeFile(t, p, tc.yaml)
			j, err := Load(p)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if j.Inputs.Folder != filepath.Join(dir, "in") || j.Archive != filepath.Join(dir, "in", "archive") || j.Name != "job" {
					t.Errorf("defaults: %+v", j)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "abc") {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		limit        Limit
		n, known     int
		wantExceeded bool
	}{
		{Limit{Count: 10, Set: true}, 10, 0, false},
		{Limit{Count: 10, Set: true}, 11, 0, true},
		{Limit{Percent: 10, Set: true}, 10, 100, false},
		{Limit{Percent: 10, Set: true}, 11, 100, true},
		{Limit{Percent: 10, Set: true}, 500, 0, false},
		{Limit{}, 1000, 10, false},
	}
	for _, tc := range tests {
		if got := tc.limit.Exceeded(tc.n, tc.known); got != tc.wantExceeded {
			t.Errorf("%+v.Exceeded(%d, %d) = %v", tc.limit, tc.n, tc.known, got)
		}
	}
}

func TestReadyAndClaim(t *testing.T) {
	dir := t.TempDir()
	j := &Job{Inputs: Inputs{Folder: dir, Glob: "*.csv", Settle: Duration(time.Minute)}}
	now := time.Now()
	old := now.Add(-2 * time.Minute)
	for _, name := range []string{"a.csv", "b.csv", "~$c.csv", ".d.csv", "e.csv.part"} {
		writeFile(t, filepath.Join(dir, name), "x")
		os.Chtimes(filepath.Join(dir, name), old, old)
	}
	writeFile(t, filepath.Join(dir, "fresh.csv"), "still being written")
	ready, waiting, err := Ready(j, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(base(ready), ","); got != "a.csv,b.csv" {
		t.Errorf("ready = %s", got)
	}
	if got := strings.Join(base(waiting), ","); got != "fresh.csv" {
		t.Errorf("waiting = %s", got)
	}
	j.Inputs.DoneMarker = true
	writeFile(t, filepath.Join(dir, "b.csv.done"), "")
	ready, _, _ = Ready(j, now)
	if got := strings.Join(base(ready), ","); got != "b.csv" {
		t.Errorf("with markers, ready = %s", got)
	}
	claimed, err := Claim(filepath.Join(dir, "b.csv"), "RUN1")
	if err != nil {
		t.Fatal(err)
	}
	if claimed != filepath.Join(dir, "processing", "RUN1-b.csv") || !fileExists(claimed+".done") {
		t.Errorf("claimed = %s", claimed)
	}
	if _, err := Claim(filepath.Join(dir, "b.csv"), "RUN2"); !errors.Is(err, ErrClaimed) {
		t.Errorf("second claim: %v, want ErrClaimed", err)
	}
	done, err := File(claimed, filepath.Join(dir, "archive"), "done")
	if err != nil || done != filepath.Join(dir, "archive", "done", "RUN1-b.csv") || !fileExists(done) || fileExists(claimed) {
		t.Errorf("File = %s, %v", done, err)
	}
}

func base(ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, filepath.Base(p))
	}
	return out
}

func TestLockRefusesSecondRun(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.lock")
	l, err := Acquire(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(p); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second Acquire: %v, want ErrLocked naming the pid", err)
	}
	l.Release()
	l2, err := Acquire(p)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if l2.Stale != "" {
		t.Errorf("a released lock looked stale: %s", l2.Stale)
	}
	l2.l.Release()
	// What a run killed while holding the lock leaves: its text in a file nobody holds.
	if err := os.WriteFile(p, []byte(`{"pid":4242,"command":"bulk run --once job.yaml","since":"2026-01-05T02:00:01Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l3, err := Acquire(p)
	if err != nil || !strings.Contains(l3.Stale, "pid 4242 (bulk run --once job.yaml)") {
		t.Fatalf("after a dead holder: %v, stale %q", err, l3.Stale)
	}
	l3.Release()
}

var kindT = &pipeline.Kind{Name: "t", Fields: []pipeline.Field{{Name: "ID", Unique: true}, {Name: "Name"}}}

type differSink struct{ d *Differ }

func (s differSink) Accept(r *pipeline.Row) error { s.d.Classify(r); return nil }

func diffRun(t *testing.T, st *State, header []string, data [][]string) *Differ {
	t.Helper()
	d, err := st.NewDiffer("job")
	if err != nil {
		t.Fatal(err)
	}
	in := pipelinetest.CSV("f.csv", header, data...)
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: kindT, Sink: differSink{d}}); err != nil {
		t.Fatal(err)
	}
	d.Finish()
	return d
}

func TestDiffAcrossRuns(t *testing.T) {
	st, err := OpenState(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := diffRun(t, st, []string{"ID", "Name"}, [][]string{{"1", "Ann"}, {"2", "Bo"}, {"3", "Cy"}, {"4", "Di"}})
	if c := d.Counts; c.New != 4 || c.Known != 0 {
		t.Fatalf("first run: %+v", c)
	}
	// Row 3 (ID 2) failed at the target: it must be sent again next time.
	if n, err := st.Commit(context.Background(), d, "R1", func(src, row int) bool { return row != 3 }); err != nil || n != 3 {
		t.Fatalf("commit: %d, %v", n, err)
	}
	// Columns reordered, ID 3 changed, ID 4 gone, ID 5 new.
	d = diffRun(t, st, []string{"Name", "ID"}, [][]string{{"Ann", "1"}, {"Bo", "2"}, {"Cyd", "3"}, {"Eve", "5"}})
	want := DiffCounts{Known: 3, New: 2, Changed: 1, Unchanged: 1, Missing: 1}
	if d.Counts != want {
		t.Fatalf("second run: %+v, want %+v", d.Counts, want)
	}
	th := Thresholds{MaxChanges: Limit{Count: 0, Set: true}, MaxMissing: Limit{Percent: 50, Set: true}}
	if why := th.Evaluate(d.Counts); len(why) != 1 || !strings.Contains(why[0], "1 known rows would be updated") {
		t.Errorf("Evaluate = %q", why)
	}
}

func TestSends(t *testing.T) {
	st, err := OpenState(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := diffRun(t, st, []string{"ID", "Name"}, [][]string{{"1", "Ann"}, {"", "nokey"}, {"3", "Cy"}})
	st.Commit(context.Background(), d, "R1", func(int, int) bool { return true })
	d = diffRun(t, st, []string{"ID", "Name"}, [][]string{{"1", "Ann"}, {"", "nokey"}, {"3", "Cyd"}})
	for row, want := range map[int]bool{2: false, 3: true, 4: true, 5: false} {
		if got := d.Sends(0, row); got != want {
			t.Errorf("Sends(row %d) = %v, want %v", row, got, want)
		}
	}
}
