package pipeline_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
	"github.com/bulkload/bulk/pipeline/report"
)

// TestExcelErrorsAndTotals: Excel's error values are excel-error with what they mean, not the
// field's own complaint; a formula with no saved value says so; a totals line is a warning and
// never reaches the sink.
func TestExcelErrorsAndTotals(t *testing.T) {
	hdr := []string{"Key", "Age", "Ref"}
	tests := []struct {
		name     string
		row      []string
		types    []pipeline.CellType
		outcome  string
		rule     string
		sev      pipeline.Severity
		saysText string
	}{
		{"#N/A in a number", []string{"k1", "#N/A", ""}, nil, "rejected", pipeline.RuleExcelError, pipeline.Error, "lookup (VLOOKUP"},
		{"#ref! in lower case, spaced", []string{"k1", " #ref! ", ""}, nil, "rejected", pipeline.RuleExcelError, pipeline.Error, "deleted or moved"},
		{"#DIV/0! in a text field", []string{"k1", "", "#DIV/0!"}, nil, "rejected", pipeline.RuleExcelError, pipeline.Error, "divides by zero"},
		{"a formula never calculated", []string{"k1", "", ""}, []pipeline.CellType{pipeline.CellText, pipeline.CellFormula}, "rejected", pipeline.RuleExcelError, pipeline.Error, "never saved"},
		{"a totals line", []string{"Total: 4 learners", "", ""}, nil, "skipped", pipeline.RuleTotalsRow, pipeline.Warning, "totals line"},
		{"a totals line from column B", []string{"", "TOTALS", ""}, nil, "skipped", pipeline.RuleTotalsRow, pipeline.Warning, `"TOTALS"`},
		{"a key that begins with Total and more cells is data", []string{"Totally", "3", ""}, nil, "accepted", "", 0, ""},
		{"a hash that is no error is the field's problem", []string{"k1", "#5", ""}, nil, "rejected", pipeline.RuleInteger, pipeline.Error, "whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := pipelinetest.NewTable("a.xlsx", "S", hdr, tc.row)
			in := &typedInput{t: &typed{Table: tb, types: tc.types}}
			log := &outcomeLog{Report: report.New(t.TempDir(), false)}
			sink := &collectSink{}
			err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: testKind, Reporter: log, Sink: sink,
				Skipped: func(*pipeline.Source, string) {}, Chosen: func(*pipeline.Source, *pipeline.Kind, bool) {}})
			if err != nil {
				t.Fatal(err)
			}
			if want := "2:" + tc.outcome; strings.Join(log.got, " ") != want {
				t.Errorf("outcomes %q, want %q", log.got, want)
			}
			if tc.outcome == "skipped" && len(sink.keys) != 0 {
				t.Errorf("the sink was given %q", sink.keys)
			}
			var found bool
			column := map[string]int{} // problems of each column's field checks
			for _, p := range log.Report.Problems() {
				if p.Rule == tc.rule && p.Severity == tc.sev && strings.Contains(p.Message, tc.saysText) {
					found = true
				}
				if p.Rule != "reference" { // the test kind's cross check, which is not a field check
					column[p.Column]++
				}
			}
			for c, n := range column {
				if n > 1 {
					t.Errorf("%d problems on column %q, want only the %s", n, c, tc.rule)
				}
			}
			if tc.rule != "" && !found {
				t.Errorf("no %s %v saying %q among %v", tc.rule, tc.sev, tc.saysText, log.Report.Problems())
			}
		})
	}
}

// typed is a table whose rows have cell types, as a workbook's do.
type typed struct {
	*pipelinetest.Table
	types []pipeline.CellType
}

func (t *typed) Next(rec *pipeline.Record) error {
	if err := t.Table.Next(rec); err != nil {
		return err
	}
	rec.Types = append(rec.Types, t.types...)
	return nil
}

type typedInput struct {
	t    *typed
	done bool
}

func (in *typedInput) NextTable() (pipeline.Table, error) {
	if in.done {
		return nil, io.EOF
	}
	in.done = true
	return in.t, nil
}

func (in *typedInput) Close() error { return nil }

