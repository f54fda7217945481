package check

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string // a word of the message, or "" for a good address
	}{
		{"amira.khan@example.ac.uk", ""},
		{"a+tag@sub-domain.example.co.uk", ""},
		{"A.B@EXAMPLE.COM", ""},
		{"jo.bloggs@example", "no domain"},
		{"jo@@example.com", "exactly one @"},
		{"@example.com", "exactly one @"},
		{"jo@example.com.", "cannot exist"},
		{"jo@.example.com", "cannot exist"},
		{"jo@example..com", "cannot exist"},
		{"jo@-example.com", "cannot exist"},
		{"jo@example-.com", "cannot exist"},
		{"jo@exa_mple.com", "not allowed in the domain"},
		{"jo@" + strings.Repeat("a", 64) + ".com", "cannot exist"},
		{".jo@example.com", "misplaced dot"},
		{"jo..b@example.com", "misplaced dot"},
		{"jo b@example.com", "not allowed"},
		{"jo(b)@example.com", "not allowed"},
		{strings.Repeat("a", 65) + "@example.com", "too long"},
	}
	for _, tc := range tests {
		got := Email(tc.in)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("Email(%q) = %q, want a message with %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkEmail(b *testing.B) {
	for b.Loop() {
		Email("amira.khan.123456@learners.example-college.ac.uk")
	}
}
