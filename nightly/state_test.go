package nightly

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
)

var kindT = &pipeline.Kind{Name: "t", Fields: []pipeline.Field{{Name: "ID", Unique: true}, {Name: "Name"}}}

type sinkFunc func(*pipeline.Row) error

func (f sinkFunc) Accept(r *pipeline.Row) error { return f(r) }

type differSink struct{ d *Differ }

func (s differSink) Accept(r *pipeline.Row) error { s.d.Classify(r); return nil }

const (
	targetA = "onefile https://wsapibeta.onefile.co.uk/api/v2.1 org=5740"
	targetB = "onefile https://wsapi.onefile.co.uk/api/v2.1 org=5740"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// eachBackend runs a state test on a new state in SQLite and in PostgreSQL, as subtests.
func eachBackend(t *testing.T, test func(t *testing.T, st *State)) {
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			st, err := OpenState(b.Place(t, "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			test(t, st)
		})
	}
}

// diffRun classifies a file's rows as a nightly plan does and finishes the diff.
func diffRun(t *testing.T, st *State, job, target string, header []string, data [][]string) *Differ {
	t.Helper()
	d, err := st.NewDiffer(job, target)
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

func commitAll(t *testing.T, st *State, d *Differ, run string) int {
	t.Helper()
	n, err := st.Commit(context.Background(), d, run, func(int, int) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sends lists the data rows (1-based, as in the file after its header) the differ lets through.
func sends(d *Differ, rows int) []int {
	var out []int
	for i := 1; i <= rows; i++ {
		if d.Sends(0, i+1) {
			out = append(out, i)
		}
	}
	return out
}

var fourRows = [][]string{{"1", "Ann"}, {"2", "Bo"}, {"3", "Cy"}, {"4", "Di"}}

func TestDiffAcrossRuns(t *testing.T) { eachBackend(t, testDiffAcrossRuns) }

func testDiffAcrossRuns(t *testing.T, st *State) {
	d := diffRun(t, st, "job", targetA, []string{"ID", "Name"}, fourRows)
	if c := d.Counts; c.New != 4 || c.Known != 0 {
		t.Fatalf("first run: %+v", c)
	}
	// Row 3 (ID 2) failed at the target: it must be sent again next time.
	if n, err := st.Commit(context.Background(), d, "R1", func(src, row int) bool { return row != 3 }); err != nil || n != 3 {
		t.Fatalf("commit: %d, %v", n, err)
	}
	// Columns reordered, ID 3 changed, ID 4 gone, ID 5 new.
	d = diffRun(t, st, "job", targetA, []string{"Name", "ID"}, [][]string{{"Ann", "1"}, {"Bo", "2"}, {"Cyd", "3"}, {"Eve", "5"}})
	want := DiffCounts{Known: 3, New: 2, Changed: 1, Unchanged: 1, Missing: 1}
	if d.Counts != want {
		t.Fatalf("second run: %+v, want %+v", d.Counts, want)
	}
	th := Thresholds{MaxChanges: Limit{Count: 0, Set: true}, MaxMissing: Limit{Percent: 50, Set: true}}
	if why := th.Evaluate(d.Counts); len(why) != 1 || !strings.Contains(why[0], "1 known rows would be updated") {
		t.Errorf("Evaluate = %q", why)
	}
}

func TestSends(t *testing.T) { eachBackend(t, testSends) }

func testSends(t *testing.T, st *State) {
	d := diffRun(t, st, "job", targetA, []string{"ID", "Name"}, [][]string{{"1", "Ann"}, {"", "nokey"}, {"3", "Cy"}})
	if n := commitAll(t, st, d, "R1"); n != 2 {
		t.Errorf("committed %d, want 2: a row without a key has nothing to remember it by", n)
	}
	d = diffRun(t, st, "job", targetA, []string{"ID", "Name"}, [][]string{{"1", "Ann"}, {"", "nokey"}, {"3", "Cyd"}})
	if got := sends(d, 4); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("sends rows %v, want [2 3] (no key, changed)", got)
	}
	if d.ToSend() != 2 || d.Counts.NoKey != 1 {
		t.Errorf("ToSend %d, counts %+v", d.ToSend(), d.Counts)
	}
}

// TestDiffKeyedByTarget: defect 1 of issue 10. What a job sent to one organisation or
// environment says nothing about another: the same job pointed elsewhere sends every row.
func TestDiffKeyedByTarget(t *testing.T) { eachBackend(t, testDiffKeyedByTarget) }

func testDiffKeyedByTarget(t *testing.T, st *State) {
	commitAll(t, st, diffRun(t, st, "learners", targetA, []string{"ID", "Name"}, fourRows), "R1")
	for _, tt := range []struct {
		name, job, target string
		want              DiffCounts
	}{
		{"same job, same target", "learners", targetA, DiffCounts{Known: 4, Unchanged: 4}},
		{"same job, live instead of beta", "learners", targetB, DiffCounts{New: 4}},
		{"same job, another organisation", "learners", "onefile https://wsapibeta.onefile.co.uk/api/v2.1 org=5741", DiffCounts{New: 4}},
		{"another job, same target", "staff", targetA, DiffCounts{New: 4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := diffRun(t, st, tt.job, tt.target, []string{"ID", "Name"}, fourRows)
			if d.Counts != tt.want {
				t.Errorf("counts %+v, want %+v", d.Counts, tt.want)
			}
			if d.Target() != tt.target {
				t.Errorf("Target() = %q", d.Target())
			}
		})
	}
	// Sending to B leaves A's memory alone.
	commitAll(t, st, diffRun(t, st, "learners", targetB, []string{"ID", "Name"}, [][]string{{"1", "Ann changed"}}), "R2")
	if d := diffRun(t, st, "learners", targetA, []string{"ID", "Name"}, fourRows); d.Counts.Unchanged != 4 {
		t.Errorf("target A after a run to B: %+v", d.Counts)
	}
	if _, err := st.NewDiffer("learners", ""); err == nil || !strings.Contains(err.Error(), "target key") {
		t.Errorf("a differ with no target: %v", err)
	}
}

// keys yields the natural keys a target holds, spelt as RowKey spells a row's.
func keys(kind string, ids ...string) func(func(string, string) bool) {
	return func(yield func(string, string) bool) {
		for _, id := range ids {
			if !yield(kind, "ID="+strings.ToLower(id)) {
				return
			}
		}
	}
}

// TestReconcile: defect 2 of issue 10. A row whose key is not on the target is new whatever
// the state says, so users that vanished from the target are sent again.
func TestReconcile(t *testing.T) { eachBackend(t, testReconcile) }

func testReconcile(t *testing.T, st *State) {
	commitAll(t, st, diffRun(t, st, "job", targetA, []string{"ID", "Name"}, fourRows), "R1")
	// Next night: ID 2 changed, ID 5 new; the others unchanged.
	next := [][]string{{"1", "Ann"}, {"2", "Bob"}, {"3", "Cy"}, {"4", "Di"}, {"5", "Eve"}}
	for _, tt := range []struct {
		name      string
		onTarget  []string
		want      DiffCounts
		wantSends []int
	}{
		{"target holds every known key", []string{"1", "2", "3", "4"},
			DiffCounts{Known: 4, New: 1, Changed: 1, Unchanged: 3}, []int{2, 5}},
		{"a refreshed beta holds nothing", nil,
			DiffCounts{Known: 4, New: 5, NotOnTarget: 4}, []int{1, 2, 3, 4, 5}},
		{"two unchanged and the changed one archived", []string{"1", "5", "other"},
			DiffCounts{Known: 4, New: 4, Unchanged: 1, NotOnTarget: 3}, []int{2, 3, 4, 5}},
		{"keys of another kind do not count", nil,
			DiffCounts{Known: 4, New: 5, NotOnTarget: 4}, []int{1, 2, 3, 4, 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := diffRun(t, st, "job", targetA, []string{"ID", "Name"}, next)
			on := keys(kindT.Name, tt.onTarget...)
			if strings.Contains(tt.name, "another kind") {
				on = keys("other-kind", "1", "2", "3", "4")
			}
			if got := d.Reconcile(on); got != tt.want || d.Counts != tt.want {
				t.Errorf("counts %+v, want %+v", got, tt.want)
			}
			if got := sends(d, len(next)); !slices.Equal(got, tt.wantSends) {
				t.Errorf("sends rows %v, want %v", got, tt.wantSends)
			}
			if d.ToSend() != len(tt.wantSends) {
				t.Errorf("ToSend %d, want %d", d.ToSend(), len(tt.wantSends))
			}
		})
	}
	// Once the vanished rows are sent and committed, the next night with them back on the
	// target sends nothing.
	d := diffRun(t, st, "job", targetA, []string{"ID", "Name"}, next)
	d.Reconcile(keys(kindT.Name))
	if n := commitAll(t, st, d, "R2"); n != 5 {
		t.Fatalf("committed %d, want 5", n)
	}
	d = diffRun(t, st, "job", targetA, []string{"ID", "Name"}, next)
	if c := d.Reconcile(keys(kindT.Name, "1", "2", "3", "4", "5")); c != (DiffCounts{Known: 5, Unchanged: 5}) {
		t.Errorf("after sending them: %+v", c)
	}
}

// TestRowKey: the key diffing uses is the kind's natural key, so a caller naming a target's
// records can spell it the same way.
func TestRowKey(t *testing.T) {
	var got [][2]string
	sink := sinkFunc(func(r *pipeline.Row) error {
		kind, key := RowKey(r)
		got = append(got, [2]string{kind, key})
		return nil
	})
	in := pipelinetest.CSV("f.csv", []string{"Name", "ID"}, []string{"Ann", "AB-1"}, []string{"Bo", ""})
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: kindT, Sink: sink}); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"t", "ID=ab-1"}, {"t", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("RowKey gave %v, want %v", got, want)
	}
}

