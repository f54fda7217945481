package template

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// currencies is long enough (over 255 characters joined) that its drop-down must come from the
// Lists sheet rather than an inline list.
var currencies = strings.Fields(`AED AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR
	ILS INR ISK JPY KES KRW KWD MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB
	TRY TWD UAH USD VND ZAR`)

// testKind exercises every field type and every kind of validation a template writes, so the
// template code is tested whatever kinds happen to be registered.
func testKind() *pipeline.Kind {
	return &pipeline.Kind{
		Name:   "test-everything",
		Title:  "Test kind with one field of each shape",
		Target: "test",
		Fields: []pipeline.Field{
			{Name: "Notes", MaxLen: 0, Help: "Free text", Example: "first cohort"},
			{Name: "Action", Required: true, Type: pipeline.Enum, Enum: []string{"A", "U", "D"}, Help: "A adds, U updates, D deletes", Example: "A"},
			{Name: "UserID", Synonyms: []string{"User ID", "Login"}, Required: true, MaxLen: 12, Unique: true, Example: "jbloggs"},
			{Name: "Email", Type: pipeline.Email, MaxLen: 254, Unique: true, Example: "jo.bloggs@example.ac.uk"},
			{Name: "ULN", Type: pipeline.ULN, Digits: 10, Example: "1000000043"},
			{Name: "NINO", Type: pipeline.NINO, Example: "AB123456C"},
			{Name: "MISID", MaxLen: 10, Digits: 7, Example: "0001234"},
			{Name: "Phone", MaxLen: 20, Example: "07700900123"},
			{Name: "Level", Type: pipeline.Integer, Min: 1, Max: 3, Example: "2"},
			{Name: "Grade", Type: pipeline.Integer, Min: 1, Max: 5, AllowNone: "*NONE*", Example: "4"},
			{Name: "Cost", Type: pipeline.Decimal, Places: 2, Example: "12.5"},
			{Name: "StartOn", Required: true, Type: pipeline.Date, Example: "14/03/2026"},
			{Name: "EndOn", Type: pipeline.Date, AllowNone: "NONE", Example: "05-Sep-2026 09:00"},
			{Name: "Currency", Type: pipeline.Enum, Enum: currencies, Example: "GBP"},
			{Name: "Venue", Choices: []string{"Leeds, Main Site", "Bradford, Annex", "Online"}, MaxLen: 40, Example: "Online"},
			{Name: "Active", Type: pipeline.Bool, Example: "true"},
		},
	}
}

// typed returns the value a spreadsheet program would store for s typed into f's template column:
// a number in a number column, a real date in a date column, text everywhere else (the template
// formats those columns as Text). A value that is not a valid number or date stays text, as Excel
// keeps it.
func typed(f *pipeline.Field, s string) any {
	if s == "" {
		return nil
	}
	switch f.Type {
	case pipeline.Integer, pipeline.Decimal:
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n
		}
	case pipeline.Date:
		if d, err := check.ParseDate(s, check.DayFirst, time.Now()); err == nil {
			return d.Time
		}
	}
	return s
}

// examples returns a row of k's examples, by field name.
func examples(k *pipeline.Kind) map[string]string {
	row := map[string]string{}
	for _, f := range k.Fields {
		row[f.Name] = f.Example
	}
	return row
}

