package peoplefluent_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
)

// benchPayload is a training-history payload of n rows, as bulk export writes it.
func benchPayload(n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(strings.Split("USERID,LEARNINGID,ENROLLDATE,STARTDATE,ENDDATE,STUDENTSTATUS,Training Venue,SCORE,ACTION", ","))
	for i := range n {
		w.Write([]string{fmt.Sprintf("user%06d", i), "HS-101", "01-Sep-2026 09:00", "05-Sep-2026 09:00", "05-Sep-2026 17:00",
			"Completed", "LON-01", fmt.Sprint(i % 100), ""})
	}
	w.Flush()
	return b.Bytes()
}

// noErrorLMS reads each request whole and answers "No Error Occurred": the
// cost left is the client's (chunking, encoding, HTTP, parsing the answer).
func noErrorLMS() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "No Error Occurred\r\n")
	}))
}

// peakHeap samples the heap every millisecond until stop is called and
// returns the highest value seen above the live heap at the start (after a
// GC: the payload held by the benchmark itself is not counted), in MiB.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		return float64(peak.Load()-min(base, peak.Load())) / (1 << 20)
	}
}

// BenchmarkPush compares a Pusher with a bare baseline in the same run: the
// same file read with encoding/csv, written back in chunks of the same size
// with encoding/csv and posted with net/http, answers read and dropped. Each
// iteration runs both, one after the other, so that both see the same load
// on a shared machine; speed-vs-baseline is baseline time / Pusher time (1 =
// as fast). The difference is what row numbering, the replay check, retry
// bookkeeping, answer parsing and one Result per row cost on top of the
// unavoidable CSV copy. peak-heap-MiB (Pusher only, above the heap at its
// start) shows memory stays flat as the payload grows: one chunk and its
// answer are in memory, results are streamed through OnResult.
func BenchmarkPush(b *testing.B) {
	ts := noErrorLMS()
	defer ts.Close()
	const chunkRows = 5000
	for _, n := range []int{20_000, 200_000} {
		file := filepath.Join(b.TempDir(), "bench.csv")
		if err := os.WriteFile(file, benchPayload(n), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			var results int
			p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), ChunkRows: chunkRows,
				OnResult: func(peoplefluent.Result) error { results++; return nil }}
			var base, push time.Duration
			var peak float64
			for range b.N {
				start := time.Now()
				baselinePush(b, file, ts.URL+"/ekp/contentHandler/trainingHistoryCsv", chunkRows)
				base += time.Since(start)

				stop := peakHeap()
				start = time.Now()
				f, err := os.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				sum, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "bench.csv", f)
				f.Close()
				push += time.Since(start)
				peak = max(peak, stop())
				if err != nil || sum.OK != n {
					b.Fatalf("%v, %+v", err, sum)
				}
			}
			if results != n*b.N {
				b.Fatalf("%d results for %d rows", results, n*b.N)
			}
			b.ReportMetric(float64(n*b.N)/push.Seconds(), "rows/s")
			b.ReportMetric(float64(n*b.N)/base.Seconds(), "baseline-rows/s")
			b.ReportMetric(base.Seconds()/push.Seconds(), "speed-vs-baseline")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}

// baselinePush is the least a correct client does: read the CSV, write it
// back in chunks with the header, post each and drop the answer.
func baselinePush(b *testing.B, file, url string, chunkRows int) {
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, _ := r.Read()
	var buf bytes.Buffer
	for done := false; !done; {
		buf.Reset()
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		w.Write(header)
		for range chunkRows {
			rec, err := r.Read()
			if err == io.EOF {
				done = true
				break
			}
			w.Write(rec)
		}
		w.Flush()
		resp, err := http.Post(url, "text/plain; charset=utf-8", bytes.NewReader(buf.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
