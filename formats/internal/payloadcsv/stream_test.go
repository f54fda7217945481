package payloadcsv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

var streamKind = &pipeline.Kind{Name: "stream-test", Fields: []pipeline.Field{{Name: "ID"}, {Name: "Title Text"}}}

// upper is a transform: ID as is, title upper-cased; a title "boom" fails.
func upper(r *pipeline.Row, rec *row) bool {
	rec.ID = r.Value(0)
	rec.Title = strings.ToUpper(r.Value(1))
	if rec.Title == "BOOM" {
		r.Errorf(1, "test", "cannot be converted")
		return false
	}
	return true
}

// runStream pushes n rows (title "boom" on row failAt) through the real pipeline into a Stream.
func runStream(t *testing.T, n, failAt int, out *bytes.Buffer) (*Stream[row], error) {
	t.Helper()
	var b strings.Builder
	b.WriteString("ID,Title Text\n")
	for i := 0; i < n; i++ {
		title := fmt.Sprintf("t%d", i)
		if i == failAt {
			title = "boom"
		}
		fmt.Fprintf(&b, "%d,%s\n", i, title)
	}
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := read.Open(p, read.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	w, err := NewWriter[row](out, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(w, upper, 3)
	runErr := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: streamKind, Sink: s, Workers: 2, BatchSize: 100})
	if cerr := s.Close(); runErr == nil {
		runErr = cerr
	}
	return s, runErr
}

func TestStreamKeepsOrder(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 5000} {
		var out bytes.Buffer
		s, err := runStream(t, n, -1, &out)
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		var want strings.Builder
		want.WriteString("ID,Title Text,NOTE\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&want, "%d,T%d,\r\n", i, i)
		}
		if out.String() != want.String() {
			t.Errorf("%d rows: payload out of order or incomplete (%d bytes, want %d)", n, out.Len(), want.Len())
		}
		if s.Rows() != int64(n) {
			t.Errorf("Rows = %d, want %d", s.Rows(), n)
		}
	}
}

func TestStreamStopsOnAFailedTransform(t *testing.T) {
	var out bytes.Buffer
	_, err := runStream(t, 3000, 1234, &out)
	if err == nil || !strings.Contains(err.Error(), "row 1236") || !strings.Contains(err.Error(), "bug") {
		t.Fatalf("error = %v, want one naming row 1236 (data row 1234 + header, 1-based)", err)
	}
}

func TestStreamWriteErrorReachesAccept(t *testing.T) {
	w, err := NewWriter[row](&failWriter{after: 200}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(w, func(r *pipeline.Row, rec *row) bool { rec.ID = strings.Repeat("x", 100); return true }, 2)
	src := &pipeline.Source{File: "x.csv", Header: []string{"ID", "Title Text"}}
	m, _, _ := pipeline.MapHeader(streamKind, src, nil)
	var acceptErr error
	for i := 0; i < 100000 && acceptErr == nil; i++ {
		rec := &pipeline.Record{Src: src, Row: i + 2, Cells: []string{"1", "a"}}
		acceptErr = s.Accept(&pipeline.Row{Rec: rec, Map: m})
	}
	closeErr := s.Close()
	if acceptErr == nil || closeErr == nil || !strings.Contains(closeErr.Error(), "disk full") {
		t.Errorf("Accept error %v, Close error %v: want disk full from both", acceptErr, closeErr)
	}
}
