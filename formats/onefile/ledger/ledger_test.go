package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
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
func TestRecordTransitions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "ledger.db")
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
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
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

func TestRunsAndResults(t *testing.T) {
	ctx := context.Background()
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"))
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