// TestLossyEncoding: in a file decoded as Windows-1252, a '?' that stands for a lost character is
// a warning on text fields; the same text in UTF-8 is left alone, and so is a question.
func TestLossyEncoding(t *testing.T) {
	k := &pipeline.Kind{Name: "people", Fields: []pipeline.Field{{Name: "FirstName"}, {Name: "Notes"}, {Name: "Age", Type: pipeline.Integer}}}
	tests := []struct {
		enc   string
		row   []string
		warns string // columns warned, in order
	}{
		{pipeline.EncodingWindows1252, []string{"Adébáy??", "", ""}, "FirstName"},
		{pipeline.EncodingWindows1252, []string{"?", "", ""}, "FirstName"},
		{pipeline.EncodingWindows1252, []string{"Nikoli?", "", ""}, "FirstName"}, // any '?' in a name
		{pipeline.EncodingWindows1252, []string{"Jo", "?ukasz's note", ""}, "Notes"},
		{pipeline.EncodingWindows1252, []string{"Jo", "Nguy?n called", ""}, "Notes"},
		{pipeline.EncodingWindows1252, []string{"Jo", "Any questions?", ""}, ""},
		{"UTF-8", []string{"Adébáy??", "?ukasz", ""}, ""},
	}
	for _, tc := range tests {
		tb := pipelinetest.NewTable("a.csv", "", []string{"FirstName", "Notes", "Age"}, tc.row)
		tb.Src.Encoding = tc.enc
		rep := report.New(t.TempDir(), false)
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
			t.Fatal(err)
		}
		var warned []string
		for _, p := range rep.Problems() {
			if p.Rule == pipeline.RuleLossyEncoding {
				warned = append(warned, p.Column)
				if p.Severity != pipeline.Warning || !strings.Contains(p.Message, `"CSV UTF-8"`) {
					t.Errorf("%q: %v %q, want a warning telling to save as CSV UTF-8", tc.row, p.Severity, p.Message)
				}
			}
		}
		if got := strings.Join(warned, ","); got != tc.warns {
			t.Errorf("%s %q: lossy-encoding on %q, want %q", tc.enc, tc.row, got, tc.warns)
		}
	}
}

// TestULNNormalised: a ULN with spaces or a float export's ".0" is sent as its digits, with a
// warning; one that is still wrong after that is an error as before.
func TestULNNormalised(t *testing.T) {
	k := &pipeline.Kind{Name: "learners", Fields: []pipeline.Field{{Name: "ULN", Type: pipeline.ULN}}}
	for _, tc := range []struct {
		in, sent, sev string
	}{
		{"1000000043", "1000000043", ""},
		{"1000 000 043", "1000000043", "warning"},
		{"1000000043.0", "1000000043", "warning"},
		{"1000000042.0", "", "error"}, // the check digit is still wrong
		{"10000000.43", "", "error"},
	} {
		tb := pipelinetest.NewTable("a.csv", "", []string{"ULN"}, []string{tc.in})
		rep := report.New(t.TempDir(), false)
		sink := &collectSink{}
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: rep, Sink: sink}); err != nil {
			t.Fatal(err)
		}
		var sevs []string
		for _, p := range rep.Problems() {
			sevs = append(sevs, p.Severity.String())
			if p.Value != tc.in {
				t.Errorf("%q: the problem shows %q, want the value as given", tc.in, p.Value)
			}
		}
		sent := strings.Join(sink.keys, "")
		if strings.Join(sevs, ",") != tc.sev || sent != tc.sent {
			t.Errorf("%q: problems %q, sent %q; want %q, %q", tc.in, sevs, sent, tc.sev, tc.sent)
		}
	}
}

// TestDisplayedNumbers: a number as a spreadsheet displays it (currency sign, thousands
// separators) is read as the number, with a warning; anything else stays an error.
func TestDisplayedNumbers(t *testing.T) {
	k := &pipeline.Kind{Name: "costs", Fields: []pipeline.Field{{Name: "Cost", Type: pipeline.Decimal, Places: 2}}}
	for _, tc := range []struct {
		in, sent, sev string
	}{
		{"350.55", "350.55", ""},
		{"£350.55", "350.55", "warning"},
		{"1,200.00", "1200.00", "warning"},
		{"€ 1,234,567.5", "1234567.5", "warning"},
		{"12$", "12", "warning"},
		{"1,5", "", "error"},      // a European decimal comma: not a thousands separator
		{"12,34.00", "", "error"}, // groups of two are no thousands
		{"£abc", "", "error"},
		{"£1.234", "", "warning,error"}, // the number is clear, and has too many places
	} {
		tb := pipelinetest.NewTable("a.csv", "", []string{"Cost"}, []string{tc.in})
		rep := report.New(t.TempDir(), false)
		sink := &collectSink{}
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: rep, Sink: sink}); err != nil {
			t.Fatal(err)
		}
		var sevs []string
		for _, p := range rep.Problems() {
			sevs = append(sevs, p.Severity.String())
		}
		if got := strings.Join(sevs, ","); got != tc.sev || strings.Join(sink.keys, "") != tc.sent {
			t.Errorf("%q: problems %q, sent %q; want %q, %q", tc.in, got, sink.keys, tc.sev, tc.sent)
		}
	}
}

