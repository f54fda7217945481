package coursesxml

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/internal/kindtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenSamples builds courses.xml from both input layouts: one row per session (CSV) and a
// modules sheet plus a sessions sheet (XLSX). Each sample has deliberate mistakes.
func TestGoldenSamples(t *testing.T) {
	for _, name := range []string{"courses.csv", "courses.xlsx"} {
		t.Run(name, func(t *testing.T) {
			sample := filepath.Join("..", "..", "samples", "peoplefluent", name)
			b := NewBuilder()
			res := kindtest.Run(t, Kind, b, sample)
			var buf bytes.Buffer
			if _, err := b.WriteTo(&buf, res.IsRejected); err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(name, filepath.Ext(name)) + "-" + strings.TrimPrefix(filepath.Ext(name), ".")
			kindtest.Golden(t, "testdata/"+base+".golden.xml", buf.Bytes(), *update)
			kindtest.Golden(t, "testdata/"+base+".problems.txt", []byte(res.Lines()), *update)
			if len(res.Rejected) == 0 {
				t.Error("the sample's deliberate mistakes were not found")
			}
			xmllint(t, buf.Bytes(), "testdata/courses.xsd", true)
		})
	}
}

// xmllint checks doc against the schema with xmllint, as `bulk export --xsd` does, and says
// whether it should pass. Without xmllint the test is skipped: it is the tool the feature needs.
func xmllint(t *testing.T, doc []byte, xsd string, valid bool) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils); the schema check is not run")
	}
	p := filepath.Join(t.TempDir(), "courses.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", xsd, p).CombinedOutput()
	if (err == nil) != valid {
		t.Errorf("xmllint says valid=%v, want %v:\n%s", err == nil, valid, out)
	}
}
