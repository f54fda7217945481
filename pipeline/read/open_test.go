package read_test

import (
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
