package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/pipeline"
)

// sam is the seed's learner L-0001 (OneFile ID 1010, Sam Carter) as a row; edit gives him
// other values.
func sam(edit string) string {
	fields := map[string]string{"Role": "1", "FirstName": "Sam", "LastName": "Carter", "Email": "sam.carter@learner.example",
		"MISID": "L-0001", "DefaultAssessorMISID": "STF-001", "ClassroomName": "Business Administration L3", "PlacementName": "Acme Logistics Ltd"}
	order := []string{"Role", "FirstName", "LastName", "Email", "MISID", "DefaultAssessorMISID", "ClassroomName", "PlacementName"}
	for _, kv := range strings.Split(edit, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, seen := fields[k]; !seen {
				order = append(order, k)
			}
			fields[k] = v
		}
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, k+"="+fields[k])
	}
	return strings.Join(parts, ";")
}

func userOn(t *testing.T, b *box, id int) sandbox.User {
	t.Helper()
	for _, u := range b.Snapshot().Users {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no user %d on the sandbox", id)
	return sandbox.User{}
}

// TestIdentityAndEmailGuards: an upsert never turns one person into another, nor gives a user
// an e-mail someone else holds; both are rejected with both people named, and nothing is sent.
func TestIdentityAndEmailGuards(t *testing.T) {
	tests := []struct {
		name      string
		row       string
		allow     bool
		want      string // action/status
		rule      string
		message   []string
		firstName string // Sam's first name on OneFile afterwards
	}{
		{"two names differ", sam("FirstName=Amira;LastName=Khan"), false, "conflict/rejected", RuleIdentity,
			[]string{"row 2 (Amira Khan)", "OneFile user 1010 (Sam Carter)", `MISID "L-0001"`, "FirstName, LastName", "--allow-identity-change"}, "Sam"},
		{"two names differ, allowed", sam("FirstName=Amira;LastName=Khan"), true, "update/ok", "", nil, "Amira"},
		{"first name and DOB differ", sam("FirstName=Samuel;DOB=2001-02-03"), false, "update/ok", "", nil, "Samuel"}, // OneFile holds no DOB: filled in, not changed
		{"one name differs", sam("LastName=Carter-Jones"), false, "update/ok", "", nil, "Sam"},
		{"case only", sam("FirstName=SAM;LastName=carter"), false, "update/ok", "", nil, "SAM"},
		{"e-mail of another user", sam("Email=priya.shah@northfield.example"), false, "update/rejected", RuleEmailTaken,
			[]string{"OneFile user 1001 (Priya Shah) already has", "priya.shah@northfield.example"}, "Sam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			before := b.Snapshot().Calls["POST /User/{id}"]
			out, rec := runLoad(t, b, validated(t, []string{tt.row}, nil), Options{Mode: Upsert, AllowIdentityChange: tt.allow})
			r := out.Results[0]
			if got := r.Action + "/" + r.Status; got != tt.want {
				t.Fatalf("got %s (%s), want %s", got, r.Message, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q lacks %q", r.Message, m)
				}
			}
			if tt.rule != "" {
				if len(rec.problems) != 1 || rec.problems[0].Rule != tt.rule {
					t.Errorf("problems %+v, want one %s", rec.problems, tt.rule)
				}
				if n := b.Snapshot().Calls["POST /User/{id}"]; n != before {
					t.Errorf("%d updates sent for a rejected row", n-before)
				}
			}
			if got := userOn(t, b, 1010).FirstName; got != tt.firstName {
				t.Errorf("Sam's first name on OneFile %q, want %q", got, tt.firstName)
			}
		})
	}
}

// TestCreateModeNamesDifferences: --mode create leaves an existing user alone but says which
// fields differ and how to update them.
func TestCreateModeNamesDifferences(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	out, _ := runLoad(t, b, validated(t, []string{sam("LastName=Carter-Jones"), "Role=5;FirstName=Priya;LastName=Shah;Email=priya.shah@northfield.example;MISID=STF-001"}, nil), Options{Mode: Create})
	if r := out.Results[0]; r.Action != ActExists || !strings.Contains(r.Message, `LastName: "Carter" → "Carter-Jones"`) || !strings.Contains(r.Message, "--mode upsert") {
		t.Errorf("row with a change: %s/%s %q", r.Action, r.Status, r.Message)
	}
	if r := out.Results[1]; !strings.Contains(r.Message, "nothing differs") {
		t.Errorf("row without a change: %q", r.Message)
	}
}

