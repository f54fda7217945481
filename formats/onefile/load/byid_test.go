package load

import (
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// TestMatchByOneFileID: a row that gives OneFileID is that user, whatever MISID and Email it
// gives: a new MISID or e-mail updates the same user (never a create); an ID that names nobody,
// or is given to --mode create, is rejected and nothing is sent; the identity guard and the
// guards against taking another user's MISID or e-mail still hold.
func TestMatchByOneFileID(t *testing.T) {
	tests := []struct {
		name    string
		row     string
		mode    Mode
		allow   bool
		want    string // action/status
		rule    string
		message []string
		misid   string // Sam's (user 1010) MISID on OneFile afterwards
		email   string // and e-mail
	}{
		{name: "nothing differs", row: sam("OneFileID=1010"), mode: Upsert, want: "exists/skipped",
			misid: "L-0001", email: "sam.carter@learner.example"},
		{name: "a new MISID updates the same user", row: sam("OneFileID=1010;MISID=L-9001"), mode: Upsert, want: "update/ok",
			message: []string{`MISID: "L-0001" → "L-9001"`}, misid: "L-9001", email: "sam.carter@learner.example"},
		{name: "a new e-mail updates the same user", row: sam("OneFileID=1010;Email=sam.c@learner.example"), mode: Update, want: "update/ok",
			misid: "L-0001", email: "sam.c@learner.example"},
		{name: "an ID that names nobody", row: sam("OneFileID=99999;MISID=L-9001;Email=new@learner.example"), mode: Upsert, want: "reject/rejected", rule: RuleReference,
			message: []string{"OneFileID 99999 names no user in organisation 5740", "Check the ID"}, misid: "L-0001", email: "sam.carter@learner.example"},
		{name: "an ID that names nobody, the row's MISID someone", row: sam("OneFileID=99999"), mode: Upsert, want: "reject/rejected", rule: RuleReference,
			message: []string{"OneFileID 99999 names no user", `The row's MISID "L-0001" is OneFile user 1010 (Sam Carter): did you mean 1010?`},
			misid:   "L-0001", email: "sam.carter@learner.example"},
		{name: "an ID with --mode create", row: sam("OneFileID=1010;MISID=L-9001"), mode: Create, want: "reject/rejected", rule: RuleReference,
			message: []string{"OneFileID 1010 is OneFile user 1010 (Sam Carter)", "--mode create only makes new users", "--mode upsert"},
			misid:   "L-0001", email: "sam.carter@learner.example"},
		{name: "another person's names", row: sam("OneFileID=1010;MISID=L-9001;FirstName=Amira;LastName=Khan"), mode: Upsert,
			want: "conflict/rejected", rule: RuleIdentity, message: []string{"by OneFileID 1010", "FirstName, LastName"},
			misid: "L-0001", email: "sam.carter@learner.example"},
		{name: "another person's names, allowed", row: sam("OneFileID=1010;MISID=L-9001;FirstName=Amira;LastName=Khan"), mode: Upsert, allow: true,
			want: "update/ok", misid: "L-9001", email: "sam.carter@learner.example"},
		{name: "another user's MISID", row: sam("OneFileID=1010;MISID=STF-002"), mode: Upsert, want: "reject/rejected", rule: RuleReference,
			message: []string{"MISID to STF-002, which OneFile user 1002 (Tom Evans) already has"}, misid: "L-0001", email: "sam.carter@learner.example"},
		{name: "another user's e-mail", row: sam("OneFileID=1010;Email=priya.shah@northfield.example"), mode: Upsert, want: "update/rejected", rule: RuleEmailTaken,
			message: []string{"OneFile user 1001 (Priya Shah) already has"}, misid: "L-0001", email: "sam.carter@learner.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startSandbox(t, sandbox.Config{})
			before := b.Snapshot()
			out, rec := runLoad(t, b, validated(t, []string{tt.row}, nil), Options{Mode: tt.mode, AllowIdentityChange: tt.allow})
			r := out.Results[0]
			if got := r.Action + "/" + r.Status; got != tt.want {
				t.Fatalf("got %s (%s), want %s", got, r.Message, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q lacks %q", r.Message, m)
				}
			}
			switch {
			case tt.rule == "" && len(rec.problems) != 0:
				t.Errorf("problems %+v, want none", rec.problems)
			case tt.rule != "" && (len(rec.problems) != 1 || rec.problems[0].Rule != tt.rule):
				t.Errorf("problems %+v, want one %s", rec.problems, tt.rule)
			}
			after := b.Snapshot()
			if n := after.Calls["POST /User"] - before.Calls["POST /User"]; n != 0 {
				t.Errorf("%d creates for a row that gives a OneFileID", n)
			}
			updates := after.Calls["POST /User/{id}"] - before.Calls["POST /User/{id}"]
			if want := map[bool]int{true: 1}[tt.want == "update/ok"]; updates != want {
				t.Errorf("%d updates sent, want %d", updates, want)
			}
			if len(after.Users) != len(before.Users) {
				t.Errorf("the sandbox holds %d users, held %d", len(after.Users), len(before.Users))
			}
			if u := userOn(t, b, 1010); u.MISID != tt.misid || u.Email != tt.email {
				t.Errorf("user 1010 on OneFile: MISID %q, Email %q; want %q, %q", u.MISID, u.Email, tt.misid, tt.email)
			}
			if tt.want == "update/ok" && r.OneFileID != "1010" {
				t.Errorf("the result names OneFile user %q, want 1010", r.OneFileID)
			}
		})
	}
}

// TestApplyPlanByID: a plan keeps a row's OneFileID, so applying it changes the MISID of the
// user the dry run named (plan.json round trip), once; a second apply sends nothing.
func TestApplyPlanByID(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	p, apply := planAndApply(t, b, []string{sam("OneFileID=1010;MISID=L-9001")}, nil, Upsert)
	if r := p.Rows[0]; r.Action != PlanUpdate || r.OneFileID != "1010" || r.User == nil || r.User.ID != 1010 {
		t.Fatalf("plan row: %s, user %s, values %+v (%s)", r.Action, r.OneFileID, r.User, r.Message)
	}
	out := apply()
	if got := statuses(out); got["update/ok"] != 1 {
		t.Errorf("apply: %v (%s)", got, out.Results[0].Message)
	}
	if u := userOn(t, b, 1010); u.MISID != "L-9001" {
		t.Errorf("user 1010's MISID %q, want L-9001", u.MISID)
	}
	calls := b.Snapshot().Calls
	out = apply()
	if after := b.Snapshot().Calls; after["POST /User/{id}"] != calls["POST /User/{id}"] || after["POST /User"] != calls["POST /User"] {
		t.Errorf("a second apply sent again: %v", statuses(out))
	}
}
