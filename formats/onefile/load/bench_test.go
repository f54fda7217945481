package load

import (
	"context"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// BenchmarkLoadAtRateLimit loads a term-start file into a sandbox that allows LIMIT calls per
// WINDOW (OneFile: 300 a minute; the window is scaled down so a run takes a couple of minutes,
// the client's limiter scaled with it) with 30 ms latency, and reports:
//
//	rate/limit       calls per window sustained, over the limit (goal ≥ 0.95)
//	429/call         share of calls answered 429 (goal < 0.01)
//	calls/min-calls  calls made over the fewest possible: one create per new user, one call per
//	                 assignment, the paged download (goal ≤ 1.05)
//
// bench/onefile/run.sh runs it and checks the goals. Settings: BULK_BENCH_LIMIT (300),
// BULK_BENCH_WINDOW (10s), BULK_BENCH_LEARNERS (300), BULK_BENCH_CONCURRENCY (4).
func BenchmarkLoadAtRateLimit(b *testing.B) {
	limit := envInt("BULK_BENCH_LIMIT", 300)
	window := envDur("BULK_BENCH_WINDOW", 10*time.Second)
	learners := envInt("BULK_BENCH_LEARNERS", 300)
	conc := envInt("BULK_BENCH_CONCURRENCY", 4)
	for range b.N {
		b.StopTimer()
		items := termStart(b, learners)
		s := sandbox.New(sandbox.Config{RateLimit: limit, RateWindow: window, Latency: 30 * time.Millisecond})
		url, shutdown, err := s.Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		c, err := api.New(api.Config{BaseURL: url, CustomerToken: s.CustomerToken(), RatePerMinute: limit, RateWindow: window,
			Concurrency: conc, PageSize: 500})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out, err := Run(context.Background(), items, Options{Client: NewAPIClient(c), APIRoot: url, Org: 5740, Concurrency: conc})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if !out.OK() {
			b.Fatalf("rows failed: %v", out.Counts)
		}
		snap := s.Snapshot()
		c.Close()
		shutdown(context.Background())

		span := snap.LastCall.Sub(snap.FirstCall)
		perWindow := float64(snap.Total-1) / span.Seconds() * window.Seconds()
		users := 3 + learners
		pages := int(math.Ceil(float64(7+1) / 500)) // the seed's 7 users: one short page ends the download
		minCalls := users + learners + pages
		b.ReportMetric(perWindow/float64(limit), "rate/limit")
		b.ReportMetric(float64(snap.TooMany())/float64(snap.Total), "429/call")
		b.ReportMetric(float64(snap.Total)/float64(minCalls), "calls/min-calls")
		b.ReportMetric(float64(snap.Total), "calls")
		b.ReportMetric(float64(minCalls), "min-calls")
		b.ReportMetric(span.Seconds(), "load-s")
	}
}
