package read

import "testing"

func TestClassifyFormat(t *testing.T) {
	tests := []struct {
		code string
		want fmtClass
	}{
		{"General", fmtNumber},
		{"0", fmtNumber},
		{"0.00", fmtNumber},
		{"#,##0.00", fmtNumber},
		{"0.00E+00", fmtNumber},
		{"##0.0E-0", fmtNumber},
		{"@", fmtNumber},
		{"000000", fmtNumber},
		{`"TRUE";"TRUE";"FALSE"`, fmtNumber},
		{`#,##0 "days"`, fmtNumber},
		{`[Red]General`, fmtNumber},
		{`[$£-809]#,##0.00`, fmtNumber},
		{`0.0%`, fmtNumber},
		{"dd/mm/yyyy", fmtDate},
		{"d/m/yy", fmtDate},
		{`d\ mmm\ yyyy`, fmtDate},
		{`yyyy\-mm\-dd`, fmtDate},
		{"mmm-yy", fmtDate},
		{"mmmm", fmtDate},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, fmtDate},
		{`yyyy"年"m"月"d"日"`, fmtDate},
		{"dd/mm/yyyy;@", fmtDate},
		{"[$-409]d-mmm-yy;@", fmtDate},
		{"ee/mm/dd", fmtDate},
		{`dd/mm/yyyy\ hh:mm`, fmtDateTime},
		{"m/d/yy h:mm AM/PM", fmtDateTime},
		{"yyyy-mm-dd hh:mm:ss", fmtDateTime},
		{"hh:mm", fmtTime},
		{"h:mm AM/PM", fmtTime},
		{"mm:ss", fmtTime},
		{"[h]:mm:ss", fmtTime},
		{"[mm]:ss", fmtTime},
		{`[Blue][<=100]"low";"high"`, fmtNumber},
		{`"Date: "0`, fmtNumber},
		{`\d0`, fmtNumber},
	}
	for _, tc := range tests {
		if got := classifyFormat(tc.code); got != tc.want {
			t.Errorf("classifyFormat(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

func TestBuiltinClass(t *testing.T) {
	for id := 0; id < 60; id++ {
		want := fmtNumber
		switch id {
		case 14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58:
			want = fmtDate
		case 22:
			want = fmtDateTime
		case 18, 19, 20, 21, 32, 33, 34, 35, 45, 46, 47:
			want = fmtTime
		}
		if got := builtinClass(id); got != want {
			t.Errorf("builtinClass(%d) = %d, want %d", id, got, want)
		}
	}
}

func TestNumberText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1000000043", "1000000043"},
		{"1.000000043E9", "1000000043"},
		{"1.000000043e+09", "1000000043"},
		{"12.5", "12.5"},
		{"-42", "-42"},
		{"0", "0"},
		{"-0", "-0"},
		{"0.30000000000000004", "0.3"},
		{"1.2E-005", "0.000012"},
		{"1E+21", "1000000000000000000000"},
		{"123456789012345", "123456789012345"},
		{"1234567890123456789", "1234567890123460000"},
		{"12345678901234500", "12345678901234500"},
		{"0.1000000000000000055511151231257827", "0.1"},
		{"abc", "abc"},
	}
	for _, tc := range tests {
		if got := numberText(tc.in); got != tc.want {
			t.Errorf("numberText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSerialText(t *testing.T) {
	tests := []struct {
		v        float64
		class    fmtClass
		date1904 bool
		want     string
		ok       bool
	}{
		{39155, fmtDate, false, "2007-03-14", true},
		{37693, fmtDate, true, "2007-03-14", true},
		{39155.75, fmtDate, false, "2007-03-14", true}, // the format shows no time
		{39155.75, fmtDateTime, false, "2007-03-14 18:00:00", true},
		{46272.3958333333, fmtDateTime, false, "2026-09-07 09:30:00", true},
		{35063.9999884259, fmtDateTime, true, "1999-12-31 23:59:59", true},
		{39155.999999999, fmtDateTime, false, "2007-03-15 00:00:00", true}, // rounds into the next day
		{1, fmtDate, false, "1900-01-01", true},
		{59, fmtDate, false, "1900-02-28", true},
		{60, fmtDate, false, "1900-02-29", true},
		{61, fmtDate, false, "1900-03-01", true},
		{0, fmtDate, true, "1904-01-01", true},
		{2958465, fmtDate, false, "9999-12-31", true},
		{0.395833333333333, fmtTime, false, "09:30:00", true},
		{1.5, fmtTime, false, "36:00:00", true},
		{-1, fmtDate, false, "", false},
		{2958466, fmtDate, false, "", false},
	}
	for _, tc := range tests {
		got, ok := serialText(tc.v, tc.class, tc.date1904)
		if got != tc.want || ok != tc.ok {
			t.Errorf("serialText(%v, %d, %v) = %q, %v; want %q, %v", tc.v, tc.class, tc.date1904, got, ok, tc.want, tc.ok)
		}
	}
}

func TestZeroPad(t *testing.T) {
	tests := []struct {
		code, v, want string
	}{
		{"000000", "456", "000456"},
		{"000000;-000000", "123456", "123456"},
		{"00000", "1234567", "1234567"},
		{"0", "7", "7"},
		{"0.00", "7", "7"},
		{"000000", "12.5", "12.5"},
		{"000000", "-4", "-4"},
	}
	for _, tc := range tests {
		got := tc.v
		if m := zeroMask(tc.code); m != "" {
			got = maskNumber(tc.v, m)
		}
		if got != tc.want {
			t.Errorf("%q with format %q = %q, want %q", tc.v, tc.code, got, tc.want)
		}
	}
}

func TestColumns(t *testing.T) {
	for i, name := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := columnName(i); got != name {
			t.Errorf("columnName(%d) = %s, want %s", i, got, name)
		}
		if got := columnNumber(name + "12"); got != i+1 {
			t.Errorf("columnNumber(%s12) = %d, want %d", name, got, i+1)
		}
	}
	if columnNumber("12") != 0 || columnNumber("XFE1") != -1 || columnNumber("AAAAAAAAAAAAAAAAAAAAAAA1") != -1 {
		t.Error("columnNumber accepted a reference with no column or past XFD")
	}
}

func TestUnescapeST(t *testing.T) {
	tests := map[string]string{
		"plain":               "plain",
		"a_x000D_b":           "a\rb",
		"_x005F_x0041_":       "_x0041_",
		"snake_x_case":        "snake_x_case",
		"end_x00":             "end_x00",
		"_x0041__x0042_":      "AB",
		"under_xZZZZ_score":   "under_xZZZZ_score",
		"tab_x0009_separated": "tab\tseparated",
	}
	for in, want := range tests {
		if got := unescapeST(in); got != want {
			t.Errorf("unescapeST(%q) = %q, want %q", in, got, want)
		}
	}
}
