package pipeline_test

import (
	"fmt"
	"reflect"
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

func TestParseAliases(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       map[string]string // normalized header → field
		err        string            // in the error, when one is wanted
	}{
		{"plain", "Learner Forename: FirstName\n'Tutor: e-mail': DefaultAssessorEmail\n",
			map[string]string{"learnerforename": "FirstName", "tutor:email": "DefaultAssessorEmail"}, ""},
		{"empty file", "", map[string]string{}, ""},
		{"comments only", "# nothing yet\n", map[string]string{}, ""},
		{"alias to a scalar", "A: &f FirstName\nB: *f\n", map[string]string{"a": "FirstName", "b": "FirstName"}, ""},
		{"same header twice", "Forename: FirstName\nSurname: LastName\nForename: FirstName\n", nil, `header "Forename" is given twice, on lines 1 and 3`},
		{"two spellings, one field", "First name: FirstName\nFIRST_NAME: FirstName\n", map[string]string{"firstname": "FirstName"}, ""},
		{"two spellings, two fields", "First name: FirstName\nFIRST_NAME: LastName\n", nil, `"First name" (line 1) and "FIRST_NAME" (line 2) are the same header`},
		{"maps to nothing", "Forename:\n", nil, `header "Forename" maps to nothing`},
		{"null", "Forename: ~\n", nil, "maps to nothing"},
		{"a list", "- a\n- b\n", nil, "not a header map"},
		{"a nested map", "Forename:\n  x: y\n", nil, "line 1 is not `header: field`"},
		{"too big", strings.Repeat("# padding padding padding\n", pipeline.MaxMapSize/26+1), nil, "larger than 1 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := pipeline.ParseAliases(strings.NewReader(tc.yaml), "map.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(map[string]string(a), tc.want) {
				t.Errorf("got %v, want %v", a, tc.want)
			}
		})
	}
}

// TestParseAliasesLinear: parsing a map four times as long takes about four times as long, not
// sixteen (decoding into a Go map, yaml.v3 compared each key with every key before it: a 40,000
// line map took 12 s, a million-line one hours). Best of three, to ride out a busy machine.
// BenchmarkParseAliases times map files of growing length: the time per line stays flat (yaml.v3
// decoding into a Go map compared each key with every earlier one, so a 40,000-line map took 11 s).
// Compare the sizes' ns/op divided by their lines:
//
//	go test -run '^$' -bench ParseAliases ./pipeline/
func BenchmarkParseAliases(b *testing.B) {
	for _, n := range []int{7000, 28000} {
		var doc strings.Builder
		for i := range n {
			fmt.Fprintf(&doc, "Header number %d: FirstName\n", i)
		}
		b.Run(fmt.Sprint(n, "-lines"), func(b *testing.B) {
			for b.Loop() {
				a, err := pipeline.ParseAliases(strings.NewReader(doc.String()), "map.yaml")
				if err != nil || len(a) != n {
					b.Fatalf("%d aliases, %v", len(a), err)
				}
			}
		})
	}
}

func TestAliasesHeaderRow(t *testing.T) {
	for _, tc := range []struct {
		yaml    string
		row     int
		aliases int    // headers mapped
		err     string // a part of the error, "" for none
	}{
		{"header_row: 4\nLearner Forename: FirstName\n", 4, 1, ""},
		{"Header_Row: 12\n", 12, 0, ""},
		{"Learner Forename: FirstName\n", 0, 1, ""},
		{"header_row: four\n", 0, 0, "line 1: header_row must be the number of the row"},
		{"header_row: 0\n", 0, 0, "from 1 to 1048576"},
		{"Learner Forename: FirstName\nheader_row: -2\n", 0, 0, "line 2: header_row"},
	} {
		a, err := pipeline.ParseAliases(strings.NewReader(tc.yaml), "map.yaml")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one saying %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if a.HeaderRow() != tc.row || len(a)-min(tc.row, 1) != tc.aliases {
			t.Errorf("%q: header row %d and %d aliases, want %d and %d", tc.yaml, a.HeaderRow(), len(a)-min(tc.row, 1), tc.row, tc.aliases)
		}
	}
}

func TestHeaderScore(t *testing.T) {
	k := &pipeline.Kind{Name: "k", Fields: []pipeline.Field{{Name: "FirstName"}, {Name: "LastName"}, {Name: "Email", Synonyms: []string{"E-mail address"}}}}
	k2 := &pipeline.Kind{Name: "k2", Fields: []pipeline.Field{{Name: "Code"}}}
	aliases := pipeline.Aliases{"forename": "FirstName"}
	for _, tc := range []struct {
		cells []string
		want  int
	}{
		{[]string{"Northfield Training - September 2026 starters"}, 0},
		{[]string{"Forename", "Last Name", "email", "Shoe size"}, 3},
		{[]string{"Email", "E-mail address"}, 1}, // one field named twice counts once
		{[]string{"Code"}, 1},
	} {
		if got := pipeline.HeaderScore(tc.cells, aliases, []*pipeline.Kind{k, k2}); got != tc.want {
			t.Errorf("HeaderScore(%q) = %d, want %d", tc.cells, got, tc.want)
		}
	}
}

func TestParseAliasesChecksTargets(t *testing.T) {
	fields := map[string]bool{"FirstName": true, "LastName": true}
	check := func(f string) (bool, string) {
		if fields[f] {
			return true, ""
		}
		if strings.HasPrefix(f, "Last") {
			return false, "LastName"
		}
		return false, ""
	}
	for _, tc := range []struct{ yaml, err string }{
		{"Forename: FirstName\nSurname: LastName\n", ""},
		{"Forename: FirstName\nLearner Surname: LastNme\n", `map.yaml: line 2: "Learner Surname" maps to LastNme, which is not a field (did you mean LastName?)`},
		{"Shoe: Size\n", `line 1: "Shoe" maps to Size, which is not a field (run 'bulk kinds KIND'`},
		{"header_row: 3\n", ""}, // the reserved key is no field
	} {
		_, err := pipeline.ParseAliases(strings.NewReader(tc.yaml), "map.yaml", check)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.err)
		}
	}
}

// TestFieldNamedIn: a target's message names a field by its name or a synonym, in any case and
// spacing; quoted values are not names.
func TestFieldNamedIn(t *testing.T) {
	k := &pipeline.Kind{Name: "th", Fields: []pipeline.Field{
		{Name: "USERID", Synonyms: []string{"User ID", "Login"}},
		{Name: "LEARNINGID", Synonyms: []string{"Learning ID"}},
		{Name: "ENDDATE", Synonyms: []string{"End Date"}},
		{Name: "STARTDATE"},
		{Name: "USESETTINGSASOFDATE", Synonyms: []string{"Use Settings As Of Date"}},
	}}
	for _, tc := range []struct{ msg, want string }{
		{"User ID nobody does not exist.", "USERID"},
		{"Learning ID HS-9 does not exist.", "LEARNINGID"},
		{"ENDDATE is before STARTDATE.", "ENDDATE"},
		{`USE SETTINGS AS OF DATE "x" is not a date`, "USESETTINGSASOFDATE"},
		{`No learning module has the title "User ID".`, ""},
		{"Simulated failure for user x.", ""},
	} {
		got := ""
		if f := k.FieldNamedIn(tc.msg); f >= 0 {
			got = k.Fields[f].Name
		}
		if got != tc.want {
			t.Errorf("FieldNamedIn(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}
