package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/kinddoc"
	"github.com/bulkload/bulk/pipeline"
)

// obFixtureKinds are fixed, so the golden files test the layout whatever kinds are registered.
func obFixtureKinds() []*pipeline.Kind {
	return []*pipeline.Kind{
		{
			Name: "people", Title: "People: learners and staff, one per row, with a long title that has to wrap in the table", Target: "onefile",
			SheetHints: []string{"learner", "staff"},
			Fields: []pipeline.Field{
				{Name: "Role", Synonyms: []string{"RoleID", "User Role"}, Required: true, Choices: []string{"1", "5", "40"}, Help: "1 Learner, 5 Assessor, 40 Employer (number or name)", Example: "1"},
				{Name: "FirstName", Synonyms: []string{"Forename", "First Name", "Given Name", "Christian Name", "Preferred First Name"}, Required: true, MaxLen: 100, Example: "Amira"},
				{Name: "Email", Type: pipeline.Email, Required: true, Unique: true, MaxLen: 254, Example: "amira.khan@example.ac.uk"},
				{Name: "ULN", Type: pipeline.ULN, Unique: true, Example: "1000000043"},
				{Name: "DOB", Synonyms: []string{"Date of Birth"}, Type: pipeline.Date, Example: "14/03/2007"},
			},
		},
		{
			Name: "records", Title: "Training records", Target: "peoplefluent",
			Fields: []pipeline.Field{
				{Name: "Grade", Type: pipeline.Integer, Min: 1, Max: 5, AllowNone: "*NONE*", Help: "Performance grade", Example: "4"},
				{Name: "Action", Type: pipeline.Enum, Enum: []string{"A", "U"}, Required: true, Example: "A"},
				{Name: "Currency", Type: pipeline.Enum, Enum: strings.Fields("AUD CAD CHF EUR GBP JPY NZD SEK USD ZAR INR"), Example: "GBP"},
				{Name: "Cost", Type: pipeline.Decimal, Places: 2, Example: "12.50"},
				{Name: "Completed", Type: pipeline.Date, AllowNone: "NONE", Example: "05-Sep-2026 09:00"},
				{Name: "Active", Type: pipeline.Bool},
			},
		},
	}
}

func TestKindsGolden(t *testing.T) {
	ks := obFixtureKinds()
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"kinds.golden", func(b *bytes.Buffer) error { return kinddoc.WriteKinds(b, ks) }},
		{"kind-detail.golden", func(b *bytes.Buffer) error { return kinddoc.WriteKind(b, ks[1]) }},
		{"kinds.json.golden", func(b *bytes.Buffer) error { return kinddoc.WriteJSON(b, kinddoc.KindsJSON(ks)) }},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatal(err)
		}
		obGolden(t, tc.name, b.Bytes())
	}
}

// TestKindsListsEveryKind runs the real command over the registered kinds.
func TestKindsListsEveryKind(t *testing.T) {
	kinds := catalog.Kinds()
	code, out, errOut := obBulk(t, "kinds")
	if code != 0 || errOut != "" {
		t.Fatalf("bulk kinds: exit %d, stderr %q", code, errOut)
	}
	for _, k := range kinds {
		if !strings.Contains(out, "\n"+k.Name+" (target "+k.Target+")\n") {
			t.Errorf("bulk kinds has no section for %s", k.Name)
		}
		for _, f := range k.Fields {
			if !strings.Contains(out, "\n  "+f.Name+" ") {
				t.Errorf("bulk kinds does not list %s's column %s", k.Name, f.Name)
			}
		}

		code, detail, _ := obBulk(t, "kinds", strings.ToUpper(k.Name)) // names match ignoring case
		if code != 0 || !strings.HasPrefix(detail, k.Name+": "+k.Title) {
			t.Errorf("bulk kinds %s: exit %d:\n%s", k.Name, code, detail)
		}
		for _, f := range k.Fields {
			if f.Example != "" && !strings.Contains(detail, "Example: "+f.Example) {
				t.Errorf("bulk kinds %s does not show %s's example", k.Name, f.Name)
			}
		}
	}

	code, out, _ = obBulk(t, "kinds", "--format", "json")
	var doc kinddoc.KindsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("bulk kinds --format json: exit %d, %v", code, err)
	}
	if len(doc.Kinds) != len(kinds) {
		t.Fatalf("JSON lists %d kinds, want %d", len(doc.Kinds), len(kinds))
	}
	for i, k := range kinds {
		d := doc.Kinds[i]
		if d.Name != k.Name || d.Target != k.Target || len(d.Columns) != len(k.Fields) {
			t.Errorf("JSON kind %d: %s/%s with %d columns, want %s/%s with %d", i, d.Name, d.Target, len(d.Columns), k.Name, k.Target, len(k.Fields))
		}
	}

	code, out, _ = obBulk(t, "kinds", kinds[0].Name, "--format", "json")
	var one kinddoc.KindDoc
	if err := json.Unmarshal([]byte(out), &one); err != nil || code != 0 || one.Name != kinds[0].Name {
		t.Errorf("bulk kinds %s --format json: exit %d, %v, name %q", kinds[0].Name, code, err, one.Name)
	}
}

func TestKindsUnknown(t *testing.T) {
	name := catalog.Kinds()[0].Name
	for _, tc := range []struct {
		arg, says string
	}{
		{name[:len(name)-1], "Did you mean " + name + "?"},   // one letter short
		{name + "x", "Did you mean " + name + "?"},           // one too many
		{"nothing-like-it", "Run 'bulk kinds' to see them."}, // no suggestion
	} {
		code, _, errOut := obBulk(t, "kinds", tc.arg)
		if code != ExitCannotRun || !strings.Contains(errOut, tc.says) || !strings.Contains(errOut, "unknown kind") {
			t.Errorf("bulk kinds %s: exit %d, stderr %q; want 2 and %q", tc.arg, code, errOut, tc.says)
		}
	}
}
