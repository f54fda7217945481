package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Errors to test with errors.Is.
var (
	// ErrAuth: OneFile refused the customer token, or refused a session it
	// had just issued. Nothing will work until the token is fixed; the
	// loader exits with status 2.
	ErrAuth = errors.New("OneFile authentication failed")
	// ErrOutcomeUnknown: a change may or may not have been made (the
	// connection dropped or timed out after the request was sent, or OneFile
	// answered 5xx). Look the record up before trying again.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrAlreadyAssigned: OneFile refused an assignment because it exists.
	ErrAlreadyAssigned = errors.New("already assigned")
	// ErrNotFound: OneFile answered 404 (e.g. GET /User/{id} of no user).
	ErrNotFound = errors.New("not found")
	// ErrInvalidRequest: the client refused to send a request that cannot
	// succeed (a required field or ID is missing). No call was made.
	ErrInvalidRequest = errors.New("invalid request")
)

// maxBodyInError bounds the raw answer kept in an APIError.
const maxBodyInError = 500

// APIError is an answer OneFile gave that is not a success.
type APIError struct {
	Method string // e.g. "POST"
	Path   string // below the API root, e.g. "/User/1234/Assign"
	Status int    // HTTP status
	// Message is OneFile's message ("message"/"Message" of a JSON body, or
	// the text of the body), for people.
	Message string
	// Body is the raw answer, truncated to about 500 bytes, secrets removed.
	Body string
	// PriorUnknown is set when an earlier attempt of the same call had an
	// unknown outcome (so "already assigned" probably means that attempt
	// succeeded).
	PriorUnknown bool

	alreadyAssigned bool
}

func (e *APIError) Error() string {
	what := "refused"
	if e.Status >= 500 {
		what = "failed on"
	}
	msg := fmt.Sprintf("OneFile %s %s %s (HTTP %d %s)", what, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFound / ErrAlreadyAssigned / ErrAuth) work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrAlreadyAssigned:
		return e.alreadyAssigned
	case ErrAuth:
		return e.Status == http.StatusUnauthorized
	}
	return false
}

// AssignedByUs says an assignment was refused as already made after an
// earlier attempt of the same call had an unknown outcome: the assignment
// exists, most likely because of that attempt.
func AssignedByUs(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.alreadyAssigned && ae.PriorUnknown
}

// isAlreadyAssigned recognises OneFile's refusal of a repeated assignment.
// OneFile does not document the answer; public reports say 400, and the
// wording is a guess: any 400 whose message says "already assigned" (or
// "already been assigned", "already exists"). Keep this the only place that
// knows; the sandbox answers sandbox.AlreadyAssignedMessage.
// guess G7 (docs/guesses.md).
func isAlreadyAssigned(status int, message string) bool {
	if status != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(message)
	for _, s := range []string{"already assigned", "already been assigned", "already exists"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// OutcomeUnknownError says a change may or may not have been made.
type OutcomeUnknownError struct {
	Method string
	Path   string
	// Cause is what happened: a network error, a timeout, an *APIError with
	// a 5xx status, or the caller's context error.
	Cause error
}

func (e *OutcomeUnknownError) Error() string {
	hint := "look the record up before trying again"
	if e.Path == "/User" {
		hint = "the user may have been created: search by MISID or Email before trying again"
	}
	return fmt.Sprintf("%s %s: outcome unknown (%v): %s", e.Method, e.Path, e.Cause, hint)
}

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap gives the cause (so errors.Is(err, context.Canceled) works).
func (e *OutcomeUnknownError) Unwrap() error { return e.Cause }

// AuthError is a refused authentication; it matches ErrAuth.
type AuthError struct {
	Status  int
	Message string // OneFile's message, secrets removed
	// Renewed is true when the refusal came right after a fresh session.
	Renewed bool
}

func (e *AuthError) Error() string {
	if e.Renewed {
		return fmt.Sprintf("OneFile refused a session it had just issued (HTTP %d): %s", e.Status, e.Message)
	}
	msg := fmt.Sprintf("OneFile refused the customer token (HTTP %d from POST /Authentication)", e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg + ": check the token was issued for this environment (beta, practice or live) and has not been revoked"
}

// Is matches ErrAuth.
func (e *AuthError) Is(target error) bool { return target == ErrAuth }

// NetworkError is a failure to get any answer from OneFile.
type NetworkError struct {
	Method string
	Path   string
	Err    error
	// Timeout is set when the attempt ran out of its per-request time.
	Timeout bool
}

func (e *NetworkError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("no answer from OneFile to %s %s within the time limit", e.Method, e.Path)
	}
	return fmt.Sprintf("cannot reach OneFile for %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// GaveUpError is returned when the retries ran out.
type GaveUpError struct {
	Attempts int
	Last     error
	// Throttled, when not zero, is how long OneFile had answered every call
	// with 429 when the client gave up: the patience budget was spent.
	Throttled, Patience time.Duration
}

func (e *GaveUpError) Error() string {
	if e.Throttled > 0 {
		return fmt.Sprintf("OneFile answered every call with 429 Too Many Requests for %s, past the patience budget of %s: not sent; run the same command again later, or give more --patience",
			e.Throttled.Round(time.Second), e.Patience)
	}
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Last)
}

func (e *GaveUpError) Unwrap() error { return e.Last }

// messageOf pulls a person-readable message out of an error body: JSON
// "message"/"Message" (plus .NET's "MessageDetail"), else the text itself.
// guess G10 (docs/guesses.md).
func messageOf(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		var parts []string
		for _, k := range []string{"message", "Message", "MessageDetail", "ExceptionMessage", "error", "title"} {
			if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
				parts = append(parts, strings.TrimSpace(s))
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...[truncated]"
}