// planAndApply makes a plan with a dry run, writes and reads it back as 'bulk apply' does.
func planAndApply(t *testing.T, b *box, users, assigns []string, mode Mode) (*Plan, func() *Outcome) {
	t.Helper()
	led := openLedger(t)
	out, _ := runLoad(t, b, validated(t, users, assigns), Options{DryRun: true, Mode: mode, Ledger: led})
	path := filepath.Join(t.TempDir(), "report", "plan.json")
	if err := WritePlan(path, NewPlan(out, Options{Mode: mode, APIRoot: b.url}, out.Started)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("plan.json: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	p, err := ReadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	return p, func() *Outcome {
		items, planned, err := p.Items()
		if err != nil {
			t.Fatal(err)
		}
		o, _ := runLoad(t, b, items, Options{Mode: p.Mode, Org: p.Target.Organisation, Planned: planned, Ledger: led})
		return o
	}
}

// TestApplyPlan: applying a plan does what the dry run said, and applying it again sends nothing.
func TestApplyPlan(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	newbie := "Role=5;FirstName=New;LastName=Person;Email=new.person@northfield.example;MISID=NEW-9"
	learner := "Role=1;FirstName=Lea;LastName=Nova;Email=lea@learner.example;MISID=NEW-L1;DefaultAssessorMISID=NEW-9;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd"
	p, apply := planAndApply(t, b, []string{sam("LastName=Carter-Jones"), newbie, learner, sam("MISID=L-0001")},
		[]string{"LearnerMISID=NEW-L1;UserMISID=NEW-9;Level=1"}, Upsert)
	wantPlan := []string{PlanUpdate, PlanCreate, PlanCreate, PlanReject, PlanAssign}
	for i, w := range wantPlan {
		if p.Rows[i].Action != w {
			t.Errorf("plan row %d: %s, want %s (%s)", i, p.Rows[i].Action, w, p.Rows[i].Message)
		}
	}
	if p.Rows[0].Before["LastName"] != "Carter" || len(p.Rows[0].Changes) != 1 {
		t.Errorf("plan row 0 before %v changes %+v", p.Rows[0].Before, p.Rows[0].Changes)
	}
	if b.Snapshot().Calls["POST /User"] != 0 {
		t.Fatal("the dry run created users")
	}
	out := apply()
	if got := statuses(out); got["update/ok"] != 1 || got["create/ok"] != 2 || got["assign/ok"] != 1 {
		t.Errorf("first apply: %v", got)
	}
	if userOn(t, b, 1010).LastName != "Carter-Jones" {
		t.Error("the update was not made")
	}
	calls := b.Snapshot().Calls
	out = apply()
	after := b.Snapshot().Calls
	for _, ep := range []string{"POST /User", "POST /User/{id}", "POST /User/{id}/Assign"} {
		if after[ep] != calls[ep] {
			t.Errorf("second apply sent %s %d times", ep, after[ep]-calls[ep])
		}
	}
	if got := statuses(out); got["update/ok"]+got["create/ok"]+got["assign/ok"] != 0 {
		t.Errorf("second apply: %v", got)
	}
	checkOnce(t, b, nil)
}

// TestApplyStale: a row whose OneFile user changed after the plan is not sent, and says which
// fields moved; the other rows are applied.
func TestApplyStale(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	_, apply := planAndApply(t, b, []string{sam("LastName=Carter-Jones"), "Role=5;FirstName=New;LastName=Person;Email=new.person@northfield.example;MISID=NEW-9"}, nil, Upsert)
	// Someone edits Sam on OneFile, and creates NEW-9 by hand, between plan and apply.
	c := newClient(t, b)
	if err := c.UpdateUser(context.Background(), 1010, api.UserUpdate{"LastName": "Carter-Smith"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(context.Background(), api.UserFields{OrganisationID: 5740, Role: 5, FirstName: "New", LastName: "Person",
		Email: "new.person@northfield.example", MISID: "NEW-9"}); err != nil {
		t.Fatal(err)
	}
	out := apply()
	for i, want := range []string{`LastName was "Carter" when planned, now "Carter-Smith"`, "did not when the plan was made"} {
		r := out.Results[i]
		if r.Status != StatusStale || !strings.Contains(r.Message, want) {
			t.Errorf("row %d: %s/%s %q, want stale with %q", i, r.Action, r.Status, r.Message, want)
		}
	}
	if userOn(t, b, 1010).LastName != "Carter-Smith" {
		t.Error("a stale row was sent")
	}
	if out.OK() {
		t.Error("an apply with stale rows is OK")
	}
}

// TestIdentityULN: a ULN OneFile holds is never changed by an upsert, even with the names the
// same: a different ULN is a different learner.
func TestIdentityULN(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	if out, _ := runLoad(t, b, validated(t, []string{sam("ULN=1000000043")}, nil), Options{Mode: Upsert}); out.Results[0].Status != StatusOK {
		t.Fatalf("setting the ULN: %+v", out.Results[0])
	}
	out, rec := runLoad(t, b, validated(t, []string{sam("ULN=1000000051")}, nil), Options{Mode: Upsert})
	if r := out.Results[0]; r.Action != ActConflict || !strings.Contains(r.Message, `ULN: "1000000043" → "1000000051"`) {
		t.Errorf("got %s/%s %q", r.Action, r.Status, r.Message)
	}
	if len(rec.problems) != 1 || rec.problems[0].Rule != RuleIdentity {
		t.Errorf("problems %+v", rec.problems)
	}
	if got := userOn(t, b, 1010).Fields["ULN"]; got != "1000000043" {
		t.Errorf("ULN on OneFile %q", got)
	}
}

// TestSummarySearchUpsert is issue 10's defect 5: against a OneFile whose user search answers
// summaries (the sandbox's default), an upsert of 30 learners with 3 real changes sends 3
// updates, each with only the field that changed: absent fields are unknown, not empty.
func TestSummarySearchUpsert(t *testing.T) {
	b := startSandbox(t, sandbox.Config{SearchMode: sandbox.SearchSummary})
	rows := func(changed map[int]bool) []string {
		var specs []string
		for i := range 30 {
			last := "Learner"
			if changed[i] {
				last = "Renamed"
			}
			specs = append(specs, fmt.Sprintf("Role=1;FirstName=L%d;LastName=%s;Email=l%d@learner.example;MISID=SUM-%d;DOB=2007-03-14;NINO=AB123456C;"+
				"StartOn=2026-09-01;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd", i, last, i, i))
		}
		return specs
	}
	first, _ := runLoad(t, b, validated(t, rows(nil), nil), Options{Mode: Upsert})
	if got := statuses(first); got["create/ok"] == 0 {
		t.Fatalf("first load: %v", got)
	}
	created := statuses(first)["create/ok"]
	before := b.Snapshot().Calls["POST /User/{id}"]
	out, _ := runLoad(t, b, validated(t, rows(map[int]bool{3: true, 11: true, 27: true}), nil), Options{Mode: Upsert})
	updates := b.Snapshot().Calls["POST /User/{id}"] - before
	got := statuses(out)
	if updates != 3 || got["update/ok"] != 3 || got["exists/skipped"] != created-3 {
		t.Errorf("%d updates sent, results %v; want 3 updates and %d unchanged", updates, got, created-3)
	}
	for _, r := range out.Results {
		if r.Action == ActUpdate && r.Message != `changed LastName: "Learner" → "Renamed"` {
			t.Errorf("row %d: %q, want only LastName changed", r.Item.Row, r.Message)
		}
	}
}

// TestLoginLostByAnEarlierRun: a run killed with a create in flight leaves the create's intent in
// the ledger and the user on OneFile, and the password OneFile made for it unseen. The next run
// names that row among the lost logins, once.
func TestLoginLostByAnEarlierRun(t *testing.T) {
	b := startSandbox(t, sandbox.Config{Keychain: false})
	led := openLedger(t)
	ctx := context.Background()
	run, err := led.StartRun(ctx, ledger.Run{APIRoot: b.url, Org: 5740, Mode: "create"})
	if err != nil {
		t.Fatal(err)
	}
	if err := led.Record(ctx, ledger.Scope{APIRoot: b.url, Org: 5740}, run, "user/misid/l-0001", ledger.Intent, ActCreate, "", ""); err != nil {
		t.Fatal(err)
	}
	out, _ := runLoad(t, b, validated(t, []string{sam("")}, nil), Options{Ledger: led})
	if len(out.LostLogins) != 1 || !strings.Contains(out.Results[0].Message, "login OneFile made was lost") {
		t.Fatalf("lost logins %d, message %q", len(out.LostLogins), out.Results[0].Message)
	}
	if again, _ := runLoad(t, b, validated(t, []string{sam("")}, nil), Options{Ledger: led}); len(again.LostLogins) != 0 {
		t.Errorf("named again by a later run: %q", again.Results[0].Message)
	}
}

// TestLostCharactersRefused: in a file read as Windows-1252 (Excel's plain "CSV"), an update
// whose value is OneFile's with characters replaced by '?' is refused (lossy-encoding) and
// nothing is sent; the same '?' typed in a UTF-8 file, or a '?' where OneFile holds a
// character Windows-1252 has, is an ordinary change. The other row of the load goes on.
func TestLostCharactersRefused(t *testing.T) {
	tests := []struct {
		name   string
		onFile string // Sam's FirstName;LastName on OneFile before the load
		row    string // the row's FirstName;LastName
		cp1252 bool
		want   string // action/status
		field  string // the refused field
	}{
		{"李 lost", "李 Wei;Carter", "? Wei;Carter", true, "update/rejected", "FirstName"},
		{"ọ̀ lost", "Sam;Adébáyọ̀", "Sam;Adébáy??", true, "update/rejected", "LastName"},
		{"outside the BMP", "Sam;Carter 𝒜", "Sam;Carter ??", true, "update/rejected", "LastName"},
		{"UTF-8 file", "李 Wei;Carter", "? Wei;Carter", false, "update/ok", ""},
		{"Windows-1252 could hold it", "Sam;Carter", "S?m;Carter", true, "update/ok", ""},
		{"another name", "李 Wei;Carter", "? Li;Carter", true, "update/ok", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			first, last, _ := strings.Cut(tt.onFile, ";")
			runLoad(t, b, validated(t, []string{sam("FirstName=" + first + ";LastName=" + last)}, nil), Options{Mode: Upsert})
			before := b.Snapshot().Calls["POST /User/{id}"]
			first, last, _ = strings.Cut(tt.row, ";")
			items := validated(t, []string{sam("FirstName=" + first + ";LastName=" + last),
				"Role=1;FirstName=Ola;LastName=New;Email=ola.new@learner.example;MISID=NEW-L9;DefaultAssessorMISID=STF-001;ClassroomName=Business Administration L3;PlacementName=Acme Logistics Ltd"}, nil)
			if tt.cp1252 {
				items[0].Src.Encoding = pipeline.EncodingWindows1252
			}
			out, rec := runLoad(t, b, items, Options{Mode: Upsert})
			r := out.Results[0]
			if got := r.Action + "/" + r.Status; got != tt.want {
				t.Fatalf("got %s (%s), want %s", got, r.Message, tt.want)
			}
			if got := out.Results[1].Action + "/" + out.Results[1].Status; got != "create/ok" {
				t.Errorf("the other row: %s (%s), want create/ok", got, out.Results[1].Message)
			}
			if tt.field == "" {
				return
			}
			if len(rec.problems) != 1 || rec.problems[0].Rule != pipeline.RuleLossyEncoding || rec.problems[0].Column != tt.field {
				t.Fatalf("problems %+v, want one %s on %s", rec.problems, pipeline.RuleLossyEncoding, tt.field)
			}
			for _, m := range []string{"OneFile user 1010", `"CSV UTF-8"`, "Windows-1252"} {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q lacks %q", r.Message, m)
				}
			}
			if n := b.Snapshot().Calls["POST /User/{id}"]; n != before {
				t.Errorf("%d updates sent for a refused row", n-before)
			}
			if u := userOn(t, b, 1010); u.FirstName+";"+u.LastName != tt.onFile {
				t.Errorf("Sam on OneFile is %s;%s, want %s", u.FirstName, u.LastName, tt.onFile)
			}
		})
	}
}

// TestPlanPassesOverTotalsRow: a totals line under the table ("Total: 2 users" and the rest
// empty) is planned as not-data and passed over when applied; it neither breaks the plan nor
// counts as unchanged.
func TestPlanPassesOverTotalsRow(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	newbie := "Role=5;FirstName=New;LastName=Person;Email=new.person@northfield.example;MISID=NEW-9"
	p, apply := planAndApply(t, b, []string{newbie, "Role=Total: 1 user"}, nil, Upsert)
	if len(p.Rows) != 2 || p.Rows[0].Action != PlanCreate || p.Rows[1].Action != PlanNotData {
		t.Fatalf("plan rows %+v, want create then not-data", p.Rows)
	}
	if p.Counts[PlanUnchanged] != 0 || p.Counts[PlanNotData] != 1 {
		t.Errorf("plan counts %v", p.Counts)
	}
	out := apply()
	if got := statuses(out); got["create/ok"] != 1 || got["not-data/skipped"] != 1 || len(out.Results) != 2 {
		t.Errorf("apply: %v", got)
	}
	if m := out.Results[1].Message; !strings.Contains(m, "totals line") {
		t.Errorf("the totals row's message %q does not say why it was passed over", m)
	}
	checkOnce(t, b, nil)
}
