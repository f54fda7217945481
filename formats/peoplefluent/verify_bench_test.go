package peoplefluent_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
)

// benchHistory is the trainingHistoryXml answer for benchPayload(n): every row held as sent.
func benchHistory(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<trainingHistory>\n  <dateCreated>2026-12-07T12:00:00Z</dateCreated>\n")
	for i := range n {
		fmt.Fprintf(&b, "  <trainingRecord id=\"r%d\">\n    <userId>user%06d</userId>\n    <learningModule>\n      <id>HS-101</id>\n      <title>Health and Safety Induction</title>\n      <type>classroom</type>\n    </learningModule>\n"+
			"    <enrollmentDate>2026-09-01T09:00:00</enrollmentDate>\n    <startDate>2026-09-05T09:00:00</startDate>\n    <endDate>2026-09-05T17:00:00</endDate>\n"+
			"    <overallStatus>completed</overallStatus>\n    <score>%d</score>\n  </trainingRecord>\n", i+1, i, i%100)
	}
	b.WriteString("</trainingHistory>\n")
	return b.Bytes()
}

// BenchmarkVerify reads back n records in one trainingHistoryXml answer (the read for a payload
// naming more than PerUser users) and compares them with the payload, against a baseline in the
// same run: the same payload read with encoding/csv and the same answer fetched and walked with
// encoding/xml's Token, nothing compared. speed-vs-baseline is baseline time / Verify time.
// retained-MiB is what Verify holds when it reports its last row (live heap after a GC, above
// the heap before it began, in one more untimed run): an index entry per payload row, never the
// answer. peak-heap-MiB is the most the heap held above its start while Verify ran, garbage
// included: how high that goes is the GC's choice (GOGC), and this benchmark's own payload and
// answer (held by the server) raise it.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		payload := benchPayload(n)
		answer := benchHistory(n)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write(answer)
		}))
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			v := &peoplefluent.Verifier{Reader: peoplefluent.Reader{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key)}, PerUser: -1}
			var base, took time.Duration
			var peak float64
			for range b.N {
				start := time.Now()
				baselineVerify(b, payload, ts.URL+"/ekp/api/trainingHistoryXml")
				base += time.Since(start)

				stop := peakHeap()
				start = time.Now()
				sum, err := v.Verify(context.Background(), "bench.csv", bytes.NewReader(payload))
				took += time.Since(start)
				peak = max(peak, stop())
				if err != nil || sum.Confirmed != n {
					b.Fatalf("%v, %+v", err, sum)
				}
			}
			b.ReportMetric(retained(b, v, payload, n), "retained-MiB")
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "records/s")
			b.ReportMetric(float64(n*b.N)/base.Seconds(), "baseline-records/s")
			b.ReportMetric(base.Seconds()/took.Seconds(), "speed-vs-baseline")
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(float64(len(answer))/(1<<20), "answer-MiB")
		})
		ts.Close()
	}
}

// retained runs v once more and returns the live heap when the last row is reported, above the
// live heap before the run, in MiB.
func retained(b *testing.B, v *peoplefluent.Verifier, payload []byte, n int) float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before, at := ms.HeapAlloc, uint64(0)
	w := *v
	w.OnResult = func(r peoplefluent.VerifyResult) error {
		if r.Row == n+1 { // the last data row
			runtime.GC()
			runtime.ReadMemStats(&ms)
			at = ms.HeapAlloc
		}
		return nil
	}
	if _, err := w.Verify(context.Background(), "bench.csv", bytes.NewReader(payload)); err != nil || at == 0 {
		b.Fatalf("%v; last row not reported", err)
	}
	return float64(at-min(before, at)) / (1 << 20)
}

// baselineVerify is the least a read-back does: read the payload, fetch the answer and walk it.
func baselineVerify(b *testing.B, payload []byte, url string) {
	r := csv.NewReader(bytes.NewReader(payload))
	r.ReuseRecord = true
	for {
		if _, err := r.Read(); err == io.EOF {
			break
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	d := xml.NewDecoder(resp.Body)
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
	}
}
