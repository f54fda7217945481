package api

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the one limiter all goroutines of a client share. It paces calls
// smoothly, holds every goroutine back while OneFile has asked for a pause
// (Retry-After), and, unless fixed, slows down after a 429 (to 80%, at most
// once per quarter window: a rolling window goes on refusing for a while
// after an overshoot, and every worker sees those 429s, so cutting on each
// would drive the pace to the floor) and creeps back to full speed by 0.1% of it
// per success: additive increase, multiplicative decrease. The slow climb
// (about 200 calls from 80% back to 100%) keeps 429s under 1% of the calls
// when something else shares the quota.
type pacer struct {
	lim      *rate.Limiter // nil: no pacing
	full     rate.Limit
	floor    rate.Limit
	fixed    bool
	cooldown time.Duration

	mu      sync.Mutex
	lastCut time.Time

	pauseUntil atomic.Int64 // unix nanoseconds
}

func newPacer(cfg Config) *pacer {
	p := &pacer{fixed: cfg.FixedRate, cooldown: cfg.RateWindow / 4}
	if cfg.RatePerMinute > 0 {
		perSec := float64(cfg.RatePerMinute) * (1 - cfg.Headroom) / cfg.RateWindow.Seconds()
		p.full = rate.Limit(perSec)
		p.floor = p.full / 10
		p.lim = rate.NewLimiter(p.full, cfg.Burst)
	}
	return p
}

// wait blocks until the call may go, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	for {
		until := time.Unix(0, p.pauseUntil.Load())
		d := time.Until(until)
		if d <= 0 {
			break
		}
		if err := sleep(ctx, d); err != nil {
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

func (p *pacer) tooMany() {
	if p.lim == nil || p.fixed {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.lastCut) < p.cooldown {
		return // one cut per burst of 429s, not one per worker
	}
	p.lastCut = now
	p.lim.SetLimit(max(p.lim.Limit()*0.8, p.floor))
}

func (p *pacer) success() {
	if p.lim == nil || p.fixed {
		return
	}
	if cur := p.lim.Limit(); cur < p.full {
		p.lim.SetLimit(min(cur+p.full*0.001, p.full))
	}
}

// limit is the current pace in calls per second (for tests and progress).
func (p *pacer) limit() float64 {
	if p.lim == nil {
		return 0
	}
	return float64(p.lim.Limit())
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
