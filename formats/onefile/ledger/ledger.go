// Package ledger is bulk's run ledger: an embedded SQLite database (pure Go, so `go build` needs
// no C toolchain), or a PostgreSQL database shared by several machines (--state postgres://...),
// that records, for every row a load touches, what was about to be done and what
// was done, keyed by (API root, organisation, natural key).
//
// The loader writes an intent before each call that changes OneFile and the outcome after it.
// A crash, kill -9 or Ctrl-C between the two leaves an intent without an outcome: the next run
// knows that call's outcome is unknown and searches OneFile before trying again, so nobody is
// created twice. Runs and their per-row results are kept for `bulk runs`.
package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/internal/statedir"

	"github.com/bulkload/bulk/lockfile"
)

// DefaultPath is where the ledger lives when --state is not given: ledger.db in statedir.Dir
// (%LOCALAPPDATA%\bulk on Windows, else $XDG_STATE_HOME/bulk or ~/.local/state/bulk).
func DefaultPath(getenv func(string) string) (string, error) {
	d, err := statedir.Dir(getenv)
	if err != nil {
		return "", fmt.Errorf("%w: give the run ledger's place with --state PATH", err)
	}
	return filepath.Join(d, "ledger.db"), nil
}

// StateURLEnv names the variable that gives bulk's state a database (postgres://...) when no
// --state is given: containers and machines that share one organisation's loads set it once.
const StateURLEnv = "BULK_STATE_URL"

// DefaultPlace is where the ledger lives when --state is not given: $BULK_STATE_URL, else
// DefaultPath. A BULK_STATE_URL bulk cannot keep its state in is refused here, naming the
// variable: the value was set once for the machine, and "give another --state" alone would not
// say where it came from or how to stop it.
func DefaultPlace(getenv func(string) string) (string, error) {
	if u := getenv(StateURLEnv); u != "" {
		if err := sqlstore.CheckPath(u, "state URL in "+StateURLEnv); err != nil {
			return "", fmt.Errorf("%w. Correct or unset %s, or give --state PATH for this run", err, StateURLEnv)
		}
		return u, nil
	}
	return DefaultPath(getenv)
}

// Ledger is an open ledger database. It is safe for concurrent use by the loader's workers and
// by other processes (WAL mode, a busy timeout).
type Ledger struct {
	db   *sqlstore.DB
	path string // the file, or the URL without its password
}

