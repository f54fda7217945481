package template

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
)

// Sheet names of a template besides the data sheet (which is named after the kind).
const (
	ReadMeSheet = "Read me"
	// ListsSheet holds drop-down values too long for Excel's 255-character inline lists. It is
	// hidden and exists only when some list needs it.
	ListsSheet = "Lists"
	// ListsHeading begins the heading of each column of the Lists sheet.
	ListsHeading = "Values for "
	// ReadMeTitle begins the first cell of the Read me sheet, which tells it from a user's sheet
	// of the same name.
	ReadMeTitle = "Template: "
)

// Number formats of the data cells. Text ("@") keeps what is typed exactly: Excel would otherwise
// turn a ULN into 1.00E+09, drop an MISID's leading zeros or make 1-2 a date. Numbers keep
// Excel's General format on purpose: a "0" or "0.00" format would show 2.5 as 3 or 12.345 as
// 12.35, hiding from the data officer the very value bulk will reject.
const (
	fmtText     = "@"
	fmtDate     = "dd/mm/yyyy"
	fmtDateTime = "dd/mm/yyyy hh:mm"
	fmtGeneral  = ""
)

// Header fills: required columns stand out; the Read me sheet explains the colours.
const (
	fillRequired = "F4B183" // orange
	fillOptional = "D9D9D9" // grey
)

// DataSheet is the name of the sheet a template's rows go on: the kind's name (shortened to
// Excel's 31 characters and cleaned of the characters sheet names cannot hold). It contains the
// words kinds list in their SheetHints, so detection favours the right kind too.
func DataSheet(k *pipeline.Kind) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, k.Name)
	if utf8.RuneCountInString(name) > excelize.MaxSheetNameLength {
		name = string([]rune(name)[:excelize.MaxSheetNameLength])
	}
	return name
}

// DataSheets are the sheets a template's rows go on, each with the fields (by name) whose
// columns it has: the kind's TemplateSheets (onefile-users: Staff and Learners), or one sheet,
// DataSheet, with every field.
func DataSheets(k *pipeline.Kind) []pipeline.TemplateSheet {
	if len(k.TemplateSheets) > 0 {
		return k.TemplateSheets
	}
	var all []string
	for _, f := range k.Fields {
		all = append(all, f.Name)
	}
	return []pipeline.TemplateSheet{{Name: DataSheet(k), Fields: all}}
}

// MainSheet is the data sheet with the most columns (every column, for the kinds bulk has),
// whose layout the Read me's example row follows.
func MainSheet(k *pipeline.Kind) string {
	best := DataSheets(k)[0]
	for _, s := range DataSheets(k)[1:] {
		if len(s.Fields) > len(best.Fields) {
			best = s
		}
	}
	return best.Name
}

