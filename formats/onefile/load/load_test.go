package load

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/pipeline"
)

type box struct {
	*sandbox.Server
	url string
}

// startSandbox serves a sandbox on a free loopback port for the test.
func startSandbox(t *testing.T, cfg sandbox.Config) *box {
	t.Helper()
	s := sandbox.New(cfg)
	url, shutdown, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	})
	return &box{s, url}
}

// newClient is the real OneFile client, unpaced (the sandbox has no limit unless a test sets
// one) and with short waits so fault tests take seconds.
func newClient(t *testing.T, b *box) *api.Client {
	t.Helper()
	c, err := api.New(api.Config{BaseURL: b.url, CustomerToken: b.CustomerToken(), RatePerMinute: -1,
		Timeout: 3 * time.Second, BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// validated runs rows through the real validation pipeline, as `bulk load onefile` does, and
// returns what the collector keeps. Each spec is one row, "Field=value;Field=value"; users and
// assignments go to two CSV files of one run.
func validated(t testing.TB, users, assigns []string) []*Item {
	t.Helper()
	var files [][2]any
	if len(users) > 0 {
		files = append(files, [2]any{"users.csv", users})
	}
	if len(assigns) > 0 {
		files = append(files, [2]any{"assignments.csv", assigns})
	}
	return validatedFiles(t, files...)
}

type tee [2]pipeline.Reporter

func (t tee) Table(s *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	t[0].Table(s, k, ps)
	t[1].Table(s, k, ps)
}
func (t tee) Row(r *pipeline.Row, out pipeline.Outcome) { t[0].Row(r, out); t[1].Row(r, out) }
func (t tee) Problem(p pipeline.Problem)                { t[0].Problem(p); t[1].Problem(p) }

// termStart is a term-start load: new staff, learners naming them and the seed's staff by
// MISID, classrooms and placements by name, and assignments at every level.
func termStart(t testing.TB, nLearners int) []*Item {
	t.Helper()
	specs := []string{
		"Role=5;FirstName=Ada;LastName=Stone;Email=ada.stone@northfield.example;MISID=NEW-S1",
		"Role=10;FirstName=Ian;LastName=Quill;Email=ian.quill@northfield.example;MISID=NEW-S2",
		"Role=40;FirstName=Erin;LastName=Boss;Email=erin@cobalt.example;MISID=NEW-E1;PlacementName=Cobalt Software Ltd",
	}
	for i := range nLearners {
		assessor := "NEW-S1"
		if i%3 == 0 {
			assessor = "STF-001" // already on OneFile (seed)
		}
		specs = append(specs, fmt.Sprintf("Role=1;FirstName=L%d;LastName=Learner;Email=l%d@learner.example;MISID=NEW-L%d;DOB=2007-03-14;"+
			"DefaultAssessorMISID=%s;DefaultEmployerEmail=erin@cobalt.example;ClassroomName=Business Administration L3;PlacementName=Cobalt Software Ltd", i, i, i, assessor))
	}
	var as []string
	for i := range nLearners {
		switch i % 3 {
		case 0:
			as = append(as, fmt.Sprintf("LearnerMISID=NEW-L%d;UserMISID=NEW-S2;Level=1", i))
		case 1:
			as = append(as, fmt.Sprintf("LearnerEmail=l%d@learner.example;UserMISID=NEW-S1;Level=3;StandardTitle=Business Administrator (Level 3)", i))
		case 2:
			as = append(as, fmt.Sprintf("LearnerMISID=NEW-L%d;UserEmail=grace.okafor@northfield.example;Level=2;UnitTitle=Communication", i))
		}
	}
	return validated(t, specs, as)
}

// recorder holds the reject report's problems of a load: what its Results carry once it ended.
type recorder struct {
	problems []pipeline.Problem
}

func recorded(out *Outcome) *recorder {
	rec := &recorder{}
	for i := range out.Results {
		if p, ok := out.Results[i].Problem(); ok {
			rec.problems = append(rec.problems, p)
		}
	}
	return rec
}

func openLedger(t *testing.T) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func runLoad(t *testing.T, b *box, items []*Item, o Options) (*Outcome, *recorder) {
	t.Helper()
	o.Client = NewAPIClient(newClient(t, b))
	o.APIRoot = b.url
	if o.Org == 0 {
		o.Org = 5740
	}
	out, err := Run(context.Background(), items, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(out.Results) != len(items) {
		t.Fatalf("%d results for %d rows", len(out.Results), len(items))
	}
	return out, recorded(out)
}

// checkOnce checks the sandbox holds each input user exactly once and no duplicate at all.
func checkOnce(t *testing.T, b *box, items []*Item) {
	t.Helper()
	snap := b.Snapshot()
	if d := snap.Duplicates(); len(d) > 0 {
		t.Errorf("sandbox holds duplicates: %+v", d)
	}
	byMISID := map[string]int{}
	for _, u := range snap.Users {
		byMISID[u.MISID]++
	}
	for _, it := range items {
		if it.User == nil {
			continue
		}
		if m := it.User.MISID; m != "" && byMISID[m] != 1 {
			t.Errorf("MISID %s is on the sandbox %d times, want once", m, byMISID[m])
		}
	}
}

func statuses(out *Outcome) map[string]int {
	m := map[string]int{}
	for _, r := range out.Results {
		m[r.Action+"/"+r.Status]++
	}
	return m
}

// TestLoadUnderFaults is the proof: with 10% of writes answered 500 before the change
// and 10% committed but their connection dropped, every row ends ok exactly once and OneFile
// holds nobody twice — with the keychain setting off (IDs in the answer) and on (IDs searched).
func TestLoadUnderFaults(t *testing.T) {
	for _, keychain := range []bool{false, true} {
		t.Run(fmt.Sprintf("keychain=%v", keychain), func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{Keychain: keychain, Faults: sandbox.FaultSpec{Error500: 0.1, Drop: 0.1, Seed: 7}})
			items := termStart(t, 30)
			out, rec := runLoad(t, b, items, Options{Ledger: openLedger(t), Concurrency: 4})
			for _, r := range out.Results {
				if r.Status != StatusOK || r.OneFileID == "" && r.Action != ActAssign {
					t.Errorf("%s row %d: %s %s %q (id %q)", r.Item.Src.Sheet, r.Item.Row, r.Action, r.Status, r.Message, r.OneFileID)
				}
			}
			if len(rec.problems) > 0 {
				t.Errorf("problems reported: %+v", rec.problems)
			}
			checkOnce(t, b, items)
			snap := b.Snapshot()
			if snap.Faults500 == 0 || snap.Dropped == 0 {
				t.Fatalf("the faults did not happen (500s %d, drops %d): the test proves nothing", snap.Faults500, snap.Dropped)
			}
			if len(snap.Assignments) != 30 {
				t.Errorf("%d assignments on the sandbox, want 30", len(snap.Assignments))
			}
			// Each learner got the defaults the rows named, resolved from MISID/Email.
			ids := map[string]sandbox.User{}
			for _, u := range snap.Users {
				ids[u.MISID] = u
			}
			for i := range 30 {
				l := ids[fmt.Sprintf("NEW-L%d", i)]
				want := ids["NEW-S1"].ID
				if i%3 == 0 {
					want = 1001
				}
				if l.DefaultAssessorID != want || l.DefaultEmployerID != ids["NEW-E1"].ID || l.ClassroomID != 101 || l.PlacementID != 203 {
					t.Errorf("learner %d: %+v", i, l)
				}
			}
			if keychain && len(out.Credentials) != 0 {
				t.Errorf("keychain on, yet %d credentials", len(out.Credentials))
			}
			lost := 0
			for _, r := range out.Results {
				if strings.Contains(r.Message, "login OneFile answered with was lost") {
					lost++
				}
			}
			if !keychain && (len(out.Credentials)+lost != 33 || len(out.Credentials) == 0) {
				t.Errorf("keychain off: %d credentials + %d lost logins, want 33", len(out.Credentials), lost)
			}
		})
	}
}

// TestRerunDoesNothingTwice runs the same load twice on one ledger: the second run makes no
// change on OneFile and says who did what.
func TestRerunDoesNothingTwice(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	led := openLedger(t)
	items := termStart(t, 6)
	out1, _ := runLoad(t, b, items, Options{Ledger: led})
	if !out1.OK() {
		t.Fatalf("first run: %v", statuses(out1))
	}
	before := b.Snapshot()
	out2, _ := runLoad(t, b, termStart(t, 6), Options{Ledger: led})
	after := b.Snapshot()
	for _, ep := range []string{"POST /User", "POST /User/{id}", "POST /User/{id}/Assign"} {
		if after.Calls[ep] != before.Calls[ep] {
			t.Errorf("second run called %s %d times", ep, after.Calls[ep]-before.Calls[ep])
		}
	}
	for _, r := range out2.Results {
		if r.Action != ActExists || r.Status != StatusSkipped || !strings.Contains(r.Message, fmt.Sprintf("by run %d", out1.RunID)) {
			t.Errorf("row %d second run: %+v", r.Item.Row, r)
		}
	}
	checkOnce(t, b, items)
}

// TestModes: create leaves an existing user alone, upsert sends only the fields that differ,
// update does not create.
func TestModes(t *testing.T) {
	// Sam Carter (L-0001) is in the default seed; the row changes his last name and DOB.
	sam := "Role=1;FirstName=Sam;LastName=Carter-Jones;Email=sam.carter@learner.example;MISID=L-0001;DOB=2006-01-02;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd"
	newbie := "Role=5;FirstName=New;LastName=Person;Email=new.person@northfield.example;MISID=NEW-9"
	tests := []struct {
		mode     Mode
		want     []string // action/status per row
		lastName string
		users    int // users on the sandbox afterwards (the seed has 7)
	}{
		{Create, []string{"exists/skipped", "create/ok"}, "Carter", 8},
		{Upsert, []string{"update/ok", "create/ok"}, "Carter-Jones", 8},
		{Update, []string{"update/ok", "update/skipped"}, "Carter-Jones", 7},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			out, _ := runLoad(t, b, validated(t, []string{sam, newbie}, nil), Options{Mode: tt.mode})
			var got []string
			for _, r := range out.Results {
				got = append(got, r.Action+"/"+r.Status)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("results %v, want %v (%+v)", got, tt.want, out.Results)
			}
			snap := b.Snapshot()
			var u sandbox.User
			for _, x := range snap.Users {
				if x.MISID == "L-0001" {
					u = x
				}
			}
			if u.LastName != tt.lastName || len(snap.Users) != tt.users {
				t.Errorf("sandbox: last name %q, %d users; want %q, %d", u.LastName, len(snap.Users), tt.lastName, tt.users)
			}
			if tt.mode == Upsert {
				m := out.Results[0].Message
				if !strings.Contains(m, "LastName") || !strings.Contains(m, "DOB") || strings.Contains(m, "FirstName") {
					t.Errorf("upsert message %q should name LastName and DOB only", m)
				}
			}
		})
	}
}

