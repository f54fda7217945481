package template

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
)

// readMe writes the Read me sheet: what the kind is, how to fill the template in, the columns, an
// example row and where to get help. The example row lives here, not on the data sheet, so a
// forgotten example can never be loaded as a real record.
func (b *builder) readMe() {
	f, k := b.f, b.k
	title := b.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	heading := b.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	bold := b.style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillOptional}}})
	wrap := b.style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	text := b.style(&excelize.Style{CustomNumFmt: ptr(fmtText), Alignment: &excelize.Alignment{Vertical: "top"}})

	row := 0
	line := func(style int, cells ...string) {
		row++
		for i, c := range cells {
			ref, err := excelize.CoordinatesToCellName(i+1, row)
			b.must(err)
			b.must(f.SetCellStr(ReadMeSheet, ref, c))
			b.must(f.SetCellStyle(ReadMeSheet, ref, ref, style))
		}
	}
	target := k.Target
	if target == "" {
		target = "any"
	}
	line(title, ReadMeTitle+k.Title)
	line(0, fmt.Sprintf("Kind %s (target: %s). Made by bulk: run 'bulk kinds %s' for the same description.", k.Name, target, k.Name))
	row++
	line(heading, "How to fill it in")
	for i, s := range []string{
		fmt.Sprintf("Enter one record per row on the sheet %s, from row 2 down. Keep the headers in row 1 as they are; you may reorder columns, and delete optional ones you do not use.", quotedSheets(k)),
		"Orange headers are required: every row needs a value in them. Grey ones are optional, or needed on some rows only: the Required column below says which (\"required for learners\").",
		"Point at a header to read what the column means, its format and an example. Select a cell to see a short reminder; drop-downs offer the allowed values, and Excel refuses a value out of range as you type it.",
		"Type dates as dates (14/03/2007). ID columns are formatted as Text, so Excel keeps leading zeros and long numbers (ULN, MISID, phone numbers) exactly as typed.",
		"Pasting bypasses Excel's checks: paste with Paste Special > Values, and let bulk check the result.",
		"Save the workbook (.xlsx, or CSV UTF-8), then check it: bulk validate FILE.xlsx. Nothing is sent anywhere. Fix what the report's rejects.xlsx marks in red, and validate again.",
	} {
		line(0, fmt.Sprintf("%d. %s", i+1, s))
	}
	row++
	line(heading, "Columns")
	line(bold, "Column", "Required", "Format", "Allowed values and limits", "Other headers accepted", "Example", "What it is")
	for _, fi := range Order(k) {
		fd := &k.Fields[fi]
		allowed := Limits(fd)
		if vals, _ := Values(fd); len(vals) > 0 {
			allowed = strings.Join(vals, ", ")
			if rest := Limits(fd); rest != "" && !strings.HasPrefix(rest, allowed) && !strings.HasPrefix(rest, "one of") {
				allowed += "; " + rest
			}
		}
		row++
		for i, c := range []string{fd.Name, Need(fd), Describe(fd), allowed, strings.Join(fd.Synonyms, ", "), fd.Example, fd.Help} {
			ref, _ := excelize.CoordinatesToCellName(i+1, row)
			b.must(f.SetCellStr(ReadMeSheet, ref, c))
			st := wrap
			if i == 5 {
				st = text
			}
			b.must(f.SetCellStyle(ReadMeSheet, ref, ref, st))
		}
	}
	row++
	line(heading, "Example row")
	line(0, fmt.Sprintf("An example value for each column, as it would look on the sheet %s. Some columns are alternatives (see 'What it is'), so fill in what your records need.", quotedSheets(k)))
	line(0, "The example is here, not on the data sheet, so it can never be loaded by mistake.")
	line(bold, Headers(k)...)
	row++
	for i, fi := range Order(k) {
		ref, _ := excelize.CoordinatesToCellName(i+1, row)
		b.must(f.SetCellStr(ReadMeSheet, ref, k.Fields[fi].Example))
		b.must(f.SetCellStyle(ReadMeSheet, ref, ref, text))
	}
	row++
	line(heading, "Help")
	for _, c := range [][2]string{
		{"bulk kinds " + k.Name, "the columns of this kind, with every value they accept"},
		{"bulk rules", "every problem bulk reports, with an example of each"},
		{"bulk validate --help", "how to check a file, the report it writes and its exit statuses"},
		{"bulk template " + k.Name + " -o FILE.xlsx", "a fresh copy of this template"},
	} {
		// The command overflows into the empty cells beside it; the explanation starts in column D.
		row++
		b.must(f.SetCellStr(ReadMeSheet, fmt.Sprintf("A%d", row), c[0]))
		b.must(f.SetCellStr(ReadMeSheet, fmt.Sprintf("D%d", row), c[1]))
	}
	for col, w := range []float64{24, 11, 40, 40, 30, 22, 60} {
		name, _ := excelize.ColumnNumberToName(col + 1)
		b.must(f.SetColWidth(ReadMeSheet, name, name, w))
	}
}

// quotedSheets names the template's data sheets for the Read me: "Staff" (its rows' columns)
// or "Learners".
func quotedSheets(k *pipeline.Kind) string {
	sheets := DataSheets(k)
	if len(sheets) == 1 {
		return strconv.Quote(sheets[0].Name)
	}
	var names []string
	for _, s := range sheets {
		names = append(names, strconv.Quote(s.Name))
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + " (each has the columns its rows use)"
}
