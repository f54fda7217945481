package httpx

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		name   string
		p      Policy
		retry  int
		lo, hi time.Duration // every wait lies in [lo, hi]
	}{
		{"full first", Policy{Base: 100 * time.Millisecond, Cap: time.Second}, 1, 1, 100 * time.Millisecond},
		{"full third", Policy{Base: 100 * time.Millisecond, Cap: time.Second}, 3, 1, 400 * time.Millisecond},
		{"full capped", Policy{Base: 100 * time.Millisecond, Cap: time.Second}, 9, 1, time.Second},
		{"full huge retry", Policy{Base: 100 * time.Millisecond, Cap: time.Second}, 1000, 1, time.Second},
		{"equal first", Policy{Base: 2 * time.Second, Cap: 30 * time.Second, Jitter: EqualJitter}, 1, time.Second, 2 * time.Second},
		{"equal second", Policy{Base: 2 * time.Second, Cap: 30 * time.Second, Jitter: EqualJitter}, 2, 2 * time.Second, 4 * time.Second},
		{"equal capped", Policy{Base: 2 * time.Second, Cap: 30 * time.Second, Jitter: EqualJitter}, 7, 15 * time.Second, 30 * time.Second},
		{"no cap", Policy{Base: time.Millisecond}, 11, 1, 1024 * time.Millisecond},
		{"no cap overflow", Policy{Base: time.Hour}, 1000, 1, math.MaxInt64},
		{"no base", Policy{Cap: time.Second}, 3, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 2000 {
				d := tt.p.Backoff(tt.retry)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tt.retry, d, tt.lo, tt.hi)
				}
				seen[d] = true
			}
			// Jitter: retries that failed together must not wait alike.
			if tt.hi > tt.lo && len(seen) < 100 {
				t.Errorf("only %d distinct waits in 2000 draws", len(seen))
			}
		})
	}
}

func TestDelayHonoursTheServer(t *testing.T) {
	p := Policy{Base: 10 * time.Millisecond, Cap: 20 * time.Millisecond}
	for range 100 {
		if d := p.Delay(1, 3*time.Second); d != 3*time.Second {
			t.Fatalf("Delay with Retry-After 3s = %v", d)
		}
		if d := p.Delay(2, 0); d <= 0 || d > 20*time.Millisecond {
			t.Fatalf("Delay without Retry-After = %v", d)
		}
	}
	if !(Policy{MaxRetryAfter: time.Minute}).TooLong(61*time.Second) || (Policy{MaxRetryAfter: time.Minute}).TooLong(time.Minute) || (Policy{}).TooLong(time.Hour) {
		t.Error("TooLong")
	}
}

func TestAttempts(t *testing.T) {
	tests := []struct {
		max, made int
		more      bool
	}{
		{0, 0, true}, {0, 1, false}, {-3, 1, false},
		{1, 1, false}, {3, 1, true}, {3, 2, true}, {3, 3, false}, {7, 7, false},
	}
	for _, tt := range tests {
		if got := (Policy{MaxAttempts: tt.max}).More(tt.made); got != tt.more {
			t.Errorf("MaxAttempts %d, made %d: More = %v", tt.max, tt.made, got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"0", 0, true},
		{"5", 5 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false}, // not an int64
		{"9223372036854775807", time.Duration(9223372036854775807/int64(time.Second)) * time.Second, true},
		{"Tue, 04 Mar 2025 10:00:30 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Tuesday, 04-Mar-25 10:01:00 GMT", time.Minute, true},    // RFC 850
		{"Tue Mar  4 10:00:10 2025", 10 * time.Second, true},      // ANSI C asctime
		{"Tue, 04 Mar 2025 09:59:00 GMT", 0, true},                // past: now
		{"Tue, 04 Mar 2025 10:00:30", 0, false},                   // no zone
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep after cancel: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Sleep took %v after the cancel", el)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) of an ended context: %v", err)
	}
}
