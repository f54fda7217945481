package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/sqlstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestLoadStopsWhenSharedLockLost: a load holding its organisation's lock in a shared
// PostgreSQL state whose lock session is ended under it (an administrator's
// pg_terminate_backend; a database restart does the same) stops as an interrupted load does,
// saying the shared lock was lost; the same load run again finishes, every user created once.
func TestLoadStopsWhenSharedLockLost(t *testing.T) {
	defer func(d time.Duration) { sqlstore.LockCheckEvery = d }(sqlstore.LockCheckEvery)
	sqlstore.LockCheckEvery = 50 * time.Millisecond
	state := pgtest.URL(t)
	const token = "lock-lost-token"
	box := sandbox.New(sandbox.Config{CustomerToken: token, Latency: 20 * time.Millisecond})
	root, shutdown, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	})
	dir := t.TempDir()
	const n = 120
	var b strings.Builder
	b.WriteString("Role,FirstName,LastName,Email,MISID\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,First%d,Last%d,lost%d@northfield.example,LOST-%03d\n", []int{5, 10, 4}[i%3], i, i, i, i)
	}
	in := writeFile(t, dir, "lost.csv", b.String())
	created := func() (k int, dup []string) {
		seen := map[string]int{}
		for _, u := range box.Snapshot().Users {
			if strings.HasPrefix(u.MISID, "LOST-") {
				seen[u.MISID]++
			}
		}
		for m, c := range seen {
			if c != 1 {
				dup = append(dup, fmt.Sprintf("%s ×%d", m, c))
			}
		}
		return len(seen), dup
	}
	d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: token}[k] }}
	o := func(report string) LoadOnefileOptions {
		return LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, report), Quiet: true},
			URL: root, Org: 5740, State: state, Mode: "create", Concurrency: 2, Rate: 100000}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type result struct {
		out *LoadOnefileOutcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := LoadOnefile(ctx, d, o("first"))
		done <- result{out, err}
	}()
	// Once the load is creating users, end every session that holds an advisory lock: the
	// organisation's locks.
	for k := 0; k < 10; k, _ = created() {
		select {
		case r := <-done:
			t.Fatalf("the load ended before it was cut: %v", r.err)
		case <-ctx.Done():
			t.Fatal("the load never started creating users")
		case <-time.After(10 * time.Millisecond):
		}
	}
	admin, err := sql.Open("pgx", state)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended int
	if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) t`).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("ended %d lock sessions: %v", ended, err)
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the load went on after losing its lock")
	}
	var lle *LockLostError
	if KindOf(r.err) != Interrupted || !errors.As(r.err, &lle) || !strings.Contains(r.err.Error(), "the shared lock was lost") {
		t.Fatalf("the load ended with %v (kind %v), want interrupted because the shared lock was lost", r.err, KindOf(r.err))
	}
	var ae *Error
	if errors.As(r.err, &ae) && !strings.Contains(ae.Hint, "again") {
		t.Errorf("the hint does not say a re-run finishes: %q", ae.Hint)
	}
	k, _ := created()
	if k >= n {
		t.Fatalf("all %d users were created: the load did not stop", k)
	}

	again, err := LoadOnefile(ctx, d, o("again"))
	if err != nil {
		t.Fatalf("the re-run: %v", err)
	}
	if k, dup := created(); k != n || len(dup) > 0 {
		t.Errorf("%d of %d users on OneFile after the re-run, duplicated: %v; re-run %v", k, n, dup, again.Load.Counts)
	}
}

// TestPushStopsWhenSharedLockLost: a push whose lock lives in a shared PostgreSQL state stops as
// an interrupted push does when that lock's session is ended mid-push, saying so; run again,
// it sends what is left.
func TestPushStopsWhenSharedLockLost(t *testing.T) {
	defer func(d time.Duration) { sqlstore.LockCheckEvery = d }(sqlstore.LockCheckEvery)
	sqlstore.LockCheckEvery = 50 * time.Millisecond
	state := pgtest.URL(t)
	const key = "app-push-lost-KEY-5e21"
	sb := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		if r.Method == http.MethodPost {
			once.Do(func() { first = true })
		}
		if first {
			close(entered)
			select { // the first answer never comes: the push is cut first
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer ts.Close()
	defer close(release)
	dir := t.TempDir()
	in := filepath.Join(dir, "training.csv")
	payload := "USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\n" +
		"jsmith,HS-101,05-Sep-2026 09:00,Completed,U\r\n" +
		"adoe,HS-101,05-Sep-2026,Completed,U\r\n"
	if err := os.WriteFile(in, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	d := Deps{Getenv: func(k string) string { return map[string]string{PFKeyEnv: key}[k] }}
	o := PushOptions{File: in, Base: ts.URL + "/ekp/", Endpoint: "trainingHistoryCsv", ChunkRows: 1, Retries: 0,
		ReportDir: filepath.Join(dir, "report"), Quiet: true, PushLedgerOptions: PushLedgerOptions{State: state}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type result struct {
		out *PushOutcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := Push(ctx, d, o)
		done <- result{out, err}
	}()
	select {
	case <-entered:
	case r := <-done:
		t.Fatalf("the push ended before posting: %v", r.err)
	case <-ctx.Done():
		t.Fatal("the push never posted")
	}
	admin, err := sql.Open("pgx", state)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended int
	if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) t`).Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("ended %d lock sessions, want the push's one: %v", ended, err)
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the push went on after losing its lock")
	}
	var lle *LockLostError
	if KindOf(r.err) != Interrupted || !errors.As(r.err, &lle) || !strings.Contains(r.err.Error(), "the shared lock was lost") {
		t.Fatalf("the push ended with %v (kind %v), want interrupted because the shared lock was lost", r.err, KindOf(r.err))
	}
	before := sb.Stats().Requests["trainingHistoryCsv"]
	again, err := Push(ctx, d, o)
	if err != nil || again.Rows != 2 || again.Unknown != 0 || again.OK+again.Failed != 2 || sb.Stats().Requests["trainingHistoryCsv"]-before != 2 {
		t.Fatalf("the re-run: %+v, %v; want both rows sent and answered", again, err)
	}
}