// SheetList names a template's data sheets for a sentence: "onefile-users", "Staff or Learners".
func SheetList(k *pipeline.Kind, or string) string {
	var names []string
	for _, s := range DataSheets(k) {
		names = append(names, s.Name)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + or + " " + names[len(names)-1]
}

// NumFmt returns the number format of f's data cells ("" is Excel's General).
func NumFmt(f *pipeline.Field) string {
	switch f.Type {
	case pipeline.Date:
		if HasTime(f) {
			return fmtDateTime
		}
		return fmtDate
	case pipeline.Integer, pipeline.Decimal:
		return fmtGeneral
	default:
		return fmtText
	}
}

// WriteCSV writes a CSV file holding only k's header row, in template order: UTF-8 without a byte
// order mark, CRLF line ends, as the targets and spreadsheet programs expect.
func WriteCSV(w io.Writer, k *pipeline.Kind) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Headers(k)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes k's template workbook to w.
func WriteXLSX(w io.Writer, k *pipeline.Kind) error {
	f, err := Build(k)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteTo(w)
	return err
}

// Build returns k's template workbook: the data sheet (headers with notes, frozen header row,
// column formats and widths, data validation on the whole data area), the Read me sheet, and the
// hidden Lists sheet when a drop-down needs it. The caller closes it.
func Build(k *pipeline.Kind) (*excelize.File, error) {
	b := &builder{f: excelize.NewFile(), k: k, data: DataSheets(k)[0].Name}
	if err := b.build(); err != nil {
		b.f.Close()
		return nil, fmt.Errorf("building the %s template: %w", k.Name, err)
	}
	return b.f, nil
}

type builder struct {
	f     *excelize.File
	k     *pipeline.Kind
	data  string
	lists int  // columns used on the Lists sheet
	live  Live // a target's names for drop-downs (BuildLive)
	// liveRef is the defined name of each live list written, so a field on two sheets
	// (PlacementName: Staff and Learners) points both at one column of the Lists sheet.
	liveRef map[string]string
	err     error
}

// must keeps the first error so the layout code reads as a list of steps.
func (b *builder) must(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *builder) style(s *excelize.Style) int {
	id, err := b.f.NewStyle(s)
	b.must(err)
	return id
}

func (b *builder) build() error {
	f, k := b.f, b.k
	b.must(f.SetSheetName(f.GetSheetName(0), b.data))
	b.must(f.SetDocProps(&excelize.DocProperties{
		Title:       k.Title,
		Subject:     "bulk template for " + k.Name,
		Creator:     "bulk",
		Keywords:    "bulk-template " + k.Name,
		Description: fmt.Sprintf("Fill in the sheet %s, one row per record, then check it with: bulk validate FILE", SheetList(k, "or")),
		Language:    "en-GB",
	}))
	// Sheets in the order a reader meets them: data, Read me, then Lists (made when first needed).
	sheets := DataSheets(k)
	for i, sh := range sheets {
		if i > 0 {
			_, err := f.NewSheet(sh.Name)
			b.must(err)
		}
	}
	_, err := f.NewSheet(ReadMeSheet)
	b.must(err)
	for _, sh := range sheets {
		b.data = sh.Name
		pos := 0
		for _, fi := range Order(k) {
			if slices.Contains(sh.Fields, k.Fields[fi].Name) {
				b.column(pos, &k.Fields[fi])
				pos++
			}
		}
		b.must(f.SetPanes(b.data, &excelize.Panes{
			Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
		}))
	}
	b.data = sheets[0].Name
	b.readMe()
	if b.lists > 0 {
		b.must(f.SetSheetVisible(ListsSheet, false))
	}
	idx, err := f.GetSheetIndex(b.data)
	b.must(err)
	f.SetActiveSheet(idx)
	return b.err
}

// column lays out field fd in column pos (0-based) of the data sheet.
func (b *builder) column(pos int, fd *pipeline.Field) {
	f := b.f
	col, err := excelize.ColumnNumberToName(pos + 1)
	b.must(err)
	cell := col + "1"

	if numFmt := NumFmt(fd); numFmt != fmtGeneral {
		b.must(f.SetColStyle(b.data, col, b.style(&excelize.Style{CustomNumFmt: &numFmt})))
	}
	b.must(f.SetColWidth(b.data, col, col, width(fd)))

	fill := fillOptional
	if fd.Required {
		fill = fillRequired
	}
	b.must(f.SetCellStr(b.data, cell, fd.Name))
	b.must(f.SetCellStyle(b.data, cell, cell, b.style(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})))
	note := Note(fd)
	b.must(f.AddComment(b.data, excelize.Comment{
		Cell: cell, Author: "bulk",
		Paragraph: []excelize.RichTextRun{
			{Text: fd.Name + " (" + Need(fd) + ")\n", Font: &excelize.Font{Bold: true}},
			{Text: note},
		},
		Width: 320, Height: uint(30 + 15*(utf8.RuneCountInString(note)/48+strings.Count(note, "\n")+1)),
	}))

	if vals := b.live[fd.Name]; len(vals) > 0 {
		dv := liveValidation(fd, col)
		if b.liveRef == nil {
			b.liveRef = map[string]string{}
		}
		if b.liveRef[fd.Name] == "" {
			b.liveRef[fd.Name] = b.listRange(fd, vals)
		}
		dv.SetSqrefDropList(b.liveRef[fd.Name])
		b.must(f.AddDataValidation(b.data, dv))
		return
	}
	r := validation(fd, col)
	if r.list != nil {
		r.dv.SetSqrefDropList(b.listRange(fd, r.list))
	}
	b.must(f.AddDataValidation(b.data, r.dv))
}

