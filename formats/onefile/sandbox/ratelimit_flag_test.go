package sandbox

import (
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	for _, tt := range []struct {
		in     string
		n      int
		window time.Duration
		bad    bool
	}{
		{"300/min", 300, time.Minute, false},
		{"300", 300, time.Minute, false},
		{"60/s", 60, time.Second, false},
		{"300/5s", 300, 5 * time.Second, false},
		{"off", 0, time.Minute, false},
		{"0", 0, time.Minute, false},
		{"lots", 0, 0, true},
		{"300/fortnight", 0, 0, true},
		{"-5/min", 0, 0, true},
	} {
		n, w, err := ParseRateLimit(tt.in)
		if (err != nil) != tt.bad || n != tt.n || w != tt.window {
			t.Errorf("%q: %d %v %v", tt.in, n, w, err)
		}
	}
}
