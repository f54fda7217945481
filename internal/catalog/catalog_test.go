package catalog

import (
	"sort"
	"strings"
	"testing"
)

// TestKinds: every kind once, sorted by name, found by any spelling of its name; an unknown
// name's error lists the known ones.
func TestKinds(t *testing.T) {
	ks := Kinds()
	if len(ks) != 6 {
		t.Fatalf("%d kinds, want the 6 bulk reads", len(ks))
	}
	if !sort.SliceIsSorted(ks, func(i, j int) bool { return ks[i].Name < ks[j].Name }) {
		t.Error("kinds are not sorted by name")
	}
	for _, k := range ks {
		for _, name := range []string{k.Name, " " + k.Name + " ", "  " + strings.ToUpper(k.Name)} {
			if got, err := KindByName(name); err != nil || got != k {
				t.Errorf("KindByName(%q) = %v, %v", name, got, err)
			}
		}
	}
	if _, err := KindByName("learners"); err == nil || !strings.Contains(err.Error(), "onefile-users") {
		t.Errorf("an unknown kind: %v", err)
	}
	ks[0] = nil // a copy: the catalog's own list stays whole
	if Kinds()[0] == nil {
		t.Error("Kinds returned the catalog's own slice")
	}
	for _, target := range []string{"onefile", "peoplefluent"} {
		for _, k := range KindsFor(target) {
			if k.Target != target {
				t.Errorf("KindsFor(%s) holds %s (target %s)", target, k.Name, k.Target)
			}
		}
	}
	if n := len(KindsFor("onefile")) + len(KindsFor("peoplefluent")); n != len(Kinds()) {
		t.Errorf("the targets' kinds add up to %d of %d", n, len(Kinds()))
	}
}

// TestRules: every code once, sorted, each with a summary; the pipeline's, the kinds', the
// loader's and the LMS's codes are all there, and a code two lists give keeps the first.
func TestRules(t *testing.T) {
	rs := Rules()
	seen := map[string]string{}
	for i, r := range rs {
		if _, dup := seen[r.Code]; dup {
			t.Errorf("rule %s listed twice", r.Code)
		}
		seen[r.Code] = r.Summary
		if r.Summary == "" {
			t.Errorf("rule %s has no summary", r.Code)
		}
		if i > 0 && rs[i-1].Code >= r.Code {
			t.Errorf("rules not sorted at %s", r.Code)
		}
	}
	for _, code := range []string{"required", "role", "api", "not-sent", "date-range", "module-conflict", "nothing-to-change", "lms-failed"} {
		if _, ok := seen[code]; !ok {
			t.Errorf("rule %s is missing", code)
		}
	}
	for _, list := range ruleLists[1:2] { // onefile's reference rule, not the loader's
		for _, r := range list {
			if r.Code == "reference" && seen["reference"] != r.Summary {
				t.Errorf("reference is described as %q, want the kinds' %q", seen["reference"], r.Summary)
			}
		}
	}
}
