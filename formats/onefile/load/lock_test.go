package load

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// TestLockOption: Options.Lock is asked for the organisation once it is known; refused, the load
// sends nothing and records no run; taken, it is held until the run is recorded, then released.
func TestLockOption(t *testing.T) {
	busy := errors.New("organisation 5740 is busy")
	tests := []struct {
		name    string
		refuse  bool
		wantErr error
	}{
		{name: "refused", refuse: true, wantErr: busy},
		{name: "taken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			led := openLedger(t)
			items := termStart(t, 3)
			var asked []Organisation
			released := 0
			var finishedAtRelease bool
			o := Options{Ledger: led, Client: NewAPIClient(newClient(t, b)), APIRoot: b.url, Org: 5740,
				Lock: func(org Organisation) (func(), error) {
					asked = append(asked, org)
					if tc.refuse {
						return nil, busy
					}
					return func() {
						released++
						runs, _ := led.Runs(context.Background(), 1)
						finishedAtRelease = len(runs) == 1 && !runs[0].Finished.IsZero()
					}, nil
				}}
			out, err := Run(context.Background(), items, o)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Run: %v, want %v", err, tc.wantErr)
			}
			if len(asked) != 1 || asked[0].ID != 5740 || asked[0].Name == "" {
				t.Errorf("Lock was asked for %+v, want organisation 5740 once", asked)
			}
			snap := b.Snapshot()
			runs, _ := led.Runs(context.Background(), 0)
			if tc.refuse {
				for ep, n := range snap.Calls {
					if strings.HasPrefix(ep, "POST /User") || strings.Contains(ep, "Assign") {
						t.Errorf("a refused load called %s %d times", ep, n)
					}
				}
				if len(runs) != 0 {
					t.Errorf("a refused load recorded runs %+v", runs)
				}
				if !out.NotStarted {
					t.Error("a refused load is not NotStarted")
				}
				for _, r := range out.Results { // not tried, so not failed
					if r.Status != StatusSkipped || !strings.Contains(r.Message, busy.Error()) {
						t.Errorf("row %d: %s %q, want skipped naming the lock", r.Item.Row, r.Status, r.Message)
					}
				}
				return
			}
			if released != 1 || !finishedAtRelease {
				t.Errorf("released %d times (run recorded first: %v), want once, after", released, finishedAtRelease)
			}
			if !out.OK() || len(runs) != 1 {
				t.Errorf("outcome %v, runs %d", statuses(out), len(runs))
			}
			checkOnce(t, b, items)
		})
	}
}

// racingClient is a Client during whose download of the organisation's users another load
// (another handle on the ledger, as another process) records an intent for a row: after this
// load read the ledger, before it sends.
type racingClient struct {
	Client
	once  sync.Once
	other func()
}

func (c *racingClient) SearchUsers(ctx context.Context, f UserFilter, each func([]User) error) error {
	c.once.Do(c.other)
	return c.Client.SearchUsers(ctx, f, each)
}

// TestRowTakenByAnotherLoad: when another load recorded a row in the ledger after this load read
// it (two loads at once without the organisation's lock), this load does not send that row: it
// fails with rule concurrent-load, the rows depending on it are not sent, the other load's
// record stays as it was, and the rest load.
func TestRowTakenByAnotherLoad(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	led := openLedger(t)
	other, err := ledger.Open(led.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sc := ledger.Scope{APIRoot: b.url, Org: 5740}
	const taken = "user/misid/new-l1"
	items := termStart(t, 3)
	c := &racingClient{Client: NewAPIClient(newClient(t, b)), other: func() {
		if err := other.Record(context.Background(), sc, 999, taken, ledger.Intent, ActCreate, "", ""); err != nil {
			t.Error(err)
		}
	}}
	out, err := Run(context.Background(), items, Options{Ledger: led, Client: c, APIRoot: b.url, Org: 5740})
	if err != nil {
		t.Fatal(err)
	}
	rec := recorded(out)
	failed := 0
	for _, r := range out.Results {
		switch {
		case r.Item.User != nil && r.Item.User.MISID == "NEW-L1":
			if r.Action != ActCreate || r.Status != StatusFailed || !strings.Contains(r.Message, "another load (run 999)") {
				t.Errorf("the taken row: %s/%s %q", r.Action, r.Status, r.Message)
			}
		case r.Status == StatusFailed:
			failed++ // NEW-L1's assignments: not sent
			if !strings.Contains(r.Message, "not sent") {
				t.Errorf("row %d failed: %q", r.Item.Row, r.Message)
			}
		case r.Status != StatusOK:
			t.Errorf("row %d: %s/%s %q", r.Item.Row, r.Action, r.Status, r.Message)
		}
	}
	if failed != 1 {
		t.Errorf("%d rows failed besides NEW-L1, want its one assignment", failed)
	}
	rules := map[string]int{}
	for _, p := range rec.problems {
		rules[p.Rule]++
	}
	if rules[RuleConcurrent] != 1 || rules[RuleNotSent] != failed {
		t.Errorf("problems by rule %v, want 1 %s and %d %s", rules, RuleConcurrent, failed, RuleNotSent)
	}
	for _, u := range b.Snapshot().Users {
		if u.MISID == "NEW-L1" {
			t.Errorf("NEW-L1 was created (user %d) though another load had recorded it", u.ID)
		}
	}
	if it, _, _ := led.Item(context.Background(), sc, taken); it.RunID != 999 || it.State != ledger.Intent {
		t.Errorf("the other load's record became %+v", it)
	}
}