// TestDryRunWrites nothing: only searches reach OneFile, and each row says what it would do.
func TestDryRunWritesNothing(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	items := append(termStart(t, 3), validated(t, []string{
		"Role=1;FirstName=Sam;LastName=Changed;Email=sam.carter@learner.example;MISID=L-0001;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd"}, nil)...)
	items = append(items, validated(t, []string{ // a file of its own: its header says Assessor MISID
		"Role=1;FirstName=X;LastName=Y;Email=x@y.example;MISID=NEW-X;Assessor MISID=NOBODY;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd"}, nil)...)
	out, rec := runLoad(t, b, items, Options{DryRun: true, Mode: Upsert, Ledger: openLedger(t)})
	snap := b.Snapshot()
	for ep, n := range snap.Calls {
		// Reads only: searches, and GET /User/{id} for the fields a summary search leaves out.
		if !strings.Contains(ep, "Search") && ep != "POST /Authentication" && ep != "GET /Customer" && ep != "GET /User/{id}" {
			t.Errorf("dry run called %s %d times", ep, n)
		}
	}
	got := statuses(out)
	want := map[string]int{"create/skipped": 6, "assign/skipped": 3, "update/skipped": 1, "reject/rejected": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d rows, want %d (all: %v)", k, got[k], v, got)
		}
	}
	upd := out.Results[len(out.Results)-2]
	if !strings.Contains(upd.Message, `LastName: "Carter" → "Changed"`) {
		t.Errorf("update message %q", upd.Message)
	}
	// The problem names the column the reference came from, under the header the input gives
	// it (a synonym here), so rejects.xlsx marks its cell.
	if len(rec.problems) != 1 || rec.problems[0].Rule != RuleReference || !strings.Contains(rec.problems[0].Message, "NOBODY") || rec.problems[0].Column != "Assessor MISID" {
		t.Errorf("problems %+v", rec.problems)
	}
}

