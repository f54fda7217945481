package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrHeld is TryLock's answer when another session holds the lock.
var ErrHeld = errors.New("held by another session")

// Holder is what PostgreSQL says about the session that holds a lock: bulk names its sessions
// "bulk pid PID on HOST" (application_name).
type Holder struct {
	PID   int
	Host  string
	Since time.Time // when the holder's connection began (the lock is taken soon after)
}

// LockKey is the 64-bit advisory lock key of a name: the first 8 bytes of its SHA-256, so that
// every bulk on every machine computes the same key for the same name.
func LockKey(name string) int64 {
	sum := sha256.Sum256([]byte("bulk lock\x00" + name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// TryLock takes a session-level PostgreSQL advisory lock named name without waiting, on a
// connection of its own that it keeps until release: the lock lives as long as that session,
// so a process that dies, however it dies, releases it when PostgreSQL notices the connection
// is gone. When another session holds it, TryLock returns ErrHeld and what it knows of the
// holder (nil if PostgreSQL will not say). SQLite stores lock with files instead (lockfile).
func (db *DB) TryLock(ctx context.Context, name string) (release func() error, holder *Holder, err error) {
	if db.dialect != Postgres {
		return nil, nil, fmt.Errorf("%s has no advisory locks", db.dialect)
	}
	key := LockKey(name)
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot connect to %s to take a lock: %w", db.where, err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("cannot take a lock in %s: %w", db.where, err)
	}
	if !got {
		defer conn.Close()
		return nil, holderOf(ctx, conn, key), ErrHeld
	}
	release = func() error {
		_, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
		// The connection is closed, not returned to the pool: should the unlock have failed,
		// ending the session still releases the lock.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		return err
	}
	return release, nil, nil
}

// holderOf asks PostgreSQL which session holds advisory lock key (a bigint key is stored as
// classid, the high 32 bits, and objid, the low, with objsubid 1).
func holderOf(ctx context.Context, conn *sql.Conn, key int64) *Holder {
	var app string
	var since sql.NullTime
	err := conn.QueryRowContext(ctx, `SELECT COALESCE(a.application_name, ''), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = $1 AND l.objid::bigint = $2`,
		int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&app, &since)
	if err != nil {
		return nil
	}
	return parseHolder(app, since.Time)
}

// parseHolder reads the application_name bulk gives its sessions.
func parseHolder(app string, since time.Time) *Holder {
	rest, ok := strings.CutPrefix(app, "bulk pid ")
	if !ok {
		return nil
	}
	pid, host, _ := strings.Cut(rest, " on ")
	n, err := strconv.Atoi(pid)
	if err != nil {
		return nil
	}
	return &Holder{PID: n, Host: host, Since: since}
}
