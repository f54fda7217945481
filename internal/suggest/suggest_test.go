package suggest

import (
	"slices"
	"testing"
)

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"format", "format", 0},
		{"fromat", "format", 2},
		{"reprot", "report", 2},
		{"kind", "kinds", 1},
		{"straße", "strasse", 2}, // runes, not bytes
	} {
		if got := Levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Levenshtein(tc.b, tc.a); got != tc.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	flags := []string{"format", "report", "kind", "sheet", "strict", "map", "date-order", "help"}
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"fromat", []string{"format"}},
		{"FORMAT", []string{"format"}},
		{"rep", []string{"report"}}, // a prefix
		{"kinds", []string{"kind"}}, // one too many
		{"shet", []string{"sheet"}}, // one too few
		{"dateorder", []string{"date-order"}},
		{"strcit", []string{"strict"}},
		{"xyz", nil},
		{"tcsh", nil}, // short words: one edit at most
	} {
		if got := Nearest(tc.typed, flags); !slices.Equal(got, tc.want) {
			t.Errorf("Nearest(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}