// Note is the text of the note on f's header cell: what it means, how to write it, an example.
func Note(f *pipeline.Field) string {
	var b strings.Builder
	b.WriteString(sentence(f.Help))
	b.WriteString(Describe(f))
	if vals, _ := Values(f); len(vals) > 0 && len(strings.Join(vals, ", ")) > shortList {
		b.WriteString(" Values: " + clip(strings.Join(vals, ", "), 400))
	}
	if f.Example != "" {
		b.WriteString("\nExample: " + f.Example)
	}
	if len(f.Synonyms) > 0 {
		b.WriteString("\nAlso accepted as a header: " + strings.Join(f.Synonyms, ", "))
	}
	return b.String()
}

// Need says whether f must be filled in: "required", "required for learners" (some rows
// only: Field.RequiredFor) or "optional".
func Need(f *pipeline.Field) string {
	switch {
	case f.Required:
		return "required"
	case f.RequiredFor != "":
		return "required for " + f.RequiredFor
	}
	return "optional"
}

// listRange writes vals to a column of the Lists sheet and returns the defined name that refers
// to them, which is what a drop-down's source can be (Excel wants a single row or column).
func (b *builder) listRange(fd *pipeline.Field, vals []string) string {
	f := b.f
	if b.lists == 0 {
		_, err := f.NewSheet(ListsSheet)
		b.must(err)
		b.must(f.SetColStyle(ListsSheet, "A:Z", b.style(&excelize.Style{CustomNumFmt: ptr(fmtText)})))
	}
	b.lists++
	col, err := excelize.ColumnNumberToName(b.lists)
	b.must(err)
	// The heading cannot be mistaken for a field's header by kind detection.
	b.must(f.SetCellStr(ListsSheet, col+"1", ListsHeading+fd.Name))
	for i, v := range vals {
		b.must(f.SetCellStr(ListsSheet, fmt.Sprintf("%s%d", col, i+2), v))
	}
	b.must(f.SetColWidth(ListsSheet, col, col, 24))
	name := fmt.Sprintf("List_%d_%s", b.lists, identifier(fd.Name))
	b.must(f.SetDefinedName(&excelize.DefinedName{
		Name:     name,
		RefersTo: fmt.Sprintf("%s!$%s$2:$%s$%d", ListsSheet, col, col, len(vals)+1),
		Comment:  "Drop-down values of " + fd.Name,
	}))
	return name
}

// identifier turns a field name into the letters, digits and underscores a defined name may hold.
func identifier(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, s)
}

// width is a column's width in characters: enough for the header (and its filter or drop-down
// arrow), the example and the drop-down values, within reason.
func width(f *pipeline.Field) float64 {
	w := utf8.RuneCountInString(f.Name) + 4
	if n := utf8.RuneCountInString(f.Example) + 2; n > w {
		w = n
	}
	vals, _ := Values(f)
	for _, v := range vals {
		if n := utf8.RuneCountInString(v) + 4; n > w {
			w = n
		}
	}
	switch NumFmt(f) {
	case fmtDate:
		w = max(w, 12)
	case fmtDateTime:
		w = max(w, 17)
	}
	return float64(min(max(w, 10), 50))
}

func ptr[T any](v T) *T { return &v }
