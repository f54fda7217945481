package sqlstore_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/sqlstore"
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
	release, _, err := a.TryLock(ctx, "org 5740")
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
	if r, _, err := b.TryLock(ctx, "org 5741"); err != nil {
		t.Errorf("another name: %v", err)
	} else {
		r()
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	r, _, err := b.TryLock(ctx, "org 5740")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	r()
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