// migrations bring a ledger to the schema this bulk knows (sqlstore.Migrate). Ledgers outlive
// versions of bulk: change the schema with a new migration, never by changing an old one.
// Version 1 is idempotent, so that ledgers made before versions were recorded take it too.
var migrations = []sqlstore.Migration{
	{Version: 1, Up: sqlstore.Stmts(schema...)},
	// 2: the machine a run ran on. A ledger shared by several (PostgreSQL) cannot tell a run
	// killed on another machine by its pid here.
	{Version: 2, Up: sqlstore.Stmts(`ALTER TABLE runs ADD COLUMN host TEXT NOT NULL DEFAULT ''`)},
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS runs (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		started   TEXT NOT NULL,
		finished  TEXT NOT NULL DEFAULT '',
		api_root  TEXT NOT NULL,
		org       INTEGER NOT NULL,
		mode      TEXT NOT NULL,
		dry_run   INTEGER NOT NULL DEFAULT 0,
		inputs    TEXT NOT NULL DEFAULT '[]',
		status    TEXT NOT NULL DEFAULT 'running',
		counts    TEXT NOT NULL DEFAULT '{}',
		pid       INTEGER NOT NULL DEFAULT 0,
		report    TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE TABLE IF NOT EXISTS items (
		api_root   TEXT NOT NULL,
		org        INTEGER NOT NULL,
		key        TEXT NOT NULL,
		state      TEXT NOT NULL,
		action     TEXT NOT NULL,
		onefile_id TEXT NOT NULL DEFAULT '',
		run_id     INTEGER NOT NULL,
		message    TEXT NOT NULL DEFAULT '',
		updated    TEXT NOT NULL,
		PRIMARY KEY (api_root, org, key)
	) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS results (
		run_id     INTEGER NOT NULL,
		seq        INTEGER NOT NULL,
		file       TEXT NOT NULL,
		sheet      TEXT NOT NULL,
		row        INTEGER NOT NULL,
		kind       TEXT NOT NULL,
		action     TEXT NOT NULL,
		status     TEXT NOT NULL,
		onefile_id TEXT NOT NULL,
		message    TEXT NOT NULL,
		PRIMARY KEY (run_id, seq)
	) WITHOUT ROWID`,
}

// Open opens (creating when absent) the ledger at path, a file, or a postgres:// URL (its
// tables in the schema bulk_ledger). A file's folder is created readable by the owner only:
// the ledger holds names of people.
func Open(path string) (*Ledger, error) {
	// synchronous=NORMAL: WAL survives a killed process (the case the ledger is for) at one
	// fsync per checkpoint; the loader's write rate is a few per API call.
	db, err := sqlstore.Open(path, sqlstore.Options{What: "run ledger", Schema: "bulk_ledger", Sync: sqlstore.Normal, Migrations: migrations})
	if err != nil {
		return nil, err
	}
	return &Ledger{db: db, path: db.Where()}, nil
}

// Path returns the file the ledger lives in, or its database's URL without the password.
func (l *Ledger) Path() string { return l.path }

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

// Scope is where rows are loaded: one OneFile API root and organisation. The same natural key
// in another scope is another person.
type Scope struct {
	APIRoot string
	Org     int
}

// State of an item.
type State string

const (
	// Intent: a call that changes OneFile was about to be made. Without a later Done or Failed its
	// outcome is unknown: search before trying again.
	Intent State = "intent"
	// Done: the call succeeded.
	Done State = "done"
	// Failed: OneFile refused the call; nothing changed.
	Failed State = "failed"
)

// Item is the last recorded state of one natural key.
type Item struct {
	Key       string
	State     State
	Action    string // create, update, assign
	OneFileID string
	RunID     int64
	Message   string
	Updated   time.Time
	stamp     string // updated as stored: what Intend compares
}

const timeLayout = time.RFC3339Nano

func now() string { return time.Now().UTC().Format(timeLayout) }

// Items returns every item recorded in scope, by key. A load reads them once at its start.
func (l *Ledger) Items(ctx context.Context, sc Scope) (map[string]Item, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT key, state, action, onefile_id, run_id, message, updated FROM items WHERE api_root = ? AND org = ?`, sc.APIRoot, sc.Org)
	if err != nil {
		return nil, l.wrap(err)
	}
	defer rows.Close()
	out := map[string]Item{}
	for rows.Next() {
		var it Item
		var st, upd string
		if err := rows.Scan(&it.Key, &st, &it.Action, &it.OneFileID, &it.RunID, &it.Message, &upd); err != nil {
			return nil, l.wrap(err)
		}
		it.State = State(st)
		it.Updated, _ = time.Parse(timeLayout, upd)
		it.stamp = upd
		out[it.Key] = it
	}
	return out, l.wrap(rows.Err())
}

// Item returns the recorded state of one key.
func (l *Ledger) Item(ctx context.Context, sc Scope, key string) (Item, bool, error) {
	var it Item
	var st, upd string
	err := l.db.QueryRowContext(ctx, `SELECT key, state, action, onefile_id, run_id, message, updated FROM items WHERE api_root = ? AND org = ? AND key = ?`,
		sc.APIRoot, sc.Org, key).Scan(&it.Key, &st, &it.Action, &it.OneFileID, &it.RunID, &it.Message, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, l.wrap(err)
	}
	it.State = State(st)
	it.Updated, _ = time.Parse(timeLayout, upd)
	it.stamp = upd
	return it, true, nil
}

