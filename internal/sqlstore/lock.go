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
	"sync"
	"time"

	"github.com/bulkload/bulk/lockfile"
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

// LockCheckEvery is how often a held advisory lock's connection is checked (Advisory.Lost).
// Tests shorten it.
var LockCheckEvery = 5 * time.Second

// lockCheckTimeout bounds one check: a server that does not answer for this long is taken to
// have dropped the session, and with it the lock.
const lockCheckTimeout = 30 * time.Second

// TryLock takes a session-level PostgreSQL advisory lock named name without waiting, on a
// connection of its own that it keeps until Release: the lock lives as long as that session,
// so a process that dies, however it dies, releases it when PostgreSQL notices the connection
// is gone. When another session holds it, TryLock returns ErrHeld and what it knows of the
// holder (nil if PostgreSQL will not say). SQLite stores lock with files instead (lockfile).
//
// The session can also end under a live process (the server restarted, an administrator's
// pg_terminate_backend, a network cut): the lock is then gone and another machine may take
// it. The held lock's connection is checked every LockCheckEvery, and Lost says when that
// happened, so the holder can stop what the lock protects.
func (db *DB) TryLock(ctx context.Context, name string) (lock *Advisory, holder *Holder, err error) {
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
	a := &Advisory{conn: conn, key: key, where: db.where, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go a.watch(LockCheckEvery) // read here, in the caller's goroutine, not in the watch's
	return a, nil, nil
}

// Advisory is a held advisory lock (TryLock).
type Advisory struct {
	conn  *sql.Conn
	key   int64
	where string

	lost    chan struct{} // closed when the session was found gone
	lostErr error         // why; written before lost is closed
	stop    chan struct{} // closed by Release: stop watching
	done    chan struct{} // closed when the watch has ended
	once    sync.Once
	relErr  error
}

// watch checks the lock's session every interval until Release, and closes lost when it
// is gone.
func (a *Advisory) watch(every time.Duration) {
	defer close(a.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), lockCheckTimeout)
		// A query, not a ping: it must reach the server on this very session. Still holding the
		// lock is checked too, should anything have unlocked it.
		var held bool
		err := a.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
			AND granted AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2)`,
			int64(uint64(a.key)>>32), int64(uint64(a.key)&0xffffffff)).Scan(&held)
		cancel()
		select {
		case <-a.stop: // released meanwhile: whatever the check found no longer matters
			return
		default:
		}
		if err == nil && held {
			continue
		}
		if err == nil {
			err = errors.New("the session no longer holds it")
		}
		a.lostErr = fmt.Errorf("the connection to %s that held it was lost: %w", a.where, err)
		close(a.lost)
		return
	}
}

// Lost is closed when the lock was found lost: its session ended (see TryLock). It is never
// closed for a lock released with Release.
func (a *Advisory) Lost() <-chan struct{} { return a.lost }

// Err says why the lock was lost, once Lost is closed; nil before.
func (a *Advisory) Err() error {
	select {
	case <-a.lost:
		return a.lostErr
	default:
		return nil
	}
}

// Release releases the lock; a second call does nothing.
func (a *Advisory) Release() error {
	a.once.Do(func() {
		close(a.stop)
		<-a.done
		_, a.relErr = a.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, a.key)
		// The connection is closed, not returned to the pool: should the unlock have failed,
		// ending the session still releases the lock.
		a.conn.Raw(func(any) error { return driver.ErrBadConn })
		a.conn.Close()
		select {
		case <-a.lost:
			a.relErr = nil // nothing left to release
		default:
		}
	})
	return a.relErr
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

// Lock is TryLock for bulk's stores: when another session holds the lock, the error is a
// *lockfile.HeldError (errors.Is(err, lockfile.ErrLocked)) named what, as a lock file's is, so
// a caller says "busy" the same way whichever store it has.
func (db *DB) Lock(ctx context.Context, name, what string) (*Advisory, error) {
	a, holder, err := db.TryLock(ctx, name)
	if errors.Is(err, ErrHeld) {
		he := &lockfile.HeldError{Path: what}
		if holder != nil {
			he.Holder = &lockfile.Holder{PID: holder.PID, Host: holder.Host, Since: holder.Since}
		}
		return nil, he
	}
	return a, err
}
