package sandbox

import (
	"sync"
	"time"
)

// window is a rolling-window limiter: at most limit accepted calls in any
// period of length dur. Calls it refuses are not counted, so a client that
// backs off gets through as soon as the oldest call leaves the window.
// (OneFile does not document how its 300/min is counted; a rolling window is
// the strictest reading, so a client that passes here passes a fixed window.)
type window struct {
	mu    sync.Mutex
	limit int
	dur   time.Duration
	times []time.Time // accepted calls, oldest first
}

func newWindow(limit int, dur time.Duration) *window {
	if limit <= 0 {
		return nil
	}
	return &window{limit: limit, dur: dur, times: make([]time.Time, 0, limit)}
}

// allow records a call at now if there is room and says how long until
// there will be room otherwise.
func (w *window) allow(now time.Time) (ok bool, wait time.Duration) {
	if w == nil {
		return true, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := now.Add(-w.dur)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	if i > 0 {
		w.times = append(w.times[:0], w.times[i:]...)
	}
	if len(w.times) < w.limit {
		w.times = append(w.times, now)
		return true, 0
	}
	return false, w.times[0].Add(w.dur).Sub(now)
}