// Record writes the state of one key. Write State Intent before a call that changes OneFile and
// Done or Failed after it. An ID already recorded is kept when id is empty (an intent does not
// forget the ID an earlier run found).
func (l *Ledger) Record(ctx context.Context, sc Scope, runID int64, key string, st State, action, id, message string) error {
	// The write must not be abandoned half way because the run is being interrupted: the
	// point of an intent is that it is on disk before the call.
	ctx = context.WithoutCancel(ctx)
	_, err := l.db.ExecContext(ctx, `INSERT INTO items (api_root, org, key, state, action, onefile_id, run_id, message, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (api_root, org, key) DO UPDATE SET state = excluded.state, action = excluded.action,
			onefile_id = CASE WHEN excluded.onefile_id = '' THEN items.onefile_id ELSE excluded.onefile_id END,
			run_id = excluded.run_id, message = excluded.message, updated = excluded.updated`,
		sc.APIRoot, sc.Org, key, string(st), action, id, runID, message, now())
	return l.wrap(err)
}

// ErrTaken means another run wrote a key after this run read it: Intend refused to write over it.
var ErrTaken = errors.New("another load recorded this row while this one was running")

// TakenError is Intend's refusal: By is the key's record as the other run left it.
type TakenError struct {
	Key string
	By  Item
}

func (e *TakenError) Error() string {
	return fmt.Sprintf("%s: run %d recorded %s (%s) at %s, after this run read the ledger", e.Key, e.By.RunID, e.By.Action, e.By.State,
		e.By.Updated.Local().Format("15:04:05"))
}

// Is makes errors.Is(err, ErrTaken) true.
func (e *TakenError) Is(target error) bool { return target == ErrTaken }

// Intend records an Intent for key, like Record, but only over the record this run decided on:
// seen is the key's Item as Items returned it at the run's start (the zero Item when the key was
// absent). If another run has written the key since, nothing is written and a *TakenError says
// which run: sending now could repeat what that run is doing. What this run wrote itself
// (runID) it may always write over.
//
// Record alone cannot guard this: SQLite serialises two processes' writes, but an upsert from
// the second simply replaces the first, and both decided from what they read at their start.
// Here the check and the write are one statement, which SQLite runs under its write lock, so of
// two runs that read the key the same way exactly one gets the intent. PostgreSQL gives the
// same: of two inserts of one absent key the second waits for the first to commit and then
// takes the conflict path; an ON CONFLICT DO UPDATE locks the row and evaluates its WHERE on
// the row's latest committed version, so the loser affects no row.
func (l *Ledger) Intend(ctx context.Context, sc Scope, runID int64, key, action, id string, seen Item) error {
	ctx = context.WithoutCancel(ctx) // as Record: the intent must be on disk before the call
	res, err := l.db.ExecContext(ctx, `INSERT INTO items (api_root, org, key, state, action, onefile_id, run_id, message, updated)
		VALUES (?, ?, ?, 'intent', ?, ?, ?, '', ?)
		ON CONFLICT (api_root, org, key) DO UPDATE SET state = excluded.state, action = excluded.action,
			onefile_id = CASE WHEN excluded.onefile_id = '' THEN items.onefile_id ELSE excluded.onefile_id END,
			run_id = excluded.run_id, message = excluded.message, updated = excluded.updated
		WHERE items.run_id = excluded.run_id OR (items.run_id = ? AND items.updated = ?)`,
		sc.APIRoot, sc.Org, key, action, id, runID, now(), seen.RunID, seen.stamp)
	if err != nil {
		return l.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return l.wrap(err)
	}
	by, _, err := l.Item(ctx, sc, key)
	if err != nil {
		return err
	}
	return &TakenError{Key: key, By: by}
}

// Lock is a held lock of one scope.
type Lock struct {
	// Stale is the holder an earlier process recorded and did not clear because it died holding
	// the lock (file locks only; PostgreSQL forgets a dead session's locks); nil otherwise.
	Stale   *lockfile.Holder
	path    string
	release func() error
	lost    <-chan struct{}
	lostErr func() error
}

// Lost is closed when a PostgreSQL advisory lock's session ended under this process (the
// server restarted, the connection was cut; see sqlstore.TryLock): another machine may now
// take it, so the load must stop. It is nil, never closed, for a lock file.
func (lk *Lock) Lost() <-chan struct{} { return lk.lost }

