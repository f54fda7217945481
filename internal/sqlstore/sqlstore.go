// Package sqlstore opens the SQLite files bulk keeps its state in (the OneFile run ledger, the
// PeopleFluent push ledger, nightly job state) one way: pure Go (modernc.org/sqlite, so building
// bulk needs no C toolchain), WAL so a reader (`bulk runs`) does not wait for a writer, a busy
// timeout so a second process waits instead of failing, one connection (SQLite has one writer
// anyway, and it keeps our own goroutines from SQLITE_BUSY), and a folder and file readable by
// their owner only: they hold names of people and the targets' messages about them.
package sqlstore

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Sync is SQLite's synchronous setting: how often a write reaches the disk.
type Sync string

const (
	// Normal survives a killed process at one fsync per checkpoint (WAL): enough where the
	// store is there for kills and crashes.
	Normal Sync = "NORMAL"
	// Full syncs every commit: for a record that must survive a power cut too.
	Full Sync = "FULL"
)

// Open opens (creating when absent) the store at path, named what in errors ("run ledger"), and
// runs init on it (the schema, or a migration), closing it again when init fails.
func Open(path, what string, sync Sync, init func(*sql.DB) error) (*sql.DB, error) {
	if err := CheckPath(path, what); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the %s %s: %w", what, path, err)
	}
	// Pragmas go in the DSN so that every pooled connection gets them; _txlock=immediate takes
	// the write lock when a transaction begins, so two processes cannot both read, then write.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(" + string(sync) +
		")&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open the %s %s: %w", what, path, err)
	}
	db.SetMaxOpenConns(1)
	if err := init(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("the %s %s cannot be used: %w (move it aside, or give another with --state)", what, path, err)
	}
	// Readable by the owner only, whatever the umask (the WAL files follow the main file's mode).
	_ = os.Chmod(path, 0o600)
	return db, nil
}

// CheckPath refuses a store path that is a URL: postgres://... would otherwise become a folder
// named "postgres:" holding a SQLite file. The error does not repeat a password the URL holds.
func CheckPath(path, what string) error {
	if scheme, _, ok := strings.Cut(path, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, `/\.`) {
		return fmt.Errorf("the %s %q is a URL, but this bulk keeps its state in a file on this machine (SQLite); a %s:// store is not supported: give a file path", what, redact(path), scheme)
	}
	return nil
}

// redact drops a URL's userinfo (a database password) before the URL is shown.
func redact(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "…@" + rest[at+1:]
	}
	return scheme + "://" + rest
}

// Exec returns an init that runs each statement in turn (a schema of CREATE ... IF NOT EXISTS).
func Exec(stmts ...string) func(*sql.DB) error {
	return func(db *sql.DB) error {
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				return err
			}
		}
		return nil
	}
}
