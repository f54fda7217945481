// Package pushledger records what became of every chunk of every PeopleFluent push, so that
// running the same push again (after a crash, kill -9, Ctrl-C, a reboot) sends only what the
// LMS has not answered, and never sends silently twice a row that may already be loaded.
//
// A push is one payload (the exact bytes of a file, by SHA-256) sent to one endpoint of one
// LMS (the canonical base URL). Its chunks are numbered as the pusher cuts them, and each
// carries its own fingerprint, so a chunk is only ever matched with the same rows. The pusher
// records an intent before each POST and the outcome after it; an intent with no outcome is a
// chunk whose answer was lost (killed mid-POST, connection dropped after sending): the LMS may
// or may not have loaded it.
//
// The database is SQLite (pure Go, modernc.org/sqlite) in WAL mode, like the OneFile run
// ledger; bulk keeps it in a file beside that one (internal/app), a nightly job in its state
// folder (PathIn). With a PostgreSQL state (--state postgres://...) it lives in that database
// (schema bulk_push) and its locks are advisory locks there (Beside).
package pushledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkload/bulk/internal/sqlstore"

	"github.com/bulkload/bulk/internal/target"
	"github.com/bulkload/bulk/lockfile"
)

// FileName is the ledger's file name in bulk's state folder.
const FileName = "pf-pushes.db"

// PathIn is the push ledger's path in a state folder: the OneFile run ledger's, or a nightly
// job's.
func PathIn(dir string) string { return filepath.Join(dir, FileName) }

// Beside is the push ledger that goes with a state: the database itself when the state is a
// postgres:// URL, else PathIn the state file's folder.
func Beside(state string) string {
	if sqlstore.IsURL(state) {
		return state
	}
	return PathIn(filepath.Dir(state))
}

// Ledger is an open push ledger. One process pushes one payload at a time (Lock), so a single
// connection is enough.
type Ledger struct {
	db   *sqlstore.DB
	path string // the file, or the URL without its password
}

// migrations bring a ledger to the schema this bulk knows (sqlstore.Migrate). Ledgers outlive
// versions of bulk: change the schema with a new migration, never by changing an old one.
// Version 1 is idempotent, so that ledgers made before versions were recorded take it too.
var migrations = []sqlstore.Migration{{Version: 1, Up: sqlstore.Stmts(schema...)}}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS pushes (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		base       TEXT NOT NULL,
		endpoint   TEXT NOT NULL,
		payload    TEXT NOT NULL,
		generation INTEGER NOT NULL,
		chunk_rows INTEGER NOT NULL,
		file       TEXT NOT NULL,
		started    TEXT NOT NULL,
		updated    TEXT NOT NULL,
		UNIQUE (base, endpoint, payload, generation)
	)`,
	`CREATE TABLE IF NOT EXISTS chunks (
		push_id     INTEGER NOT NULL REFERENCES pushes(id),
		idx         INTEGER NOT NULL,
		fingerprint TEXT NOT NULL,
		state       TEXT NOT NULL,
		results     TEXT NOT NULL DEFAULT '[]',
		posts       INTEGER NOT NULL DEFAULT 0,
		updated     TEXT NOT NULL,
		PRIMARY KEY (push_id, idx)
	) WITHOUT ROWID`,
}

// Open opens (creating when absent) the ledger at path. Its folder is created readable by the
// owner only: the ledger holds the LMS's messages about people's rows.
func Open(p string) (*Ledger, error) {
	// synchronous=FULL: an outcome must survive a power cut as well as a kill, since the
	// intent it closes would otherwise make the next run report loaded rows "unknown". A
	// push writes two records per chunk of thousands of rows, so the fsyncs cost nothing.
	db, err := sqlstore.Open(p, sqlstore.Options{What: "PeopleFluent push ledger", Schema: "bulk_push", Sync: sqlstore.Full, Migrations: migrations})
	if err != nil {
		return nil, err
	}
	return &Ledger{db: db, path: db.Where()}, nil
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

// Fingerprint is the hex SHA-256 of r's bytes.
func Fingerprint(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Key names a push: which payload goes where. Base is the LMS in the canonical form every
// other ledger, lock and state of bulk uses (target.Canonical), so two spellings of one LMS
// share their pushes and their lock.
type Key struct {
	Base     target.URL
	Endpoint string
	Payload  string // Fingerprint of the payload file's bytes
}

// Push is one push of a payload, as the ledger knows it.
type Push struct {
	ID         int64
	Generation int       // 1 for the first push of this payload; +1 for each deliberate new push
	ChunkRows  int       // rows per chunk the push was cut with: a resumed push keeps it
	File       string    // the payload's name when the push started
	Started    time.Time // when it started
	Resumed    bool      // the ledger already held this push: this run resumes it
}

const timeLayout = time.RFC3339Nano

func now() string { return time.Now().UTC().Format(timeLayout) }

// Begin returns the push to continue for key: the latest one recorded, or a new one cut in
// chunks of chunkRows when there is none or when again asks for a new push of the same payload.
func (l *Ledger) Begin(ctx context.Context, k Key, chunkRows int, file string, again bool) (Push, error) {
	var p Push
	var started string
	err := l.db.QueryRowContext(ctx, `SELECT id, generation, chunk_rows, file, started FROM pushes
		WHERE base = ? AND endpoint = ? AND payload = ? ORDER BY generation DESC LIMIT 1`,
		k.Base.Key(), k.Endpoint, k.Payload).Scan(&p.ID, &p.Generation, &p.ChunkRows, &p.File, &started)
	switch {
	case err == nil && !again:
		p.Resumed = true
		p.Started, _ = time.Parse(timeLayout, started)
		return p, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return Push{}, l.wrap(err)
	}
	gen := p.Generation + 1
	t := now()
	var id int64
	err = l.db.QueryRowContext(ctx, `INSERT INTO pushes (base, endpoint, payload, generation, chunk_rows, file, started, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, k.Base.Key(), k.Endpoint, k.Payload, gen, chunkRows, file, t, t).Scan(&id)
	if err != nil {
		return Push{}, l.wrap(err)
	}
	started2, _ := time.Parse(timeLayout, t)
	return Push{ID: id, Generation: gen, ChunkRows: chunkRows, File: file, Started: started2}, nil
}

