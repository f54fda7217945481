package load

import (
	"testing"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/pipeline"
)

// TestShownDates: a date in a change or a stale plan's message is shown in the input's day
// order, as the data officer typed it, never as the API's 2028-08-31T00:00:00.000Z; other
// values are shown as before.
func TestShownDates(t *testing.T) {
	for _, tc := range []struct {
		field string
		v     any
		mdy   bool
		want  string
	}{
		{"PlannedEndDate", "2028-08-31T00:00:00.000Z", false, "31/08/2028"},
		{"PlannedEndDate", "2028-08-31T00:00:00.000Z", true, "08/31/2028"},
		{"DOB", "2007-03-14", false, "14/03/2007"},
		{"DOB", "2007-03-14T00:00:00+01:00", false, "14/03/2007"}, // the day as written, not moved to UTC
		{"StartOn", "2026-09-05T09:30:00", false, "05/09/2026 09:30"},
		{"DOB", "14/03/2007", false, `"14/03/2007"`}, // not ISO: quoted as it is
		{"DOB", nil, false, "(empty)"},
		{"MISID", "2026-01-01", false, `"2026-01-01"`}, // not a date field: text
		{"FirstName", "Amy", false, `"Amy"`},
	} {
		if got := shown(tc.field, tc.v, tc.mdy); got != tc.want {
			t.Errorf("shown(%s, %v, mdy %v) = %s, want %s", tc.field, tc.v, tc.mdy, got, tc.want)
		}
	}
	c := Change{Field: "PlannedEndDate", From: "2028-08-31T00:00:00.000Z", To: "2028-09-30T00:00:00.000Z"}
	if got, want := c.String(), "PlannedEndDate: 31/08/2028 → 30/09/2028"; got != want {
		t.Errorf("Change.String() = %q, want %q", got, want)
	}
}

// TestFieldIn: OneFile's refusal marks the column it names, or the column the row gave that ID
// by (PlacementName for PlacementID); a message naming no column of the row marks none.
func TestFieldIn(t *testing.T) {
	header := []string{"Role", "FirstName", "LastName", "E-mail", "PlacementName"}
	m := &pipeline.Mapping{Kind: onefile.Users, Col: make([]int, len(onefile.Users.Fields))}
	for i := range m.Col {
		m.Col[i] = -1
	}
	for c, h := range header {
		m.Col[onefile.Users.Lookup(h)] = c
	}
	it := &Item{Src: &pipeline.Source{Header: header}, Map: m}
	for _, tc := range []struct{ msg, want string }{
		{"HTTP 400: PlacementID 12 does not exist", "PlacementName"},
		{"Email is already in use", "Email"},
		{"HTTP 500: something broke", ""},
		{"ClassroomID 3 does not exist", ""}, // the row has no classroom column
		{"Placement is closed", ""},          // a synonym is not OneFile naming a field
	} {
		if got := it.fieldIn(tc.msg); got != tc.want {
			t.Errorf("fieldIn(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
	// The problem names the column as the input heads it.
	r := Result{Item: it, Rule: RuleAPI, Field: "Email"}
	if p, _ := r.Problem(); p.Column != "E-mail" {
		t.Errorf("problem column %q, want E-mail", p.Column)
	}
}

// TestItemValue: a load-time problem carries the cell as the input has it, found under the
// field's synonym too; a value the conversion rewrote (a date, a NINO) is left empty rather
// than shown in a form the data officer never typed.
func TestItemValue(t *testing.T) {
	it := &Item{Map: &pipeline.Mapping{Kind: onefile.Users}, User: &onefile.User{
		MISID: "L-1", Classroom: onefile.NamedRef{Name: "Digital Marketer L3 Sep"}, Placement: onefile.NamedRef{ID: 999},
		Fields: map[string]any{"FirstName": "Amy", "DOB": "2007-03-14T00:00:00.000Z", "NINO": "AB123456C"}}}
	for _, tc := range []struct{ field, want string }{
		{"ClassroomName", "Digital Marketer L3 Sep"},
		{"Classroom", "Digital Marketer L3 Sep"}, // a synonym
		{"PlacementID", "999"},
		{"MISID", "L-1"},
		{"FirstName", "Amy"},
		{"DOB", ""},
		{"NINO", ""},
		{"", ""},
	} {
		if got := it.value(tc.field); got != tc.want {
			t.Errorf("value(%q) = %q, want %q", tc.field, got, tc.want)
		}
	}
	a := &Item{Map: &pipeline.Mapping{Kind: onefile.Assignments}, Assign: &onefile.Assignment{
		User: onefile.UserRef{Email: "a@x.example"}, Unit: onefile.UnitRef{Title: "Unit 1"}}}
	if got := a.value("UserEmail") + "|" + a.value("UnitTitle"); got != "a@x.example|Unit 1" {
		t.Errorf("assignment values %q", got)
	}
}

// TestToLoad: the load's opening line counts every kind of row it sends, learning aims
// included, and names only the kinds the input has.
func TestToLoad(t *testing.T) {
	for _, tc := range []struct {
		staff, learners, aims, assigns int
		want                           string
	}{
		{0, 0, 5, 0, "5 learning aims to load"},
		{1, 0, 0, 0, "1 staff row to load"},
		{1, 2, 0, 0, "1 staff row and 2 learner rows to load"},
		{3, 2, 1, 4, "3 staff rows, 2 learner rows, 1 learning aim and 4 assignments to load"},
		{0, 0, 0, 1, "1 assignment to load"},
		{0, 0, 0, 0, "nothing to load"},
	} {
		if got := toLoad(tc.staff, tc.learners, tc.aims, tc.assigns); got != tc.want {
			t.Errorf("toLoad(%d, %d, %d, %d) = %q, want %q", tc.staff, tc.learners, tc.aims, tc.assigns, got, tc.want)
		}
	}
}
