package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"syscall"
)

// Class is what one attempt came to, as far as retrying is concerned.
type Class int

const (
	// Success is a 2xx answer.
	Success Class = iota + 1
	// Refused is a definite answer that is not a success (3xx, and 4xx
	// other than 429): the same request gets the same answer; don't retry.
	Refused
	// Throttled is a 429: refused before anything was done, so any request
	// may be sent again, after Retry-After or a backoff.
	Throttled
	// NotSent is a failure before the request reached the server (the name
	// did not resolve, the connection was refused or never made, or the
	// request was not completely written): safe to retry any request.
	NotSent
	// Unknown means the server may have acted: the request was written and
	// no complete answer came (timeout, connection reset, EOF mid-answer),
	// or the server answered 5xx. A create may have happened: retry only
	// what may be applied twice, and look up the rest.
	Unknown
	// Untrusted is a TLS failure no retry can fix: the server's certificate
	// is not trusted (unknown authority, wrong host name, expired) or the
	// server does not speak TLS. Fail at once; see TLSProblem.
	Untrusted
)

func (c Class) String() string {
	switch c {
	case Success:
		return "success"
	case Refused:
		return "refused"
	case Throttled:
		return "throttled"
	case NotSent:
		return "not sent"
	case Unknown:
		return "outcome unknown"
	case Untrusted:
		return "untrusted"
	}
	return "unclassified"
}

// Retry reports whether an attempt of this class is worth repeating.
// idempotent says the request may be applied twice without harm (reads,
// updates that set values); it matters only for Unknown.
func (c Class) Retry(idempotent bool) bool {
	switch c {
	case Throttled, NotSent:
		return true
	case Unknown:
		return idempotent
	}
	return false
}

// MaybeApplied reports whether the server may have acted on the request.
func (c Class) MaybeApplied() bool { return c == Success || c == Unknown }

// ClassifyStatus classifies an answer by its HTTP status.
func ClassifyStatus(code int) Class {
	switch {
	case code >= 200 && code < 300:
		return Success
	case code == http.StatusTooManyRequests:
		return Throttled
	case code >= 500:
		return Unknown
	}
	return Refused
}

// ClassifyError classifies a failure to get a complete answer: the error of
// http.Client.Do, or of reading the answer's body. written says whether the
// request was completely written (from TrackWrite); pass true when it is not
// known, and only the error's kind can prove the request was not sent.
func ClassifyError(err error, written bool) Class {
	if err == nil {
		return Success
	}
	if TLSProblem(err) != nil {
		return Untrusted
	}
	if !written || neverSent(err) {
		return NotSent
	}
	return Unknown
}

// neverSent reports an error that proves no request reached the server:
// a name that did not resolve, or a connection that was never made.
func neverSent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// TrackWrite returns ctx with a trace (added to any already there) that
// notes when a request has been completely written, and a function that
// tells. Make the request with the returned context; after Do, written()
// is what ClassifyError needs. A request that was not completely written
// cannot have been acted on.
func TrackWrite(ctx context.Context) (_ context.Context, written func() bool) {
	var w atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				w.Store(true)
			}
		},
	})
	return ctx, w.Load
}

// TLSError is a TLS failure that retrying cannot fix.
type TLSError struct {
	// Certificate is true when the server's certificate was not trusted;
	// false when the server did not answer in TLS at all.
	Certificate bool
	// Reason is the verifier's own words (x509: ...), without the URL.
	Reason string
	Err    error
}

func (e *TLSError) Error() string {
	if e.Certificate {
		return "the server's certificate is not trusted: " + e.Reason + "; check the URL or your organisation's CA"
	}
	return "the server did not answer in TLS (" + e.Reason + "): check the URL's scheme (https:// or http://) and port"
}

func (e *TLSError) Unwrap() error { return e.Err }

// plainAnswer is how net/http reports an https:// request answered in plain
// HTTP: it replaces the tls.RecordHeaderError by an error with only this
// text, so the text is all there is to recognise.
const plainAnswer = "server gave HTTP response to HTTPS client"

// TLSProblem gives the TLS failure in err (certificate not trusted: unknown
// authority, host name mismatch, expired or not yet valid; or a server that
// does not speak TLS), or nil when err is something else.
func TLSProblem(err error) *TLSError {
	if err == nil {
		return nil
	}
	var te *TLSError
	if errors.As(err, &te) {
		return te
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		roots    x509.SystemRootsError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	var reason error
	switch {
	case errors.As(err, &unknown):
		reason = unknown
	case errors.As(err, &hostname):
		reason = hostname
	case errors.As(err, &invalid):
		reason = invalid
	case errors.As(err, &roots):
		reason = roots
	case errors.As(err, &verify):
		reason = verify.Err
	case errors.As(err, &record), strings.Contains(err.Error(), plainAnswer):
		return &TLSError{Reason: "its first answer was not a TLS record", Err: err}
	default:
		return nil
	}
	return &TLSError{Certificate: true, Reason: reason.Error(), Err: err}
}