// State of a chunk.
type State string

const (
	// Sending: a POST of the chunk (or of its pending rows) was about to be made. Found by a
	// later run, it means the answer was lost: the LMS may have loaded those rows.
	Sending State = "sending"
	// Unknown: a POST was made and no readable answer came (5xx, connection lost after
	// sending, an answer that is not the endpoint's): the pending rows may be loaded.
	Unknown State = "unknown"
	// NotLoaded: every POST of the pending rows provably did not load them (never connected,
	// 429/503, refused with a 4xx): sending them again cannot duplicate anything.
	NotLoaded State = "not-loaded"
	// Answered: the LMS answered for every row of the chunk; Results hold them all.
	Answered State = "answered"
)

// MaybeLoaded reports whether the chunk's pending rows may already be in the LMS.
func (s State) MaybeLoaded() bool { return s == Sending || s == Unknown }

// RowResult is the LMS's answer for one row of a chunk.
type RowResult struct {
	I       int    `json:"i"` // index of the row in its chunk, 0-based
	Status  string `json:"s"`
	Message string `json:"m,omitempty"`
}

// Chunk is one chunk of a push as recorded.
type Chunk struct {
	Index       int
	Fingerprint string
	State       State
	Results     []RowResult // rows the LMS answered for; the others are pending
	Posts       int         // POSTs recorded (intents)
	Updated     time.Time
}

// Chunk returns the record of chunk idx of push, if any.
func (l *Ledger) Chunk(ctx context.Context, pushID int64, idx int) (Chunk, bool, error) {
	c := Chunk{Index: idx}
	var results, updated string
	err := l.db.QueryRowContext(ctx, `SELECT fingerprint, state, results, posts, updated FROM chunks WHERE push_id = ? AND idx = ?`,
		pushID, idx).Scan(&c.Fingerprint, &c.State, &results, &c.Posts, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Chunk{}, false, nil
	}
	if err != nil {
		return Chunk{}, false, l.wrap(err)
	}
	if err := json.Unmarshal([]byte(results), &c.Results); err != nil {
		return Chunk{}, false, fmt.Errorf("the PeopleFluent push ledger %s has a damaged record (push %d, chunk %d): %w", l.path, pushID, idx, err)
	}
	c.Updated, _ = time.Parse(timeLayout, updated)
	return c, true, nil
}

