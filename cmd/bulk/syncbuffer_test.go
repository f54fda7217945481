package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer that a command (or a child process's output copier) can write
// while the test reads it: the stdout and stderr of commands a test watches as they run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSyncBuffer: writers and a reader at once lose no line (and -race finds no race).
func TestSyncBuffer(t *testing.T) {
	var buf syncBuffer
	var wg sync.WaitGroup
	const writers, lines = 4, 200
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < lines; i++ {
				buf.Write([]byte("line\n"))
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for prev := 0; prev < writers*lines; {
			n := strings.Count(buf.String(), "\n")
			if n < prev {
				t.Errorf("the buffer shrank from %d to %d lines", prev, n)
				return
			}
			prev = n
		}
	}()
	wg.Wait()
	<-done
	if n := strings.Count(buf.String(), "line\n"); n != writers*lines {
		t.Errorf("%d lines, want %d", n, writers*lines)
	}
}