// TestFailuresAreRows: a row OneFile refuses fails with OneFile's message, the rows depending on
// it are not sent and say why, and the rest load.
func TestFailuresAreRows(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	items := validated(t, []string{
		"Role=40;FirstName=No;LastName=Placement;Email=np@x.example;MISID=E-BAD;PlacementName=Acme Logistics Ltd;ClassroomID=999", // learner field on staff: not sent
		"Role=40;FirstName=Bad;LastName=Placement;Email=bad@x.example;MISID=S-BAD;PlacementID=999",                                // OneFile refuses: no placement 999
		"Role=1;FirstName=A;LastName=B;Email=ab@x.example;MISID=L-A;DefaultEmployerMISID=S-BAD;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd",
		"Role=1;FirstName=C;LastName=D;Email=cd@x.example;MISID=L-C;DefaultAssessorMISID=STF-001;ClassroomName=No Such Room;PlacementName=Acme Logistics Ltd",
		"Role=1;FirstName=E;LastName=F;Email=ef@x.example;MISID=L-E;DefaultAssessorMISID=STF-001;DefaultEmployerMISID=E-BAD;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd",
	}, nil)
	out, rec := runLoad(t, b, items, Options{})
	// col: the column the row's problem marks in rejects.xlsx ("" for OneFile's own refusal).
	// val: the cell's value the problem carries, as the input has it.
	want := []struct{ action, status, rule, msg, col, val string }{
		{"create", "ok", "", "", "", ""},
		{"create", "failed", RuleAPI, "PlacementID 999", "PlacementID", "999"}, // OneFile's message names the column
		{"create", "failed", RuleNotSent, "row 3", "DefaultEmployerMISID", "S-BAD"},
		{"reject", "rejected", RuleReference, "No Such Room", "ClassroomName", "No Such Room"},
		{"create", "ok", "", "", "", ""},
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Action != w.action || r.Status != w.status || !strings.Contains(r.Message, w.msg) {
			t.Errorf("row %d: %s/%s %q; want %s/%s containing %q", r.Item.Row, r.Action, r.Status, r.Message, w.action, w.status, w.msg)
		}
		if p, ok := r.Problem(); ok != (w.rule != "") || p.Column != w.col || p.Value != w.val {
			t.Errorf("row %d: problem %v on column %q value %q, want %q value %q", r.Item.Row, ok, p.Column, p.Value, w.col, w.val)
		}
	}
	rules := map[string]int{}
	for _, p := range rec.problems {
		rules[p.Rule]++
	}
	if rules[RuleAPI] != 1 || rules[RuleNotSent] != 1 || rules[RuleReference] != 1 {
		t.Errorf("problems by rule %v", rules)
	}
	if out.OK() {
		t.Error("Outcome.OK with failed rows")
	}
}

