// Package lockfile is an advisory lock on a file (flock) that says who holds it.
//
// The kernel drops an flock when the process holding it dies, however it dies (kill -9, a power
// cut of the process, a panic), so a lock left by a killed process is never stale and nobody has
// to clean up after it. The file's text (pid, command, since when) only explains the lock to the
// process that is refused; it plays no part in deciding who holds it.
package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Holder is who holds a lock, as written in its file.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command,omitempty"`
	Since   time.Time `json:"since"`
	Host    string    `json:"host,omitempty"`
}

// String says who the holder is in words: pid 4242 (bulk load onefile ...), since 2026-01-05 09:14:03 GMT.
func (h Holder) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d", h.PID)
	if host, _ := os.Hostname(); h.Host != "" && h.Host != host {
		fmt.Fprintf(&b, " on %s", h.Host)
	}
	if h.Command != "" {
		fmt.Fprintf(&b, " (%s)", h.Command)
	}
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, ", since %s", h.Since.Local().Format("2006-01-02 15:04:05 MST"))
		if d := time.Since(h.Since).Round(time.Second); d > 0 {
			fmt.Fprintf(&b, " (%s ago)", d)
		}
	}
	return b.String()
}

// ErrLocked means another process holds the lock. Acquire returns it as a *HeldError.
var ErrLocked = errors.New("held by another process")

// HeldError is Acquire's answer when the lock is held.
type HeldError struct {
	Path string
	// Holder is nil when the file does not say (an old format, or unreadable).
	Holder *Holder
}

func (e *HeldError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%s is held by another process", e.Path)
	}
	return fmt.Sprintf("%s is held by %s", e.Path, e.Holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
	// Stale is the holder an earlier process wrote and did not clear because it died holding
	// the lock (Release empties the file); nil when the lock was left cleanly.
	Stale *Holder
}

// Acquire takes the lock at path without waiting: when another process holds it, it returns a
// *HeldError naming that process. The file is created when absent (its folder must exist).
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create the lock file %s: %w", path, err)
	}
	if held, err := tryLock(f); held || err != nil {
		f.Close()
		if held {
			return nil, &HeldError{Path: path, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	l := &Lock{f: f, path: path}
	if prev, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(prev))) > 0 {
		l.Stale = parseHolder(prev)
		if l.Stale == nil {
			l.Stale = &Holder{}
		}
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Command: commandLine(os.Args), Since: time.Now().Truncate(time.Second), Host: host})
	// Written at offset 0 before the old text is cut off, so a reader never sees an empty file
	// between the two (it may see the old text's tail after ours, which parseHolder ignores).
	if _, err := f.WriteAt(append(b, '\n'), 0); err == nil {
		f.Truncate(int64(len(b) + 1))
		f.Sync()
	}
	return l, nil
}

// Path is the lock's file.
func (l *Lock) Path() string { return l.path }

// Release empties the file (so the next holder knows this one ended cleanly) and drops the lock.
func (l *Lock) Release() error {
	l.f.Truncate(0)
	unlock(l.f)
	return l.f.Close()
}

// readHolder reads the holder of a lock held by another process. The holder writes its text
// just after taking the lock: a file still empty is read again a few times before giving up.
func readHolder(path string) *Holder {
	for i := 0; ; i++ {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if h := parseHolder(b); h != nil || i == 4 {
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parseHolder reads a holder's text: a JSON line, or the older "PID RFC3339-time" of bulk's
// first job locks.
func parseHolder(b []byte) *Holder {
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	var h Holder
	if strings.HasPrefix(line, "{") {
		if json.Unmarshal([]byte(line), &h) == nil && h.PID > 0 {
			return &h
		}
		return nil
	}
	fields := strings.Fields(line)
	if len(fields) < 1 {
		return nil
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return nil
	}
	h.PID = pid
	if len(fields) > 1 {
		h.Since, _ = time.Parse(time.RFC3339, fields[1])
	}
	return &h
}

// commandLine is argv as a shell would show it. bulk never takes a secret as an argument
// (tokens and keys come from files or the environment), so argv is safe to show. A long one
// shows its paths by their last element, and then, if still long, its start and its end: the
// input files come last and are what tells a person which load it is.
func commandLine(args []string) string {
	const max = 400
	join := func(short bool) string {
		var b strings.Builder
		for i, a := range args {
			if i == 0 || short && strings.Count(a, "/") > 1 {
				if base := baseName(a); base != a && i > 0 {
					a = ".../" + base
				} else {
					a = base
				}
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			if a == "" || strings.ContainsAny(a, " \t\n'\"\\$") {
				a = strconv.Quote(a)
			}
			b.WriteString(a)
		}
		return b.String()
	}
	s := join(false)
	if len(s) > max {
		s = join(true)
	}
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max/2], "") + " ... " + strings.ToValidUTF8(s[len(s)-max/2:], "")
	}
	return s
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
