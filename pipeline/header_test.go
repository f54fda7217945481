package pipeline_test

import (
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
)

func TestNormalizeHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"First Name", "firstname"},
		{"first_name", "firstname"},
		{"\ufeffE-mail", "email"},
		{" MIS\u00a0ID ", "misid"},
		{"DOB", "dob"},
	} {
		if got := pipeline.NormalizeHeader(tc.in); got != tc.want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMapHeader(t *testing.T) {
	aliases, err := pipeline.ParseAliases(strings.NewReader("Learner Ref: Key\n"), "map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		header []string
		fatal  bool
		rules  string
	}{
		{[]string{"KEY", "age"}, false, ""},
		{[]string{"learner_ref", "Age"}, false, ""},
		{[]string{"Age", "Colour"}, true, "unknown-column,missing-column"},
		{[]string{"Key", "ID Code"}, false, "duplicate-column"},
	}
	for _, tc := range tests {
		src := &pipeline.Source{File: "a.csv", Header: tc.header, HeaderRow: 1}
		m, ps, fatal := pipeline.MapHeader(testKind, src, aliases)
		var rules []string
		for _, p := range ps {
			rules = append(rules, p.Rule)
			if p.Row != 1 {
				t.Errorf("%v: header problem on row %d, want 1", tc.header, p.Row)
			}
		}
		if got := strings.Join(rules, ","); got != tc.rules || fatal != tc.fatal {
			t.Errorf("%v: rules %q fatal %v, want %q %v", tc.header, got, fatal, tc.rules, tc.fatal)
		}
		if !tc.fatal && m.Col[0] != 0 {
			t.Errorf("%v: Key mapped to column %d, want 0", tc.header, m.Col[0])
		}
	}
}

func TestParseAliasesRejectsGarbage(t *testing.T) {
	if _, err := pipeline.ParseAliases(strings.NewReader("- a\n- b\n"), "map.yaml"); err == nil {
		t.Fatal("a YAML list was accepted as a header map")
	}
}
