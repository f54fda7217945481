package pipeline_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	_ "github.com/bulkload/bulk/formats/onefile" // real kinds with real synonyms
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
)

// FuzzHeaderMatch holds the header matcher to its contract on any input: NormalizeHeader and
// Lookup never panic; normalizing is idempotent and leaves no case, spaces, '_', '-', BOM or
// no-break space behind; a header matches the same field as its normalized form; and decorating
// a known header with case, spaces, '_' and '-' never changes the field it names.
func FuzzHeaderMatch(f *testing.F) {
	for _, s := range []string{"FirstName", "First Name", " first_name ", "E-mail", "\ufeffEmail", "MIS\u00a0ID",
		"Date of Birth", "D.O.B.", "", " ", "\xff\xfe", "İstanbul", "ǅ", "Forename\t", "LEVEL", "Unit-Title"} {
		f.Add(s)
	}
	kinds := catalog.Kinds()
	if len(kinds) == 0 {
		f.Fatal("no kinds registered")
	}
	f.Fuzz(func(t *testing.T, h string) {
		n := pipeline.NormalizeHeader(h)
		if again := pipeline.NormalizeHeader(n); again != n {
			t.Fatalf("NormalizeHeader not idempotent: %q → %q → %q", h, n, again)
		}
		if strings.ContainsAny(n, " _-\t\r\n\ufeff\u00a0") {
			t.Fatalf("NormalizeHeader(%q) = %q keeps a character it should drop", h, n)
		}
		if utf8.ValidString(h) && strings.ToLower(n) != n && strings.ToLower(strings.ToLower(n)) == strings.ToLower(n) {
			t.Fatalf("NormalizeHeader(%q) = %q is not lower case", h, n)
		}
		for _, k := range kinds {
			f1 := k.Lookup(h)
			if f2 := k.Lookup(n); f1 != f2 {
				t.Fatalf("%s: Lookup(%q) = %d but Lookup(%q) = %d", k.Name, h, f1, n, f2)
			}
			if f1 >= len(k.Fields) || f1 < -1 {
				t.Fatalf("%s: Lookup(%q) = %d out of range", k.Name, h, f1)
			}
		}
		// Every canonical name, decorated with the fuzzed text's spaces and separators, still
		// finds its field.
		deco := strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' || r == '-' || r == '\u00a0' {
				return r
			}
			return -1
		}, h)
		for _, k := range kinds {
			for i, fd := range k.Fields {
				name := strings.ToUpper(fd.Name[:1]) + deco + fd.Name[1:] + deco
				if got := k.Lookup(name); got != i {
					t.Fatalf("%s: Lookup(%q) = %d, want %d (%s)", k.Name, name, got, i, fd.Name)
				}
			}
		}
	})
}

// Every synonym of every kind finds its field, however it is cased and spaced.
func TestSynonymsMatch(t *testing.T) {
	for _, k := range catalog.Kinds() {
		for i, fd := range k.Fields {
			for _, s := range append([]string{fd.Name}, fd.Synonyms...) {
				for _, v := range []string{s, strings.ToUpper(s), strings.ToLower(s), " " + s + " ", strings.ReplaceAll(s, " ", "_"), "\ufeff" + s} {
					if got := k.Lookup(v); got != i {
						t.Errorf("%s: Lookup(%q) = %d, want %d (%s)", k.Name, v, got, i, fd.Name)
					}
				}
			}
		}
	}
}
