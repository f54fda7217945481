package coursesxml

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/bulkload/bulk/formats/internal/kindtest"
	"github.com/bulkload/bulk/pipeline"
)

func c(h, v string) [2]string { return [2]string{h, v} }

// session is a valid session row plus extra columns (replacing same-named ones).
func session(extra ...[2]string) kindtest.Row {
	row := kindtest.Row{{"ModuleID", "HS-101"}, {"ModuleTitle", "Induction"}, {"ModuleType", "classroom"},
		{"SessionCode", "S1"}, {"SessionStart", "05/09/2026 09:00"}, {"SessionEnd", "05/09/2026 17:00"}}
	for _, e := range extra {
		replaced := false
		for i := range row {
			if row[i][0] == e[0] {
				row[i][1] = e[1]
				replaced = true
			}
		}
		if !replaced {
			row = append(row, e)
		}
	}
	return row
}

// oneModule runs a row and returns the problems' rules and the module the builder made.
func oneModule(t *testing.T, row kindtest.Row) ([]string, *Module, *kindtest.Result) {
	t.Helper()
	res, b := kindtest.One(t, Kind, row, NewBuilder)
	ms := b.Modules(res.IsRejected)
	if len(res.Rejected) > 0 {
		if len(ms) != 0 {
			t.Fatalf("a rejected row reached the payload: %+v", ms[0])
		}
		return res.Rules(), nil, res
	}
	if len(ms) != 1 {
		t.Fatalf("%d modules", len(ms))
	}
	return res.Rules(), ms[0], res
}

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		row   kindtest.Row
		rules []string
		check func(m *Module) string // the value to compare with want
		want  string
	}{
		{"session", session(), nil, func(m *Module) string { return m.Sessions[0].Start + " " + m.Sessions[0].End }, "2026-09-05T09:00:00 2026-09-05T17:00:00"},
		{"module only", kindtest.Row{{"ModuleID", "M1"}, {"ModuleTitle", "T"}, {"ModuleType", "book"}}, nil, func(m *Module) string { return m.Title + "/" + m.Type + "/" + strings.Repeat("s", len(m.Sessions)) }, "T/book/"},
		{"no module id", session(c("ModuleID", "")), []string{"required"}, nil, ""},
		{"module id 85", session(c("ModuleID", strings.Repeat("m", 85))), nil, func(m *Module) string { return m.ID }, strings.Repeat("m", 85)},
		{"module id 86", session(c("ModuleID", strings.Repeat("m", 86))), []string{"max-length"}, nil, ""},
		{"title 256", session(c("ModuleTitle", strings.Repeat("t", 256))), []string{"max-length"}, nil, ""},

		// Session dates.
		{"date only end lasts the day", session(c("SessionStart", "05/09/2026"), c("SessionEnd", "05/09/2026")), nil, func(m *Module) string { return m.Sessions[0].Start + " " + m.Sessions[0].End }, "2026-09-05T00:00:00 2026-09-05T23:59:59"},
		{"end before start", session(c("SessionEnd", "05/09/2026 08:00")), []string{"date-range"}, nil, ""},
		{"end equals start", session(c("SessionEnd", "05/09/2026 09:00")), []string{"date-range"}, nil, ""},
		{"missing end", session(c("SessionEnd", "")), []string{"required"}, nil, ""},
		{"missing start", session(c("SessionStart", "")), []string{"required"}, nil, ""},
		{"session without dates", kindtest.Row{{"ModuleID", "M"}, {"SessionCode", "S"}}, []string{"required", "required"}, nil, ""},
		{"bad date", session(c("SessionStart", "32/09/2026")), []string{"date"}, nil, ""},
		{"iso dates", session(c("SessionStart", "2026-09-05 09:00:00"), c("SessionEnd", "2026-09-05T17:00:00Z")), nil, func(m *Module) string { return m.Sessions[0].End }, "2026-09-05T17:00:00"},
		{"deadline date", session(c("EnrollmentDeadline", "29/08/2026")), nil, func(m *Module) string { return m.Sessions[0].Deadline }, "2026-08-29T23:59:59"},
		{"deadline time", session(c("EnrollmentDeadline", "29/08/2026 12:00")), nil, func(m *Module) string { return m.Sessions[0].Deadline }, "2026-08-29T12:00:00"},

		// Seats.
		{"seats", session(c("Seats", "12")), nil, func(m *Module) string { return m.Sessions[0].Seats }, "12"},
		{"seats excel", session(c("Seats", "12.0")), nil, func(m *Module) string { return m.Sessions[0].Seats }, "12"},
		{"seats zero", session(c("Seats", "0")), nil, func(m *Module) string { return m.Sessions[0].Seats }, "0"},
		{"seats fraction", session(c("Seats", "10.5")), []string{"integer"}, nil, ""},
		{"seats negative", session(c("Seats", "-1")), []string{"integer"}, nil, ""},
		{"seats words", session(c("Seats", "ten")), []string{"integer"}, nil, ""},

		// Instructors, facility, status.
		{"instructors", session(c("Instructors", "Instr1; instr2")), nil, func(m *Module) string { return strings.Join(m.Sessions[0].Instructors, ",") }, "instr1,instr2"},
		{"instructors spaces", session(c("Instructors", "jo smith")), []string{"user-id-list"}, nil, ""},
		{"facility", session(c("Training Centre", "Head Office")), nil, func(m *Module) string { return m.Sessions[0].Facility }, "Head Office"},
		{"status unknown", session(c("SessionStatus", "running")), []string{"enum"}, nil, ""},
		{"status canceled", session(c("SessionStatus", "Canceled")), nil, func(m *Module) string { return m.Sessions[0].Status }, "cancelled"},

		// Money and codes.
		{"price", session(c("Cost", "99.5"), c("Currency", "gbp")), nil, func(m *Module) string { return m.Cost + " " + m.Currency }, "99.5 GBP"},
		{"price 3 places", session(c("Cost", "99.555"), c("Currency", "GBP")), []string{"decimal"}, nil, ""},
		{"price negative", session(c("Cost", "-1"), c("Currency", "GBP")), []string{"negative"}, nil, ""},
		{"price without currency", session(c("Cost", "10")), []string{"paired-value!"}, func(m *Module) string { return m.Cost }, "10"},
		{"currency bad", session(c("Currency", "XYZ")), []string{"currency"}, nil, ""},
		{"language", session(c("Language", "EN-gb")), nil, func(m *Module) string { return m.Language }, "en_GB"},
		{"language bad", session(c("Language", "English")), []string{"language"}, nil, ""},

		// A module needs its title and type on some valid row.
		{"id only", kindtest.Row{{"ModuleID", "M"}, {"SessionStart", "05/09/2026 09:00"}, {"SessionEnd", "05/09/2026 10:00"}}, []string{"module-incomplete"}, nil, ""},
		{"no type", session(c("ModuleType", "")), []string{"module-incomplete"}, nil, ""},
		{"no title", session(c("ModuleTitle", "")), []string{"module-incomplete"}, nil, ""},
	}
	// Every module type and session status, under its code and its label or alias.
	for _, v := range ModuleType.Values {
		for _, in := range append([]string{v.Code, v.Label}, v.Also...) {
			tests = append(tests, struct {
				name  string
				row   kindtest.Row
				rules []string
				check func(m *Module) string
				want  string
			}{"type " + in, session(c("ModuleType", in)), nil, func(m *Module) string { return m.Type }, v.Code})
		}
	}
	for _, v := range SessionStatus.Values {
		tests = append(tests, struct {
			name  string
			row   kindtest.Row
			rules []string
			check func(m *Module) string
			want  string
		}{"status " + v.Code, session(c("SessionStatus", strings.ToUpper(v.Code))), nil, func(m *Module) string { return m.Sessions[0].Status }, v.Code})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules, m, res := oneModule(t, tc.row)
			if !slices.Equal(rules, tc.rules) {
				t.Fatalf("rules %q, want %q\n%s", rules, tc.rules, res.Lines())
			}
			if tc.check == nil {
				if m != nil {
					t.Fatal("row accepted, want rejected")
				}
				return
			}
			if m == nil {
				t.Fatalf("row rejected:\n%s", res.Lines())
			}
			if got := tc.check(m); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSessionsBeforeModules: a sessions file read before the modules file still finds its
// module's title and type (the check waits for the end of the run), and conflicts and duplicate
// session codes are caught across files.
func TestSessionsBeforeModules(t *testing.T) {
	dir := t.TempDir()
	sessions := kindtest.CSV(t, dir, "sessions.csv",
		"ModuleID,SessionCode,SessionStart,SessionEnd",
		"M1,S1,05/09/2026 09:00,05/09/2026 12:00",
		"m1,S2,06/09/2026 09:00,06/09/2026 12:00",
		"M2,S1,05/09/2026 09:00,05/09/2026 12:00",
	)
	modules := kindtest.CSV(t, dir, "modules.csv",
		"ModuleID,ModuleTitle,ModuleType",
		"M1,First,classroom",
		"M2,Second,exam",
		"M1,First again,classroom",
	)
	more := kindtest.CSV(t, dir, "more.csv",
		"ModuleID,SessionCode,SessionStart,SessionEnd",
		"M1,s2,07/09/2026 09:00,07/09/2026 12:00",
	)
	b := NewBuilder()
	res := kindtest.Run(t, Kind, b, sessions, modules, more)
	if got := res.Rules(); !slices.Equal(got, []string{"module-conflict", "duplicate"}) {
		t.Fatalf("rules %q\n%s", got, res.Lines())
	}
	if !res.Has(4, "ModuleTitle", RuleModuleConflict) || !res.Has(2, "SessionCode", pipeline.RuleDuplicate) {
		t.Errorf("problems in the wrong place:\n%s", res.Lines())
	}
	ms := b.Modules(res.IsRejected)
	var got []string
	for _, m := range ms {
		got = append(got, m.ID+":"+m.Title+":"+m.Type+":"+itoa(len(m.Sessions)))
	}
	if want := []string{"M1:First:classroom:2", "M2:Second:exam:1"}; !slices.Equal(got, want) {
		t.Errorf("modules %q, want %q", got, want)
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestLateRejectionLeavesThePayload: rows rejected after the sink accepted them (the end-of-run
// check of incomplete modules) must not reach courses.xml.
func TestLateRejectionLeavesThePayload(t *testing.T) {
	dir := t.TempDir()
	in := kindtest.CSV(t, dir, "s.csv",
		"ModuleID,ModuleTitle,ModuleType,SessionCode,SessionStart,SessionEnd",
		"A,Alpha,book,S,05/09/2026 09:00,05/09/2026 10:00",
		"B,,,S,05/09/2026 09:00,05/09/2026 10:00",
		"B,,,T,06/09/2026 09:00,06/09/2026 10:00",
	)
	b := NewBuilder()
	res := kindtest.Run(t, Kind, b, in)
	if len(b.entries) != 3 || !res.Has(3, "ModuleID", RuleModuleIncomplete) || !res.Has(4, "ModuleID", RuleModuleIncomplete) {
		t.Fatalf("setup: %d entries\n%s", len(b.entries), res.Lines())
	}
	var buf bytes.Buffer
	n, err := b.WriteTo(&buf, res.IsRejected)
	if err != nil || n != (Written{Modules: 1, Sessions: 1, Rows: 1}) || strings.Contains(buf.String(), "<id>B</id>") {
		t.Errorf("wrote %+v, err %v:\n%s", n, err, buf.String())
	}
}

// TestSchemaCheckCanFail: the test schema rejects what the layout must not produce, so the
// golden tests' passing xmllint run means something.
func TestSchemaCheckCanFail(t *testing.T) {
	doc := Document([]*Module{{ID: "M", Type: "lecture", Sessions: []*Session{{Start: "2026-09-05T09:00:00", End: "2026-09-05T10:00:00", Seats: "ten"}}}})
	var buf bytes.Buffer
	doc.WriteTo(&buf)
	xmllint(t, buf.Bytes(), "testdata/courses.xsd", false)
}

// TestLayoutOrder: elements come in layout order, groups share one parent, repeats do not.
func TestLayoutOrder(t *testing.T) {
	m := &Module{ID: "M", Title: "T", Cost: "1", Currency: "GBP", Sessions: []*Session{{
		Start: "s", End: "e", Instructors: []string{"a", "b"}, Facility: "F", Seats: "3"}}}
	doc := Document([]*Module{m})
	var names []string
	var walk func(e *etree.Element, prefix string)
	walk = func(e *etree.Element, prefix string) {
		for _, k := range e.ChildElements() {
			names = append(names, prefix+k.Tag)
			walk(k, prefix+k.Tag+"/")
		}
	}
	walk(doc.Root(), "")
	want := []string{"module", "module/id", "module/title", "module/price", "module/price/currency", "module/price/amount",
		"module/session", "module/session/start", "module/session/end",
		"module/session/instructor", "module/session/instructor/id", "module/session/instructor", "module/session/instructor/id",
		"module/session/facility", "module/session/facility/trainingCenter", "module/session/facility/trainingCenter/name", "module/session/seats"}
	if !slices.Equal(names, want) {
		t.Errorf("layout\n got %q\nwant %q", names, want)
	}
	s, _ := doc.WriteToString()
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<courses>\n  <module>") {
		t.Errorf("not an indented UTF-8 document:\n%s", s)
	}
}
