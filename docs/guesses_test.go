// Package docs holds bulk's documentation; its test keeps docs/guesses.md and the code honest.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	codeMark  = regexp.MustCompile(`(?i)\bguess:? (G[0-9]+)\b`)
	docEntry  = regexp.MustCompile(`(?m)^### (G[0-9]+): `)
	codePaths = regexp.MustCompile("`([a-z][a-z0-9_./-]*\\.(?:go|xsd))`")
)

// TestGuessesListed: every guess the code marks ("guess G7" in a comment) has an entry in
// guesses.md, every entry is marked somewhere in the code, IDs are not reused, and the files an
// entry names exist. A guess settled and removed from the code must leave the page too.
func TestGuessesListed(t *testing.T) {
	doc, err := os.ReadFile("guesses.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range docEntry.FindAllStringSubmatch(string(doc), -1) {
		if listed[m[1]] {
			t.Errorf("guesses.md lists %s twice", m[1])
		}
		listed[m[1]] = true
	}
	if len(listed) == 0 {
		t.Fatal("guesses.md lists no guess")
	}

	marked := map[string][]string{} // ID -> files marking it
	root := ".."
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range codeMark.FindAllStringSubmatch(string(b), -1) {
			marked[m[1]] = append(marked[m[1]], filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range marked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !listed[id] {
			t.Errorf("%s marks %s, which guesses.md does not list", strings.Join(marked[id], ", "), id)
		}
	}
	for id := range listed {
		if len(marked[id]) == 0 {
			t.Errorf("guesses.md lists %s, which no code marks (comment \"guess %s\" where the choice lives)", id, id)
		}
	}

	for _, m := range codePaths.FindAllStringSubmatch(string(doc), -1) {
		if !strings.Contains(m[1], "/") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(m[1]))); err != nil {
			t.Errorf("guesses.md names %s, which does not exist", m[1])
		}
	}
}
