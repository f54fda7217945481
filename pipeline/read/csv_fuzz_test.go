package read

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
)

type fuzzRecord struct {
	row   int
	cells []string
	rules []string
}

// readAllBytes reads a CSV held in memory through the same code as OpenCSV.
func readAllBytes(t *testing.T, data []byte, o Options) (*pipeline.Source, []fuzzRecord) {
	t.Helper()
	tb, err := openCSV(bytes.NewReader(data), "fuzz.csv", o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var out []fuzzRecord
	var rec pipeline.Record
	for {
		rec.Reset()
		err := tb.Next(&rec)
		if errors.Is(err, io.EOF) {
			return tb.src, out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		r := fuzzRecord{row: rec.Row, cells: append([]string{}, rec.Cells...)}
		for _, p := range rec.Problems {
			r.rules = append(r.rules, p.Rule)
			if p.Rule != pipeline.RuleMalformed && p.Rule != pipeline.RuleEncoding {
				t.Fatalf("reader raised rule %q", p.Rule)
			}
			if p.Message == "" {
				t.Fatal("a problem without a message")
			}
		}
		out = append(out, r)
	}
}

// FuzzCSVRead checks that any bytes are read without a panic or an error, that row numbers
// only go forward and stay within the file, and that whatever encoding/csv reads cleanly (valid
// UTF-8 with commas and LF line ends, every row as wide as the header) bulk reads identically,
// with the same line numbers and no problems.
func FuzzCSVRead(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n",
		"a;b\r\n\"x;\r\ny\";2\r\n",
		"\xEF\xBB\xBF\"a\",\"b\"\n1,2",
		"a,b\n\"open,1\n2,3\n",
		"a,b\n\"x\"y,1\nz\"w,2\n",
		"a\tb\rc\td\r",
		"\xFF\xFEa\x00,\x00b\x00\n\x001\x00,\x00\x00\xD8\n\x00",
		"n,m\nRen\xe9e,\x81\n",
		"a,b\n\n\n,\n  , \nx,y",
		"a|b|c\n\"\"\"\",\"\",|\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 1 + bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'})
		for _, o := range []Options{{}, {Delimiter: ','}} {
			src, recs := readAllBytes(t, data, o)
			last := src.HeaderRow
			for _, r := range recs {
				if r.row <= last || r.row > lines {
					t.Fatalf("row %d after %d (file has at most %d lines)", r.row, last, lines)
				}
				last = r.row
			}
		}
		if !utf8.Valid(data) || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
			return
		}
		if _, guessed := utf16Guess(data); guessed {
			return
		}
		want, ok := stdlibRead(data)
		if !ok {
			return
		}
		src, got := readAllBytes(t, data, Options{Delimiter: ','})
		if len(want) == 0 {
			if len(src.Header) != 0 || len(got) != 0 {
				t.Fatalf("encoding/csv read nothing; bulk read header %q and %d rows", src.Header, len(got))
			}
			return
		}
		if !reflect.DeepEqual(src.Header, want[0].cells) || src.HeaderRow != want[0].row {
			t.Fatalf("header %q on row %d, encoding/csv %q on row %d", src.Header, src.HeaderRow, want[0].cells, want[0].row)
		}
		if !reflect.DeepEqual(got, want[1:]) && !(len(got) == 0 && len(want) == 1) {
			t.Fatalf("bulk read\n%+v\nencoding/csv read\n%+v", got, want[1:])
		}
	})
}

// stdlibRead reads data with encoding/csv and keeps the records that are not blank. It says no
// when encoding/csv finds an error or a row is not as wide as the header (where bulk re-reads
// multi-line rows line by line, on purpose).
func stdlibRead(data []byte) ([]fuzzRecord, bool) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var out []fuzzRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		blank := true
		for _, c := range rec {
			if strings.TrimSpace(c) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if len(out) > 0 && len(rec) != len(out[0].cells) || len(rec) > csvMaxColumns {
			return nil, false
		}
		for _, c := range rec {
			// Past a spreadsheet cell's bounds bulk reports the cell (or, for a quoted cell
			// over lines, its first line): it differs from encoding/csv there on purpose.
			if utf8.RuneCountInString(c) > csvMaxCell || strings.Count(c, "\n") >= csvMaxCellLines {
				return nil, false
			}
		}
		line, _ := r.FieldPos(0)
		out = append(out, fuzzRecord{row: line, cells: rec})
	}
}

// FuzzCSVMemory checks that what reading a CSV allocates is bounded by its size: a fixed part
// (the parser's buffers), a part per line (a row's cells and its problems' messages) and a part
// per byte. A reader that allocated by what a file claims (a row number, a width) or that
// re-read its input over and over would break the bound. Kept inputs are in testdata/fuzz.
func FuzzCSVMemory(f *testing.F) {
	for _, s := range []string{
		"a,b\n\"open\n" + strings.Repeat("x,y\n", 300),
		"a,b\n\"" + strings.Repeat("\"\"", 500) + "\n1,2\n",
		"a\n" + strings.Repeat(",", 2000) + "\n",
		"a,b\n" + strings.Repeat("\"\n", 500),
		"\xFF\xFEa\x00\n\x00\"\x00",
		"n,m\nRen\xe9e,\"\x81\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 1 + bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'})
		limit := uint64(4<<20 + 4<<10*lines + 16*len(data))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tb, err := openCSV(bytes.NewReader(data), "fuzz.csv", Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		var rec pipeline.Record
		for {
			rec.Reset()
			if err := tb.Next(&rec); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("Next: %v", err)
			}
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Fatalf("reading %d bytes (%d lines) allocated %d bytes, more than %d", len(data), lines, got, limit)
		}
	})
}
