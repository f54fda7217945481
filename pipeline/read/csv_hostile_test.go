package read

import (
	"context"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bulkload/bulk/pipeline"
)

// Hostile CSV files: a quote left open above millions of lines, cells and rows wider than any
// spreadsheet. Each must end as problems on the rows where they start, in time and memory that
// do not grow with what follows.

func TestCSVQuotedCellBounds(t *testing.T) {
	longLines := func(lines, width int) string { // text for a quoted cell: lines of width chars
		line := strings.Repeat("y", width-1) + "\n"
		return strings.Repeat(line, lines)
	}
	tests := []struct {
		name string
		data string
		want []readRow
		msg  string // in the first problem's message
	}{
		{
			name: "open quote, then more than 32,767 characters of lines",
			data: "Name,Notes\na,\"open\n" + longLines(400, 100) + "b,fine\n",
			want: append([]readRow{{2, []string{"a", "open"}, []string{"malformed@Notes"}}},
				lineRows(3, 400, []string{strings.Repeat("y", 99)}, []string{"malformed@"})...),
			msg: "more than 32767 characters",
		},
		{
			name: "open quote, then more than 1,000 short lines",
			data: "Name,Notes\na,\"open\n" + strings.Repeat("x,y\n", 1200) + "b,fine\n",
			want: append([]readRow{{2, []string{"a", "open"}, []string{"malformed@Notes"}}},
				lineRows(3, 1200, []string{"x", "y"}, nil)...),
			msg: "1000 lines",
		},
		{
			name: "a quoted cell of 999 lines is a cell",
			data: "Name,Notes\na,\"" + strings.Repeat("z\n", 998) + "z\"\nb,fine\n",
			want: []readRow{{2, []string{"a", strings.Repeat("z\n", 998) + "z"}, nil}},
		},
		{
			name: "multi-byte characters count as one: 32,000 of them over lines is a cell",
			data: "Name,Notes\na,\"" + strings.Repeat(strings.Repeat("é", 79)+"\n", 400) + "\"\nb,fine\n",
			want: []readRow{{2, []string{"a", strings.Repeat(strings.Repeat("é", 79)+"\n", 400)}, nil}},
		},
		{
			name: "a closed cell longer than a spreadsheet's is kept, and reported",
			data: "Name,Notes\na,\"" + strings.Repeat("w", 40000) + "\"\nb,fine\n",
			want: []readRow{{2, []string{"a", strings.Repeat("w", 40000)}, []string{"malformed@Notes"}}},
			msg:  "40000 characters long, more than the 32767",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := readCSVBytes(t, []byte(tc.data), Options{Delimiter: ','})
			// "b,fine" is the row after the last one wanted (rows as a spreadsheet shows them).
			want := append(tc.want, readRow{tc.want[len(tc.want)-1].Row + 1, []string{"b", "fine"}, nil})
			if len(got.Rows) != len(want) {
				t.Fatalf("%d rows, want %d; first %+v", len(got.Rows), len(want), got.Rows[0])
			}
			for i := range want {
				if !reflect.DeepEqual(got.Rows[i], want[i]) {
					t.Fatalf("row %d:\n got %.300v\nwant %.300v", i, got.Rows[i], want[i])
				}
			}
			if tc.msg != "" && !strings.Contains(got.Messages[0], tc.msg) {
				t.Errorf("message %q does not say %q", got.Messages[0], tc.msg)
			}
		})
	}
}

// lineRows is n rows from line first on, each with the same cells and problems.
func lineRows(first, n int, cells, problems []string) []readRow {
	var rs []readRow
	for i := range n {
		rs = append(rs, readRow{first + i, cells, problems})
	}
	return rs
}

func TestCSVTooManyColumns(t *testing.T) {
	wide := strings.TrimSuffix(strings.Repeat("c,", csvMaxColumns+100), ",")
	data := wide + "\n" + wide + "\na,b\n"
	in := writeTemp(t, data)
	defer in.Close()
	tb, err := in.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tb.Source().Header); n != csvMaxColumns {
		t.Errorf("header of %d columns, want %d (the cells after XFD are not kept)", n, csvMaxColumns)
	}
	hp := tb.(*csvTable).HeaderProblems()
	if len(hp) != 1 || hp[0].Severity != pipeline.Warning || !strings.Contains(hp[0].Message, "16484 cells, more than the 16384 columns") {
		t.Errorf("header problems %+v", hp)
	}
	var rec pipeline.Record
	if err := tb.Next(&rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Cells) != csvMaxColumns || len(rec.Problems) != 1 || rec.Problems[0].Severity != pipeline.Error {
		t.Errorf("wide row: %d cells, problems %+v", len(rec.Cells), rec.Problems)
	}
	rec.Reset()
	if err := tb.Next(&rec); err != nil {
		t.Fatal(err)
	}
	// A row as wide as it should be is still one with too few cells for this header.
	if rec.Row != 3 || len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0].Message, "has 2 cells but the header has 16384") {
		t.Errorf("narrow row: %+v", rec.Problems)
	}
}