// LostErr says why the lock was lost, once Lost is closed.
func (lk *Lock) LostErr() error {
	if lk.lostErr == nil {
		return nil
	}
	return lk.lostErr()
}

// Path names the lock: its file, or the advisory lock and the database that holds it.
func (lk *Lock) Path() string { return lk.path }

// Release releases the lock.
func (lk *Lock) Release() error { return lk.release() }

// LockScope takes the lock of one scope without waiting: a load holds it while it sends, so two
// loads into one organisation that share this ledger never run at once. When another process
// holds it the error is a *lockfile.HeldError naming that process.
//
// Beside a SQLite ledger the lock is a file in locks/, an flock: a process that dies, however
// it dies, releases it. In a PostgreSQL ledger it is a session-level advisory lock keyed by a
// hash of the same name (lockName: the canonical API root and the organisation), held on a
// connection of its own until Release, so loads on any number of machines sharing the
// database exclude each other; a process that dies ends its session, which releases it.
func (l *Ledger) LockScope(sc Scope) (*Lock, error) {
	name := lockName(sc)
	if l.db.Dialect() == sqlstore.Postgres {
		what := fmt.Sprintf("the load lock %s (a PostgreSQL advisory lock in %s)", strings.TrimSuffix(name, ".lock"), l.path)
		a, err := l.db.Lock(context.Background(), name, what)
		if err != nil {
			return nil, err
		}
		return &Lock{path: what, release: a.Release, Stale: l.unfinished(sc), lost: a.Lost(), lostErr: a.Err}, nil
	}
	dir := filepath.Join(filepath.Dir(l.path), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the load locks %s: %w", dir, err)
	}
	fl, err := lockfile.Acquire(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &Lock{Stale: fl.Stale, path: fl.Path(), release: fl.Release}, nil
}

// unfinished is the latest load into sc recorded as running, for a caller that has just taken
// sc's lock: no such load can still be running (it would hold the lock), so it died. An
// advisory lock leaves no trace of a dead holder; the ledger's runs do.
func (l *Ledger) unfinished(sc Scope) *lockfile.Holder {
	var pid int
	var host, started string
	err := l.db.QueryRowContext(context.Background(), `SELECT pid, host, started FROM runs
		WHERE api_root = ? AND org = ? AND dry_run = 0 AND status = 'running' ORDER BY id DESC LIMIT 1`, sc.APIRoot, sc.Org).Scan(&pid, &host, &started)
	if err != nil {
		return nil
	}
	since, _ := time.Parse(timeLayout, started)
	return &lockfile.Holder{PID: pid, Host: host, Since: since}
}

// lockName names a scope's lock file: readable (host and organisation) and exact (a hash of the
// whole API root, lower-cased, so two spellings of one root share a lock).
func lockName(sc Scope) string {
	root := strings.ToLower(strings.TrimRight(sc.APIRoot, "/"))
	host := "onefile"
	if u, err := url.Parse(root); err == nil && u.Host != "" {
		host = u.Host
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, host)
	sum := sha256.Sum256([]byte(root))
	return fmt.Sprintf("onefile-%s-org%d-%s.lock", host, sc.Org, hex.EncodeToString(sum[:4]))
}

// Run is one load, as `bulk runs` lists it.
type Run struct {
	ID       int64
	Started  time.Time
	Finished time.Time // zero while running (or when the process died)
	APIRoot  string
	Org      int
	Mode     string
	DryRun   bool
	Inputs   []string
	Status   string // running, ok, failed (rows failed or were rejected), interrupted, error
	Counts   map[string]int64
	PID      int
	Host     string // the machine it ran on ("" for runs recorded before hosts were)
	Report   string // the report folder
}

// StartRun records a new run and returns its ID.
func (l *Ledger) StartRun(ctx context.Context, r Run) (int64, error) {
	in, _ := json.Marshal(r.Inputs)
	dry := 0
	if r.DryRun {
		dry = 1
	}
	var id int64
	host, _ := os.Hostname()
	err := l.db.QueryRowContext(ctx, `INSERT INTO runs (started, api_root, org, mode, dry_run, inputs, status, pid, report, host) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id`,
		now(), r.APIRoot, r.Org, r.Mode, dry, string(in), os.Getpid(), r.Report, host).Scan(&id)
	return id, l.wrap(err)
}

// FinishRun records how a run ended.
func (l *Ledger) FinishRun(ctx context.Context, id int64, status string, counts map[string]int64) error {
	c, _ := json.Marshal(counts)
	_, err := l.db.ExecContext(context.WithoutCancel(ctx), `UPDATE runs SET finished = ?, status = ?, counts = ? WHERE id = ?`, now(), status, string(c), id)
	return l.wrap(err)
}

// Runs returns the latest runs, newest first.
func (l *Ledger) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := l.db.QueryContext(ctx, `SELECT id, started, finished, api_root, org, mode, dry_run, inputs, status, counts, pid, report, host FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, l.wrap(err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, l.wrap(err)
		}
		out = append(out, r)
	}
	return out, l.wrap(rows.Err())
}

// ErrNoRun is returned by Run for an unknown ID.
var ErrNoRun = errors.New("no such run")

// Run returns one run.
func (l *Ledger) Run(ctx context.Context, id int64) (Run, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, started, finished, api_root, org, mode, dry_run, inputs, status, counts, pid, report, host FROM runs WHERE id = ?`, id)
	if err != nil {
		return Run{}, l.wrap(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Run{}, l.wrap(err)
		}
		return Run{}, fmt.Errorf("run %d: %w in %s", id, ErrNoRun, l.path)
	}
	return scanRun(rows)
}