func TestRunHistory(t *testing.T) { eachBackend(t, testRunHistory) }

func testRunHistory(t *testing.T, st *State) {
	t0 := time.Date(2026, 11, 25, 2, 0, 1, 0, time.UTC)
	for i, r := range []Run{
		{ID: "R1", Job: "learners", JobPath: "/etc/bulk/learners.yaml", Target: targetA, File: "a.csv", Started: t0},
		{ID: "R2", Job: "staff", JobPath: "/etc/bulk/staff.yaml", Target: targetA, File: "b.csv", Started: t0.Add(time.Minute)},
		{ID: "R3", Job: "learners", JobPath: "/etc/bulk/learners.yaml", Target: targetB, File: "c.csv", Started: t0.Add(2 * time.Minute), Report: "/r/R3"},
	} {
		if err := st.StartRun(r); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if err := st.StartRun(Run{ID: "R1", Job: "learners", File: "again.csv", Started: t0}); err == nil || !strings.Contains(err.Error(), "R1") {
		t.Errorf("a second run with one ID: %v", err)
	}
	if err := st.FinishRun("R3", "held", "/archive/held/R3-c.csv", map[string]any{"held_because": []string{"too many"}, "sent": 0}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPlan("R3", "/r/R3/plan.json"); err != nil {
		t.Fatal(err)
	}
	r, err := st.GetRun("R3")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "held" || r.Target != targetB || r.Plan != "/r/R3/plan.json" || r.JobPath != "/etc/bulk/learners.yaml" ||
		r.Archive != "/archive/held/R3-c.csv" || r.Report != "/r/R3" || !r.Started.Equal(t0.Add(2*time.Minute)) ||
		r.Finished.IsZero() || r.Summary["sent"] != float64(0) {
		t.Errorf("R3 = %+v", r)
	}
	if r, _ := st.GetRun("R2"); r.Status != "running" || !r.Finished.IsZero() || r.Summary != nil || r.Plan != "" {
		t.Errorf("an unfinished run reads as %+v", r)
	}
	if _, err := st.GetRun("R9"); err == nil || !strings.Contains(err.Error(), "no run R9") {
		t.Errorf("GetRun of an unknown run: %v", err)
	}
	ids := func(rs []Run, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		name string
		got  string
		want string
	}{
		{"all runs, newest first", ids(st.Runs(10)), "R3,R2,R1"},
		{"limited", ids(st.Runs(1)), "R3"},
		{"one job's runs", ids(st.JobRuns("learners", 10)), "R3,R1"},
		{"one job's latest", ids(st.JobRuns("learners", 1)), "R3"},
		{"a job with none", ids(st.JobRuns("nobody", 10)), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestStateWriteErrors: a write that does not land says so; none is dropped.
func TestStateWriteErrors(t *testing.T) { eachBackend(t, testStateWriteErrors) }

func testStateWriteErrors(t *testing.T, st *State) {
	if err := st.FinishRun("nope", "done", "", map[string]any{}); err == nil || !strings.Contains(err.Error(), "no such run") {
		t.Errorf("FinishRun of an unknown run: %v", err)
	}
	if err := st.RecordPlan("nope", "/x"); err == nil || !strings.Contains(err.Error(), "no such run") {
		t.Errorf("RecordPlan of an unknown run: %v", err)
	}
	if err := st.StartRun(Run{ID: "R1", Job: "j", File: "f", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun("R1", "done", "", map[string]any{"bad": func() {}}); err == nil || !strings.Contains(err.Error(), "summary") {
		t.Errorf("FinishRun with a summary that cannot be written: %v", err)
	}
	d := diffRun(t, st, "j", targetA, []string{"ID", "Name"}, fourRows)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := st.Commit(ctx, d, "R1", func(int, int) bool { return true }); err == nil || n != 0 || !strings.Contains(err.Error(), "next run will send it again") {
		t.Errorf("Commit with a cancelled context: %d, %v", n, err)
	}
	st.Close()
	for name, err := range map[string]error{
		"StartRun":   st.StartRun(Run{ID: "R2", Job: "j", File: "f", Started: time.Now()}),
		"FinishRun":  st.FinishRun("R1", "done", "", map[string]any{}),
		"RecordPlan": st.RecordPlan("R1", "/x"),
		"Commit": func() error {
			_, err := st.Commit(context.Background(), d, "R1", func(int, int) bool { return true })
			return err
		}(),
		"NewDiffer": func() error { _, err := st.NewDiffer("j", targetA); return err }(),
		"Runs":      func() error { _, err := st.Runs(1); return err }(),
	} {
		if err == nil {
			t.Errorf("%s on a closed state: no error", name)
		}
	}
}

// oldSchema is the state schema before diffs were keyed by target, as bulk created it.
const oldSchema = `
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	job TEXT NOT NULL,
	job_path TEXT NOT NULL DEFAULT '',
	file TEXT NOT NULL,
	status TEXT NOT NULL,
	started TEXT NOT NULL,
	finished TEXT,
	summary TEXT,
	archive TEXT,
	report TEXT
);
CREATE TABLE IF NOT EXISTS row_hashes (
	job TEXT NOT NULL,
	key INTEGER NOT NULL,
	hash INTEGER NOT NULL,
	run TEXT NOT NULL,
	PRIMARY KEY (job, key)
) WITHOUT ROWID;
`

func writeOldState(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{oldSchema,
		`INSERT INTO runs (id, job, job_path, file, status, started, finished, summary, archive, report)
		 VALUES ('OLD1', 'learners', '/etc/bulk/learners.yaml', 'a.csv', 'held', '2026-01-05T02:00:01Z', '2026-01-05T02:00:09Z', '{"sent":0}', '/a/held/OLD1-a.csv', '/r/OLD1')`}
	for i := range 4 {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO row_hashes (job, key, hash, run) VALUES ('learners', %d, %d, 'OLD1')`, int64(fingerprint("t", fmt.Sprintf("ID=%d", i+1))), i))
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateOldState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nightly.db")
	writeOldState(t, path)
	st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.GetRun("OLD1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Job != "learners" || r.Status != "held" || r.Target != "" || r.Plan != "" || r.Summary["sent"] != float64(0) || r.Archive != "/a/held/OLD1-a.csv" {
		t.Errorf("the old run reads as %+v", r)
	}
	// Old fingerprints name no target: they are not carried onto one.
	d := diffRun(t, st, "learners", targetA, []string{"ID", "Name"}, fourRows)
	if d.Counts != (DiffCounts{New: 4}) {
		t.Errorf("after migration: %+v, want every row new", d.Counts)
	}
	commitAll(t, st, d, "NEW1")
	if err := st.StartRun(Run{ID: "NEW1", Job: "learners", Target: targetA, File: "b.csv", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPlan("OLD1", "/r/OLD1/plan.json"); err != nil {
		t.Errorf("recording a plan on an old run: %v", err)
	}
	st.Close()
	// Opening again migrates nothing and loses nothing.
	st, err = OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if d := diffRun(t, st, "learners", targetA, []string{"ID", "Name"}, fourRows); d.Counts != (DiffCounts{Known: 4, Unchanged: 4}) {
		t.Errorf("after reopening: %+v", d.Counts)
	}
	if runs, err := st.JobRuns("learners", 10); err != nil || len(runs) != 2 || runs[0].ID != "NEW1" || runs[1].Plan != "/r/OLD1/plan.json" {
		t.Errorf("runs after reopening: %+v, %v", runs, err)
	}
	var v int
	if err := st.db.QueryRowContext(context.Background(), `PRAGMA user_version`).Scan(&v); err != nil || v != legacyVersion {
		t.Errorf("user_version %d, %v", v, err)
	}
}

// TestMigrateConcurrently: two runs opening an old state at once both get a working state.
func TestMigrateConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nightly.db")
	writeOldState(t, path)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := OpenState(path)
			if err == nil {
				err = st.StartRun(Run{ID: fmt.Sprint("C", i), Job: "learners", Target: targetA, File: "f", Started: time.Now()})
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
	st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if runs, err := st.Runs(10); err != nil || len(runs) != 5 {
		t.Errorf("%d runs after concurrent opens, want 5: %v", len(runs), err)
	}
}

func TestOpenStateRefuses(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenState(newer); err == nil || !strings.Contains(err.Error(), "newer bulk") {
		t.Errorf("a state from a newer bulk: %v", err)
	}
	notDB := filepath.Join(dir, "notes.db")
	writeFile(t, notDB, strings.Repeat("not a database\n", 200))
	if _, err := OpenState(notDB); err == nil || !strings.Contains(err.Error(), notDB) {
		t.Errorf("a file that is not a database: %v", err)
	}
	blocker := filepath.Join(dir, "file")
	writeFile(t, blocker, "")
	if _, err := OpenState(filepath.Join(blocker, "nightly.db")); err == nil || !strings.Contains(err.Error(), "folder of the job state") {
		t.Errorf("a state folder that cannot be made: %v", err)
	}
}

func TestTargetKey(t *testing.T) {
	dir := t.TempDir()
	job := func(kind string, tg Target) *Job {
		return &Job{Path: filepath.Join(dir, "j.yaml"), Kind: kind, Target: tg}
	}
	beta := job("", Target{Type: "onefile", URL: "https://wsapibeta.onefile.co.uk/api/v2.1", Organisation: 5740}).TargetKey()
	for _, tt := range []struct {
		name     string
		job      *Job
		same     bool // the same key as beta
		contains string
	}{
		{"beta", job("", Target{Type: "onefile", URL: "https://wsapibeta.onefile.co.uk/api/v2.1", Organisation: 5740}), true, "org=5740"},
		{"beta written otherwise", job("", Target{Type: "onefile", URL: " HTTPS://WSAPIBeta.onefile.co.uk:443/api/v2.1/?x=1#f", Organisation: 5740}), true, ""},
		{"beta with a user in the URL", job("", Target{Type: "onefile", URL: "https://me:secret@wsapibeta.onefile.co.uk/api/v2.1", Organisation: 5740}), true, ""},
		{"live", job("", Target{Type: "onefile", URL: "https://wsapi.onefile.co.uk/api/v2.1", Organisation: 5740}), false, "wsapi.onefile"},
		{"another organisation", job("", Target{Type: "onefile", URL: "https://wsapibeta.onefile.co.uk/api/v2.1", Organisation: 5741}), false, "org=5741"},
		{"env name", job("", Target{Type: "onefile", Env: "Beta", Organisation: 5740}), true, ""},
		{"env name, other organisation", job("", Target{Type: "onefile", Env: "beta", Organisation: 5741}), false, "org=5741"},
		{"upper-case URL with a trailing slash", job("", Target{Type: "onefile", URL: "https://WSAPIBETA.onefile.co.uk/api/v2.1/", Organisation: 5740}), true, ""},
		{"live by env", job("", Target{Type: "onefile", Env: "live", Organisation: 5740}), false, "https://wsapi.onefile.co.uk/api/v2.1 org=5740"},
		{"practice by env", job("", Target{Type: "onefile", Env: "practice", Organisation: 5740}), false, "wsapi2"},
		{"localhost is 127.0.0.1", job("", Target{Type: "onefile", URL: "http://localhost:8089/api/v2.1"}), false, "http://127.0.0.1:8089/api/v2.1 org=0"},
		{"sandbox port", job("", Target{Type: "onefile", URL: "http://127.0.0.1:8089/api/v2.1"}), false, "http://127.0.0.1:8089/api/v2.1 org=0"},
		{"peoplefluent endpoint", job("training-history", Target{Type: "peoplefluent", Base: "https://LMS.example.ac.uk/ekp/", Endpoint: "trainingHistoryCsv"}), false, "peoplefluent https://lms.example.ac.uk/ekp trainingHistoryCsv"},
		{"peoplefluent by kind", job("courses", Target{Type: "peoplefluent", Base: "https://lms.example.ac.uk/ekp"}), false, "kind:courses"},
		{"export", job("users", Target{Type: "export", Folder: "out"}), false, "export " + filepath.Join(dir, "out")},
		{"validate", job("users", Target{Type: "validate"}), false, "validate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.job.Target.Type == "export" {
				tt.job.Target.Folder = filepath.Join(dir, tt.job.Target.Folder)
			}
			got := tt.job.TargetKey()
			if (got == beta) != tt.same || !strings.Contains(got, tt.contains) {
				t.Errorf("TargetKey() = %q (beta is %q)", got, beta)
			}
			if strings.Contains(got, "secret") || strings.Contains(got, "me@") {
				t.Errorf("the key keeps the URL's user: %q", got)
			}
		})
	}
}

func TestChangeString(t *testing.T) {
	for c, want := range map[Change]string{New: "new", Changed: "changed", Unchanged: "unchanged", NoKey: "no key"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", c, c.String(), want)
		}
	}
}
