package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/load"
)

// TestCancelResumes: a load cancelled midway stops as Ctrl-C stops one (interrupted, what was
// sent recorded); applying the plan again finishes it, and nobody is created twice.
func TestCancelResumes(t *testing.T) {
	ts := startServer(t)
	ts.ws.sandboxRate = 600 // 10 calls a second: the sample's load takes some 9 s
	c := ts.signIn(t)
	ts.upload(t, c, sample)
	var st map[string]any
	ts.postJSON(t, c, "/api/plan", nil, &st)
	plan := ts.state(t, c).Plan
	if plan == nil {
		t.Fatal("no plan")
	}
	if code := ts.postJSON(t, c, "/api/apply", map[string]any{}, &st); code != http.StatusAccepted {
		t.Fatalf("apply: %d %v", code, st)
	}
	// Wait, bounded, for some rows to be done, then cancel.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ts.ws.mu.Lock()
		j := ts.ws.job
		ts.ws.mu.Unlock()
		j.mu.Lock()
		done := j.Done
		j.mu.Unlock()
		if done >= 5 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no row done in 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if code := ts.postJSON(t, c, "/api/apply", map[string]any{}, &st); code != http.StatusConflict {
		t.Errorf("a second apply while one runs: %d, want 409", code)
	}
	ts.postJSON(t, c, "/api/cancel", map[string]any{}, &st)
	first := ts.waitApplied(t, c)
	if first.Apply.Status != "interrupted" || first.Apply.Counts["ok"] >= plan.Writes {
		t.Fatalf("after cancel: %q, %v ok of %d", first.Apply.Status, first.Apply.Counts["ok"], plan.Writes)
	}
	ts.ws.sandboxRate = 0
	if code := ts.postJSON(t, c, "/api/apply", map[string]any{}, &st); code != http.StatusAccepted {
		t.Fatalf("apply again: %d %v", code, st)
	}
	second := ts.waitApplied(t, c)
	if second.Apply.Status != "done" {
		t.Fatalf("apply again: %s %s", second.Apply.Status, second.Apply.Message)
	}
	// Every user of the plan is on the sandbox once.
	snap := ts.ws.box.srv.Snapshot()
	users := map[string]int{}
	for _, u := range snap.Users {
		users[u.Email]++
	}
	created := 0
	for _, r := range ts.ws.plan.plan.Rows {
		if r.Action == load.PlanCreate {
			created++
			if n := users[r.User.Email]; n != 1 {
				t.Errorf("%s is on the sandbox %d times", r.User.Email, n)
			}
		}
	}
	if created == 0 {
		t.Error("the plan creates nobody")
	}
}

// TestLiveNeedsTypedConfirmation: a plan against OneFile live is not applied until the
// organisation's ID is typed.
func TestLiveNeedsTypedConfirmation(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	ts.ws.mu.Lock()
	ts.ws.plan = &planState{path: "plan.json", plan: &load.Plan{}, live: true, org: 5740}
	ts.ws.mu.Unlock()
	for _, typed := range []string{"", "yes", "5741"} {
		var e map[string]any
		if code := ts.postJSON(t, c, "/api/apply", map[string]any{"confirm": typed}, &e); code != http.StatusBadRequest {
			t.Errorf("confirm %q: %d, want 400", typed, code)
		}
	}
	ts.ws.mu.Lock()
	defer ts.ws.mu.Unlock()
	if ts.ws.job != nil {
		t.Error("a load started without the typed confirmation")
	}
}

// TestApplyErrorSpeaksThePage: a load that cannot start says so in the page's words: not the
// session's temporary folder (meaningless to the officer, and where their files lie) nor a
// command line to type.
func TestApplyErrorSpeaksThePage(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	path := filepath.Join(t.TempDir(), "staff.csv")
	os.WriteFile(path, []byte("Role,First Name,Surname,E-mail,Learner Ref\r\nAssessor,Sian,Oneill,sian.oneill@riverside.example,S-1\r\n"), 0o600)
	ts.upload(t, c, path)
	var st map[string]any
	ts.postJSON(t, c, "/api/plan", nil, &st)
	ts.ws.mu.Lock()
	p := ts.ws.plan
	ts.ws.mu.Unlock()
	if p == nil {
		t.Fatalf("no plan: %v", st["error"])
	}
	// The plan on disk no longer holds a row's values (edited by hand, say).
	b, err := os.ReadFile(p.path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rows, _ := doc["rows"].([]any)
	if len(rows) != 1 {
		t.Fatalf("the plan has %d rows, want 1", len(rows))
	}
	delete(rows[0].(map[string]any), "user")
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(p.path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := ts.postJSON(t, c, "/api/apply", map[string]any{}, &st); code != http.StatusAccepted {
		t.Fatalf("apply: %d %v", code, st)
	}
	got := ts.waitApplied(t, c).Apply
	if got.Status != "failed" || got.Message == "" {
		t.Fatalf("apply of a damaged plan: %q %q, want failed with a reason", got.Status, got.Message)
	}
	for _, bad := range []string{ts.Dir(), "bulk load onefile", "--dry-run"} {
		if strings.Contains(got.Message, bad) {
			t.Errorf("the page's message %q holds %q", got.Message, bad)
		}
	}
	if !strings.Contains(got.Message, "Plan the load") {
		t.Errorf("the page's message %q does not say to plan again on the page", got.Message)
	}
}
