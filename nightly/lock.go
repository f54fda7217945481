package nightly

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Lock keeps two runs of one job from overlapping. It is an advisory lock (flock) on a file: the
// kernel drops it when the process dies, however it dies, so a lock left by a killed run is
// never stale; the file's text (pid and start time) only explains who holds it.
type Lock struct {
	f *os.File
	// Stale describes an earlier holder that died without cleaning up, if any.
	Stale string
}

// Acquire takes the lock at path or returns an error wrapping ErrLocked that names the holder.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create the job lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, describeHolder(string(holder)))
		}
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	l := &Lock{f: f}
	if prev, _ := os.ReadFile(path); len(strings.TrimSpace(string(prev))) > 0 {
		l.Stale = describeHolder(string(prev)) + " ended without releasing the lock; taking over"
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	f.Sync()
	return l, nil
}

func describeHolder(s string) string {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return "holder unknown"
	}
	if pid, err := strconv.Atoi(fields[0]); err == nil {
		return fmt.Sprintf("pid %d, started %s", pid, fields[1])
	}
	return "holder unknown"
}

// Release empties the lock file and drops the lock.
func (l *Lock) Release() error {
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
