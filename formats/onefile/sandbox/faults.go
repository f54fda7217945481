package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultSpec says which faults the sandbox injects. The zero value injects none.
//
// Its text form, accepted by ParseFaultSpec and printed by String, is a comma
// separated list of key=value pairs, for example
//
//	latency=30ms,error500=0.1,drop=10%,burst429=0.01,burstlen=20,seed=7
//
// Keys:
//
//	latency=DUR   fixed delay added to every request (on top of Config.Latency)
//	jitter=DUR    extra delay drawn uniformly from [0, DUR) per request
//	error500=P    share of requests answered 500 BEFORE the change is made
//	drop=P        share of requests whose change IS committed, after which the
//	              connection is closed without any response
//	stall=P       share of requests whose change IS committed, after which the
//	              response is withheld until the client gives up (its timeout)
//	burst429=P    chance that a request starts a burst of 429 answers
//	burstlen=N    length of a 429 burst in requests (default 10); the request
//	              that starts the burst is its first
//	scope=writes  error500, drop and stall hit writes only: POST /User,
//	              POST /User/{id}, POST /User/{id}/Assign (the default)
//	scope=all     ... and reads too (searches, GET, Authentication)
//	seed=N        seed of the fault decisions (default 1)
//	throttle=DUR  a long spell of throttling: every request is answered 429
//	              (counted as a burst429 answer) from the first write until
//	              DUR later, as OneFile does when another client of the same
//	              customer uses up the limit
//	lag=DUR       read-after-write lag: a user made by POST /User is missing
//	              from User/Search for DUR after its creation; GET /User/{id}
//	              answers it at once
//
// P is a share written as 0.1 or 10%. Latency, jitter and 429 bursts always
// apply to every request. "none" or the empty string means no faults.
//
// Fault decisions are repeatable: whether a request is faulted is a function of
// the seed, the request (method, path, body) and how many times that same
// request has been seen before. A retry of the same request therefore gets a
// fresh, but still repeatable, draw, and the outcome of a run does not depend
// on how concurrent workers happen to interleave.
type FaultSpec struct {
	Latency  time.Duration
	Jitter   time.Duration
	Error500 float64
	Drop     float64
	Stall    float64
	Burst429 float64
	BurstLen int
	AllCalls bool // scope=all
	Seed     int64
	// Lag hides a created user from User/Search for this long, as a search
	// index that catches up with the database after a while would.
	Lag time.Duration
	// Throttle answers every request 429 for this long from the first write.
	Throttle time.Duration
}

// ParseFaultSpec parses the text form described on FaultSpec.
func ParseFaultSpec(s string) (FaultSpec, error) {
	var f FaultSpec
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return f, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return FaultSpec{}, fmt.Errorf("fault spec %q: %q is not key=value (for example drop=0.1)", s, part)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "latency":
			f.Latency, err = parseDuration(val)
		case "jitter":
			f.Jitter, err = parseDuration(val)
		case "error500", "500":
			f.Error500, err = parseShare(val)
		case "drop":
			f.Drop, err = parseShare(val)
		case "stall":
			f.Stall, err = parseShare(val)
		case "burst429", "429":
			f.Burst429, err = parseShare(val)
		case "burstlen":
			f.BurstLen, err = strconv.Atoi(val)
			if err == nil && f.BurstLen < 1 {
				err = fmt.Errorf("must be at least 1")
			}
		case "scope":
			switch strings.ToLower(val) {
			case "writes":
				f.AllCalls = false
			case "all":
				f.AllCalls = true
			default:
				err = fmt.Errorf("must be writes or all")
			}
		case "seed":
			f.Seed, err = strconv.ParseInt(val, 10, 64)
		case "lag":
			f.Lag, err = parseDuration(val)
		case "throttle":
			f.Throttle, err = parseDuration(val)
		default:
			return FaultSpec{}, fmt.Errorf("fault spec %q: unknown key %q (known: latency, jitter, error500, drop, stall, burst429, burstlen, scope, seed, lag, throttle)", s, key)
		}
		if err != nil {
			return FaultSpec{}, fmt.Errorf("fault spec %q: %s=%s: %v", s, key, val, err)
		}
	}
	if sum := f.Error500 + f.Drop + f.Stall; sum > 1 {
		return FaultSpec{}, fmt.Errorf("fault spec %q: error500+drop+stall add up to %.2f, more than 1", s, sum)
	}
	return f, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("not a duration (for example 30ms)")
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	return d, nil
}

func parseShare(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	x, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("not a share (for example 0.1 or 10%%)")
	}
	if pct {
		x /= 100
	}
	if x < 0 || x > 1 {
		return 0, fmt.Errorf("must be between 0 and 1 (or 0%% and 100%%)")
	}
	return x, nil
}

// String gives the canonical text form; ParseFaultSpec(f.String()) == f.
func (f FaultSpec) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"="+v) }
	share := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if f.Latency > 0 {
		add("latency", f.Latency.String())
	}
	if f.Jitter > 0 {
		add("jitter", f.Jitter.String())
	}
	if f.Error500 > 0 {
		add("error500", share(f.Error500))
	}
	if f.Drop > 0 {
		add("drop", share(f.Drop))
	}
	if f.Stall > 0 {
		add("stall", share(f.Stall))
	}
	if f.Burst429 > 0 {
		add("burst429", share(f.Burst429))
	}
	if f.BurstLen > 0 {
		add("burstlen", strconv.Itoa(f.BurstLen))
	}
	if f.AllCalls {
		add("scope", "all")
	}
	if f.Seed != 0 {
		add("seed", strconv.FormatInt(f.Seed, 10))
	}
	if f.Lag > 0 {
		add("lag", f.Lag.String())
	}
	if f.Throttle > 0 {
		add("throttle", f.Throttle.String())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value (and pflag.Value) so a FaultSpec can be a flag.
func (f *FaultSpec) Set(s string) error {
	v, err := ParseFaultSpec(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Type implements pflag.Value.
func (f *FaultSpec) Type() string { return "spec" }

func (f FaultSpec) burstLen() int {
	if f.BurstLen > 0 {
		return f.BurstLen
	}
	return 10
}
