// Package hostile writes workbooks made to break an XLSX reader: row and column numbers past a
// sheet's, zip bombs, a shared string or a cell longer than any spreadsheet's, and sheets cut
// short. The reader's, the report's and the command's tests build them in a temporary folder
// (nothing big is committed) and check that each ends in a clear error or rejected rows, in
// bounded time and memory. `go run ./pipeline/read/hostile/cmd DIR` writes them for a try by hand.
package hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Outcome is what reading a case must end in.
type Outcome int

const (
	// Rejected: the workbook is read, and the rows named are rejected with Rule.
	Rejected Outcome = iota
	// Refused: reading stops with an error that says what is wrong (Says).
	Refused
)

// Case is one hostile workbook.
type Case struct {
	Name    string
	Outcome Outcome
	Rule    string // Rejected: the rule of the problem on the bad row
	Says    string // Refused: a phrase of the error; Rejected: of the problem's message
	write   func(path string) error
}

// Write writes the case's workbook to path.
func (c Case) Write(path string) error { return c.write(path) }

// Header is the header row of every case: the columns a learners kind needs.
var Header = []string{"Role", "FirstName", "LastName", "Email"}

// Cases returns every case. Sizes are chosen to trip the reader's limits at their defaults
// while taking well under a second each to write.
func Cases() []Case {
	return []Case{
		{Name: "huge-row-number", Outcome: Rejected, Rule: "out-of-range", Says: "999999999999",
			write: sheet(func(w *bufio.Writer) {
				row(w, 2, "1", "Amira", "Khan", "amira@example.ac.uk")
				fmt.Fprint(w, `<row r="999999999999"><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>Ben</t></is></c></row>`)
			}, true)},
		{Name: "huge-column", Outcome: Rejected, Rule: "out-of-range", Says: "XFE",
			write: sheet(func(w *bufio.Writer) {
				row(w, 2, "1", "Amira", "Khan", "amira@example.ac.uk")
				fmt.Fprint(w, `<row r="3"><c r="A3"><v>1</v></c><c r="XFD3" t="inlineStr"><is><t>at XFD</t></is></c><c r="XFE3" t="inlineStr"><is><t>past XFD</t></is></c><c r="ZZZZZZZZZZZZZZZZ3"><v>2</v></c></row>`)
			}, true)},
		{Name: "wide-rows", Outcome: Rejected, Rule: "malformed", Says: "far more columns than they fill",
			// A header reaching column XFD, then 300 rows whose one value is there: 25 bytes of XML
			// each, 16,383 empty cells of padding each.
			write: workbook(func(w *bufio.Writer) {
				fmt.Fprint(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>Role</t></is></c><c r="XFD1" t="inlineStr"><is><t>Email</t></is></c></row>`)
				for r := 2; r < 302; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
				}
			}, nil, true)},
		{Name: "rows-past-the-last", Outcome: Refused, Says: "more rows than a spreadsheet holds",
			write: sheet(func(w *bufio.Writer) {
				fmt.Fprint(w, `<row r="1048575"><c><v>1</v></c></row>`)
				for range 3 {
					fmt.Fprint(w, `<row><c><v>1</v></c></row>`)
				}
			}, true)},
		{Name: "zip-bomb", Outcome: Refused, Says: "zip bomb",
			// 256 MiB of one letter in one cell deflates to about 250 KB.
			write: sheet(func(w *bufio.Writer) {
				fmt.Fprint(w, `<row r="2"><c t="inlineStr"><is><t>`)
				repeat(w, "A", 256<<20)
				fmt.Fprint(w, `</t></is></c></row>`)
			}, true)},
		{Name: "huge-shared-string", Outcome: Rejected, Rule: "max-length", Says: "than a spreadsheet cell can",
			// 64 MiB of text that compresses about 100:1, under the ratio: only the limit on one
			// piece of XML stops it, and the cells that use it are reported.
			write: workbook(func(w *bufio.Writer) {
				row(w, 1, Header...)
				fmt.Fprint(w, `<row r="2"><c t="inlineStr"><is><t>1</t></is></c><c t="s"><v>0</v></c><c t="inlineStr"><is><t>Khan</t></is></c><c t="inlineStr"><is><t>a@example.ac.uk</t></is></c></row>`)
			}, func(w *bufio.Writer) {
				fmt.Fprint(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`)
				varied(w, 64<<20)
				fmt.Fprint(w, `</t></si></sst>`)
			}, true)},
		{Name: "huge-cell", Outcome: Rejected, Rule: "max-length", Says: "than a spreadsheet cell can",
			write: sheet(func(w *bufio.Writer) {
				fmt.Fprint(w, `<row r="2"><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>`)
				varied(w, 64<<20)
				fmt.Fprint(w, `</t></is></c></row>`)
			}, true)},
		{Name: "long-cell", Outcome: Rejected, Rule: "max-length", Says: "40,000 characters",
			write: sheet(func(w *bufio.Writer) {
				fmt.Fprint(w, `<row r="2"><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>`)
				repeat(w, "é", 40000)
				fmt.Fprint(w, `</t></is></c><c t="inlineStr"><is><t>Khan</t></is></c><c t="inlineStr"><is><t>a@example.ac.uk</t></is></c></row>`)
			}, true)},
		{Name: "sheet-cut-short", Outcome: Refused, Says: "cut short",
			write: sheet(func(w *bufio.Writer) {
				row(w, 2, "1", "Amira", "Khan", "amira@example.ac.uk")
			}, false)},
		{Name: "zip-cut-short", Outcome: Refused, Says: "cannot be read as an .xlsx workbook",
			write: func(path string) error {
				if err := sheet(func(w *bufio.Writer) {
					row(w, 2, "1", "Amira", "Khan", "amira@example.ac.uk")
				}, true)(path); err != nil {
					return err
				}
				st, err := os.Stat(path)
				if err != nil {
					return err
				}
				return os.Truncate(path, st.Size()*2/3)
			}},
	}
}