// TestAssignUnknownOutcome: an assignment an earlier run sent without recording the answer
// (intent without done) is confirmed, not failed, when OneFile says it exists.
func TestAssignUnknownOutcome(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	led := openLedger(t)
	c := newClient(t, b)
	if err := c.Assign(context.Background(), 1003, api.Assignment{LearnerID: 1010, Level: 1}); err != nil {
		t.Fatal(err)
	}
	sc := ledger.Scope{APIRoot: b.url, Org: 5740}
	if err := led.Record(context.Background(), sc, 1, "assign/1010/1003/1/0/", ledger.Intent, ActAssign, "", ""); err != nil {
		t.Fatal(err)
	}
	items := validated(t, nil, []string{"LearnerMISID=L-0001;UserMISID=STF-003;Level=1", "LearnerMISID=L-0001;UserMISID=STF-001;Level=1", "LearnerID=1010;UserID=1003;Level=1"})
	out, _ := runLoad(t, b, items, Options{Ledger: led})
	got := []string{}
	for _, r := range out.Results {
		got = append(got, r.Action+"/"+r.Status)
	}
	// Row 4 repeats row 2 with IDs: the ledger (same key) says it is done.
	if want := []string{"assign/ok", "assign/ok", "exists/skipped"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v: %+v", got, want, out.Results)
	}
	if n := len(b.Snapshot().Assignments); n != 2 {
		t.Errorf("%d assignments, want 2", n)
	}
}

