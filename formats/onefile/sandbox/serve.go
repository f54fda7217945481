package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Start serves the sandbox on addr (use "127.0.0.1:0" for a free port) in
// the background. It returns the API base URL, e.g.
// "http://127.0.0.1:41234/api/v2.1", and a shutdown func that stops the
// listener, ends stalled requests and waits (until ctx ends) for the calls in
// flight.
func (s *Server) Start(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox cannot listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	shutdown = func(ctx context.Context) error {
		s.Close()
		err := hs.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return err
	}
	return "http://" + ln.Addr().String() + s.base, shutdown, nil
}
