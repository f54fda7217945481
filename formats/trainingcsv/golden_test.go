package trainingcsv

import (
	"bytes"
	"encoding/csv"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/internal/kindtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenSample exports the sample a data officer would start from: its valid rows become the
// golden payload, its deliberate mistakes the golden list of problems.
func TestGoldenSample(t *testing.T) {
	sample := filepath.Join("..", "..", "samples", "peoplefluent", "training-history.csv")
	var buf bytes.Buffer
	w, err := NewWriter(&buf, kindtest.Present(t, Kind, sample), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := kindtest.Run(t, Kind, w, sample)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	kindtest.Golden(t, "testdata/training-history.payload.csv", buf.Bytes(), *update)
	kindtest.Golden(t, "testdata/training-history.problems.txt", []byte(res.Lines()), *update)

	// The other writers (gocsv, transform on the pipeline's goroutine) write the same bytes.
	for _, o := range []Options{{Gocsv: true}, {Sequential: true}} {
		var other bytes.Buffer
		ow, err := NewWriter(&other, kindtest.Present(t, Kind, sample), o)
		if err != nil {
			t.Fatal(err)
		}
		kindtest.Run(t, Kind, ow, sample)
		if err := ow.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(other.Bytes(), buf.Bytes()) {
			t.Errorf("writer %+v differs from the default:\n%s", o, other.Bytes())
		}
	}

	// Whatever the golden files say, the counts must add up: every row is in the payload or
	// rejected, never both.
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("the payload is not CSV: %v", err)
	}
	if got := int64(len(recs) - 1); got != w.Rows() || int(got)+len(res.Rejected) != res.Rows {
		t.Errorf("payload rows %d (writer says %d) + rejected %d != rows read %d", got, w.Rows(), len(res.Rejected), res.Rows)
	}
	if len(res.Rejected) == 0 || w.Rows() == 0 {
		t.Errorf("the sample should have both valid rows and deliberate mistakes: %d valid, %d rejected", w.Rows(), len(res.Rejected))
	}
}

// TestPayloadFormat pins what the LMS's CSV reader needs: no BOM, CRLF, RFC-4180 quoting, the
// vendor's headers in the vendor's order, only the columns the input has.
func TestPayloadFormat(t *testing.T) {
	dir := t.TempDir()
	in := kindtest.CSV(t, dir, "in.csv",
		`Session Title,User ID,Learning ID,Start Date`,
		`"Intake, ""autumn""",JSmith,HS-101,05/09/2026 09:00`,
		`   line one,ajones,HS-101,06/09/2026`,
	)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, kindtest.Present(t, Kind, in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := kindtest.Run(t, Kind, w, in)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 0 {
		t.Fatalf("rejected:\n%s", res.Lines())
	}
	want := "USERID,LEARNINGID,STARTDATE,SESSIONTITLE\r\n" +
		"jsmith,HS-101,05-09-2026 09:00,\"Intake, \"\"autumn\"\"\"\r\n" +
		"ajones,HS-101,06-09-2026 00:00,line one\r\n"
	if got := buf.String(); got != want {
		t.Errorf("payload\n%q\nwant\n%q", got, want)
	}
	if bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Error("payload starts with a byte-order mark")
	}
	if strings.Count(buf.String(), "\n") != strings.Count(buf.String(), "\r\n") {
		t.Error("a line does not end in CRLF")
	}
}
