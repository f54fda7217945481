package read

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	xencoding "golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/bulkload/bulk/pipeline"
)

var update = flag.Bool("update", false, "rewrite the encoding fixtures in testdata/encodings")

// readRow is what a test sees of one record: where it is, its cells, and "rule@column" for each
// problem the reader raised.
type readRow struct {
	Row      int
	Cells    []string
	Problems []string
}

type readResult struct {
	Encoding  string
	Delimiter rune
	Header    []string
	HeaderRow int
	Rows      []readRow
	Messages  []string // every problem's message, for checks on wording
}

func readCSVBytes(t *testing.T, data []byte, o Options) readResult {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return readCSVFile(t, path, o)
}

func readCSVFile(t *testing.T, path string, o Options) readResult {
	t.Helper()
	in, err := OpenCSV(path, o)
	if err != nil {
		t.Fatalf("OpenCSV: %v", err)
	}
	defer in.Close()
	tb, err := in.NextTable()
	if err != nil {
		t.Fatalf("NextTable: %v", err)
	}
	if _, err := in.NextTable(); err != io.EOF {
		t.Fatalf("a CSV file has one table; second NextTable gave %v", err)
	}
	src := tb.Source()
	res := readResult{Encoding: src.Encoding, Delimiter: src.Delimiter, Header: src.Header, HeaderRow: src.HeaderRow}
	var rec pipeline.Record
	for {
		rec.Reset()
		err := tb.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		r := readRow{Row: rec.Row, Cells: append([]string{}, rec.Cells...)}
		for _, p := range rec.Problems {
			r.Problems = append(r.Problems, p.Rule+"@"+p.Column)
			res.Messages = append(res.Messages, p.Message)
			if p.Row != rec.Row && p.Row != src.HeaderRow {
				t.Errorf("problem %q is on row %d, its record on row %d", p.Message, p.Row, rec.Row)
			}
			if p.File != "in.csv" && p.File != filepath.Base(path) || p.Source != src {
				t.Errorf("problem %q does not name its file", p.Message)
			}
		}
		res.Rows = append(res.Rows, r)
	}
	return res
}

// theTable is what every encoding fixture holds: characters beyond ASCII that Windows-1252 can
// also encode, a cell holding the delimiter and quotes, and a cell over two lines.
var theTable = [][]string{
	{"FirstName", "LastName", "Email", "Notes"},
	{"Amélie", "O’Brien", "amelie@example.ac.uk", "Café, 5€; “quoted” and \"plain\" | tab\there"},
	{"Jörg", "Smith", "jorg@example.ac.uk", "line one\nline two"},
	{"Zoë", "Ng", "zoe@example.ac.uk", "plain"},
}

var theRows = []int{2, 3, 4} // rows as a spreadsheet shows them: the two-line cell is one row

var fixtureEncodings = []struct {
	name string
	want string
	enc  xencoding.Encoding // nil: UTF-8 as is
	bom  []byte
}{
	{"utf8", EncodingUTF8, nil, nil},
	{"utf8bom", EncodingUTF8BOM, nil, []byte{0xEF, 0xBB, 0xBF}},
	{"utf16le", EncodingUTF16LE, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil},
	{"utf16be", EncodingUTF16BE, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil},
	{"cp1252", EncodingWindows1252, charmap.Windows1252, nil},
}

var fixtureDelimiters = []struct {
	name string
	d    rune
}{{"comma", ','}, {"semicolon", ';'}, {"tab", '\t'}, {"pipe", '|'}}

