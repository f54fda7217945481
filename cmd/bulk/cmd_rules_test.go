package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/internal/kinddoc"
	"github.com/bulkload/bulk/pipeline"
)

// -update rewrites golden files: go test ./cmd/bulk -run Golden -update. Other test files of this
// package may define the flag too, so each defines it only if it is not defined yet.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func obUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// obGolden compares got with testdata/name, or rewrites the file under -update.
func obGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if obUpdating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if the change is right):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// obBulk runs the command line in-process, as main does, and returns its exit status and output.
func obBulk(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, newApp(strings.NewReader(""), &out, &errb))
	return code, out.String(), errb.String()
}

// obFixtureRules are fixed, so the golden file tests the layout, not whichever rules are registered
// today (kinds add rules as they land; TestRulesListsEveryRule covers those).
var obFixtureRules = []pipeline.Rule{
	{Code: "date", Summary: "The value is not a date in an accepted format, or is impossible.", Example: "'31/02/2026'"},
	{Code: "duplicate", Summary: "The same key (e.g. Email, MISID, ULN) appears on an earlier row; every later occurrence is rejected.", Example: "the same Email on rows 4 and 9"},
	{Code: "x", Summary: "Short.", Example: ""},
}

func TestRulesGolden(t *testing.T) {
	var b bytes.Buffer
	if err := kinddoc.WriteRules(&b, obFixtureRules); err != nil {
		t.Fatal(err)
	}
	obGolden(t, "rules.golden", b.Bytes())
	b.Reset()
	if err := kinddoc.WriteJSON(&b, kinddoc.RulesDoc{Rules: obFixtureRules}); err != nil {
		t.Fatal(err)
	}
	obGolden(t, "rules.json.golden", b.Bytes())
}

func TestRulesListsEveryRule(t *testing.T) {
	code, out, errOut := obBulk(t, "rules")
	if code != 0 || errOut != "" {
		t.Fatalf("bulk rules: exit %d, stderr %q", code, errOut)
	}
	rules := catalog.Rules()
	if len(rules) < 15 {
		t.Fatalf("only %d rules registered", len(rules))
	}
	for _, r := range rules {
		if r.Summary == "" || r.Example == "" {
			t.Errorf("rule %s has no summary or no example of a failing value", r.Code)
		}
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, r.Code+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("bulk rules has no line for %s", r.Code)
		}
	}

	code, out, _ = obBulk(t, "rules", "--format", "json")
	var doc struct {
		Rules []struct{ Code, Summary, Example string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("bulk rules --format json: exit %d, %v:\n%s", code, err, out)
	}
	if len(doc.Rules) != len(rules) {
		t.Fatalf("JSON lists %d rules, want %d", len(doc.Rules), len(rules))
	}
	for i, r := range rules {
		if doc.Rules[i].Code != r.Code || doc.Rules[i].Summary != r.Summary || doc.Rules[i].Example != r.Example {
			t.Errorf("JSON rule %d = %+v, want %+v", i, doc.Rules[i], r)
		}
	}
}

func TestFormatFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"rules", "--format", "jsn"}, 2, "Did you mean --format json?"},
		{[]string{"kinds", "--format", "yaml"}, 2, "Use --format text or --format json."},
		{[]string{"rules", "extra"}, 2, `unknown command "extra"`},
	} {
		code, _, errOut := obBulk(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("bulk %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.says)
		}
	}
}

// TestRulesDoc keeps docs/rules.md, the rule list the README links to, the same as `bulk rules`.
// A kind that registers a rule makes it fail until the page is rewritten:
//
//	go test ./cmd/bulk -run TestRulesDoc -update
func TestRulesDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Rule codes\n\n")
	b.WriteString("Every problem bulk reports carries one of these codes in the `rule` column of `rejects.csv` and\n")
	b.WriteString("`rejects.xlsx`. Codes are never renamed. `bulk rules` prints this list; `bulk rules --format json`\n")
	b.WriteString("prints it for scripts. This page is generated from the code by `go test ./cmd/bulk -run TestRulesDoc -update`.\n\n")
	b.WriteString("| Rule | Meaning | Fails on, for example |\n|---|---|---|\n")
	cell := strings.NewReplacer("|", `\|`, "\n", " ").Replace
	for _, r := range catalog.Rules() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Code, cell(r.Summary), cell(r.Example))
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	if obUpdating() {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != b.String() {
		t.Errorf("docs/rules.md is not the list of registered rules (%v); rewrite it with: go test ./cmd/bulk -run TestRulesDoc -update", err)
	}
}
