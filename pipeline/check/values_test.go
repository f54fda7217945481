package check

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInteger(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"-7", -7, true}, {"5740.0", 5740, true}, {"007", 7, true},
		{"", 0, false}, {"4.5", 0, false}, {"1e3", 0, false}, {"12 000", 0, false}, {"1,000", 0, false},
		{"forty", 0, false}, {".0", 0, false},
	}
	for _, tc := range tests {
		got, ok := Integer(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("Integer(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Integer("9223372036854775808"); ok {
		t.Error("Integer accepted a number beyond int64")
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		in             string
		places         int
		ok, tooPrecise bool
	}{
		{"12.34", 2, true, false}, {"12", 2, true, false}, {"-0.5", 1, true, false},
		{"12.345", 2, true, true}, {"abc", 2, false, false}, {"1e3", 2, false, false},
		{"NaN", 2, false, false}, {"Inf", 2, false, false}, {"0x10", 2, false, false}, {"", 2, false, false},
	}
	for _, tc := range tests {
		ok, tp := Decimal(tc.in, tc.places)
		if ok != tc.ok || tp != tc.tooPrecise {
			t.Errorf("Decimal(%q, %d) = %v, %v; want %v, %v", tc.in, tc.places, ok, tp, tc.ok, tc.tooPrecise)
		}
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "Yes": true, "y": true, "1": true, "T": true,
		"false": false, "No": false, "n": false, "0": false, "F": false} {
		if got, ok := Bool(in); !ok || got != want {
			t.Errorf("Bool(%q) = %v, %v; want %v, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "maybe", "2", "yes please", "oui"} {
		if _, ok := Bool(in); ok {
			t.Errorf("Bool(%q) accepted", in)
		}
	}
}

func TestEmail(t *testing.T) {
	good := []string{"amira.khan@example.ac.uk", "j.o'neill@mail.example", "a+tag@x.example", "A.B@Example.COM", "x@a-b.example"}
	for _, s := range good {
		if msg := Email(s); msg != "" {
			t.Errorf("Email(%q) = %q, want accepted", s, msg)
		}
	}
	bad := []struct{ in, msg string }{
		{"jo.bloggs@example", "has no domain"},
		{"jo.bloggs", "exactly one @"},
		{"@example.com", "exactly one @"},
		{"jo@@example.com", "exactly one @"},
		{"jo@bloggs@example.com", "exactly one @"},
		{"jo bloggs@example.com", "not allowed"},
		{".jo@example.com", "misplaced dot"},
		{"jo.@example.com", "misplaced dot"},
		{"jo..b@example.com", "misplaced dot"},
		{"jo@example..com", "cannot exist"},
		{"jo@-example.com", "cannot exist"},
		{"jo@exa_mple.com", "not allowed in the domain"},
		{"jo@example.com.", "cannot exist"},
		{"jo(b)@example.com", "not allowed"},
		{strings.Repeat("a", 65) + "@example.com", "too long"},
	}
	for _, tc := range bad {
		if msg := Email(tc.in); !strings.Contains(msg, tc.msg) {
			t.Errorf("Email(%q) = %q, want it to contain %q", tc.in, msg, tc.msg)
		}
	}
}

func TestULN(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"1000000043", ""}, // the reference's valid example
		{"1234567899", ""}, // stem sum 210, 210 mod 11 = 1, check digit 10-1 = 9
		{"1234567897", "check digit"},

		{"1000000063", "check digit"}, // the reference's invalid example
		{"1000000000", ""},            // remainder 10 gives check digit 0
		{"9876543210", "check digit"}, // remainder 0: no check digit can make it valid
		{"0123456789", "cannot start with 0"},
		{"9999999999", "placeholder"},
		{"100000004", "exactly 10 digits"},
		{"10000000431", "exactly 10 digits"},
		{"10000000A3", "digits only"},
		{"1.00000E+09", "exactly 10 digits"},
	}
	for _, tc := range tests {
		msg := ULN(tc.in)
		if (tc.msg == "") != (msg == "") || !strings.Contains(msg, tc.msg) {
			t.Errorf("ULN(%q) = %q, want %q", tc.in, msg, tc.msg)
		}
	}
}

// validULN builds a ULN from nine digits by the published check-digit rule; "" when none exists.
func validULN(nine string) string {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(nine[i]-'0') * (10 - i)
	}
	r := sum % 11
	if r == 0 || nine[0] == '0' {
		return ""
	}
	return nine + string(rune('0'+10-r))
}

func TestULNCheckDigitRule(t *testing.T) {
	// Every nine-digit stem with a check digit validates, and every other tenth digit fails.
	for _, nine := range []string{"100000004", "123456789", "987654321", "555555555", "211111111"} {
		u := validULN(nine)
		if u == "" {
			continue
		}
		if msg := ULN(u); msg != "" {
			t.Errorf("ULN(%q) = %q, want valid", u, msg)
		}
		for d := byte('0'); d <= '9'; d++ {
			if alt := nine + string(d); alt != u && ULN(alt) == "" {
				t.Errorf("ULN(%q) accepted; only %q has the right check digit", alt, u)
			}
		}
	}
}

