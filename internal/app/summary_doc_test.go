package app

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline/report"
)

// TestSummaryKeysDocumented: every key the code writes into summary.json (the report's own
// fields, and each rep.Set key and the keys of the maps set under them) is described in
// docs/summary-json.md, so the documented schema cannot fall behind the code.
func TestSummaryKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/summary-json.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := string(doc)
	var keys []string
	st := reflect.TypeFor[report.Summary]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	// rep.Set("key", ...) anywhere in the application, and "key": in the map literal it sets.
	set := regexp.MustCompile(`\.Set\("([a-z_0-9]+)",\s*(map\[string\]any\{[^}]*\})?`)
	mapKey := regexp.MustCompile(`"([a-z_0-9]+)":`)
	for _, dir := range []string{".", "../../nightly"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range set.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1])
				for _, k := range mapKey.FindAllStringSubmatch(m[2], -1) {
					keys = append(keys, k[1])
				}
			}
		}
	}
	if len(keys) < 20 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for _, k := range keys {
		if !strings.Contains(documented, "`"+k+"`") {
			t.Errorf("summary.json key %q is written by the code but not described in docs/summary-json.md", k)
		}
	}
}
