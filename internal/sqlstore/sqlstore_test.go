package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/lockfile"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func opts(ms ...sqlstore.Migration) sqlstore.Options {
	return sqlstore.Options{What: "test store", Schema: "bulk_test", Sync: sqlstore.Normal, Migrations: ms}
}

var v1 = sqlstore.Migration{Version: 1, Up: sqlstore.Stmts(
	`CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, x INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '?')`)}
var v2 = sqlstore.Migration{Version: 2, Up: func(ctx context.Context, tx *sqlstore.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE t ADD COLUMN y INTEGER NOT NULL DEFAULT 7`)
	return err
}}

// The same store code runs on both backends: migrations in order, once; ? placeholders; 64-bit
// integers; RETURNING an identity; a newer store refused.
func TestStoreOnBothBackends(t *testing.T) {
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			place := b.Place(t, "sub/state.db")
			db, err := sqlstore.Open(place, opts(v1))
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := db.QueryRowContext(ctx, `INSERT INTO t (x) VALUES (?) RETURNING id`, int64(-1)<<62).Scan(&id); err != nil {
				t.Fatal(err)
			}
			var x int64
			var note string
			if err := db.QueryRowContext(ctx, `SELECT x, note FROM t WHERE id = ?`, id).Scan(&x, &note); err != nil || x != int64(-1)<<62 || note != "?" {
				t.Fatalf("read back %d %q, %v", x, note, err)
			}
			db.Close()

			// Reopened by a bulk that knows version 2: migrated once, the row kept.
			db, err = sqlstore.Open(place, opts(v1, v2))
			if err != nil {
				t.Fatal(err)
			}
			var y int
			if err := db.QueryRowContext(ctx, `SELECT y FROM t WHERE id = ?`, id).Scan(&y); err != nil || y != 7 {
				t.Fatalf("after migrating: y %d, %v", y, err)
			}
			db.Close()

			// An older bulk refuses it, saying why.
			_, err = sqlstore.Open(place, opts(v1))
			var newer *sqlstore.ErrNewer
			if !errors.As(err, &newer) || newer.Found != 2 || newer.Known != 1 || !strings.Contains(err.Error(), "newer bulk") ||
				strings.Contains(err.Error(), "give another") {
				t.Fatalf("an older bulk opened a newer store: %v", err)
			}
			if b.Name == "sqlite" {
				for p, want := range map[string]os.FileMode{filepath.Dir(place): 0o700, place: 0o600} {
					if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
						t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode().Perm(), err, want)
					}
				}
			}
		})
	}
}

// Several processes' worth of opens at once migrate a new store once, without an error from
// two creators racing.
func TestConcurrentFirstOpen(t *testing.T) {
	for _, b := range pgtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			place := b.Place(t, "state.db")
			errs := make(chan error, 6)
			for range 6 {
				go func() {
					db, err := sqlstore.Open(place, opts(v1, v2))
					if err == nil {
						db.Close()
					}
					errs <- err
				}()
			}
			for range 6 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestTryLock(t *testing.T) {
	place := pgtest.URL(t)
	a, err := sqlstore.Open(place, opts(v1))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlstore.Open(place, opts(v1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	lk, _, err := a.TryLock(ctx, "org 5740")
	if err != nil {
		t.Fatal(err)
	}
	_, holder, err := b.TryLock(ctx, "org 5740")
	if !errors.Is(err, sqlstore.ErrHeld) {
		t.Fatalf("a held lock taken again: %v", err)
	}
	if holder == nil || holder.PID != os.Getpid() {
		t.Errorf("holder %+v, want this process", holder)
	}
	_, err = b.Lock(ctx, "org 5740", "the lock of org 5740")
	var he *lockfile.HeldError
	if !errors.As(err, &he) || he.Path != "the lock of org 5740" || he.Holder == nil || he.Holder.PID != os.Getpid() {
		t.Errorf("Lock of a held lock: %v, want a *lockfile.HeldError naming this process", err)
	}
	if r, _, err := b.TryLock(ctx, "org 5741"); err != nil {
		t.Errorf("another name: %v", err)
	} else {
		r.Release()
	}
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Release(); err != nil {
		t.Errorf("a second Release: %v", err)
	}
	select {
	case <-lk.Lost():
		t.Error("a released lock says it was lost")
	default:
	}
	r, _, err := b.TryLock(ctx, "org 5740")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	r.Release()
}

// TestLockLost: when the session holding an advisory lock ends under a live process (here an
// administrator's pg_terminate_backend; a server restart does the same), Lost is closed and
// Err says the connection was lost, another session can take the lock, and Release is quiet.
func TestLockLost(t *testing.T) {
	defer func(d time.Duration) { sqlstore.LockCheckEvery = d }(sqlstore.LockCheckEvery)
	sqlstore.LockCheckEvery = 50 * time.Millisecond
	place := pgtest.URL(t)
	a, err := sqlstore.Open(place, opts(v1))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lk, err := a.Lock(ctx, "job nightly", "the job lock")
	if err != nil {
		t.Fatal(err)
	}
	if lk.Err() != nil {
		t.Fatalf("a held lock has an error: %v", lk.Err())
	}
	admin, err := sql.Open("pgx", place)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	key := sqlstore.LockKey("job nightly")
	var killed bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid::bigint = $1 AND objid::bigint = $2`, int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&killed); err != nil || !killed {
		t.Fatalf("cannot end the lock's session: %v, %v", killed, err)
	}
	select {
	case <-lk.Lost():
	case <-ctx.Done():
		t.Fatal("the lost lock was never noticed")
	}
	if err := lk.Err(); err == nil || !strings.Contains(err.Error(), "connection to") {
		t.Errorf("Err = %v, want the lost connection named", err)
	}
	b, err := sqlstore.Open(place, opts(v1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other, err := b.Lock(ctx, "job nightly", "the job lock")
	if err != nil {
		t.Fatalf("the lost lock cannot be taken by another session: %v", err)
	}
	other.Release()
	if err := lk.Release(); err != nil {
		t.Errorf("Release of a lost lock: %v", err)
	}
}

// A password in a --state URL never reaches an error.
func TestPasswordNotInErrors(t *testing.T) {
	u, _ := url.Parse(pgtest.URL(t))
	u.User = url.UserPassword("nosuchuser", "s3cret-pw")
	_, err := sqlstore.Open(u.String(), opts(v1))
	if err == nil {
		t.Fatal("a user that does not exist connected")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("the password is in the error: %v", err)
	}
	u.Host = "127.0.0.1:1"
	u.RawQuery = "password=q-s3cret&connect_timeout=2"
	if _, err := sqlstore.Open(u.String(), opts(v1)); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable server: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bulk:s3cret@db.example:5432/bulk":        "postgres://…@db.example:5432/bulk",
		"postgresql://bulk:a/b@c@db.example/bulk?sslmode=on": "postgresql://…@db.example/bulk",
		"postgres://db.example/bulk?password=s3cret":         "postgres://db.example/bulk",
		"/var/lib/bulk/ledger.db":                            "/var/lib/bulk/ledger.db",
	} {
		if got := sqlstore.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)`
	if got := sqlstore.Postgres.Rebind(q); got != `SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)` {
		t.Errorf("postgres: %s", got)
	}
	if got := sqlstore.SQLite.Rebind(q); got != q {
		t.Errorf("sqlite: %s", got)
	}
}

// A --state that is a URL of another kind is refused with a sentence, not turned into a folder
// named "mysql:", and a password in it is not repeated; postgres URLs and paths pass.
func TestCheckPath(t *testing.T) {
	t.Chdir(t.TempDir())
	for u, bad := range map[string]bool{
		"mysql://bulk:s3cret@db.example/bulk": true,
		"sqlite://x.db":                       true,
		"postgres://bulk:s3cret@db/bulk":      false,
		"POSTGRESQL://db/bulk":                false,
		`C:\Users\ann\bulk\ledger.db`:         false,
		"a:b.db":                              false,
		"./mysql:ledger.db":                   false,
		"/var/lib/bulk/a:b.db":                false,
		// A slash short of a URL: refused, not a folder named "postgres:" (nor "mysql:").
		"postgres:/bulk:s3cret@db/bulk": true,
		"postgresql:bulk":               true,
		"mysql:":                        true,
	} {
		err := sqlstore.CheckPath(u, "job state")
		if (err != nil) != bad || err != nil && (strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres")) {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"mysql://db/x", "postgres:/db/x"} {
		if _, err := sqlstore.Open(u, opts(v1)); err == nil {
			t.Errorf("opened %s", u)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("a refused URL left %v behind", entries)
	}
}