// TestInterruptThenRerun: Ctrl-C mid-load stops new calls; every row still has a result, and a
// second run finishes the rest without creating anyone twice.
func TestInterruptThenRerun(t *testing.T) {
	b := startSandbox(t, sandbox.Config{Latency: 20 * time.Millisecond})
	led := openLedger(t)
	items := termStart(t, 30)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	o := Options{Client: NewAPIClient(newClient(t, b)), APIRoot: b.url, Org: 5740, Ledger: led, Concurrency: 2,
		Progress: func(p Progress) {
			if p.Done >= 10 {
				once.Do(cancel)
			}
		}}
	out, err := Run(ctx, items, o)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Interrupted {
		t.Fatal("not interrupted")
	}
	got := statuses(out)
	if got["create/ok"] < 10 || got["/skipped"] == 0 || len(out.Results) != len(items) {
		t.Errorf("after Ctrl-C: %v", got)
	}
	out2, _ := runLoad(t, b, termStart(t, 30), Options{Ledger: led})
	if !out2.OK() {
		t.Errorf("re-run: %v", statuses(out2))
	}
	checkOnce(t, b, items)
	if n := len(b.Snapshot().Assignments); n != 30 {
		t.Errorf("%d assignments, want 30", n)
	}
}

// TestUnchangedRowsAgainstTarget: a row diffing held back as unchanged is skipped, with no call,
// while OneFile holds its user (by MISID or by Email); one whose user OneFile does not hold is a
// new row (created), marked NotOnTarget. A dry run plans the same. (Issue 10, defect 2.)
func TestUnchangedRowsAgainstTarget(t *testing.T) {
	rows := []string{
		"Role=1;FirstName=Sam;LastName=Carter;Email=sam.carter@learner.example;MISID=L-0001;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd", // on OneFile (seed) by MISID
		"Role=5;FirstName=Grace;LastName=Okafor;Email=grace.okafor@northfield.example",                                                                                                              // on OneFile by Email
		"Role=5;FirstName=Gone;LastName=Away;Email=gone@northfield.example;MISID=GONE-1",                                                                                                            // not on OneFile
	}
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprint("dry run ", dry), func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			items := validated(t, rows, nil)
			for _, it := range items {
				it.Unchanged = true // as a nightly run's Keep leaves them
			}
			before := b.Snapshot()
			out, _ := runLoad(t, b, items, Options{Mode: Upsert, DryRun: dry})
			want := []string{"exists/skipped", "exists/skipped", "create/ok"}
			if dry {
				want[2] = "create/skipped"
			}
			if got := []string{out.Results[0].Action + "/" + out.Results[0].Status, out.Results[1].Action + "/" + out.Results[1].Status,
				out.Results[2].Action + "/" + out.Results[2].Status}; !slices.Equal(got, want) {
				t.Fatalf("results %v, want %v (%+v)", got, want, out.Results)
			}
			for i, r := range out.Results {
				if r.NotOnTarget != (i == 2) {
					t.Errorf("row %d: NotOnTarget %v", i, r.NotOnTarget)
				}
				if i < 2 && (r.OneFileID == "" || !strings.Contains(r.Message, "unchanged")) {
					t.Errorf("row %d: %+v", i, r)
				}
			}
			after := b.Snapshot()
			created := after.Calls["POST /User"] - before.Calls["POST /User"]
			if updates := after.Calls["POST /User/{id}"] - before.Calls["POST /User/{id}"]; updates != 0 || created != map[bool]int{false: 1, true: 0}[dry] {
				t.Errorf("%d updates and %d creates sent", updates, created)
			}
			if gets := after.Calls["GET /User/{id}"] - before.Calls["GET /User/{id}"]; gets != 0 {
				t.Errorf("%d user reads for unchanged rows, want none", gets)
			}
			if dry {
				p := NewPlan(out, Options{APIRoot: b.url, Mode: Upsert}, time.Now())
				if p.Counts[PlanUnchanged] != 2 || p.Counts[PlanCreate] != 1 {
					t.Errorf("plan counts %v", p.Counts)
				}
			}
		})
	}
}