func scanRun(rows *sql.Rows) (Run, error) {
	var r Run
	var started, finished, inputs, counts string
	if err := rows.Scan(&r.ID, &started, &finished, &r.APIRoot, &r.Org, &r.Mode, &r.DryRun, &inputs, &r.Status, &counts, &r.PID, &r.Report, &r.Host); err != nil {
		return Run{}, err
	}
	r.Started, _ = time.Parse(timeLayout, started)
	r.Finished, _ = time.Parse(timeLayout, finished)
	_ = json.Unmarshal([]byte(inputs), &r.Inputs)
	_ = json.Unmarshal([]byte(counts), &r.Counts)
	return r, nil
}

// Result is one row's outcome in one run (a line of results.csv).
type Result struct {
	Seq       int
	File      string
	Sheet     string
	Row       int
	Kind      string
	Action    string
	Status    string
	OneFileID string
	Message   string
}

// AddResults stores a run's per-row results, in one transaction.
func (l *Ledger) AddResults(ctx context.Context, runID int64, rs []Result) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := l.db.BeginTx(ctx)
	if err != nil {
		return l.wrap(err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO results (run_id, seq, file, sheet, row, kind, action, status, onefile_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, seq) DO UPDATE SET file = excluded.file, sheet = excluded.sheet, row = excluded.row, kind = excluded.kind,
			action = excluded.action, status = excluded.status, onefile_id = excluded.onefile_id, message = excluded.message`)
	if err != nil {
		return l.wrap(err)
	}
	defer st.Close()
	for _, r := range rs {
		if _, err := st.ExecContext(ctx, runID, r.Seq, r.File, r.Sheet, r.Row, r.Kind, r.Action, r.Status, r.OneFileID, r.Message); err != nil {
			return l.wrap(err)
		}
	}
	return l.wrap(tx.Commit())
}

// Results returns a run's per-row results in input order.
func (l *Ledger) Results(ctx context.Context, runID int64) ([]Result, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, file, sheet, row, kind, action, status, onefile_id, message FROM results WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, l.wrap(err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		if err := rows.Scan(&r.Seq, &r.File, &r.Sheet, &r.Row, &r.Kind, &r.Action, &r.Status, &r.OneFileID, &r.Message); err != nil {
			return nil, l.wrap(err)
		}
		out = append(out, r)
	}
	return out, l.wrap(rows.Err())
}

func (l *Ledger) wrap(err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), l.path) {
		return err
	}
	return fmt.Errorf("run ledger %s: %w", l.path, err)
}