// writeFixture encodes theTable with the standard library's CSV writer and x/text's encoders,
// independently of the code under test.
func writeFixture(t *testing.T, path string, enc xencoding.Encoding, bom []byte, d rune) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = d
	w.UseCRLF = true
	if err := w.WriteAll(theTable); err != nil {
		t.Fatal(err)
	}
	data := append(append([]byte{}, bom...), b.Bytes()...)
	if enc != nil {
		var err error
		if data, err = enc.NewEncoder().Bytes(b.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCSVEncodingsAndDelimiters(t *testing.T) {
	dir := filepath.Join("testdata", "encodings")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range fixtureEncodings {
		for _, d := range fixtureDelimiters {
			name := e.name + "-" + d.name + ".csv"
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(dir, name)
				if *update {
					writeFixture(t, path, e.enc, e.bom, d.d)
				}
				got := readCSVFile(t, path, Options{})
				if got.Encoding != e.want {
					t.Errorf("encoding %q, want %q", got.Encoding, e.want)
				}
				if got.Delimiter != d.d {
					t.Errorf("delimiter %q, want %q", got.Delimiter, d.d)
				}
				if !reflect.DeepEqual(got.Header, theTable[0]) {
					t.Errorf("header %q, want %q", got.Header, theTable[0])
				}
				if len(got.Rows) != len(theTable)-1 {
					t.Fatalf("%d rows, want %d: %+v", len(got.Rows), len(theTable)-1, got.Rows)
				}
				for i, r := range got.Rows {
					if !reflect.DeepEqual(r.Cells, theTable[i+1]) || r.Row != theRows[i] || len(r.Problems) > 0 {
						t.Errorf("row %d: got row %d %q %v, want row %d %q", i, r.Row, r.Cells, r.Problems, theRows[i], theTable[i+1])
					}
				}
			})
		}
	}
}

func TestCSVDelimiterOverride(t *testing.T) {
	// Sniffing would choose the comma (two per line); the user says semicolon.
	got := readCSVBytes(t, []byte("a,b;c,d\n1,2;3,4\n"), Options{Delimiter: ';'})
	if got.Delimiter != ';' || !reflect.DeepEqual(got.Header, []string{"a,b", "c,d"}) {
		t.Fatalf("got %q %q", got.Delimiter, got.Header)
	}
	if _, err := OpenCSV(filepath.Join(t.TempDir(), "x.csv"), Options{Delimiter: '§'}); err == nil || !strings.Contains(err.Error(), "delimiter") {
		t.Fatalf("a non-ASCII delimiter: %v", err)
	}
}

func TestCSVLineEnds(t *testing.T) {
	// The same file with each line end spreadsheet programs write: old Mac Excel writes a lone CR.
	const text = "Name,Notes\n\nAmira,\"two\nlines\"\nJo,plain\n\n\nSam,\"three\nshort\nlines\"\nEnd,x"
	want := []readRow{
		// Rows as a spreadsheet program shows them: a blank line is a row, a record over several
		// lines is one.
		{Row: 3, Cells: []string{"Amira", "two\nlines"}},
		{Row: 4, Cells: []string{"Jo", "plain"}},
		{Row: 7, Cells: []string{"Sam", "three\nshort\nlines"}},
		{Row: 8, Cells: []string{"End", "x"}},
	}
	for _, tc := range []struct{ name, eol string }{{"LF", "\n"}, {"CRLF", "\r\n"}, {"CR", "\r"}} {
		for _, final := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/final-newline=%v", tc.name, final), func(t *testing.T) {
				data := strings.ReplaceAll(text, "\n", tc.eol)
				if final {
					data += tc.eol
				}
				got := readCSVBytes(t, []byte(data), Options{})
				if !reflect.DeepEqual(got.Header, []string{"Name", "Notes"}) || got.HeaderRow != 1 {
					t.Fatalf("header %q on row %d", got.Header, got.HeaderRow)
				}
				if !reflect.DeepEqual(got.Rows, want) {
					t.Errorf("got  %+v\nwant %+v", got.Rows, want)
				}
			})
		}
	}
}

func TestCSVBOMAndQuotedHeader(t *testing.T) {
	// A UTF-8 byte-order mark followed by a quoted first header: what Excel's "CSV UTF-8" writes
	// when the header needs quoting. Reading the BOM as part of the cell would break the quote.
	data := "\xEF\xBB\xBF\"First Name\",\"Last, Name\"\r\nJo,Bloggs\r\n"
	got := readCSVBytes(t, []byte(data), Options{})
	if got.Encoding != EncodingUTF8BOM || !reflect.DeepEqual(got.Header, []string{"First Name", "Last, Name"}) {
		t.Fatalf("got %s %q", got.Encoding, got.Header)
	}
	if len(got.Rows) != 1 || got.Rows[0].Row != 2 || len(got.Rows[0].Problems) != 0 {
		t.Fatalf("rows %+v", got.Rows)
	}
}

func TestCSVLeadingBlankLines(t *testing.T) {
	got := readCSVBytes(t, []byte("\n , \n\nName,Email\nJo,jo@x.uk\n"), Options{})
	if got.HeaderRow != 4 || len(got.Rows) != 1 || got.Rows[0].Row != 5 {
		t.Fatalf("header row %d, rows %+v", got.HeaderRow, got.Rows)
	}
}

