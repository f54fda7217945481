package suggest

import (
	"slices"
	"testing"
)

func TestNearestNames(t *testing.T) {
	names := []string{"Business Admin L3 2026", "Business Administration L3", "Customer Service L2", "Team Leader L3", "Digital Marketer L3"}
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"Business Admin L3 2025", []string{"Business Admin L3 2026"}},
		{"Business Admin L3", []string{"Business Admin L3 2026", "Business Administration L3"}},
		{"business  admin l3 2026 ", nil}, // the same name, spelt with other case and spaces: not a miss
		{"Busines Administration", []string{"Business Administration L3"}},
		{"Custmer Service L2", []string{"Customer Service L2"}},
		{"Cust Serv", []string{"Customer Service L2"}},
		{"Plumbing L2", nil},
		{"", nil},
	} {
		if got := NearestNames(tc.typed, names); !slices.Equal(got, tc.want) {
			t.Errorf("NearestNames(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}

func TestQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{[]string{"a"}, "'a'"}, {[]string{"a", "b"}, "'a' or 'b'"}, {[]string{"a", "b", "c"}, "'a', 'b' or 'c'"}} {
		if got := Quoted(tc.in); got != tc.want {
			t.Errorf("Quoted(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
