package learners

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
)

// XLSXOptions says how WriteXLSX stores the cells.
type XLSXOptions struct {
	// NumericIDs stores the digit-only columns (ULN, the IDs, L12) as numbers, as Excel does
	// when it opens a CSV; otherwise they are text, as a careful MIS export writes IDs.
	NumericIDs bool
}

// XLSXStats describes the shared string table WriteXLSX wrote.
type XLSXStats struct {
	Cells     int // text cells, each a reference into the table
	Strings   int // distinct strings in the table
	TextBytes int // their text, in bytes
}

// WriteXLSX writes the rows Write writes as a one-sheet workbook ("Learners") stored the way
// Excel and LibreOffice store one: every text cell a shared string, the table deduplicated in
// order of first use; Role a number; DOB, StartOn and PlannedEndDate date cells (serials in a
// date style). A learner adds about five distinct strings (e-mail, MIS ID, ULN, NINO, and most
// mobile numbers are unique), which is what makes the shared string table of a big workbook
// big.
func WriteXLSX(w io.Writer, rows int, seed uint64, o XLSXOptions) (XLSXStats, error) {
	var st XLSXStats
	const (
		text = iota
		number
		date
	)
	kinds := make([]int, len(Header))
	for i, h := range Header {
		switch h {
		case "Role":
			kinds[i] = number
		case "DOB", "StartOn", "PlannedEndDate":
			kinds[i] = date
		case "ULN", "DefaultAssessorID", "ClassroomID", "PlacementID", "L12":
			if o.NumericIDs {
				kinds[i] = number
			}
		}
	}

	zw := zip.NewWriter(w)
	for _, p := range []struct{ name, body string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", rootRels},
		{"xl/workbook.xml", workbookXML},
		{"xl/_rels/workbook.xml.rels", workbookRels},
		{"xl/styles.xml", stylesXML},
	} {
		pw, err := zw.Create(p.name)
		if err != nil {
			return st, err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return st, err
		}
	}

	// The rows are Write's, through a pipe; the sheet is written as they come, the shared
	// strings collected and written after it.
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() { pw.CloseWithError(Write(pw, rows, seed)) }()
	cr := csv.NewReader(pr)
	cr.ReuseRecord = true

	sheet, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return st, err
	}
	bw := bufio.NewWriterSize(sheet, 1<<20)
	bw.WriteString(xml.Header + `<worksheet xmlns="` + nsMain + `"><sheetData>`)
	index := map[string]int{}
	var order []string
	var b []byte
	for r := 1; ; r++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
		b = fmt.Appendf(b[:0], `<row r="%d">`, r)
		for i, v := range rec {
			k := kinds[i]
			if r == 1 {
				k = text // the header
			}
			ref := columnName(i) + strconv.Itoa(r)
			switch k {
			case number:
				b = fmt.Appendf(b, `<c r="%s"><v>%s</v></c>`, ref, v)
			case date:
				d, err := time.Parse("02/01/2006", v)
				if err != nil {
					return st, fmt.Errorf("row %d: %v", r, err)
				}
				serial := int(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
				b = fmt.Appendf(b, `<c r="%s" s="1"><v>%d</v></c>`, ref, serial)
			default:
				n, ok := index[v]
				if !ok {
					n = len(order)
					index[v] = n
					order = append(order, v)
					st.TextBytes += len(v)
				}
				st.Cells++
				b = fmt.Appendf(b, `<c r="%s" t="s"><v>%d</v></c>`, ref, n)
			}
		}
		b = append(b, "</row>"...)
		if _, err := bw.Write(b); err != nil {
			return st, err
		}
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Strings = len(order)

	sst, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return st, err
	}
	bw = bufio.NewWriterSize(sst, 1<<20)
	fmt.Fprintf(bw, `%s<sst xmlns="%s" count="%d" uniqueCount="%d">`, xml.Header, nsMain, st.Cells, st.Strings)
	for _, s := range order {
		bw.WriteString("<si><t>")
		xml.EscapeText(bw, []byte(s))
		bw.WriteString("</t></si>")
	}
	bw.WriteString("</sst>")
	if err := bw.Flush(); err != nil {
		return st, err
	}
	return st, zw.Close()
}

func columnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

const nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`

const rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`

const workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Learners" sheetId="1" r:id="rId1"/></sheets></workbook>`

const workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`

// Style 0 is General, style 1 the built-in short date (numFmtId 14).
const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`
