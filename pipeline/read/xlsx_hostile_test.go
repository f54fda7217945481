package read

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read/hostile"
)

// hostileBudget is what reading any hostile workbook may allocate in all. Each case claims
// gigabytes (a row number of 10^12, a 256 MiB cell, a 64 MiB shared string); the reader's own
// buffers are the token limit (8 MiB, doubled as encoding/xml's buffer grows) and a cell's
// worth of text.
const hostileBudget = 64 << 20

// hostileTimeout bounds each read: all of them take well under a second when bounded.
const hostileTimeout = 60 * time.Second

// readAll reads every table and row of path, returning the rows' problems and the first error.
func readAll(path string, o Options) ([]pipeline.Problem, int, error) {
	in, err := OpenXLSX(path, o)
	if err != nil {
		return nil, 0, err
	}
	defer in.Close()
	var ps []pipeline.Problem
	rows := 0
	for {
		tb, err := in.NextTable()
		if err == io.EOF {
			return ps, rows, nil
		}
		if err != nil {
			return ps, rows, err
		}
		if h, ok := tb.(interface{ HeaderProblems() []pipeline.Problem }); ok {
			ps = append(ps, h.HeaderProblems()...)
		}
		var rec pipeline.Record
		for {
			rec.Reset()
			err := tb.Next(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				return ps, rows, err
			}
			rows++
			ps = append(ps, rec.Problems...)
		}
	}
}

// bounded runs f under a soft memory limit and a deadline, and returns what it allocated.
func bounded(t *testing.T, f func()) uint64 {
	t.Helper()
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(hostileTimeout):
		t.Fatalf("still reading after %v", hostileTimeout)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileWorkbooks: every hostile workbook ends in an error that says what is wrong, or in
// rows with the problem named, and reading it allocates a bounded amount whatever it claims.
func TestHostileWorkbooks(t *testing.T) {
	dir := t.TempDir()
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			path := filepath.Join(dir, c.Name+".xlsx")
			if err := c.Write(path); err != nil {
				t.Fatal(err)
			}
			var (
				ps   []pipeline.Problem
				rows int
				err  error
			)
			alloc := bounded(t, func() { ps, rows, err = readAll(path, Options{}) })
			t.Logf("%s: allocated %.1f MiB, %d rows, err %v", c.Name, float64(alloc)/(1<<20), rows, err)
			if alloc > hostileBudget {
				t.Errorf("allocated %.0f MiB, over the budget of %d MiB", float64(alloc)/(1<<20), hostileBudget>>20)
			}
			switch c.Outcome {
			case hostile.Refused:
				if err == nil || !strings.Contains(err.Error(), c.Says) {
					t.Fatalf("err = %v, want one that says %q", err, c.Says)
				}
			case hostile.Rejected:
				if err != nil {
					t.Fatalf("err = %v, want the rows read and the bad one reported", err)
				}
				found := false
				for _, p := range ps {
					if p.Rule == c.Rule && p.Severity == pipeline.Error && strings.Contains(p.Message, c.Says) {
						found = true
						if p.Row < 2 || p.Row > MaxRows {
							t.Errorf("problem on row %d", p.Row)
						}
						if len(p.Value) > 1000 {
							t.Errorf("the problem carries %d bytes of the value", len(p.Value))
						}
					}
				}
				if !found {
					t.Fatalf("no %s error saying %q among %+v", c.Rule, c.Says, ps)
				}
			}
		})
	}
}

