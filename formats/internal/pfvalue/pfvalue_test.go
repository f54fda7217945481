package pfvalue

import (
	"strings"
	"testing"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// The embedded lists are checked against golang.org/x/text's CLDR tables, an independent
// source: every code we accept must be one CLDR knows, except the few ISO added since.
func TestCurrencyListIsISO(t *testing.T) {
	codes := Currencies()
	if len(codes) < 150 {
		t.Fatalf("only %d currencies", len(codes))
	}
	// x/text's tables predate these ISO amendments (2018 on): checked by hand against them.
	newer := map[string]bool{"MRU": true, "SLE": true, "UYW": true, "VED": true, "VES": true, "XCG": true, "ZWG": true}
	for _, c := range codes {
		if _, err := currency.ParseISO(c); err != nil && !newer[c] {
			t.Errorf("%s in currencies.txt is not an ISO 4217 code per x/text: %v", c, err)
		}
	}
	for c, repl := range withdrawn {
		if currencies[c] {
			t.Errorf("%s is both active and withdrawn", c)
		}
		if !currencies[repl] {
			t.Errorf("%s is replaced by %s, which is not active", c, repl)
		}
	}
}

func TestLanguageListIsISO6391(t *testing.T) {
	if n := len(iso639_1); n != 183+3 {
		t.Errorf("%d language codes; ISO 639-1 has 183, plus iw, in, ji", n)
	}
	for c := range iso639_1 {
		if _, err := language.ParseBase(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func TestCurrency(t *testing.T) {
	tests := []struct{ in, want, msg string }{
		{"GBP", "GBP", ""},
		{"gbp", "GBP", ""},
		{" usd ", "USD", ""},
		{"EUR", "EUR", ""},
		{"XCG", "XCG", ""},
		{"UKP", "", "GBP"},
		{"HRK", "", "withdrawn currency code; use EUR"},
		{"ANG", "", "use XCG"},
		{"XTS", "", "not an active"},
		{"XXX", "", "not an active"},
		{"QQQ", "", "not an active"},
		{"£", "", "three-letter"},
		{"POUNDS", "", "three-letter"},
	}
	for _, tc := range tests {
		got, msg := Currency(tc.in)
		if got != tc.want || (tc.msg == "") != (msg == "") || !strings.Contains(msg, tc.msg) {
			t.Errorf("Currency(%q) = %q, %q; want %q, message with %q", tc.in, got, msg, tc.want, tc.msg)
		}
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"en", "en"}, {"EN", "en"}, {"fr_CA", "fr_CA"}, {"fr-ca", "fr_CA"}, {"es_ES", "es_ES"},
		{"es_419", "es_419"}, {"he", "he"}, {"iw", "iw"}, {"zh_TW", "zh_TW"},
		{"English", ""}, {"eng", ""}, {"xx", ""}, {"en_GBR", ""}, {"en_", ""}, {"en_1", ""}, {"", ""},
	}
	for _, tc := range tests {
		got, msg := Language(tc.in)
		if got != tc.want || (tc.want == "") == (msg == "") {
			t.Errorf("Language(%q) = %q, %q; want %q", tc.in, got, msg, tc.want)
		}
	}
}

func TestUserIDs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"instr1", "instr1"},
		{"Instr1|INSTR2|instr3", "instr1|instr2|instr3"},
		{"instr1; instr2", "instr1|instr2"},
		{"instr1, instr2,", "instr1|instr2"},
		{"a|A", "a"},
		{"", ""},
		{"instr1 instr2", ""},
		{"||", ""},
		{strings.Repeat("x", 86), ""},
		{strings.Repeat("x", 85), strings.Repeat("x", 85)},
	}
	for _, tc := range tests {
		got, msg := UserIDs(tc.in)
		if got != tc.want || (tc.want == "" && tc.in != "") != (msg != "") {
			t.Errorf("UserIDs(%q) = %q, %q; want %q", tc.in, got, msg, tc.want)
		}
	}
}

func TestTimeZone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Europe/London", "Europe/London", true},
		{"America/New_York", "America/New_York", true},
		{"UTC", "UTC", true},
		{"gmt", "GMT", true},
		{"GMT+05:30", "GMT+05:30", true},
		{"GMT-8", "GMT-8", true},
		{"UTC+0100", "UTC+0100", true},
		{"GMT+24:00", "", false},
		{"Local", "", false},
		{"British Time", "", false},
		{"Europe/Londres", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := TimeZone(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("TimeZone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEnum(t *testing.T) {
	e := NewEnum(Value{Code: "W", Label: "Workshop/Seminar", Also: []string{"Workshop"}}, Value{Code: "1", Label: "Self Training (Paper)"})
	for in, want := range map[string]string{"W Workshop/Seminar": "W", "1 Self Training (Paper)": "1", "w": "W", "workshop seminar": "W", "WORKSHOP-SEMINAR": "W", "Workshop": "W", "1": "1", "self training paper": "1"} {
		if got, ok := e.Canonical(in); !ok || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "Seminars", "2", "self"} {
		if got, ok := e.Canonical(in); ok {
			t.Errorf("Canonical(%q) = %q, want no match", in, got)
		}
	}
	if got := e.List(); got != "W (Workshop/Seminar), 1 (Self Training (Paper))" {
		t.Errorf("List = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("an ambiguous spelling did not panic")
		}
	}()
	NewEnum(Value{Code: "A", Also: []string{"x"}}, Value{Code: "B", Also: []string{"X"}})
}

// FuzzUserIDs: the fast path only takes lists the full split would return unchanged.
func FuzzUserIDs(f *testing.F) {
	for _, s := range []string{"instr1", "a|b|c", "a|a", "A|b", "a||b", "a|b|", "|a", "a;b", "a b", "a|b|c|d|e|f|g|h|i|a", "é|a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		if canonicalIDList(s, false) {
			if got, msg := splitUserIDs(s); got != s || msg != "" {
				t.Errorf("canonicalIDList(%q) but the split gives %q, %q", s, got, msg)
			}
		}
		if canonicalIDList(s, true) {
			if _, msg := splitUserIDs(s); msg != "" {
				t.Errorf("canonicalIDList(%q, anyCase) but the split says %q", s, msg)
			}
		}
		if (CheckUserIDs(s) == "") != (func() bool { _, m := UserIDs(s); return m == "" }()) {
			t.Errorf("CheckUserIDs and UserIDs disagree on %q", s)
		}
	})
}