func TestCSVEmptyFile(t *testing.T) {
	for _, data := range []string{"", "\n\n", "\xEF\xBB\xBF"} {
		got := readCSVBytes(t, []byte(data), Options{})
		if len(got.Header) != 0 || len(got.Rows) != 0 {
			t.Errorf("%q: header %q rows %+v", data, got.Header, got.Rows)
		}
	}
}

// filler returns n valid rows of three cells, starting on line `from`.
func filler(n int, extra string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "row%d,Amélie%s,person%d@example.ac.uk\n", i, extra, i)
	}
	return b.String()
}

func TestCSVBadBytesAfterFirst64KiB(t *testing.T) {
	const header = "Name,Surname,Email\n"
	ascii := func(n int) string { return strings.ReplaceAll(filler(n, ""), "é", "e") }
	tests := []struct {
		name     string
		data     []byte
		enc      string
		badRow   int    // 0: no problem expected
		badCol   string // column of the encoding problem
		wantCell string // the bad row's Surname cell as read
	}{
		{
			// Excel's "CSV (Comma delimited)": pure ASCII until a name with é far into the file.
			// Detecting from a sample would say UTF-8 and garble it; the whole-file scan says 1252.
			name: "cp1252 é only after 64 KiB",
			data: []byte(header + ascii(2000) + "late,Ren\xe9e,r@example.ac.uk\n" + ascii(3)),
			enc:  EncodingWindows1252, wantCell: "Renée",
		},
		{
			name: "UTF-8 with one stray byte after 64 KiB",
			data: []byte(header + filler(2000, "") + "late,Ren\xffe,r@example.ac.uk\n" + filler(3, "")),
			enc:  EncodingUTF8, badRow: 2002, badCol: "Surname", wantCell: "Ren\uFFFDe",
		},
		{
			name: "UTF-8 BOM with a cut sequence after 64 KiB",
			data: []byte("\xEF\xBB\xBF" + header + filler(2000, "") + "late,Ren\xc3e,r@example.ac.uk\n" + filler(3, "")),
			enc:  EncodingUTF8BOM, badRow: 2002, badCol: "Surname", wantCell: "Ren\uFFFDe",
		},
		{
			name: "cp1252 with an undefined byte after 64 KiB",
			data: []byte(header + ascii(2000) + "late,Ren\x81e,r@example.ac.uk\n" + "x,Andr\xe9,a@b.uk\n"),
			enc:  EncodingWindows1252, badRow: 2002, badCol: "Surname", wantCell: "Ren\uFFFDe",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := readCSVBytes(t, tc.data, Options{})
			if got.Encoding != tc.enc {
				t.Fatalf("encoding %s, want %s", got.Encoding, tc.enc)
			}
			found := false
			for _, r := range got.Rows {
				if r.Cells[0] == "late" {
					found = true
					if r.Cells[1] != tc.wantCell {
						t.Errorf("cell %q, want %q", r.Cells[1], tc.wantCell)
					}
					if tc.badRow != 0 && (r.Row != tc.badRow || !reflect.DeepEqual(r.Problems, []string{"encoding@" + tc.badCol})) {
						t.Errorf("row %d problems %v, want row %d encoding@%s", r.Row, r.Problems, tc.badRow, tc.badCol)
					}
				}
				if r.Cells[0] != "late" && len(r.Problems) > 0 {
					t.Errorf("row %d has problems %v", r.Row, r.Problems)
				}
			}
			if !found {
				t.Fatal("the late row was not read")
			}
			if tc.badRow == 0 && len(got.Messages) > 0 {
				t.Errorf("unexpected problems: %q", got.Messages)
			}
		})
	}
}