// TestHugeRowNumbered: a row numbered past the last is read as the row after the one before it,
// and a cell past XFD is left out of the row, which keeps its other cells.
func TestHugeRowNumbered(t *testing.T) {
	dir := t.TempDir()
	for _, c := range hostile.Cases() {
		if c.Name != "huge-row-number" && c.Name != "huge-column" {
			continue
		}
		path := filepath.Join(dir, c.Name+".xlsx")
		if err := c.Write(path); err != nil {
			t.Fatal(err)
		}
		in, err := OpenXLSX(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tb, err := in.NextTable()
		if err != nil {
			t.Fatal(err)
		}
		var got []pipeline.Record
		for {
			var rec pipeline.Record
			if err := tb.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			got = append(got, rec)
		}
		in.Close()
		if len(got) != 2 || got[1].Row != 3 {
			t.Fatalf("%s: rows %+v", c.Name, got)
		}
		if c.Name == "huge-row-number" && (len(got[1].Cells) != 2 || got[1].Cells[1] != "Ben") {
			t.Errorf("huge-row-number: the row's cells are %q", got[1].Cells)
		}
		if c.Name == "huge-column" {
			if n := len(got[1].Cells); n != MaxColumns || got[1].Cells[MaxColumns-1] != "at XFD" {
				t.Errorf("huge-column: %d cells, want the one at XFD kept and none after", n)
			}
			if n := len(got[1].Problems); n != 3 { // XFE3 and ZZZ...3 out of range, XFD3 without a header
				t.Errorf("huge-column: %d problems: %+v", n, got[1].Problems)
			}
		}
	}
}

// TestPartLimits: a part whose zip entry says it expands past the limit, or past the ratio, is
// refused before a byte of it is read; --max-part-size (MaxPartSize) raises the limit and lifts
// the ratio; an entry that expands past the size it declares is an error.
func TestPartLimits(t *testing.T) {
	dir := t.TempDir()
	body := `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>Name</t></is></c></row>` +
		strings.Repeat(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`, 60000) + `</sheetData></worksheet>`
	path := filepath.Join(dir, "big.xlsx")
	writeSheetPkg(t, path, body, nil)
	for _, tc := range []struct {
		name string
		o    Options
		want string // "" to read it whole
	}{
		{"defaults", Options{}, ""},
		{"small limit", Options{MaxPartSize: 1 << 20}, "over the limit of 1.0 MB"},
		{"low ratio", Options{MaxRatio: 50}, "looks like a zip bomb"},
		{"raised", Options{MaxPartSize: 4 << 20, MaxRatio: 50}, "looks like a zip bomb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rows, err := readAll(path, tc.o)
			switch {
			case tc.want == "" && (err != nil || rows != 60000):
				t.Fatalf("read %d rows, err %v", rows, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var le *LimitError
			if tc.want != "" && !errors.As(err, &le) {
				t.Errorf("%v is not a LimitError", err)
			}
		})
	}
	var o Options
	PartSize(4 << 20).Apply(&o)
	if _, rows, err := readAll(path, Options{MaxPartSize: o.MaxPartSize, MaxRatio: o.MaxRatio}); err != nil || rows != 60000 || o.MaxRatio >= 0 {
		t.Errorf("--max-part-size 4MiB: %d rows, err %v (ratio %d)", rows, err, o.MaxRatio)
	}

	// A zip entry that declares 100 bytes and holds more: archive/zip stops it.
	liar := filepath.Join(dir, "liar.xlsx")
	writeSheetPkg(t, liar, body, func(fh *zip.FileHeader) { fh.UncompressedSize64 = 100 })
	if _, _, err := readAll(liar, Options{}); err == nil {
		t.Error("an entry larger than it declares was read")
	}
}

// writeSheetPkg writes a one-sheet package whose sheet part is body; lie, when given, edits the
// sheet entry's header after its data is compressed.
func writeSheetPkg(t *testing.T, path, body string, lie func(*zip.FileHeader)) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []struct{ name, body string }{
		{"xl/workbook.xml", `<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	} {
		w, _ := zw.Create(p.name)
		io.WriteString(w, p.body)
	}
	if lie == nil {
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		io.WriteString(w, body)
	} else {
		// Compress the body with a throwaway writer, then write it raw under a false header.
		var tmp bytes.Buffer
		tw := zip.NewWriter(&tmp)
		w, _ := tw.Create("x")
		io.WriteString(w, body)
		tw.Close()
		zr, err := zip.NewReader(bytes.NewReader(tmp.Bytes()), int64(tmp.Len()))
		if err != nil {
			t.Fatal(err)
		}
		fh := zr.File[0].FileHeader
		fh.Name = "xl/worksheets/sheet1.xml"
		lie(&fh)
		raw, err := zr.File[0].OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		rw, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(rw, raw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTokenGuard: long text is cut at a character and entity boundary, so what the decoder
// sees is still well-formed UTF-8 XML whatever the reads' sizes; a long tag is an error.
func TestTokenGuard(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int64
		want     string // "" for an error
	}{
		{"short text passes", `<a>hello</a>`, 8, `<a>hello</a>`},
		{"long text cut", `<a>abcdefghij</a><b>xy</b>`, 4, `<a>abcd</a><b>xy</b>`},
		{"cut ends the character", `<a>abcé€x</a>`, 4, `<a>abcé</a>`},
		{"cut ends the entity", `<a>ab&amp;cdef</a>`, 4, `<a>ab&amp;</a>`},
		{"comment with markup", `<a><!-- <b> --></a>`, 16, `<a><!-- <b> --></a>`},
		{"cdata", `<a><![CDATA[<x>]]></a>`, 16, `<a><![CDATA[<x>]]></a>`},
		{"long tag", `<a b="0123456789"/>`, 8, ""},
		{"long comment", `<a><!-- <b> <c> <d> --></a>`, 8, ""},
	} {
		for _, step := range []int{1, 2, 3, 7, 1 << 10} {
			g := &tokenGuard{r: &stepReader{s: tc.in, n: step}, name: "p", max: tc.max, left: 1 << 20}
			got, err := io.ReadAll(g)
			if tc.want == "" {
				if err == nil {
					t.Errorf("%s (reads of %d): %q, want an error", tc.name, step, got)
				}
				continue
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("%s (reads of %d): %q, %v; want %q", tc.name, step, got, err, tc.want)
			}
		}
	}
}

type stepReader struct {
	s string
	n int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1073741824", 1 << 30}, {"4GiB", 4 << 30}, {"4g", 4 << 30}, {"1500MB", 1500e6}, {"1.5 GiB", 3 << 29}, {"512K", 512 << 10},
		{"", 0}, {"-1G", 0}, {"lots", 0}, {"4PB", 0},
	} {
		got, err := ParseSize(tc.in)
		if got != tc.want || (err == nil) != (tc.want != 0) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestTokenGuardChunking: the guard's output does not depend on how the part's bytes arrive
// (its fast path takes whole reads, its slow path steps through markup), and past a cut what
// reaches the decoder is still well-formed: the same text cut at the same place.
func TestTokenGuardChunking(t *testing.T) {
	pieces := []string{`<c r="A1">`, `</c>`, `<v>`, `</v>`, `<!-- a <b> -->`, `<?pi x?>`, `<![CDATA[<x>]]>`,
		`&amp;`, `&#x10FFFF;`, `é`, `€`, `text`, strings.Repeat("x", 90), `<t xml:space="preserve">`, `</t>`}
	seed := uint32(7)
	next := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(n))
	}
	for trial := 0; trial < 300; trial++ {
		var b strings.Builder
		for i := 0; i < 40+next(200); i++ {
			b.WriteString(pieces[next(len(pieces))])
		}
		in := b.String()
		var want string
		var wantErr bool
		for k, step := range []int{1, 2, 5, 64, 333, 1 << 16} {
			g := &tokenGuard{r: &stepReader{s: in, n: step}, name: "p", max: 128, left: 1 << 20}
			got, err := io.ReadAll(g)
			if k == 0 {
				want, wantErr = string(got), err != nil
				continue
			}
			if (err != nil) != wantErr || (err == nil && string(got) != want) {
				t.Fatalf("input %q:\nreads of %d: %q, %v\nreads of 1: %q, error %v", in, step, got, err, want, wantErr)
			}
		}
	}
}