// TestThrottleSpell: a spell of 429s shorter than the patience budget is waited out and every
// row loads; one longer fails the rows still to send, each saying the budget was spent.
func TestThrottleSpell(t *testing.T) {
	for _, tt := range []struct {
		spell, patience time.Duration
		ok              bool
	}{
		{800 * time.Millisecond, 20 * time.Second, true},
		{time.Minute, 300 * time.Millisecond, false},
	} {
		t.Run(fmt.Sprintf("spell=%v,patience=%v", tt.spell, tt.patience), func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{Faults: sandbox.FaultSpec{Throttle: tt.spell}})
			c, err := api.New(api.Config{BaseURL: b.url, CustomerToken: b.CustomerToken(), RatePerMinute: -1,
				MaxRetries: 2, BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Patience: tt.patience})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			items := termStart(t, 3)
			out, err := Run(context.Background(), items, Options{Client: NewAPIClient(c), APIRoot: b.url, Org: 5740,
				Ledger: openLedger(t), Concurrency: 2})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if b.Snapshot().Burst429 < 3*2 {
				t.Fatalf("%d answers 429: the spell did not outlast MaxRetries", b.Snapshot().Burst429)
			}
			for _, r := range out.Results {
				switch {
				case tt.ok && r.Status != StatusOK:
					t.Errorf("row %d: %s %s %q", r.Item.Row, r.Action, r.Status, r.Message)
				case !tt.ok && r.Status == StatusOK:
					t.Errorf("row %d loaded during a %v spell with %v patience", r.Item.Row, tt.spell, tt.patience)
				case !tt.ok && r.Status == StatusFailed && !strings.Contains(r.Message, "patience budget"):
					t.Errorf("row %d failed with %q, which does not say the patience budget was spent", r.Item.Row, r.Message)
				}
			}
		})
	}
}

// TestKeychainSearchLag: with the keychain on a create answers no ID, and OneFile's search lists
// a new user only after a while (lag). The load searches again with backoff within FindNewWait:
// every learner and assignment goes through; with no wait, the rows naming new staff are not sent.
func TestKeychainSearchLag(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		ok   bool
	}{
		{10 * time.Second, true},
		{-1, false},
	} {
		t.Run(fmt.Sprintf("wait=%v", tt.wait), func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{Keychain: true, Faults: sandbox.FaultSpec{Lag: 700 * time.Millisecond}})
			items := termStart(t, 4)
			out, _ := runLoad(t, b, items, Options{Ledger: openLedger(t), Concurrency: 2, FindNewWait: tt.wait})
			bad := 0
			for _, r := range out.Results {
				if r.Status != StatusOK || r.Action != ActAssign && r.OneFileID == "" {
					bad++
					if tt.ok {
						t.Errorf("%s row %d: %s %s %q (id %q)", r.Item.Src.Sheet, r.Item.Row, r.Action, r.Status, r.Message, r.OneFileID)
					}
				}
			}
			if !tt.ok && bad == 0 {
				t.Errorf("with no second search every row loaded: the lag did not hide the new users")
			}
			if tt.ok {
				checkOnce(t, b, items)
			} else if d := b.Snapshot().Duplicates(); len(d) > 0 {
				t.Errorf("sandbox holds duplicates: %+v", d)
			}
		})
	}
}

// TestZeroCodesLoad: a learner with ProviderID and LearnerStatusID 0 and a CreatedOn with its time
// loads into the (strict) sandbox, which answers them back as sent.
func TestZeroCodesLoad(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	items := validated(t, []string{"Role=1;FirstName=Zed;LastName=Zero;Email=zed@learner.example;MISID=Z-1;DefaultAssessorID=1001;" +
		"ClassroomID=101;PlacementID=203;ProviderID=0;LearnerStatusID=0;CreatedOn=2026-09-01T09:30:00Z"}, nil)
	out, _ := runLoad(t, b, items, Options{Ledger: openLedger(t), Concurrency: 1})
	r := out.Results[0]
	if r.Status != StatusOK || r.OneFileID == "" {
		t.Fatalf("%s %s %q", r.Action, r.Status, r.Message)
	}
	id, _ := strconv.Atoi(r.OneFileID)
	u, err := newClient(t, b).GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if u.ProviderID == nil || *u.ProviderID != 0 || u.LearnerStatusID == nil || *u.LearnerStatusID != 0 {
		t.Errorf("ProviderID %v, LearnerStatusID %v: the 0s were not sent", u.ProviderID, u.LearnerStatusID)
	}
	if got := u.CreatedOn.UTC().Format(time.RFC3339); got != "2026-09-01T09:30:00Z" {
		t.Errorf("CreatedOn %s: its time was lost", got)
	}
}
