package payloadcsv

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

type row struct {
	ID    string `csv:"ID"`
	Title string `csv:"Title Text"`
	Note  string `csv:"NOTE,omitempty"`
	skip  string //nolint:unused // unexported: gocsv ignores it, so must we
}

func TestTagAndHeader(t *testing.T) {
	if got := Tag[row]("Title"); got != "Title Text" {
		t.Errorf("Tag = %q", got)
	}
	if got := Tag[row]("Note"); got != "NOTE" {
		t.Errorf("Tag with options = %q", got)
	}
	hdr, err := Header[row]()
	if err != nil || !slices.Equal(hdr, []string{"ID", "Title Text", "NOTE"}) {
		t.Errorf("Header = %q, %v", hdr, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Tag of a missing field did not panic")
		}
	}()
	Tag[row]("Missing")
}

func TestWriterProjectsAndBatches(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 9} { // around the batch size of 4
		for _, gocsv := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d gocsv=%v", n, gocsv), func(t *testing.T) { testWriter(t, n, Options{Gocsv: gocsv, Batch: 4}) })
		}
	}
}

func testWriter(t *testing.T, n int, o Options) {
	{
		{
			var buf bytes.Buffer
			w, err := NewWriter[row](&buf, func(h string) bool { return h != "Title Text" }, o)
			if err != nil {
				t.Fatal(err)
			}
			want := "ID,NOTE\r\n"
			for i := 0; i < n; i++ {
				r := w.Next()
				r.ID = fmt.Sprint(i)
				r.Title = "dropped"
				if i%2 == 0 {
					r.Note = "a,\"b\"\nc"
					want += fmt.Sprintf("%d,\"a,\"\"b\"\"\r\nc\"\r\n", i)
				} else {
					want += fmt.Sprintf("%d,\r\n", i)
				}
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != want {
				t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
			}
			if w.Rows() != int64(n) {
				t.Errorf("Rows = %d", w.Rows())
			}
		}
	}
}

func TestNextZeroesTheSlot(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter[row](&buf, nil, Options{Gocsv: true, Batch: 2})
	r := w.Next()
	r.ID, r.Note = "1", "kept?"
	// Not committed: the slot is reused and must not leak the old note.
	r = w.Next()
	r.ID = "2"
	w.Commit()
	w.Close()
	if got := buf.String(); got != "ID,Title Text,NOTE\r\n2,,\r\n" {
		t.Errorf("got %q", got)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrorStops(t *testing.T) {
	for _, gocsv := range []bool{false, true} {
		testWriteError(t, Options{Gocsv: gocsv, Batch: 2})
	}
}

func testWriteError(t *testing.T, o Options) {
	w, err := NewWriter[row](&failWriter{after: 100}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 100000 && werr == nil; i++ {
		r := w.Next()
		r.ID = strings.Repeat("x", 100)
		werr = w.Commit()
	}
	if werr == nil {
		werr = w.Close()
	}
	if werr == nil || !strings.Contains(werr.Error(), "disk full") {
		t.Fatalf("error = %v, want disk full", werr)
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after a failure succeeded")
	}
}

func TestKeepNothingIsAnError(t *testing.T) {
	if _, err := NewWriter[row](&bytes.Buffer{}, func(string) bool { return false }, Options{}); err == nil {
		t.Error("no error")
	}
}

type notStrings struct {
	ID    string `csv:"ID"`
	Count int    `csv:"Count"`
}

func TestDirectNeedsStrings(t *testing.T) {
	if _, err := NewWriter[notStrings](&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("the direct encoder took a non-string field")
	}
	if _, err := NewWriter[notStrings](&bytes.Buffer{}, nil, Options{Gocsv: true}); err != nil {
		t.Errorf("gocsv mode: %v", err)
	}
}