// row writes a row of inline strings.
func row(w *bufio.Writer, n int, cells ...string) {
	fmt.Fprintf(w, `<row r="%d">`, n)
	for _, c := range cells {
		fmt.Fprintf(w, `<c t="inlineStr"><is><t>%s</t></is></c>`, c)
	}
	fmt.Fprint(w, `</row>`)
}

func repeat(w *bufio.Writer, s string, n int) {
	chunk := strings.Repeat(s, 4096)
	for ; n >= 4096; n -= 4096 {
		w.WriteString(chunk)
	}
	w.WriteString(strings.Repeat(s, n))
}

// varied writes n bytes of letters that repeat only every 4,093 bytes: deflate keeps about
// 1 byte in 100 of it, under any bomb ratio.
func varied(w *bufio.Writer, n int) {
	block := make([]byte, 4093)
	x := uint32(2463534242)
	for i := range block {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		block[i] = 'a' + byte(x%26)
	}
	for ; n > 0; n -= len(block) {
		w.Write(block[:min(n, len(block))])
	}
}

// sheet is a workbook of one sheet: the header row, then body's rows. end closes the sheet's
// XML; without it the sheet stops after body, as a part cut short does.
func sheet(body func(*bufio.Writer), end bool) func(string) error {
	return workbook(func(w *bufio.Writer) {
		row(w, 1, Header...)
		body(w)
	}, nil, end)
}

// workbook writes a minimal package: a workbook of one sheet "Learners", and shared strings
// when sst is given.
func workbook(rows, sst func(*bufio.Writer), end bool) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		zw := zip.NewWriter(f)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return &chunkCompressor{w: w, buf: make([]byte, 0, chunkSize)}, nil
		})
		rels := `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
		if sst != nil {
			rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
		}
		parts := []struct {
			name string
			body func(*bufio.Writer)
		}{
			{"[Content_Types].xml", text(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)},
			{"_rels/.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
			{"xl/workbook.xml", text(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Learners" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
			{"xl/_rels/workbook.xml.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`)},
			{"xl/worksheets/sheet1.xml", func(w *bufio.Writer) {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
				rows(w)
				if end {
					fmt.Fprint(w, `</sheetData></worksheet>`)
				}
			}},
		}
		if sst != nil {
			parts = append(parts, struct {
				name string
				body func(*bufio.Writer)
			}{"xl/sharedStrings.xml", sst})
		}
		for _, p := range parts {
			pw, err := zw.Create(p.name)
			if err != nil {
				f.Close()
				return err
			}
			bw := bufio.NewWriterSize(pw, 1<<16)
			p.body(bw)
			if err := bw.Flush(); err != nil {
				f.Close()
				return err
			}
		}
		if err := zw.Close(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

// chunkSize is the chunkCompressor's unit: a multiple of varied's period (4,093 bytes), so its
// chunks repeat as repeat's do.
const chunkSize = 4093 * 256

// chunkCompressor deflates in chunks, each a run of deflate blocks that a sync flush ends on a
// byte boundary, and writes a chunk equal to the one before as the same deflated bytes again
// instead of compressing it again. The stream stays valid deflate (each chunk's matches reach
// only into itself) and compresses about as well, but the bomb's 256 MiB are compressed once
// per chunk kind, not per byte: the race detector slows compress/flate some twentyfold, and
// writing these cases was most of the hostile tests' time under -race.
type chunkCompressor struct {
	w         io.Writer
	buf       []byte
	last, out []byte // the last chunk compressed, and its deflated bytes
}

func (c *chunkCompressor) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), chunkSize-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == chunkSize {
			if err := c.flush(false); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkCompressor) flush(final bool) error {
	defer func() { c.buf = c.buf[:0] }()
	if !final && c.last != nil && bytes.Equal(c.buf, c.last) {
		_, err := c.w.Write(c.out)
		return err
	}
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.DefaultCompression)
	if err != nil {
		return err
	}
	if _, err := fw.Write(c.buf); err != nil {
		return err
	}
	if final {
		err = fw.Close() // the last block, marked final
	} else {
		err = fw.Flush() // ends on a byte boundary, not final: the next chunk follows
		c.last, c.out = append(c.last[:0], c.buf...), append(c.out[:0], out.Bytes()...)
	}
	if err != nil {
		return err
	}
	_, err = c.w.Write(out.Bytes())
	return err
}

func (c *chunkCompressor) Close() error { return c.flush(true) }

func text(s string) func(*bufio.Writer) {
	return func(w *bufio.Writer) { io.WriteString(w, s) }
}

// WriteAll writes every case into dir as NAME.xlsx and returns their paths by name.
func WriteAll(dir string) (map[string]string, error) {
	paths := map[string]string{}
	for _, c := range Cases() {
		p := filepath.Join(dir, c.Name+".xlsx")
		if err := c.Write(p); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		paths[c.Name] = p
	}
	return paths, nil
}
