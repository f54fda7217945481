package pushledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/target"
	"github.com/bulkload/bulk/lockfile"
)

// lms is the base URL of a test LMS, canonical as resume.go makes it.
func lms(t *testing.T, raw string) target.URL {
	t.Helper()
	u, err := target.Canonical(raw, target.AllowInsecureHTTP)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// eachBackend runs a push ledger test on SQLite and on PostgreSQL, as subtests; place gives a
// new ledger's place each call.
func eachBackend(t *testing.T, test func(t *testing.T, place func(file string) string)) {
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			test(t, func(file string) string { return b.Place(t, file) })
		})
	}
}

// Every spelling of one LMS resumes the same push and takes the same lock: the key is
// target.Canonical's, the identity the OneFile ledger, organisation locks and nightly state use.
func TestSpellingsOfOneLMSShareAPush(t *testing.T) { eachBackend(t, testSpellingsOfOneLMSShareAPush) }

func testSpellingsOfOneLMSShareAPush(t *testing.T, place func(string) string) {
	ctx := context.Background()
	l, err := Open(place(FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first := Key{Base: lms(t, "https://lms.example.ac.uk/ekp/"), Endpoint: "trainingHistoryCsv", Payload: "abc"}
	p1, err := l.Begin(ctx, first, 500, "a.csv", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, spelling := range []string{
		"https://lms.example.ac.uk/ekp",
		"HTTPS://LMS.Example.AC.UK.:443/ekp//",
		"https://lms.example.ac.uk/ekp/./x/../",
	} {
		k := first
		k.Base = lms(t, spelling)
		p, err := l.Begin(ctx, k, 500, "a.csv", false)
		if err != nil || !p.Resumed || p.ID != p1.ID {
			t.Errorf("%s: push %+v (%v), want push %d resumed", spelling, p, err, p1.ID)
		}
	}
	lk, err := l.Lock(first)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	again := first
	again.Base = lms(t, "https://LMS.example.ac.uk:443/ekp/")
	if _, err := l.Lock(again); !errors.Is(err, lockfile.ErrLocked) {
		t.Errorf("another spelling of the LMS took the lock: %v", err)
	}
	// localhost is 127.0.0.1 to target.Canonical; 127.0.0.2 is another server.
	loop := Key{Base: lms(t, "http://localhost:8090/ekp/"), Endpoint: "trainingHistoryCsv", Payload: "abc"}
	p2, err := l.Begin(ctx, loop, 500, "a.csv", false)
	if err != nil || p2.Resumed {
		t.Fatalf("loopback push: %+v %v", p2, err)
	}
	loop.Base = lms(t, "http://127.0.0.1:8090/ekp")
	if p, _ := l.Begin(ctx, loop, 500, "a.csv", false); !p.Resumed || p.ID != p2.ID {
		t.Errorf("http://127.0.0.1:8090/ekp did not resume the push to localhost: %+v", p)
	}
	loop.Base = lms(t, "http://127.0.0.2:8090/ekp")
	if p, _ := l.Begin(ctx, loop, 500, "a.csv", false); p.Resumed {
		t.Error("a push to 127.0.0.2 resumed the push to 127.0.0.1")
	}
}

func TestBeginResumeAndAgain(t *testing.T) { eachBackend(t, testBeginResumeAndAgain) }

func testBeginResumeAndAgain(t *testing.T, place func(string) string) {
	ctx := context.Background()
	path := place(filepath.Join("s", FileName))
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	k := Key{Base: lms(t, "https://lms.example.ac.uk/ekp/"), Endpoint: "trainingHistoryCsv", Payload: "abc"}
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

func TestLockOnePushAtATime(t *testing.T) { eachBackend(t, testLockOnePushAtATime) }

func testLockOnePushAtATime(t *testing.T, place func(string) string) {
	l, err := Open(place(FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	k := Key{Base: lms(t, "https://lms.example.ac.uk/ekp/"), Endpoint: "trainingHistoryCsv", Payload: "abc"}
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
