package ledger

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/lockfile"
)

func open(t *testing.T, path string) *Ledger {
	t.Helper()
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// eachBackend runs a ledger test on SQLite and on PostgreSQL, as subtests; place gives a new
// ledger's place each call (file: its name in a new folder, for SQLite).
func eachBackend(t *testing.T, test func(t *testing.T, place func(file string) string)) {
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			test(t, func(file string) string { return b.Place(t, file) })
		})
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/st", "HOME": "/home/a"}, "/st/bulk/ledger.db"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/a"}, "/home/a/.local/state/bulk/ledger.db"},
		{map[string]string{"HOME": "/home/a"}, "/home/a/.local/state/bulk/ledger.db"},
	}
	for _, tt := range tests {
		got, err := DefaultPath(func(k string) string { return tt.env[k] })
		if err != nil || got != tt.want {
			t.Errorf("DefaultPath(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}

// TestRecordTransitions walks a key through the states a load writes and checks what a later
// run reads back, including that an intent does not forget an ID found earlier.
func TestRecordTransitions(t *testing.T) { eachBackend(t, testRecordTransitions) }

func testRecordTransitions(t *testing.T, place func(string) string) {
	ctx := context.Background()
	path := place("sub/ledger.db")
	l := open(t, path)
	sc := Scope{APIRoot: "http://127.0.0.1:1/api/v2.1", Org: 5740}
	other := Scope{APIRoot: sc.APIRoot, Org: 5741}
	steps := []struct {
		st     State
		id     string
		wantID string
	}{
		{Intent, "", ""},
		{Done, "100001", "100001"},
		{Intent, "", "100001"}, // an update of the same user later: the ID stays
		{Failed, "", "100001"},
	}
	for i, s := range steps {
		if err := l.Record(ctx, sc, int64(i+1), "user/misid/L1", s.st, "create", s.id, "m"); err != nil {
			t.Fatal(err)
		}
		it, ok, err := l.Item(ctx, sc, "user/misid/L1")
		if err != nil || !ok {
			t.Fatalf("step %d: Item = %v, %v", i, ok, err)
		}
		if it.State != s.st || it.OneFileID != s.wantID || it.RunID != int64(i+1) {
			t.Errorf("step %d: got %+v, want state %s id %q run %d", i, it, s.st, s.wantID, i+1)
		}
	}
	if _, ok, _ := l.Item(ctx, other, "user/misid/L1"); ok {
		t.Error("a key in one organisation is visible in another")
	}
	// Reopen: what was written survives the process.
	l.Close()
	l2 := open(t, path)
	items, err := l2.Items(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items["user/misid/L1"].State != Failed {
		t.Errorf("after reopen: %+v", items)
	}
}

// TestConcurrentWriters has many goroutines on two handles (as two processes would) write at
// once: the busy timeout and the single connection must make every write land.
func TestConcurrentWriters(t *testing.T) { eachBackend(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T, place func(string) string) {
	ctx := context.Background()
	path := place("ledger.db")
	a, b := open(t, path), open(t, path)
	sc := Scope{APIRoot: "x", Org: 1}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := a
			if w%2 == 1 {
				l = b
			}
			for i := 0; i < 50; i++ {
				key := fmt.Sprintf("k%d-%d", w, i)
				if err := l.Record(ctx, sc, 1, key, Intent, "create", "", ""); err != nil {
					errs <- err
				}
				if err := l.Record(ctx, sc, 1, key, Done, "create", fmt.Sprint(i), ""); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	items, err := a.Items(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 400 {
		t.Errorf("%d items, want 400", len(items))
	}
	for k, it := range items {
		if it.State != Done {
			t.Errorf("%s: %s", k, it.State)
		}
	}
}

func TestRunsAndResults(t *testing.T) { eachBackend(t, testRunsAndResults) }

func testRunsAndResults(t *testing.T, place func(string) string) {
	ctx := context.Background()
	l := open(t, place("ledger.db"))
	id1, err := l.StartRun(ctx, Run{APIRoot: "u", Org: 1, Mode: "create", Inputs: []string{"a.xlsx"}})
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := l.StartRun(ctx, Run{APIRoot: "u", Org: 1, Mode: "upsert", DryRun: true})
	want := []Result{
		{Seq: 0, File: "a.xlsx", Sheet: "Staff", Row: 2, Kind: "onefile-users", Action: "create", Status: "ok", OneFileID: "100001"},
		{Seq: 1, File: "a.xlsx", Sheet: "Staff", Row: 3, Kind: "onefile-users", Action: "reject", Status: "rejected", Message: "Email is required"},
	}
	if err := l.AddResults(ctx, id1, want); err != nil {
		t.Fatal(err)
	}
	if err := l.FinishRun(ctx, id1, "failed", map[string]int64{"ok": 1, "rejected": 1}); err != nil {
		t.Fatal(err)
	}
	runs, err := l.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].ID != id1 {
		t.Fatalf("runs = %+v", runs)
	}
	r1 := runs[1]
	if r1.Status != "failed" || r1.Counts["rejected"] != 1 || r1.Finished.IsZero() || len(r1.Inputs) != 1 || r1.Mode != "create" {
		t.Errorf("run 1 = %+v", r1)
	}
	if host, _ := os.Hostname(); runs[0].Host != host {
		t.Errorf("run 2 ran on %q, recorded %q", host, runs[0].Host)
	}
	if !runs[0].DryRun || runs[0].Status != "running" || !runs[0].Finished.IsZero() {
		t.Errorf("run 2 = %+v", runs[0])
	}
	got, err := l.Results(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results = %+v, want %+v", got, want)
	}
	if _, err := l.Run(ctx, 999); !errors.Is(err, ErrNoRun) {
		t.Errorf("Run(999) err = %v", err)
	}
}

// TestIntend: an intent is written only over the record the run read at its start, or over
// what the run wrote itself.
func TestIntend(t *testing.T) { eachBackend(t, testIntend) }

func testIntend(t *testing.T, place func(string) string) {
	ctx := context.Background()
	sc := Scope{APIRoot: "http://127.0.0.1:1/api/v2.1", Org: 5740}
	const key = "user/misid/L1"
	tests := []struct {
		name   string
		before func(l *Ledger)             // the ledger before the run reads it
		after  func(l *Ledger)             // another run's writes after it read it
		runID  int64                       // the run that intends
		want   error                       // nil or ErrTaken
		check  func(t *testing.T, it Item) // the record afterwards
	}{
		{name: "absent, still absent", runID: 7},
		{name: "done by an earlier run", runID: 7,
			before: func(l *Ledger) { l.Record(ctx, sc, 3, key, Done, "create", "100001", "") },
			check: func(t *testing.T, it Item) {
				if it.OneFileID != "100001" {
					t.Errorf("the intent forgot the ID: %+v", it)
				}
			}},
		{name: "written by another run after this one read it", runID: 7, want: ErrTaken,
			after: func(l *Ledger) { l.Record(ctx, sc, 8, key, Intent, "create", "", "") }},
		{name: "another run's intent became done after this one read it", runID: 7, want: ErrTaken,
			before: func(l *Ledger) { l.Record(ctx, sc, 6, key, Intent, "create", "", "") },
			after:  func(l *Ledger) { l.Record(ctx, sc, 6, key, Done, "create", "100002", "") }},
		{name: "written by this run since it read it", runID: 7,
			after: func(l *Ledger) { l.Record(ctx, sc, 7, key, Failed, "create", "", "refused") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := open(t, place("ledger.db"))
			if tc.before != nil {
				tc.before(l)
			}
			items, err := l.Items(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(l)
			}
			prev, _, _ := l.Item(ctx, sc, key)
			err = l.Intend(ctx, sc, tc.runID, key, "create", "", items[key])
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Intend: %v, want %v", err, tc.want)
			}
			it, _, _ := l.Item(ctx, sc, key)
			if tc.want != nil {
				var te *TakenError
				if !errors.As(err, &te) || te.By.RunID != prev.RunID || !strings.Contains(err.Error(), fmt.Sprintf("run %d", prev.RunID)) {
					t.Errorf("the refusal %v does not name run %d", err, prev.RunID)
				}
				if it != prev {
					t.Errorf("a refused intent changed the record: %+v, was %+v", it, prev)
				}
				return
			}
			if it.State != Intent || it.RunID != tc.runID {
				t.Errorf("record %+v, want run %d's intent", it, tc.runID)
			}
			if tc.check != nil {
				tc.check(t, it)
			}
		})
	}
}

// When the test binary runs with LEDGER_INTEND=PATH,RUNID it is a load process: it opens the
// ledger, reads the scope, waits for its stdin to close (all processes have read), then intends
// the key. Exit 0: it got the intent; 3: refused as taken.
func TestMain(m *testing.M) {
	if v := os.Getenv("LEDGER_INTEND"); v != "" {
		path, id, _ := strings.Cut(v, ",")
		runID, _ := strconv.ParseInt(id, 10, 64)
		l, err := Open(path)
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		ctx := context.Background()
		sc := Scope{APIRoot: "u", Org: 1}
		items, err := l.Items(ctx, sc)
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		fmt.Println("read")
		io.Copy(io.Discard, os.Stdin)
		err = l.Intend(ctx, sc, runID, "user/misid/L1", "create", "", items["user/misid/L1"])
		l.Close()
		switch {
		case err == nil:
			os.Exit(0)
		case errors.Is(err, ErrTaken):
			os.Exit(3)
		}
		fmt.Println(err)
		os.Exit(2)
	}
	os.Exit(pgtest.Main(m))
}

// TestIntendAcrossProcesses is the hole two loads into one organisation leave without a lock:
// several processes read the ledger, all find no record of a learner, and all go to create it.
// With Intend exactly one of them may.
func TestIntendAcrossProcesses(t *testing.T) { eachBackend(t, testIntendAcrossProcesses) }

func testIntendAcrossProcesses(t *testing.T, place func(string) string) {
	path := place("ledger.db")
	open(t, path).Close() // the schema, before the processes race for it
	const n = 4
	var procs []*exec.Cmd
	var stdins []io.WriteCloser
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("LEDGER_INTEND=%s,%d", path, i+1))
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "read" {
			t.Fatalf("process %d: %q", i, line)
		}
		go io.Copy(io.Discard, out)
		procs, stdins = append(procs, cmd), append(stdins, in)
	}
	for _, in := range stdins { // every process has read: let them all intend at once
		in.Close()
	}
	won, taken := 0, 0
	for i, cmd := range procs {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			won++
		case errors.As(err, &ee) && ee.ExitCode() == 3:
			taken++
		default:
			t.Errorf("process %d: %v", i, err)
		}
	}
	if won != 1 || taken != n-1 {
		t.Errorf("%d processes got the intent and %d were refused, want 1 and %d", won, taken, n-1)
	}
}

func TestLockScope(t *testing.T) { eachBackend(t, testLockScope) }

func testLockScope(t *testing.T, place func(string) string) {
	path := place("ledger.db")
	dir := filepath.Dir(path)
	l := open(t, path)
	beta := Scope{APIRoot: "https://wsapibeta.onefile.co.uk/api/v2.1", Org: 5740}
	lk, err := l.LockScope(beta)
	if err != nil {
		t.Fatal(err)
	}
	if sqlstore.IsURL(path) {
		if !strings.Contains(lk.Path(), "onefile-wsapibeta.onefile.co.uk-org5740-") || !strings.Contains(lk.Path(), "PostgreSQL advisory lock") {
			t.Errorf("lock %s", lk.Path())
		}
	} else if got := filepath.Base(lk.Path()); !strings.HasPrefix(got, "onefile-wsapibeta.onefile.co.uk-org5740-") || filepath.Dir(lk.Path()) != filepath.Join(dir, "locks") {
		t.Errorf("lock file %s", lk.Path())
	}
	// The same scope, spelled otherwise, and through another handle on the ledger (another
	// process, or another machine): refused, naming the holder.
	l2 := open(t, path)
	_, err = l2.LockScope(Scope{APIRoot: "HTTPS://wsapibeta.onefile.co.uk/api/v2.1/", Org: 5740})
	var he *lockfile.HeldError
	if !errors.Is(err, lockfile.ErrLocked) || !errors.As(err, &he) || he.Holder == nil || he.Holder.PID != os.Getpid() {
		t.Errorf("the same organisation again: %v, want it locked by this process", err)
	}
	// Another organisation, or the same number on another root: free.
	for _, sc := range []Scope{{APIRoot: beta.APIRoot, Org: 5741}, {APIRoot: "https://wsapi.onefile.co.uk/api/v2.1", Org: 5740}} {
		o, err := l2.LockScope(sc)
		if err != nil {
			t.Errorf("%+v: %v", sc, err)
			continue
		}
		o.Release()
	}
	// Released, it is free for the other handle.
	lk.Release()
	again, err := l2.LockScope(beta)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if again.Stale != nil {
		t.Errorf("a lock left cleanly reads as stale: %+v", again.Stale)
	}
	again.Release()
	// A load that died holding the lock (recorded as running, never finished) is named to the
	// next: by its lock file, or in PostgreSQL by its run.
	ctx := context.Background()
	if _, err := l.StartRun(ctx, Run{APIRoot: beta.APIRoot, Org: beta.Org, Mode: "create"}); err != nil {
		t.Fatal(err)
	}
	if !sqlstore.IsURL(path) {
		return // a lock file is stale only when its holder died holding it (lockfile's tests)
	}
	next, err := l2.LockScope(beta)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Release()
	if next.Stale == nil || next.Stale.PID != os.Getpid() {
		t.Errorf("the unfinished run is not named: %+v", next.Stale)
	}
}

// A ledger made before versions were recorded (the first schema, no schema_version) is brought
// up to date on open, its runs and items kept.
func TestMigrateUnversionedLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(append([]string{}, schema...),
		`INSERT INTO runs (started, api_root, org, mode, status, pid) VALUES ('2026-01-05T02:00:00Z', 'u', 1, 'create', 'ok', 42)`,
		`INSERT INTO items (api_root, org, key, state, action, run_id, updated) VALUES ('u', 1, 'user/misid/L1', 'done', 'create', 1, 'x')`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	l := open(t, path)
	ctx := context.Background()
	runs, err := l.Runs(ctx, 0)
	if err != nil || len(runs) != 1 || runs[0].PID != 42 || runs[0].Host != "" {
		t.Fatalf("runs after migrating: %+v, %v", runs, err)
	}
	if it, ok, err := l.Item(ctx, Scope{APIRoot: "u", Org: 1}, "user/misid/L1"); err != nil || !ok || it.State != Done {
		t.Errorf("item after migrating: %+v %v %v", it, ok, err)
	}
	if _, err := l.StartRun(ctx, Run{APIRoot: "u", Org: 1, Mode: "create"}); err != nil {
		t.Errorf("a new run in a migrated ledger: %v", err)
	}
}