func TestCSVUTF16Problems(t *testing.T) {
	le := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var data []byte
	data = append(data, 0xFF, 0xFE)
	data = append(data, le("Name,Email\r\n")...)
	for i := 0; i < 3000; i++ {
		data = append(data, le(fmt.Sprintf("Zoë😀%d,z%d@example.ac.uk\r\n", i, i))...)
	}
	data = append(data, le("Lone")...)
	data = append(data, 0x00, 0xD8) // a high surrogate with no low one after it
	data = append(data, le(",x@example.ac.uk\r\nafter,y@example.ac.uk\r\n")...)
	data = append(data, 'z') // an odd byte at the very end

	got := readCSVBytes(t, data, Options{})
	if got.Encoding != EncodingUTF16LE || len(got.Rows) != 3003 {
		t.Fatalf("%s, %d rows", got.Encoding, len(got.Rows))
	}
	for i, r := range got.Rows[:3000] {
		if r.Cells[0] != fmt.Sprintf("Zoë😀%d", i) || r.Row != i+2 || len(r.Problems) > 0 {
			t.Fatalf("row %+v", r)
		}
	}
	lone := got.Rows[3000]
	if lone.Row != 3002 || lone.Cells[0] != "Lone\uFFFD" || !reflect.DeepEqual(lone.Problems, []string{"encoding@Name"}) {
		t.Errorf("lone surrogate row: %+v", lone)
	}
	after := got.Rows[3001]
	if after.Row != 3003 || after.Cells[0] != "after" {
		t.Errorf("row after: %+v", after)
	}
	// The odd byte at the end makes a last line of its own, which is reported, not dropped.
	last := got.Rows[3002]
	if last.Row != 3004 || !reflect.DeepEqual(last.Cells, []string{"\uFFFD"}) || !reflect.DeepEqual(last.Problems, []string{"malformed@", "encoding@Name"}) {
		t.Errorf("odd last byte: %+v", last)
	}
}

func TestCSVUTF16WithoutBOM(t *testing.T) {
	b, _ := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte("Name;Email\nJo;jo@x.uk\n"))
	got := readCSVBytes(t, b, Options{})
	if got.Encoding != EncodingUTF16BE || got.Delimiter != ';' || len(got.Rows) != 1 || got.Rows[0].Cells[1] != "jo@x.uk" {
		t.Fatalf("%+v", got)
	}
}

func TestCSVMalformedRows(t *testing.T) {
	const head = "Name,Email,Notes\n"
	tests := []struct {
		name string
		body string
		want []readRow
	}{
		{
			name: "ragged rows",
			body: "a,a@x.uk,n\nb,b@x.uk\nc,c@x.uk,n,extra\nd,d@x.uk,n\n",
			want: []readRow{
				{2, []string{"a", "a@x.uk", "n"}, nil},
				{3, []string{"b", "b@x.uk"}, []string{"malformed@"}},
				{4, []string{"c", "c@x.uk", "n", "extra"}, []string{"malformed@"}},
				{5, []string{"d", "d@x.uk", "n"}, nil},
			},
		},
		{
			name: "stray quote in the middle of a cell",
			body: "O\"Brien,o@x.uk,n\nd,d@x.uk,n\n",
			want: []readRow{
				{2, []string{"O\"Brien", "o@x.uk", "n"}, []string{"malformed@Name"}},
				{3, []string{"d", "d@x.uk", "n"}, nil},
			},
		},
		{
			name: "text after a closing quote",
			body: "\"Jo\" Ann,j@x.uk,n\nd,d@x.uk,n\n",
			want: []readRow{
				{2, []string{"Jo\" Ann", "j@x.uk", "n"}, []string{"malformed@Name"}},
				{3, []string{"d", "d@x.uk", "n"}, nil},
			},
		},
		{
			name: "unclosed quote with no other quote in the file",
			body: "a,a@x.uk,n\nb,b@x.uk,\"never closed\nc,c@x.uk,n\nd,d@x.uk,n\n",
			want: []readRow{
				{2, []string{"a", "a@x.uk", "n"}, nil},
				{3, []string{"b", "b@x.uk", "never closed"}, []string{"malformed@Notes"}},
				{4, []string{"c", "c@x.uk", "n"}, nil},
				{5, []string{"d", "d@x.uk", "n"}, nil},
			},
		},
		{
			name: "unclosed quote that pairs with a later row's quote",
			body: "b,\"b@x.uk,n\nc,c@x.uk,n\nd,d@x.uk,\"quoted, fine\"\ne,e@x.uk,n\n",
			want: []readRow{
				{2, []string{"b", "b@x.uk,n"}, []string{"malformed@Email"}},
				{3, []string{"c", "c@x.uk", "n"}, nil},
				{4, []string{"d", "d@x.uk", "quoted, fine"}, nil},
				{5, []string{"e", "e@x.uk", "n"}, nil},
			},
		},
		{
			name: "unclosed quote on the last line",
			body: "a,a@x.uk,n\nb,b@x.uk,\"open",
			want: []readRow{
				{2, []string{"a", "a@x.uk", "n"}, nil},
				{3, []string{"b", "b@x.uk", "open"}, []string{"malformed@Notes"}},
			},
		},
		{
			name: "a good multi-line cell is one row",
			body: "a,a@x.uk,\"one\n\ntwo, \"\"three\"\"\"\nb,b@x.uk,n\n",
			want: []readRow{
				{2, []string{"a", "a@x.uk", "one\n\ntwo, \"three\""}, nil},
				{3, []string{"b", "b@x.uk", "n"}, nil},
			},
		},
		{
			name: "multi-line cell making a ragged row is cut back to its line",
			body: "a,a@x.uk,\"one\ntwo\",extra\nb,b@x.uk,n\n",
			want: []readRow{
				{2, []string{"a", "a@x.uk", "one"}, []string{"malformed@Notes"}},
				{3, []string{"two\"", "extra"}, []string{"malformed@", "malformed@Name"}},
				{4, []string{"b", "b@x.uk", "n"}, nil},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := readCSVBytes(t, []byte(head+tc.body), Options{})
			if !reflect.DeepEqual(got.Rows, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got.Rows, tc.want)
			}
			for _, m := range got.Messages {
				if !strings.HasSuffix(m, ".") || len(m) < 40 {
					t.Errorf("message is not a sentence a person can act on: %q", m)
				}
			}
		})
	}
}