// TestEnumSpellings: another spelling of an Enum value (Male for M) is accepted and sent as the
// canonical value, with a warning.
func TestEnumSpellings(t *testing.T) {
	k := &pipeline.Kind{Name: "learners", Fields: []pipeline.Field{{Name: "L13", Type: pipeline.Enum, Enum: []string{"M", "F"},
		Spellings: map[string]string{"male": "M", "female": "F"}}}}
	for _, tc := range []struct{ in, canon, sev string }{
		{"M", "M", ""}, {"f", "F", ""}, {"Male", "M", "warning"}, {"FEMALE", "F", "warning"}, {"Mal", "", "error"},
	} {
		tb := pipelinetest.NewTable("a.csv", "", []string{"L13"}, []string{tc.in})
		rep := report.New(t.TempDir(), false)
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
			t.Fatal(err)
		}
		var sevs []string
		for _, p := range rep.Problems() {
			sevs = append(sevs, p.Severity.String())
		}
		if got := strings.Join(sevs, ","); got != tc.sev || pipeline.CanonicalEnum(&k.Fields[0], tc.in) != tc.canon {
			t.Errorf("%q: problems %q, canonical %q; want %q, %q", tc.in, got, pipeline.CanonicalEnum(&k.Fields[0], tc.in), tc.sev, tc.canon)
		}
	}
}

func TestShownDate(t *testing.T) {
	for _, tc := range []struct {
		in         string
		monthFirst bool
		want       string
	}{
		{"2028-08-31", false, "31/08/2028"},
		{"2028-08-31", true, "08/31/2028"},
		{"2030-01-02 09:30:00", false, "02/01/2030 09:30"},
		{"2030-01-02 09:30:15", true, "01/02/2030 09:30:15"},
		{"31/08/2028", false, "31/08/2028"}, // not as the reader writes dates: as it is
		{"", false, ""},
	} {
		if got := pipeline.ShownDate(tc.in, tc.monthFirst); got != tc.want {
			t.Errorf("ShownDate(%q, %v) = %q, want %q", tc.in, tc.monthFirst, got, tc.want)
		}
	}
}

// TestNumberHints: a number that cannot be read, nor cleaned as a spreadsheet's display, is
// rejected with a hint that says what to type instead.
func TestNumberHints(t *testing.T) {
	dec := pipeline.Field{Name: "Cost", Type: pipeline.Decimal, Places: 2}
	whole := pipeline.Field{Name: "Count", Type: pipeline.Integer}
	for _, tc := range []struct {
		f    pipeline.Field
		in   string
		want string
	}{
		{dec, "12,34.5", "not between groups of three digits"},
		{dec, "£abc", `after the currency sign (£) comes "abc", which is not a number`},
		{dec, "£", "a currency sign (£) with no amount"},
		{dec, "1,5", "(1.5 if the comma marks the decimals, 15 if it separates thousands)"},
		{dec, "92%", "without the % sign (92, not 92%)"},
		{dec, "(350.55)", "with a minus sign (-350.55)"},
		{dec, "1.2.3", "more than one point"},
		{dec, "1 200.50", "without spaces (1200.50)"},
		{dec, "12 GBP", "no letters, units or currency signs"},
		{whole, "12.5", `"12.5" is not.`},
		{whole, "1,200", "type the digits only (1200"},
		{whole, "£5", `after the currency sign (£) comes "5"`},
	} {
		k := &pipeline.Kind{Name: "costs", Fields: []pipeline.Field{tc.f}}
		tb := pipelinetest.NewTable("a.csv", "", []string{tc.f.Name}, []string{tc.in})
		rep := report.New(t.TempDir(), false)
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: rep}); err != nil {
			t.Fatal(err)
		}
		ps := rep.Problems()
		if len(ps) != 1 || ps[0].Severity != pipeline.Error || !strings.Contains(ps[0].Message, tc.want) {
			t.Errorf("%s %q: problems %+v, want one error saying %q", tc.f.Name, tc.in, ps, tc.want)
		}
	}
}

// TestFormulaGuardDropped: the apostrophe a CSV writer puts before a cell starting with = + - @
// (bulk's own reports and pulls do, against CSV injection) is not part of the value, so a pulled
// phone number loads back as it was; an apostrophe anywhere else stays.
func TestFormulaGuardDropped(t *testing.T) {
	k := &pipeline.Kind{Name: "people", Fields: []pipeline.Field{{Name: "Telephone", Type: pipeline.Text}}}
	for _, tc := range []struct{ in, sent string }{
		{"'+44 20 7946 0123", "+44 20 7946 0123"},
		{"'-5", "-5"},
		{"'=SUM(A1)", "=SUM(A1)"},
		{"'@home", "@home"},
		{"O'Brien", "O'Brien"},
		{"'quoted'", "'quoted'"},
		{"'", "'"},
	} {
		tb := pipelinetest.NewTable("a.csv", "", []string{"Telephone"}, []string{tc.in})
		sink := &collectSink{}
		if err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.NewInput(tb)}, pipeline.Options{Kind: k, Reporter: report.New(t.TempDir(), false), Sink: sink}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(sink.keys, ""); got != tc.sent {
			t.Errorf("%q: sent %q, want %q", tc.in, got, tc.sent)
		}
	}
}