// Intend records, before a POST, that the chunk's pending rows are about to be sent. It is
// committed (and, with synchronous=FULL, on disk) before it returns.
func (l *Ledger) Intend(ctx context.Context, pushID int64, idx int, fingerprint string) error {
	_, err := l.db.ExecContext(ctx, `INSERT INTO chunks (push_id, idx, fingerprint, state, posts, updated) VALUES (?, ?, ?, ?, 1, ?)
		ON CONFLICT (push_id, idx) DO UPDATE SET state = excluded.state, posts = chunks.posts + 1, updated = excluded.updated`,
		pushID, idx, fingerprint, string(Sending), now())
	return l.wrap(err)
}

// Record records a POST's outcome: the chunk's state and every row result known so far.
func (l *Ledger) Record(ctx context.Context, pushID int64, idx int, fingerprint string, st State, results []RowResult) error {
	if results == nil {
		results = []RowResult{}
	}
	b, err := json.Marshal(results)
	if err != nil {
		return err
	}
	t := now()
	if _, err := l.db.ExecContext(ctx, `INSERT INTO chunks (push_id, idx, fingerprint, state, results, updated) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (push_id, idx) DO UPDATE SET state = excluded.state, results = excluded.results, updated = excluded.updated`,
		pushID, idx, fingerprint, string(st), string(b), t); err != nil {
		return l.wrap(err)
	}
	_, err = l.db.ExecContext(ctx, `UPDATE pushes SET updated = ? WHERE id = ?`, t, pushID)
	return l.wrap(err)
}

// Lock takes the lock of one push without waiting: two processes pushing the same payload to
// the same endpoint would each send what the other has not recorded yet. When another process
// holds it the error is a *lockfile.HeldError naming it. Beside a SQLite ledger it is a file
// in locks/, an flock; in a PostgreSQL ledger a session-level advisory lock of the same name.
// Either way a process that dies, however it dies, releases it.
func (l *Ledger) Lock(k Key) (*Lock, error) {
	host := "lms"
	if h := k.Base.Host(); h != "" {
		host = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
				return r
			}
			return '_'
		}, h)
	}
	sum := sha256.Sum256([]byte(k.Base.Key() + "\x00" + k.Endpoint + "\x00" + k.Payload))
	name := fmt.Sprintf("pf-%s-%s-%s.lock", host, k.Endpoint, hex.EncodeToString(sum[:6]))
	if l.db.Dialect() == sqlstore.Postgres {
		what := fmt.Sprintf("the push lock %s (a PostgreSQL advisory lock in %s)", strings.TrimSuffix(name, ".lock"), l.path)
		a, err := l.db.Lock(context.Background(), name, what)
		if err != nil {
			return nil, err
		}
		return &Lock{key: k, path: what, release: a.Release, lost: a.Lost(), lostErr: a.Err}, nil
	}
	dir := filepath.Join(filepath.Dir(l.path), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the push locks %s: %w", dir, err)
	}
	fl, err := lockfile.Acquire(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &Lock{Stale: fl.Stale, key: k, path: fl.Path(), release: fl.Release}, nil
}

// Lock is a held push lock.
type Lock struct {
	// Stale is the holder an earlier process recorded and did not clear because it died
	// holding the lock (file locks only); nil otherwise.
	Stale   *lockfile.Holder
	key     Key
	path    string
	release func() error
	lost    <-chan struct{}
	lostErr func() error
}

// Lost is closed when a PostgreSQL advisory lock's session ended under this process (see
// sqlstore.TryLock): the push must stop. It is nil, never closed, for a lock file.
func (lk *Lock) Lost() <-chan struct{} { return lk.lost }

// LostErr says why the lock was lost, once Lost is closed.
func (lk *Lock) LostErr() error {
	if lk.lostErr == nil {
		return nil
	}
	return lk.lostErr()
}

// Key is the push the lock is for.
func (lk *Lock) Key() Key { return lk.key }

// Path names the lock: its file, or the advisory lock and its database.
func (lk *Lock) Path() string { return lk.path }

// Release releases the lock.
func (lk *Lock) Release() error { return lk.release() }

func (l *Ledger) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("PeopleFluent push ledger %s: %w", l.path, err)
}
