package pushledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/lockfile"
)

func TestCanonicalBase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://lms.example.ac.uk/ekp/", "https://lms.example.ac.uk/ekp/"},
		{"https://lms.example.ac.uk/ekp", "https://lms.example.ac.uk/ekp/"},
		{"HTTPS://LMS.Example.AC.UK.:443/ekp//", "https://lms.example.ac.uk/ekp/"},
		{"https://lms.example.ac.uk/ekp/./x/../", "https://lms.example.ac.uk/ekp/"},
		{"http://127.0.0.1:80/ekp/", "http://127.0.0.1/ekp/"},
		{"http://127.0.0.1:8090/ekp/", "http://127.0.0.1:8090/ekp/"},
		{"https://lms.example.ac.uk:8443", "https://lms.example.ac.uk:8443/"},
		{"http://[::1]:8090/ekp", "http://[::1]:8090/ekp/"},
		{"http://[::1]/ekp", "http://[::1]/ekp/"},
	}
	for _, tt := range tests {
		got, err := CanonicalBase(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalBase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := CanonicalBase("https://bulk:secret@lms.example.ac.uk/ekp/"); err == nil {
		t.Error("user info accepted")
	}
}

// The push ledger sits in the same folder as the OneFile run ledger, whatever the environment.
func TestDefaultPathBesideOneFileLedger(t *testing.T) {
	for _, env := range []map[string]string{
		{"XDG_STATE_HOME": "/srv/state", "HOME": "/home/officer"},
		{"HOME": "/home/officer"},
		{"XDG_STATE_HOME": "relative/ignored", "HOME": "/home/officer"},
	} {
		getenv := func(k string) string { return env[k] }
		ours, err1 := DefaultPath(getenv)
		theirs, err2 := ledger.DefaultPath(getenv)
		if err1 != nil || err2 != nil || filepath.Dir(ours) != filepath.Dir(theirs) || filepath.Base(ours) != FileName {
			t.Errorf("env %v: push ledger %q (%v), OneFile ledger %q (%v)", env, ours, err1, theirs, err2)
		}
	}
}

func TestBeginResumeAndAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s", FileName)
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	k := Key{Base: "https://lms.example.ac.uk/ekp/", Endpoint: "trainingHistoryCsv", Payload: "abc"}
	p1, err := l.Begin(ctx, k, 500, "a.csv", false)
	if err != nil || p1.Resumed || p1.Generation != 1 || p1.ChunkRows != 500 {
		t.Fatalf("first Begin: %+v %v", p1, err)
	}
	if err := l.Intend(ctx, p1.ID, 1, "f1"); err != nil {
		t.Fatal(err)
	}
	c, ok, err := l.Chunk(ctx, p1.ID, 1)
	if err != nil || !ok || c.State != Sending || !c.State.MaybeLoaded() || c.Posts != 1 {
		t.Fatalf("after Intend: %+v %v %v", c, ok, err)
	}
	if err := l.Record(ctx, p1.ID, 1, "f1", Answered, []RowResult{{I: 0, Status: "ok"}, {I: 1, Status: "failed", Message: "no such user"}}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ = l.Chunk(ctx, p1.ID, 1); c.State != Answered || len(c.Results) != 2 || c.Results[1].Message != "no such user" {
		t.Fatalf("after Record: %+v", c)
	}
	// A later run with another chunk size resumes the same push, keeping its size.
	p2, err := l.Begin(ctx, k, 5000, "b.csv", false)
	if err != nil || !p2.Resumed || p2.ID != p1.ID || p2.ChunkRows != 500 {
		t.Fatalf("second Begin: %+v %v", p2, err)
	}
	// Again: a new push of the same payload.
	p3, err := l.Begin(ctx, k, 5000, "b.csv", true)
	if err != nil || p3.Resumed || p3.ID == p1.ID || p3.Generation != 2 {
		t.Fatalf("Begin again: %+v %v", p3, err)
	}
	if _, ok, _ := l.Chunk(ctx, p3.ID, 1); ok {
		t.Error("the new push inherited a chunk")
	}
	// Another payload or endpoint is another push.
	other := k
	other.Endpoint = "externalTrainingCsv"
	if p, _ := l.Begin(ctx, other, 10, "c.csv", false); p.Resumed {
		t.Error("another endpoint resumed this push")
	}
}

func TestLockOnePushAtATime(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	k := Key{Base: "https://lms.example.ac.uk/ekp/", Endpoint: "trainingHistoryCsv", Payload: "abc"}
	lk, err := l.Lock(k)
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file description: a second Acquire in this process is refused too.
	if _, err := l.Lock(k); !errors.Is(err, lockfile.ErrLocked) {
		t.Errorf("second lock: %v, want ErrLocked", err)
	}
	other := k
	other.Payload = "def"
	lk2, err := l.Lock(other)
	if err != nil {
		t.Errorf("another payload's lock: %v", err)
	} else {
		_ = lk2.Release()
	}
	_ = lk.Release()
}
