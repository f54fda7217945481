package httpx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		code int
		want Class
	}{
		{200, Success}, {201, Success}, {204, Success},
		{301, Refused}, {307, Refused}, {400, Refused}, {401, Refused}, {404, Refused}, {409, Refused},
		{429, Throttled},
		{500, Unknown}, {502, Unknown}, {503, Unknown}, {504, Unknown},
	}
	for _, tt := range tests {
		if got := ClassifyStatus(tt.code); got != tt.want {
			t.Errorf("ClassifyStatus(%d) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestClassRetry(t *testing.T) {
	tests := []struct {
		c                 Class
		idempotent, other bool // Retry(true), Retry(false)
		maybeApplied      bool
	}{
		{Success, false, false, true},
		{Refused, false, false, false},
		{Throttled, true, true, false},
		{NotSent, true, true, false},
		{Unknown, true, false, true},
		{Untrusted, false, false, false},
	}
	for _, tt := range tests {
		if tt.c.Retry(true) != tt.idempotent || tt.c.Retry(false) != tt.other || tt.c.MaybeApplied() != tt.maybeApplied {
			t.Errorf("%v: Retry(true)=%v Retry(false)=%v MaybeApplied=%v", tt.c, tt.c.Retry(true), tt.c.Retry(false), tt.c.MaybeApplied())
		}
		if tt.c.String() == "unclassified" {
			t.Errorf("%d has no name", tt.c)
		}
	}
}

// do makes one POST with the write tracked and classifies its failure.
func do(t *testing.T, c *http.Client, url string) (Class, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, written := TrackWrite(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			return ClassifyStatus(resp.StatusCode), nil
		}
		return ClassifyError(err, true), err
	}
	return ClassifyError(err, written()), err
}

func TestClassifyErrorWithRealPeers(t *testing.T) {
	// A port with nothing listening: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	// Read the whole request, then drop the connection without an answer:
	// the server may have acted.
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer drop.Close()

	// Answer a status and a body that breaks off half way.
	partial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte("only part"))
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer partial.Close()

	// Hold the answer past the client's patience.
	release := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stall.Close()
	defer close(release)

	tests := []struct {
		name string
		url  string
		c    *http.Client
		want Class
	}{
		{"connection refused", closed, http.DefaultClient, NotSent},
		{"dropped after the request", drop.URL, drop.Client(), Unknown},
		{"answer broke off", partial.URL, partial.Client(), Unknown},
		{"timeout after the request", stall.URL, &http.Client{Timeout: 200 * time.Millisecond}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := do(t, tt.c, tt.url)
			if got != tt.want {
				t.Errorf("class %v (error %v), want %v", got, err, tt.want)
			}
		})
	}
}

func TestClassifyErrorKinds(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name    string
		err     error
		written bool
		want    Class
	}{
		{"no error", nil, true, Success},
		{"DNS, even if written is unknown", dns, true, NotSent},
		{"dial timeout", dial, true, NotSent},
		{"reset after writing", read, true, Unknown},
		{"reset before writing", read, false, NotSent},
		{"EOF after writing", io.ErrUnexpectedEOF, true, Unknown},
		{"certificate", x509.UnknownAuthorityError{}, true, Untrusted},
	}
	for _, tt := range tests {
		if got := ClassifyError(tt.err, tt.written); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// tlsServer starts a TLS server on addr with cert.
func tlsServer(t *testing.T, addr string, cert *tls.Certificate, hits *int) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { *hits++ }))
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s.Listener.Close()
		s.Listener = ln
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	if cert != nil {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// expiredCert is a self-signed certificate for 127.0.0.1 that expired
// yesterday, and a pool that trusts it.
func expiredCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "expired test"},
		NotBefore:             time.Now().Add(-48 * time.Hour),
		NotAfter:              time.Now().Add(-24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestUntrustedCertificates(t *testing.T) {
	var hits int
	plain := tlsServer(t, "", nil, &hits)
	// httptest's certificate names 127.0.0.1 and ::1, not 127.0.0.2.
	other := tlsServer(t, "127.0.0.2:0", nil, &hits)
	trusting := other.Client() // trusts httptest's certificate
	cert, pool := expiredCert(t)
	expired := tlsServer(t, "", cert, &hits)
	trustExpired := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	notTLS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer notTLS.Close()

	tests := []struct {
		name   string
		c      *http.Client
		url    string
		cert   bool
		reason string
	}{
		{"unknown authority", &http.Client{}, plain.URL, true, "unknown authority"},
		{"host name mismatch", trusting, other.URL, true, "127.0.0.2"},
		{"expired", trustExpired, expired.URL, true, "expired"},
		{"not TLS", &http.Client{}, strings.Replace(notTLS.URL, "http://", "https://", 1), false, "not a TLS record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := do(t, tt.c, tt.url)
			if got != Untrusted {
				t.Fatalf("class %v (error %v), want untrusted", got, err)
			}
			te := TLSProblem(err)
			if te == nil || te.Certificate != tt.cert || !strings.Contains(te.Reason, tt.reason) {
				t.Fatalf("TLSProblem(%v) = %+v", err, te)
			}
			msg := te.Error()
			if tt.cert && (!strings.HasPrefix(msg, "the server's certificate is not trusted: ") || !strings.HasSuffix(msg, "; check the URL or your organisation's CA")) {
				t.Errorf("message %q", msg)
			}
			if strings.Contains(msg, tt.url) {
				t.Errorf("message %q repeats the URL", msg)
			}
			if !errors.Is(te, te.Err) || TLSProblem(te) != te {
				t.Error("TLSError does not unwrap to its cause")
			}
		})
	}
	if hits != 0 {
		t.Errorf("%d requests reached a handler over untrusted TLS", hits)
	}
	if TLSProblem(errors.New("x509: looks like it but is not")) != nil || TLSProblem(nil) != nil {
		t.Error("TLSProblem of a plain error")
	}
}
