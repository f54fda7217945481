package app

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestXSDCoursesCheck: --xsd checks courses bodies with xmllint against the given schema: the
// exporter's golden document passes the layout's schema, a document with an element the schema
// lacks does not, and the temporary files are gone afterwards.
func TestXSDCoursesCheck(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (libxml2-utils): the check it runs cannot be exercised here")
	}
	xsd := filepath.Join("..", "..", "formats", "coursesxml", "testdata", "courses.xsd")
	good, err := os.ReadFile(filepath.Join("..", "..", "formats", "coursesxml", "testdata", "courses-csv.golden.xml"))
	if err != nil {
		t.Fatal(err)
	}
	check, done, err := xsdCoursesCheck(xsd)
	if err != nil {
		t.Fatal(err)
	}
	if p := check(good); len(p) != 0 {
		t.Errorf("the golden document fails its own schema: %q", p)
	}
	bad := strings.Replace(string(good), "<title>", "<cost>1</cost><title>", 1)
	p := check([]byte(bad))
	if len(p) == 0 || !strings.Contains(strings.Join(p, " "), "courses.xml") {
		t.Errorf("an element the schema lacks passed, or the message names the temporary file: %q", p)
	}
	done()
}

// TestXSDCoursesCheckNeedsXmllint: without xmllint, --xsd stops the sandbox at once with what to
// install; a schema file that is not there is said so.
func TestXSDCoursesCheckNeedsXmllint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := xsdCoursesCheck("courses.xsd")
	if err == nil || !strings.Contains(err.Error(), "xmllint") {
		t.Fatalf("err %v", err)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != CannotRun || !strings.Contains(ae.Hint, "libxml2") {
		t.Errorf("error %#v: want CannotRun with a hint naming libxml2", err)
	}
}
