package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// BenchmarkClientThroughput measures the sustained call rate of one shared
// client against the sandbox with 30 ms latency. The sandbox's 300 calls a
// minute is scaled to 300 per 5 s (60/s) so a run takes seconds; the
// metrics are relative to the limit, so the scale does not matter.
//
//	go test ./formats/onefile/api -run '^$' -bench ClientThroughput -benchtime 900x
//
// Metrics: rate/limit (sustained accepted calls per window / limit),
// 429/call (share of calls answered 429), calls/s (accepted). "unlimited" is the baseline: what the
// same workers do with no limit anywhere.
func BenchmarkClientThroughput(b *testing.B) {
	const limit = 300
	window := 5 * time.Second
	latency := 30 * time.Millisecond
	for _, bc := range []struct {
		name    string
		server  int // sandbox limit per window, 0 = none
		client  int // client RatePerMinute (per window), -1 = unpaced
		workers int
		burst   int // client Burst, 0 = default
	}{
		{"unlimited/workers=4", 0, -1, 4, 0},
		{"at_limit/workers=4", limit, limit, 4, 0},
		{"at_limit/workers=8", limit, limit, 8, 0},
		{"at_limit/workers=4/burst=1", limit, limit, 4, 1},
		{"client_2x_limit/workers=8", limit, 2 * limit, 8, 0},
		{"unpaced/workers=8", limit, -1, 8, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := Measure(b, MeasureConfig{
				Sandbox: sandbox.Config{RateLimit: bc.server, RateWindow: window, Latency: latency},
				Client:  Config{RatePerMinute: bc.client, RateWindow: window, MaxRetries: 50, Burst: bc.burst},
				Workers: bc.workers,
				Calls:   b.N,
			})
			if bc.server > 0 {
				b.ReportMetric(m.PerWindow/float64(bc.server), "rate/limit")
			}
			b.ReportMetric(m.Share429, "429/call")
			b.ReportMetric(m.PerWindow/window.Seconds(), "calls/s")
		})
	}
}

// MeasureConfig sets up Measure.
type MeasureConfig struct {
	Sandbox sandbox.Config
	Client  Config // BaseURL and CustomerToken are filled in
	Workers int
	Calls   int // GET /User/{id} calls, shared among the workers
}

// Measurement is what Measure saw on the sandbox.
type Measurement struct {
	PerWindow float64 // sustained accepted (not 429) calls per Sandbox.RateWindow
	Share429  float64 // share of calls answered 429
	Calls     int     // calls the sandbox received
	Client    Stats
}

// Measure runs cfg.Calls reads through one client shared by cfg.Workers
// goroutines against a fresh sandbox and reports the sandbox's view.
func Measure(tb testing.TB, cfg MeasureConfig) Measurement {
	tb.Helper()
	cfg.Sandbox.CustomerToken = "bench-token"
	sb := sandbox.New(cfg.Sandbox)
	ts := httptest.NewServer(sb)
	defer ts.Close()
	defer sb.Close()
	cfg.Client.BaseURL = ts.URL + "/api/v2.1"
	cfg.Client.CustomerToken = "bench-token"
	cfg.Client.Concurrency = cfg.Workers
	c, err := New(cfg.Client)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	var next atomic.Int64
	errs := parallel(cfg.Workers, func(int) error {
		for next.Add(1) <= int64(cfg.Calls) {
			if _, err := c.GetUser(context.Background(), 1001); err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	snap := sb.Snapshot()
	w := cfg.Sandbox.RateWindow
	if w == 0 {
		w = time.Minute
	}
	return Measurement{PerWindow: snap.Throughput(w), Share429: snap.Share429(), Calls: snap.Total, Client: c.Stats()}
}

func (m Measurement) String() string {
	return fmt.Sprintf("%.1f calls/window, %.2f%% 429, %d calls", m.PerWindow, 100*m.Share429, m.Calls)
}
