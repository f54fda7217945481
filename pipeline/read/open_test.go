package read_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/bulkload/bulk/pipeline/read"
)

func TestHasSheets(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"term.xlsx", true},
		{"Term.XLSX", true},
		{"macros.xlsm", true},
		{"learners.csv", false},
		{"export.TSV", false},
		{"export.txt", false},
		{"old.xls", false}, // refused by Open, never read
		{"no-extension", false},
	}
	for _, tc := range tests {
		if got := read.HasSheets(tc.path); got != tc.want {
			t.Errorf("HasSheets(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// TestNames: inputs that share a base name are named by the shortest end of their paths that
// tells them apart; the others by their base names.
func TestNames(t *testing.T) {
	for _, tc := range []struct {
		paths, want []string
	}{
		{[]string{"a/learners.csv", "b/learners.csv", "staff.csv"}, []string{"a/learners.csv", "b/learners.csv", "staff.csv"}},
		{[]string{"x/term/l.xlsx", "y/term/l.xlsx"}, []string{"x/term/l.xlsx", "y/term/l.xlsx"}},
		{[]string{"learners.csv", "autumn/learners.csv"}, []string{"learners.csv", "autumn/learners.csv"}},
		{[]string{"/srv/drop/a/l.csv", "/srv/drop/b/l.csv"}, []string{"a/l.csv", "b/l.csv"}},
		{[]string{"./l.csv", "l.csv"}, []string{"l.csv", "l.csv"}}, // one file given twice
		{[]string{"a/l.csv", "b/m.csv"}, []string{"l.csv", "m.csv"}},
	} {
		want := make([]string, len(tc.want))
		for i, w := range tc.want {
			want[i] = filepath.FromSlash(w)
		}
		if got := read.Names(tc.paths); !slices.Equal(got, want) {
			t.Errorf("Names(%q) = %q, want %q", tc.paths, got, want)
		}
	}
}
