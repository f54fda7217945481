package api

import "sync/atomic"

type counters struct {
	calls, retries, tooMany, serverErrors, networkErrors, unauthorized, authentications atomic.Int64
}

// Stats counts what a client did, for progress lines and benchmarks.
type Stats struct {
	Calls int64 // HTTP requests sent (every attempt, authentication included)
	// Retries counts calls made again after a failure: by the client's
	// own loop, and by its caller sending the same call again (the loader
	// re-sends a create once a lookup proved the failed one made nothing).
	Retries         int64
	TooMany         int64 // answers 429
	ServerErrors    int64 // answers 5xx
	NetworkErrors   int64 // attempts with no answer (drop, timeout, refused)
	Unauthorized    int64 // answers 401 to API calls (expired sessions)
	Authentications int64 // POST /Authentication calls made
}

// Stats reads the counters; safe at any time.
func (c *Client) Stats() Stats {
	s := &c.stats
	return Stats{
		Calls: s.calls.Load(), Retries: s.retries.Load(), TooMany: s.tooMany.Load(),
		ServerErrors: s.serverErrors.Load(), NetworkErrors: s.networkErrors.Load(),
		Unauthorized: s.unauthorized.Load(), Authentications: s.authentications.Load(),
	}
}
