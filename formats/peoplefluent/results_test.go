package peoplefluent

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWriteResultsGolden(t *testing.T) {
	rs := []Result{
		{File: "training.csv", Row: 2, Status: StatusOK},
		{File: "training.csv", Row: 3, Status: StatusWarning, Message: "WARNING. Training Venue X does not exist and was not set."},
		{File: "training.csv", Row: 4, Status: StatusFailed, Message: "User ID ghost does not exist."},
		{File: "training.csv", Row: 5, Status: StatusFailed, Message: "=HYPERLINK(\"http://evil\",\"click\")"},
		{File: "training.csv", Row: 6, Status: StatusFailed, Message: "+1, -2, @sum"},
		{File: "-odd name.csv", Row: 7, Status: StatusFailed, Message: "-1"},
		{File: "training.csv", Row: 8, Status: StatusFailed, Message: "\tTab first, and a \"quote\"\nand a second line"},
		{File: "training.csv", Row: 9, Status: StatusFailed, Message: "\rCR first"},
		{File: "courses.xml", Row: 0, Status: StatusOK},
	}
	var buf bytes.Buffer
	if err := WriteResults(&buf, rs); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.golden.csv", buf.Bytes())
	if !bytes.HasPrefix(buf.Bytes(), []byte("file,row,status,message\r\n")) {
		t.Errorf("header line wrong: %q", buf.String()[:30])
	}
}

func TestWriteResultsEmptyHasHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteResults(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "file,row,status,message\r\n" {
		t.Errorf("got %q", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteResultsReportsWriteErrors(t *testing.T) {
	if err := WriteResults(failWriter{}, []Result{{File: "f", Row: 2, Status: StatusOK}}); err == nil {
		t.Error("write error swallowed")
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"ok", "ok"}, {"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@A1", "'@A1"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"a=b", "a=b"}, {"'quoted", "'quoted"},
	}
	for _, tt := range tests {
		if got := safeCell(tt.in); got != tt.want {
			t.Errorf("safeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