func TestCSVUnclosedQuoteInABigFile(t *testing.T) {
	// The broken quote is followed by more than the parser's record limit: the rows after it are
	// still read, one by one, with their own line numbers.
	var b strings.Builder
	b.WriteString("Name,Email,Notes\n")
	b.WriteString("broken,b@x.uk,\"no end\n")
	n := maxRecord/30 + 1000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "r%d,r%d@example.ac.uk,note\n", i, i)
	}
	got := readCSVBytes(t, []byte(b.String()), Options{})
	if len(got.Rows) != n+1 {
		t.Fatalf("%d rows, want %d", len(got.Rows), n+1)
	}
	if got.Rows[0].Row != 2 || !reflect.DeepEqual(got.Rows[0].Problems, []string{"malformed@Notes"}) {
		t.Errorf("broken row: %+v", got.Rows[0])
	}
	for i, r := range got.Rows[1:] {
		if r.Row != i+3 || r.Cells[0] != fmt.Sprintf("r%d", i) || len(r.Problems) > 0 {
			t.Fatalf("row after the broken one: %+v", r)
		}
	}
}

func TestCSVLineTooLong(t *testing.T) {
	long := strings.Repeat("x", maxRecord+maxRecord/2)
	data := "Name,Email\na,a@x.uk\n" + long + "\r\nb,b@x.uk\n"
	got := readCSVBytes(t, []byte(data), Options{})
	want := []readRow{
		{2, []string{"a", "a@x.uk"}, nil},
		{3, []string{}, []string{"malformed@"}},
		{4, []string{"b", "b@x.uk"}, nil},
	}
	if !reflect.DeepEqual(got.Rows, want) {
		t.Fatalf("got %+v", got.Rows)
	}
}

func TestCSVHeaderProblemsAreWarningsOnTheFirstRow(t *testing.T) {
	in := writeTemp(t, "Name,Sur\x81name\nJo,B\n")
	defer in.Close()
	tb, _ := in.NextTable()
	var rec pipeline.Record
	if err := tb.Next(&rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Problems) != 1 {
		t.Fatalf("problems %+v", rec.Problems)
	}
	p := rec.Problems[0]
	if p.Rule != pipeline.RuleEncoding || p.Severity != pipeline.Warning || p.Row != 1 || p.Column != "Sur\uFFFDname" {
		t.Errorf("header problem %+v", p)
	}
}