func TestNINO(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"AB123456C", ""},
		{"AB123456", ""}, // suffix optional (ILR)
		{"ab 12 34 56 c", ""},
		{"JY 12 34 56 D", ""},
		{"OA123456A", ""}, // O is allowed first
		{"AB123456E", "A, B, C or D"},
		{"GB123456A", "never issued"},
		{"BG123456A", "never issued"},
		{"NK123456A", "never issued"},
		{"KN123456A", "never issued"},
		{"NT123456A", "never issued"},
		{"TN123456A", "never issued"},
		{"ZZ123456A", "never issued"},
		{"QQ123456C", "never used"}, // the familiar example is not a real prefix
		{"DA123456A", "never used"},
		{"AO123456A", "never used"},
		{"AV123456A", "never used"},
		{"A1234567A", "never used"},
		{"AB12345C", "two letters, six digits"},
		{"AB1234567C", "two letters, six digits"},
		{"", "two letters, six digits"},
		{"ab\u00a012 34 56 c", ""}, // a no-break space (the general path)
		{"gb 12 34 56 a", "starts with GB"},
		{"AB 12 34 56 C D", "two letters, six digits"},
		{"ÅB123456C", "two letters, six digits"}, // Å is two bytes
	}
	for _, tc := range tests {
		msg := NINO(tc.in)
		if (tc.msg == "") != (msg == "") || !strings.Contains(msg, tc.msg) {
			t.Errorf("NINO(%q) = %q, want %q", tc.in, msg, tc.msg)
		}
	}
	if got := NormalizeNINO(" ab 12\t34 56 c "); got != "AB123456C" {
		t.Errorf("NormalizeNINO = %q", got)
	}
}

func TestScientific(t *testing.T) {
	tests := []struct {
		in             string
		sci, excelForm bool
	}{
		{"1.23457E+09", true, true},
		{"1.23457e+09", true, true},
		{"1E+11", true, true},
		{"-1.5E-03", true, true},
		{"1.23457E09", true, false}, // a float, but not the shape Excel writes
		{"12E3", true, false},       // a MISID may look like this: only Scientific flags it
		{"1234567890", false, false},
		{"L000123", false, false},
		{"E+09", false, false},
		{"1.E+09", true, false},
		{"1.2E+", false, false},
		{"1.2E+9x", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		if got := Scientific(tc.in); got != tc.sci {
			t.Errorf("Scientific(%q) = %v, want %v", tc.in, got, tc.sci)
		}
		if got := ExcelScientific(tc.in); got != tc.excelForm {
			t.Errorf("ExcelScientific(%q) = %v, want %v", tc.in, got, tc.excelForm)
		}
	}
}

func TestUKPhoneLostZero(t *testing.T) {
	for in, want := range map[string]bool{
		"7700900123": true, "7700 900123": true, "1632960123": true, "2079460123": true,
		"07700900123": false, "+447700900123": false, "447700900123": false, "770090012": false,
		"9700900123": false, "0700900123": false, "": false, "77009OO123": false,
	} {
		if got := UKPhoneLostZero(in); got != want {
			t.Errorf("UKPhoneLostZero(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzValueChecks holds the value checks to their contracts on any input: no panics; an accepted
// ULN is ten digits passing the check digit; an accepted NINO normalizes to 8 or 9 ASCII
// characters; an accepted e-mail has exactly one @; every rejection says something.
func FuzzValueChecks(f *testing.F) {
	for _, s := range []string{"1000000043", "AB123456C", "amira.khan@example.ac.uk", "1.23457E+09", "", "@", "ab 12 34 56 c", "\xff@x.y", "7700900123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if msg := ULN(s); msg == "" {
			if len(s) != 10 || validULN(s[:9]) != s {
				t.Fatalf("ULN accepted %q", s)
			}
		}
		// NINO normalises ASCII on its own: it must judge s as it judges s normalised.
		if a, b := NINO(s), NINO(NormalizeNINO(s)); a != b {
			t.Fatalf("NINO(%q) = %q, but of its normalised form %q", s, a, b)
		}
		if msg := NINO(s); msg == "" {
			n := NormalizeNINO(s)
			if (len(n) != 8 && len(n) != 9) || !utf8.ValidString(n) || NINO(n) != "" {
				t.Fatalf("NINO accepted %q (normalized %q)", s, n)
			}
		}
		if msg := Email(s); msg == "" && strings.Count(s, "@") != 1 {
			t.Fatalf("Email accepted %q", s)
		}
		if ExcelScientific(s) && !Scientific(s) {
			t.Fatalf("ExcelScientific(%q) but not Scientific", s)
		}
		Integer(s)
		Decimal(s, 2)
		Bool(s)
		UKPhoneLostZero(s)
	})
}
