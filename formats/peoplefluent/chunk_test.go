package peoplefluent

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestChunkerRowsAndSplits(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		size     int
		wantRows [][]int // spreadsheet rows per chunk
	}{
		{"plain", "H1,H2\na,1\nb,2\nc,3\n", 2, [][]int{{2, 3}, {4}}},
		{"crlf no final newline", "H1,H2\r\na,1\r\nb,2", 5, [][]int{{2, 3}}},
		{"bom", "\uFEFF\"H1\",H2\na,1\n", 5, [][]int{{2}}},
		{"quoted line breaks stay in one record", "H1,H2\n\"line1\nline2\r\nline3\",1\nb,2\n\"x\",\"y\n\"\nc,3\n", 2, [][]int{{2, 3}, {4, 5}}},
		{"blank lines count as rows a spreadsheet shows", "H1,H2\n\na,1\n\n\nb,2\n", 1, [][]int{{3}, {6}}},
		{"exact multiple", "H\na\nb\n", 2, [][]int{{2, 3}}},
		{"header only", "H1,H2\n", 2, nil},
		{"default size", "H\n" + strings.Repeat("x\n", DefaultChunkRows+1), 0, [][]int{seq(2, DefaultChunkRows+1), {DefaultChunkRows + 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newChunker("f.csv", strings.NewReader(tt.in), tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if c.header[0] != "H1" && c.header[0] != "H" {
				t.Errorf("header %q (BOM not stripped?)", c.header)
			}
			var got [][]int
			for {
				ch, err := c.Next("f.csv")
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ch.index != len(got)+1 {
					t.Errorf("chunk index %d, want %d", ch.index, len(got)+1)
				}
				got = append(got, ch.nums)
			}
			if !equalInts(got, tt.wantRows) {
				t.Errorf("rows %v, want %v", got, tt.wantRows)
			}
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func equalInts(a, b [][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestChunkerErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantLine int
	}{
		{"empty file", "", 1},
		{"bare quote", "H1,H2\na,1\nb\"x,2\n", 3},
		{"unterminated quote", "H1,H2\na,1\n\"open,2\nc,3\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newChunker("f.csv", strings.NewReader(tt.in), 10)
			if err == nil {
				_, err = c.Next("f.csv")
			}
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *PayloadError", err)
			}
			if pe.Line != tt.wantLine || !strings.Contains(pe.Error(), "f.csv: line") {
				t.Errorf("error %q at line %d, want line %d", pe, pe.Line, tt.wantLine)
			}
		})
	}
}

func TestEncodeChunk(t *testing.T) {
	var buf bytes.Buffer
	header := []string{"USERID", "LOTITLE", "Training Venue"}
	rows := [][]string{{"jsmith", "Line one\nline two", "LON-01"}, {"adoe", `Say "hi", then go`, " lead"}}
	if err := encodeChunk(&buf, header, rows); err != nil {
		t.Fatal(err)
	}
	want := "USERID,LOTITLE,Training Venue\r\njsmith,\"Line one\r\nline two\",LON-01\r\nadoe,\"Say \"\"hi\"\", then go\",\" lead\"\r\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
	// Round trip: what the LMS reads back is what was read from the file.
	c, err := newChunker("x", bytes.NewReader(buf.Bytes()), 10)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Next("x")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for j := range rows[i] {
			if ch.rows[i][j] != rows[i][j] {
				t.Errorf("cell %d,%d = %q, want %q", i, j, ch.rows[i][j], rows[i][j])
			}
		}
	}
}