// TestCSVHeaderProblemsTaken: the runner takes the header row's problems with the table, so they
// reach the report when the file has a header and no data rows; taken, they are not given to the
// first data row again.
func TestCSVHeaderProblemsTaken(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		row    int // the header's row, where the problem is reported
		rule   string
		column string
		rows   int // data rows read after
	}{
		{"bad byte, no data rows", "Name,Sur\x81name\n", 1, pipeline.RuleEncoding, "Sur\uFFFDname", 0},
		{"bad byte, blank lines above, no final newline", "\n\nName,Sur\x81name", 3, pipeline.RuleEncoding, "Sur\uFFFDname", 0},
		{"stray quote, no data rows", "Name,Sur\"name\r\n", 1, pipeline.RuleMalformed, "Sur\"name", 0},
		{"bad byte, data rows", "Name,Sur\x81name\nJo,B\nAl,C\n", 1, pipeline.RuleEncoding, "Sur\uFFFDname", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := writeTemp(t, tc.data)
			defer in.Close()
			tb, err := in.NextTable()
			if err != nil {
				t.Fatal(err)
			}
			hp := tb.(interface{ HeaderProblems() []pipeline.Problem }).HeaderProblems()
			if len(hp) != 1 {
				t.Fatalf("header problems %+v, want one", hp)
			}
			p := hp[0]
			if p.Rule != tc.rule || p.Severity != pipeline.Warning || p.Row != tc.row || p.Row != tb.Source().HeaderRow ||
				p.Column != tc.column || p.Source != tb.Source() || !strings.HasPrefix(p.Message, "In the header row: ") {
				t.Errorf("header problem %+v; want %s on row %d, column %q", p, tc.rule, tc.row, tc.column)
			}
			rows := 0
			for {
				var rec pipeline.Record
				if err := tb.Next(&rec); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				rows++
				if len(rec.Problems) > 0 {
					t.Errorf("row %d carries %+v after the header problems were taken", rec.Row, rec.Problems)
				}
			}
			if rows != tc.rows {
				t.Errorf("%d data rows, want %d", rows, tc.rows)
			}
		})
	}
}

func writeTemp(t *testing.T, data string) pipeline.Input {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenCSV(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		name   string
		sample string
		want   byte
	}{
		{"comma", "a,b,c\n1,2,3\n", ','},
		{"semicolon with decimal commas", "Name;Score;Weight\nJo;1,5;2,25\nAl;3,5;1\n", ';'},
		{"tab with commas in names", "Name\tEmail\n\"Smith, Jo\"\tj@x\nBloggs, Al\ta@x\n", '\t'},
		{"pipe", "a|b|c\n1|2|3\n", '|'},
		{"delimiters inside quotes do not count", "\"a;b;c\",d\n\"1;2;3\",4\n", ','},
		{"a quoted cell over lines", "a;b\n\"x,\ny,z\";2\n", ';'},
		{"header only", "a;b;c", ';'},
		{"one column", "Email\nx@y.uk\n", ','},
		{"empty", "", ','},
		{"consistency beats count", "a,b,c|d|e|f\n1,2,3\n4,5,6\n", ','},
		{"comma in one header, semicolons everywhere", "Name;Address, line 1;Town\nJo;1 High St;Leeds\nAl;2 Low Rd;York\n", ';'},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniffDelimiter([]byte(tc.sample), true); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecoderChunkBoundaries(t *testing.T) {
	// Characters of every length in UTF-8, and pairs in UTF-16, cut at every place a 64 KiB read
	// can cut them: decoding must give back exactly the text.
	var b strings.Builder
	for b.Len() < 300<<10 {
		b.WriteString("aé€😀,")
	}
	text := b.String()
	for _, e := range fixtureEncodings {
		if e.name == "cp1252" {
			continue // cannot hold 😀
		}
		for shift := 0; shift < 4; shift++ {
			src := []byte(strings.Repeat("x", shift) + text)
			if e.enc != nil {
				src, _ = e.enc.NewEncoder().Bytes(src)
				src = src[2:] // the encoder's BOM: the decoder starts after it
			}
			d := newDecoder(bytes.NewReader(src), map[string]encoding{"utf8": encUTF8, "utf8bom": encUTF8BOM, "utf16le": encUTF16LE, "utf16be": encUTF16BE}[e.name])
			out, err := io.ReadAll(d)
			if err != nil || string(out) != strings.Repeat("x", shift)+text || len(d.bad) != 0 {
				t.Fatalf("%s shift %d: err %v, equal %v, bad %v", e.name, shift, err, string(out) == text, d.bad)
			}
		}
	}
}

func TestEncodingDecision(t *testing.T) {
	tests := []struct {
		name string
		data string
		want encoding
	}{
		{"ascii", "a,b\n", encUTF8},
		{"utf8", "Amélie,Zoë\n", encUTF8},
		{"cp1252", "Am\xe9lie,Zo\xeb\n", encWindows1252},
		{"utf8 with one bad byte among many good", "Amélie,Zoë,Jörg,\xff\n", encUTF8},
		{"cp1252 whose bytes happen to pair", "\xc3\xa9 and \xe9 and \xe8\n", encWindows1252},
		{"cut sequence at the very end", "abc\xe2\x82", encWindows1252},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := scanUTF8(context.Background(), strings.NewReader(tc.data), make([]byte, 7)) // a tiny buffer cuts sequences
			if err != nil {
				t.Fatal(err)
			}
			if got := st.decide(); got != tc.want {
				t.Errorf("got %v (stats %+v), want %v", got, st, tc.want)
			}
		})
	}
}

