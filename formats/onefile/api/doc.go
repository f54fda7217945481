// Package api is a client for the OneFile REST API v2.1, built for bulk
// loads: one Client is shared by all the workers of a load.
//
// What it does for its caller:
//
//   - Authentication: POST /Authentication with the customer token, lazily
//     on the first call; the session is shared, refreshed before it is 23
//     hours old, and renewed ONCE for all goroutines when OneFile answers 401.
//   - Pacing: one limiter for every goroutine, smooth at RatePerMinute (less
//     a small headroom), so a fresh client does not fire a burst that trips
//     OneFile's 300-calls-a-minute limit; it slows down when 429s come anyway.
//   - Retries: 429, 5xx and network failures are retried with exponential
//     backoff and full jitter, honouring Retry-After; every attempt has its
//     own timeout; Ctrl-C (context cancellation) stops any wait at once.
//   - Never twice: a create (POST /User) is NOT retried once the request may
//     have reached OneFile; the caller gets an error matching
//     ErrOutcomeUnknown and must look the user up (by MISID or Email) before
//     trying again. Updates are idempotent and retried. Assignments are
//     retried, and a retry refused as "already assigned" matches
//     ErrAlreadyAssigned (see AssignedByUs).
//   - Secrets: the customer token, the session token and returned passwords
//     never appear in errors, logs or String() output. Redirects are never
//     followed (OneFile does not redirect; Go would carry both tokens to
//     any host a 3xx names): a 3xx is an error matching httpx.ErrRedirect.
//   - Transport: BaseURL is canonicalised (internal/target): a user name or
//     password in it is refused, and plain http:// to another machine needs
//     AllowInsecureHTTP. An untrusted certificate fails at once, unretried.
//
// The backoff, Retry-After and "was it sent" decisions are internal/httpx's,
// shared with the PeopleFluent client; the policy (what may be retried)
// is this package's.
//
// The details, and what was guessed where OneFile documents nothing, are in
// docs/onefile-api.md.
package api
