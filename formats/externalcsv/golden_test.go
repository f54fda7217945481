package externalcsv

import (
	"bytes"
	"encoding/csv"
	"flag"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/formats/internal/kindtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGoldenSample(t *testing.T) {
	sample := filepath.Join("..", "..", "samples", "peoplefluent", "external-training.csv")
	var direct []byte
	// The default (workers, direct encoder) first; the others must write the same bytes.
	for i, o := range []Options{{}, {Gocsv: true}, {Sequential: true}, {Gocsv: true, Sequential: true}} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, kindtest.Present(t, Kind, sample), o)
		if err != nil {
			t.Fatal(err)
		}
		res := kindtest.Run(t, Kind, w, sample)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if !bytes.Equal(buf.Bytes(), direct) {
				t.Errorf("writer %+v differs from the default:\n%s\n---\n%s", o, buf.Bytes(), direct)
			}
			continue
		}
		direct = buf.Bytes()
		kindtest.Golden(t, "testdata/external-training.payload.csv", direct, *update)
		kindtest.Golden(t, "testdata/external-training.problems.txt", []byte(res.Lines()), *update)
		recs, err := csv.NewReader(bytes.NewReader(direct)).ReadAll()
		if err != nil {
			t.Fatalf("the payload is not CSV: %v", err)
		}
		if got := int64(len(recs) - 1); got != w.Rows() || int(got)+len(res.Rejected) != res.Rows {
			t.Errorf("payload rows %d (writer says %d) + rejected %d != rows read %d", got, w.Rows(), len(res.Rejected), res.Rows)
		}
		if len(res.Rejected) == 0 || w.Rows() == 0 {
			t.Errorf("the sample should have valid rows and deliberate mistakes: %d valid, %d rejected", w.Rows(), len(res.Rejected))
		}
	}
}
