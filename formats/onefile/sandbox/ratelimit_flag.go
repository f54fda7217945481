package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRateLimit reads the sandbox's --rate-limit: "300/min", "60/s", "300/5s", "300" (a minute) or
// "off" / "0" (no limit).
func ParseRateLimit(s string) (int, time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "off" || s == "none" || s == "0" {
		return 0, time.Minute, nil
	}
	num, per, found := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("--rate-limit %q: want calls per window, like 300/min, 60/s or 300/5s, or off", s)
	}
	if !found {
		return n, time.Minute, nil
	}
	switch per = strings.TrimSpace(per); per {
	case "min", "m", "minute":
		return n, time.Minute, nil
	case "s", "sec", "second":
		return n, time.Second, nil
	case "h", "hour":
		return n, time.Hour, nil
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("--rate-limit %q: the window %q is not min, s, h or a duration like 5s", s, per)
	}
	return n, d, nil
}