// hostileFile is a CSV of size bytes made on the fly: a header, a row that opens a quote it never
// closes, then the same valid row again and again. It is an io.ReadSeeker, so OpenCSV reads it
// as a file, without the test holding or writing its bytes.
type hostileFile struct {
	head, line string
	size, off  int64
}

func (h *hostileFile) byteAt(i int64) byte {
	if i < int64(len(h.head)) {
		return h.head[i]
	}
	i -= int64(len(h.head))
	return h.line[i%int64(len(h.line))]
}

func (h *hostileFile) Read(p []byte) (int, error) {
	if h.off >= h.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), h.size-h.off))
	for i := range n {
		p[i] = h.byteAt(h.off + int64(i))
	}
	h.off += int64(n)
	return n, nil
}

func (h *hostileFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		h.off = off
	case io.SeekCurrent:
		h.off += off
	case io.SeekEnd:
		h.off = h.size + off
	}
	return h.off, nil
}

// TestCSVUnclosedQuoteBoundedMemory reads 64 MB that follow an unclosed quote, as the attack did
// with 50 MB: the quote is reported on its row, every row after it is read, and the reader's
// live memory stays under a few MiB the whole time.
func TestCSVUnclosedQuoteBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MB")
	}
	for _, line := range []string{
		"2,Bob,bob@example.com,Learner\n", // no quote: the open cell runs past 32,767 characters
		"3,Cy,\"\",Learner\n",             // "" only: an escaped quote to the open cell, which runs on
	} {
		t.Run(strings.TrimSpace(line), func(t *testing.T) {
			size := int64(64 << 20)
			if raceOn {
				size = 8 << 20 // the bound is the same; the race detector's slowness is not
			}
			h := &hostileFile{head: "MISID,Name,Email,Role\n1,\"Ann,ann@example.com,Learner\n", line: line, size: size}
			tb, err := openCSV(h, "hostile.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapAlloc, uint64(0)
			start := time.Now()
			var rec pipeline.Record
			rows, first := 0, pipeline.Record{}
			for {
				rec.Reset()
				err := tb.Next(&rec)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rows == 0 {
					first = pipeline.Record{Row: rec.Row, Problems: append([]pipeline.Problem(nil), rec.Problems...)}
				} else if len(rec.Problems) > 0 && rec.Row < int(h.size)/len(line) {
					t.Fatalf("row %d after the broken one has problems: %+v", rec.Row, rec.Problems)
				}
				rows++
				if rows%20000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
				}
				if time.Since(start) > 60*time.Second {
					t.Fatalf("still reading after 60 s, at row %d", rec.Row)
				}
			}
			if first.Row != 2 || len(first.Problems) != 1 || first.Problems[0].Rule != pipeline.RuleMalformed || first.Problems[0].Column != "Name" {
				t.Errorf("the broken row: %+v", first)
			}
			if want := int(h.size-int64(len(h.head)))/len(line) + 1; rows < want-1 || rows > want+1 {
				t.Errorf("%d rows read, want about %d: the rows after the broken one are lost", rows, want)
			}
			t.Logf("%d rows in %v, peak live heap %.1f MiB", rows, time.Since(start), float64(peak)/(1<<20))
			if peak > 8<<20 {
				t.Errorf("live heap reached %.1f MiB reading a 64 MB file: memory grows with the file", float64(peak)/(1<<20))
			}
		})
	}
}

// TestCSVStopsWhenCancelled: a cancelled context stops the whole-file encoding pass and the
// reading of rows, with the context's error, before the end of a big file.
func TestCSVStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := &hostileFile{head: "a,b\n", line: "1,2\n", size: 32 << 20}
	if _, err := openCSV(h, "big.csv", Options{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Fatalf("open with a cancelled context: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	h = &hostileFile{head: "a,b\n", line: "1,2\n", size: 32 << 20}
	tb, err := openCSV(h, "big.csv", Options{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	var rec pipeline.Record
	rows := 0
	for {
		rec.Reset()
		err = tb.Next(&rec)
		if err != nil {
			break
		}
		if rows++; rows == 1000 {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("reading on after cancel ended with %v", err)
	}
	if rows > 1000+2*maxRecord/4 {
		t.Errorf("%d rows read after the cancel, more than a buffer holds", rows-1000)
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", 150)
	if got := preview(long); utf8.RuneCountInString(got) != 101 || !strings.HasSuffix(got, "…") {
		t.Errorf("preview of 150 characters: %q", got)
	}
	if got := preview("short"); got != "short" {
		t.Errorf("preview(short) = %q", got)
	}
}