// A read error (not EOF) from the file surfaces as an error, not a silent end.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'a'
		if i%10 == 9 {
			p[i] = '\n'
		}
	}
	f.n -= k
	return k, nil
}

func TestParserReadError(t *testing.T) {
	p := newParser(newDecoder(&failingReader{n: 1 << 20}, encUTF8))
	p.setComma(',')
	var err error
	for err == nil {
		err = p.read(1)
	}
	if err == io.EOF || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v", err)
	}
}

func TestCSVEstimatedRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Email,Notes\n")
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "r%d,r%d@example.ac.uk,some notes here\r\n", i, i)
	}
	in := writeTemp(t, b.String())
	defer in.Close()
	tb, _ := in.NextTable()
	got := tb.(interface{ EstimatedRows() int }).EstimatedRows()
	if got < n*9/10 || got > n*11/10 {
		t.Errorf("estimated %d rows, the file has %d", got, n)
	}
}

// The parallel UTF-8 pass cuts the file where characters start: it must give utf8.Valid's answer
// whatever character (or bad byte) lies across a cut, for every number of parts.
func TestValidUTF8Parallel(t *testing.T) {
	pieces := []string{"a", "é", "€", "😀", "\xe9", "\x80", "\xf0\x9f", "\xed\xa0\x80"}
	for _, piece := range pieces {
		for n := 8; n <= 40; n++ {
			for at := 0; at+len(piece) <= n; at++ {
				b := bytes.Repeat([]byte{'x'}, n)
				copy(b[at:], piece)
				if at+len(piece) < n && len(piece) > 1 && at > 0 {
					copy(b[at-1:], piece) // and once more, overlapping: more cut positions
				}
				want := utf8.Valid(b)
				for parts := 1; parts <= 4; parts++ {
					got, err := validUTF8Parallel(context.Background(), bytes.NewReader(b), int64(len(b)), parts)
					if err != nil || got != want {
						t.Fatalf("%q in %d parts: %v, %v; want %v", b, parts, got, err, want)
					}
				}
			}
		}
	}
}

// Records are copied into shared blocks (csvTable.text): every cell must still read as written
// after all later records were read, across block ends and with records too long for a block;
// and a problem's value must not share a block (a kept problem would keep the block alive).
func TestCSVRecordTextBlocks(t *testing.T) {
	var want [][]string
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	want = append(want, []string{"A", "B", "C"})
	for i := 0; i < 3000; i++ {
		long := strings.Repeat(string(rune('a'+i%26)), (i*37)%200)
		if i%500 == 7 {
			long = strings.Repeat("L", textChunk/4+i) // its own string
		}
		want = append(want, []string{fmt.Sprint(i), long, fmt.Sprintf("row %d", i)})
	}
	if err := w.WriteAll(want); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("x,O\"Brien,z\n") // a stray quote: a problem whose value is the cell
	res := readCSVBytes(t, buf.Bytes(), Options{})
	if len(res.Rows) != len(want) {
		t.Fatalf("read %d rows, want %d", len(res.Rows), len(want))
	}
	for i, row := range res.Rows[:len(want)-1] {
		if !reflect.DeepEqual(row.Cells, want[i+1]) {
			t.Fatalf("row %d reads %q, want %q", row.Row, row.Cells, want[i+1])
		}
	}

	in := writeTemp(t, buf.String())
	defer in.Close()
	tb, _ := in.NextTable()
	var rec pipeline.Record
	for {
		rec.Reset()
		if err := tb.Next(&rec); err != nil {
			t.Fatalf("no row with a problem: %v", err)
		}
		if len(rec.Problems) > 0 {
			p, cell := rec.Problems[0], rec.Cells[1]
			if p.Value != cell {
				t.Fatalf("problem value %q, cell %q", p.Value, cell)
			}
			if unsafe.StringData(p.Value) == unsafe.StringData(cell) {
				t.Fatal("the problem's value shares the record's text block")
			}
			return
		}
	}
}
