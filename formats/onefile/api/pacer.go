package api

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulkload/bulk/internal/httpx"
)

// pacer is the one limiter all goroutines of a client share. It paces calls
// smoothly, holds every goroutine back while OneFile has asked for a pause
// (Retry-After), and, unless fixed, adapts to 429s:
//
//   - On a 429 (at most once per quarter window: a rolling window goes on
//     refusing for a while after an overshoot and every worker sees those
//     429s), the pace drops to what OneFile actually accepted from us over
//     the last window, less the headroom: that is the share of the limit we
//     can have. Before the client has run for a whole window it cuts to 80%
//     instead.
//   - After a whole window without a 429, the pace climbs back by 2% of the
//     configured rate per quarter window, so it probes the limit gently
//     (an overshoot of 2% costs well under 1% of calls in 429s).
type pacer struct {
	lim      *rate.Limiter // nil: no pacing
	full     rate.Limit
	floor    rate.Limit
	fixed    bool
	window   time.Duration
	headroom float64
	started  time.Time

	mu         sync.Mutex
	lastCut    time.Time
	lastRaise  time.Time
	successes  []time.Time // accepted calls within the last window, oldest first
	trackCalls bool

	pauseUntil atomic.Int64 // unix nanoseconds
}

// guess G4 (docs/guesses.md).
func newPacer(cfg Config) *pacer {
	p := &pacer{fixed: cfg.FixedRate, window: cfg.RateWindow, headroom: cfg.Headroom, started: time.Now()}
	if cfg.RatePerMinute > 0 {
		perSec := float64(cfg.RatePerMinute) * (1 - cfg.Headroom) / cfg.RateWindow.Seconds()
		p.full = rate.Limit(perSec)
		p.floor = p.full / 10
		p.lim = rate.NewLimiter(p.full, cfg.Burst)
		p.trackCalls = !cfg.FixedRate
	}
	return p
}

// wait blocks until the call may go, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	for {
		d := time.Until(time.Unix(0, p.pauseUntil.Load()))
		if d <= 0 {
			break
		}
		if err := httpx.Sleep(ctx, d); err != nil {
			return err
		}
	}
	if p.lim == nil {
		return ctx.Err()
	}
	return p.lim.Wait(ctx)
}

// pause holds every call until t (a Retry-After).
func (p *pacer) pause(t time.Time) {
	n := t.UnixNano()
	for {
		cur := p.pauseUntil.Load()
		if cur >= n || p.pauseUntil.CompareAndSwap(cur, n) {
			return
		}
	}
}

// prune drops successes older than the window. Call with p.mu held.
func (p *pacer) prune(now time.Time) {
	cut := now.Add(-p.window)
	i := 0
	for i < len(p.successes) && !p.successes[i].After(cut) {
		i++
	}
	if i > 0 {
		p.successes = append(p.successes[:0], p.successes[i:]...)
	}
}

func (p *pacer) tooMany() {
	if !p.trackCalls {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.lastCut) < p.window/4 {
		return
	}
	p.lastCut = now
	cur := p.lim.Limit()
	next := cur * 0.8
	if now.Sub(p.started) >= p.window {
		p.prune(now)
		accepted := rate.Limit(float64(len(p.successes)) * (1 - p.headroom) / p.window.Seconds())
		next = min(cur, accepted)
	}
	p.lim.SetLimit(max(next, p.floor))
}

func (p *pacer) success() {
	if !p.trackCalls {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.successes = append(p.successes, now)
	if len(p.successes) > 64 && now.Sub(p.successes[0]) > p.window {
		p.prune(now)
	}
	cur := p.lim.Limit()
	if cur >= p.full || now.Sub(p.lastCut) < p.window || now.Sub(p.lastRaise) < p.window/4 {
		return
	}
	p.lastRaise = now
	p.lim.SetLimit(min(cur+p.full*0.02, p.full))
}

// limit is the current pace in calls per second (for tests and progress).
func (p *pacer) limit() float64 {
	if p.lim == nil {
		return 0
	}
	return float64(p.lim.Limit())
}