// writeTemplate writes k's template to a file in a temporary folder and returns its path.
func writeTemplate(t *testing.T, k *pipeline.Kind) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), k.Name+".xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteXLSX(out, k); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fill writes rows (by field name) onto the data sheet of k's template, as a data officer typing
// into Excel would: each cell keeps the column's format, dates are date cells. It returns the
// filled workbook's path.
func fill(t *testing.T, k *pipeline.Kind, rows []map[string]string) string {
	t.Helper()
	tmpl := writeTemplate(t, k)
	f, err := excelize.OpenFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := MainSheet(k)
	for r, row := range rows {
		for c, fi := range Order(k) {
			fd := &k.Fields[fi]
			v := typed(fd, row[fd.Name])
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// outcome is what the real pipeline made of a file.
type outcome struct {
	counts   report.Counts
	problems []pipeline.Problem
	chosen   map[string]string // sheet → kind chosen
	skipped  []string          // sheets skipped by detection
}

// validate runs the real pipeline over path: the reader bulk uses, detection among kinds (or k
// when given), and the real report.
func validate(t *testing.T, path string, k *pipeline.Kind, among []*pipeline.Kind, ro read.Options) outcome {
	t.Helper()
	in, err := read.Open(path, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rep := report.New(t.TempDir(), false)
	o := outcome{chosen: map[string]string{}}
	err = pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{
		Kind: k, Among: among, Reporter: rep,
		Chosen:  func(src *pipeline.Source, k *pipeline.Kind, _ bool) { o.chosen[src.Sheet] = k.Name },
		Skipped: func(src *pipeline.Source, _ string) { o.skipped = append(o.skipped, src.Sheet) },
	})
	if err != nil {
		t.Fatalf("pipeline.Run: %v", err)
	}
	o.counts, o.problems = rep.Counts(), rep.Problems()
	return o
}

func describe(ps []pipeline.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n  %s row %d %s %q: %s (%s %s)", p.Sheet, p.Row, p.Column, p.Value, p.Message, p.Severity, p.Rule)
	}
	return b.String()
}

// dvFor returns the data validation covering column col's data area on the data sheet.
func dvFor(t *testing.T, f *excelize.File, sheet, col string) *excelize.DataValidation {
	t.Helper()
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows)
	for _, dv := range dvs {
		if dv.Sqref == want {
			return dv
		}
	}
	t.Fatalf("no data validation on %s", want)
	return nil
}

// accepts reports whether Excel would let value (as typed() stores it) stand in the first data cell
// of col under dv. Built-in checks are interpreted as Excel documents them; custom formulas are
// evaluated by excelize's formula engine in a scratch copy of the workbook, with others already
// holding values in the column (for uniqueness checks) in rows 3 onwards.
func accepts(t *testing.T, path, col string, value any, others ...any) bool {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The data sheet with every column (MainSheet): the one with the most validations.
	sheet, most := f.GetSheetName(0), 0
	for _, name := range f.GetSheetList() {
		if dvs, _ := f.GetDataValidations(name); len(dvs) > most {
			sheet, most = name, len(dvs)
		}
	}
	dv := dvFor(t, f, sheet, col)
	if value == nil || value == "" {
		return dv.AllowBlank
	}
	if !dv.ShowErrorMessage {
		return true // no alert: Excel lets any value stand
	}
	num, isNum := number(value)
	str := fmt.Sprint(value)
	between := func(x float64) bool {
		lo, err1 := strconv.ParseFloat(dv.Formula1, 64)
		hi, err2 := strconv.ParseFloat(dv.Formula2, 64)
		if err1 != nil || err2 != nil || dv.Operator != "between" {
			t.Fatalf("%s: unexpected %s validation %q %q %q", col, dv.Type, dv.Operator, dv.Formula1, dv.Formula2)
		}
		return lo <= x && x <= hi
	}
	switch dv.Type {
	case "none":
		return true
	case "list":
		for _, v := range listValues(t, f, dv.Formula1) {
			if strings.EqualFold(v, str) {
				return true
			}
		}
		return false
	case "whole":
		return isNum && num == float64(int64(num)) && between(num)
	case "decimal", "date":
		return isNum && between(num)
	case "textLength":
		return between(float64(len([]rune(str))))
	case "custom":
		cell := col + "2"
		if err := f.SetCellValue(sheet, cell, value); err != nil {
			t.Fatal(err)
		}
		for i, o := range others {
			if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", col, i+3), o); err != nil {
				t.Fatal(err)
			}
		}
		probe, _ := excelize.CoordinatesToCellName(excelize.MaxColumns, 2)
		if err := f.SetCellFormula(sheet, probe, dv.Formula1); err != nil {
			t.Fatal(err)
		}
		got, err := f.CalcCellValue(sheet, probe)
		if err != nil {
			t.Fatalf("%s: evaluating %q: %v", col, dv.Formula1, err)
		}
		return got == "TRUE"
	}
	t.Fatalf("%s: unknown validation type %q", col, dv.Type)
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case time.Time:
		return timeToSerial(x), true
	}
	return 0, false
}

// timeToSerial is Excel's 1900-system serial number of t (dates after 1900-03-01).
func timeToSerial(t time.Time) float64 {
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return t.Sub(epoch).Hours() / 24
}

// listValues returns the values a list validation offers: an inline "a,b,c" list, or the cells a
// defined name refers to.
func listValues(t *testing.T, f *excelize.File, formula string) []string {
	t.Helper()
	if strings.HasPrefix(formula, `"`) {
		return strings.Split(strings.Trim(formula, `"`), ",")
	}
	for _, dn := range f.GetDefinedName() {
		if dn.Name != formula {
			continue
		}
		sheet, rng, _ := strings.Cut(dn.RefersTo, "!")
		from, to, _ := strings.Cut(strings.ReplaceAll(rng, "$", ""), ":")
		c1, r1, err1 := excelize.CellNameToCoordinates(from)
		c2, r2, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil || c1 != c2 {
			t.Fatalf("defined name %s refers to %q: not one column", dn.Name, dn.RefersTo)
		}
		var out []string
		for r := r1; r <= r2; r++ {
			cell, _ := excelize.CoordinatesToCellName(c1, r)
			v, err := f.GetCellValue(strings.Trim(sheet, "'"), cell)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	t.Fatalf("list source %q is neither an inline list nor a defined name", formula)
	return nil
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
