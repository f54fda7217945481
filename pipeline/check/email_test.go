package check

import (
	"strings"
	"testing"
)

// Email walks the domain's labels without splitting it; these are the label edges that walk
// must get right (TestEmail covers the rest).
func TestEmailDomainLabels(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"jo@sub.example.co.uk", ""},
		{"jo@.example.com", "cannot exist"},
		{"jo@example-.com", "cannot exist"},
		{"jo@example.com..", "cannot exist"},
		{"jo@" + strings.Repeat("a", 63) + ".com", ""},
		{"jo@" + strings.Repeat("a", 64) + ".com", "cannot exist"},
		{"jo@example.c_m", "not allowed in the domain"},
	}
	for _, tc := range tests {
		got := Email(tc.in)
		if tc.msg == "" && got != "" || tc.msg != "" && !strings.Contains(got, tc.msg) {
			t.Errorf("Email(%q) = %q, want a message with %q", tc.in, got, tc.msg)
		}
	}
}

func BenchmarkEmail(b *testing.B) {
	for b.Loop() {
		Email("amira.khan.123456@learners.example-college.ac.uk")
	}
}

// TestEmailNamesTheCharacter: a message quotes the character a person typed, not the first byte
// of its UTF-8 encoding ('Ã' for â, 'æ' for 李).
func TestEmailNamesTheCharacter(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"jâne@example.com", "('â')"},
		{"李@example.com", "('李')"},
		{"jo bloggs@example.com", "(' ')"},
		{"jo@exa_mple.com", "domain after the @ ('_')"},
		{"jo@bücher.example", "('ü'); a domain in other scripts is sent in its ASCII form, which starts xn--"},
	}
	for _, tc := range tests {
		if got := Email(tc.in); !strings.Contains(got, tc.msg) {
			t.Errorf("Email(%q) = %q, want it to say %q", tc.in, got, tc.msg)
		}
	}
}
