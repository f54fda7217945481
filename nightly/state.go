package nightly

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/bulkload/bulk/internal/sqlstore"
	"github.com/bulkload/bulk/internal/statedir"

	"github.com/bulkload/bulk/pipeline"
)

// State is a job's memory between runs: its run history and, per target and natural key, a
// hash of the row's content as last sent there. Keys are kept as 64-bit fingerprints, not in
// clear: the state file holds no personal data.
type State struct {
	db *sql.DB
}

// schemaVersion is the state's PRAGMA user_version. 0 is the first schema, which keyed
// row_hashes by job alone, so a job pointed at another organisation or environment sent
// nothing (issue 10, defect 1); 2 keys them by job and target.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	job TEXT NOT NULL,
	job_path TEXT NOT NULL DEFAULT '',
	target TEXT NOT NULL DEFAULT '', -- the target key the run diffed against
	file TEXT NOT NULL,
	status TEXT NOT NULL,          -- running, done, failed, held, approved, interrupted, busy
	started TEXT NOT NULL,
	finished TEXT,
	summary TEXT,                  -- JSON
	archive TEXT,
	report TEXT,
	plan TEXT NOT NULL DEFAULT ''  -- where a held run's plan is saved, for approving it later
);
CREATE TABLE IF NOT EXISTS row_hashes (
	job TEXT NOT NULL,
	target TEXT NOT NULL,
	key INTEGER NOT NULL,
	hash INTEGER NOT NULL,
	run TEXT NOT NULL,
	PRIMARY KEY (job, target, key)
) WITHOUT ROWID;
`

// DefaultStatePath is where job state lives unless a job names its own: $BULK_STATE_DIR, else
// statedir.Dir (%LOCALAPPDATA%\bulk on Windows, else $XDG_STATE_HOME/bulk or ~/.local/state/bulk),
// else .bulk-state; the file is nightly.db.
func DefaultStatePath() string {
	dir := os.Getenv("BULK_STATE_DIR")
	if dir == "" {
		var err error
		if dir, err = statedir.Dir(os.Getenv); err != nil {
			dir = ".bulk-state"
		}
	}
	return filepath.Join(dir, "nightly.db")
}

// OpenState opens (creating, or bringing an older one up to date) the state database at path.
func OpenState(path string) (*State, error) {
	db, err := sqlstore.Open(path, "job state", sqlstore.Normal, migrate)
	if err != nil {
		return nil, err
	}
	return &State{db: db}, nil
}

// migrate creates the schema or brings an older one to schemaVersion, in one write
// transaction, so two runs opening an old file at once migrate it once.
//
// Rows of the first schema's row_hashes carry no target: they are dropped, not guessed onto
// one, since guessing is how defect 1 sent nothing to a new organisation. The next run of each
// job finds every row new, which is safe (the target reconciliation and the loader's own
// matching find what exists); a job with a max_new count may be held once.
func migrate(db *sql.DB) error {
	ctx := context.Background()
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion {
		return nil
	}
	if v > schemaVersion {
		return fmt.Errorf("it was written by a newer bulk (state version %d, this bulk knows %d)", v, schemaVersion)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// IMMEDIATE takes the write lock before reading the schema: a deferred transaction that
	// read first could not upgrade to a write if another process migrated meanwhile.
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(ctx, `ROLLBACK`)
		}
	}()
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion { // another process migrated while this one waited
		_, err := conn.ExecContext(ctx, `ROLLBACK`)
		done = true
		return err
	}
	hashCols, err := columns(ctx, conn, "row_hashes")
	if err != nil {
		return err
	}
	if len(hashCols) > 0 && !hashCols["target"] {
		if _, err := conn.ExecContext(ctx, `DROP TABLE row_hashes`); err != nil {
			return err
		}
	}
	runCols, err := columns(ctx, conn, "runs")
	if err != nil {
		return err
	}
	if len(runCols) > 0 {
		for _, c := range []struct{ name, def string }{
			{"target", `ALTER TABLE runs ADD COLUMN target TEXT NOT NULL DEFAULT ''`},
			{"plan", `ALTER TABLE runs ADD COLUMN plan TEXT NOT NULL DEFAULT ''`},
		} {
			if !runCols[c.name] {
				if _, err := conn.ExecContext(ctx, c.def); err != nil {
					return err
				}
			}
		}
	}
	if _, err := conn.ExecContext(ctx, schema); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	done = true
	return nil
}

// columns lists a table's columns; none when the table does not exist.
func columns(ctx context.Context, conn *sql.Conn, table string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// Close closes the database.
func (s *State) Close() error { return s.db.Close() }

// Run is one row of the run history.
type Run struct {
	ID, Job, JobPath, File, Status string
	// Target is the target key the run diffed against (see NewDiffer); empty for runs
	// recorded before targets were.
	Target            string
	Started, Finished time.Time
	Summary           map[string]any
	Archive, Report   string
	// Plan is where a held run's plan was saved (RecordPlan), so approving it later can
	// apply what the approver judged.
	Plan string
}

// StartRun records a run as running.
func (s *State) StartRun(r Run) error {
	_, err := s.db.Exec(`INSERT INTO runs (id, job, job_path, target, file, status, started, report) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
		r.ID, r.Job, r.JobPath, r.Target, r.File, r.Started.UTC().Format(time.RFC3339), r.Report)
	if err != nil {
		return fmt.Errorf("cannot record run %s in the job state: %w", r.ID, err)
	}
	return nil
}

// FinishRun records a run's outcome.
func (s *State) FinishRun(id, status, archive string, summary map[string]any) error {
	b, err := json.Marshal(summary)
	if err != nil {
		return fmt.Errorf("cannot record the outcome of run %s: its summary: %w", id, err)
	}
	return s.update(id, "the outcome of", `UPDATE runs SET status = ?, finished = ?, archive = ?, summary = ? WHERE id = ?`,
		status, time.Now().UTC().Format(time.RFC3339), archive, string(b), id)
}

// RecordPlan records where a run's plan is saved (a held run's, for approving it later).
func (s *State) RecordPlan(id, path string) error {
	return s.update(id, "the plan of", `UPDATE runs SET plan = ? WHERE id = ?`, path, id)
}

// update runs an UPDATE of one run and fails when no run has that ID: an outcome recorded
// for nobody is lost as surely as one that failed to write.
func (s *State) update(id, what, query string, args ...any) error {
	res, err := s.db.Exec(query, args...)
	if err != nil {
		return fmt.Errorf("cannot record %s run %s in the job state: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("cannot record %s run %s in the job state: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("cannot record %s run %s: the job state has no such run", what, id)
	}
	return nil
}

// GetRun returns one run.
func (s *State) GetRun(id string) (*Run, error) {
	runs, err := s.runs(`WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no run %s in this job's history", id)
	}
	return &runs[0], nil
}

// Runs returns the newest runs of every job first.
func (s *State) Runs(limit int) ([]Run, error) {
	// Insertion order, not the ID: two runs in one second have IDs that differ only in their
	// random part.
	return s.runs(`ORDER BY rowid DESC LIMIT ?`, limit)
}

// JobRuns returns the newest runs of one job (by its name) first, for a job that keeps its
// state in a file it shares with others.
func (s *State) JobRuns(job string, limit int) ([]Run, error) {
	return s.runs(`WHERE job = ? ORDER BY rowid DESC LIMIT ?`, job, limit)
}

func (s *State) runs(where string, args ...any) ([]Run, error) {
	rows, err := s.db.Query(`SELECT id, job, job_path, target, file, status, started, COALESCE(finished, ''), COALESCE(summary, ''), COALESCE(archive, ''), COALESCE(report, ''), plan FROM runs `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the run history: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished, summary string
		if err := rows.Scan(&r.ID, &r.Job, &r.JobPath, &r.Target, &r.File, &r.Status, &started, &finished, &summary, &r.Archive, &r.Report, &r.Plan); err != nil {
			return nil, fmt.Errorf("cannot read the run history: %w", err)
		}
		r.Started, _ = time.Parse(time.RFC3339, started)
		if finished != "" {
			r.Finished, _ = time.Parse(time.RFC3339, finished)
		}
		if summary != "" {
			if err := json.Unmarshal([]byte(summary), &r.Summary); err != nil {
				return nil, fmt.Errorf("run %s: its recorded summary is damaged: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Differ sorts a run's rows into new, changed and unchanged against what the job last sent to
// one target, and then against what that target holds. It loads the target's fingerprints once
// (16 bytes a known row) rather than asking the database per row; the rows it lets through are
// remembered until Commit.
type Differ struct {
	job, target string
	known       map[uint64]uint64 // key fingerprint → content hash
	seen        int               // known keys met in this file
	pending     []pendingRow      // to send, in input order once Finish has run
	unchanged   []pendingRow      // held back, unless Reconcile finds them gone from the target
	sorted      bool
	Counts      DiffCounts
}

// DiffCounts are a run's rows by what diffing decided.
type DiffCounts struct {
	Known     int `json:"known"`     // rows known from earlier runs to this target
	New       int `json:"new"`       // never sent before, or not on the target (see NotOnTarget)
	Changed   int `json:"changed"`   // sent before with other content
	Unchanged int `json:"unchanged"` // skipped: sent before exactly so, and still on the target
	Missing   int `json:"missing"`   // known, but absent from this file
	NoKey     int `json:"no_key"`    // rows with no natural key: always sent
	// NotOnTarget are rows the state knew (changed or unchanged) whose key the target no
	// longer holds (a refreshed beta, archived users): counted in New and sent.
	NotOnTarget int `json:"not_on_target"`
}

type pendingRow struct {
	key, hash uint64
	src, row  int
	change    Change
}

// Sends reports whether the row at (src, row) is to be sent: new, changed or without a key.
func (d *Differ) Sends(src, row int) bool {
	d.sort()
	i := sort.Search(len(d.pending), func(i int) bool {
		p := d.pending[i]
		return p.src > src || p.src == src && p.row >= row
	})
	return i < len(d.pending) && d.pending[i].src == src && d.pending[i].row == row
}

// sort puts the pending rows in input order for Sends. The pipeline hands rows over in input
// order, so this is one pass over an already sorted list; after Reconcile it is a real sort.
func (d *Differ) sort() {
	if d.sorted {
		return
	}
	slices.SortFunc(d.pending, func(a, b pendingRow) int {
		if c := cmp.Compare(a.src, b.src); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	d.sorted = true
}

// ToSend is how many rows Sends will let through.
func (d *Differ) ToSend() int { return len(d.pending) }

// Target is the target key the differ compares against.
func (d *Differ) Target() string { return d.target }

// NewDiffer loads what the job has sent before to target. The target key says where rows go,
// canonically (for OneFile the API root and organisation, for PeopleFluent the LMS base and
// endpoint, for an export its folder): the same job pointed elsewhere starts with nothing
// known, so every row is new there.
func (s *State) NewDiffer(job, target string) (*Differ, error) {
	if target == "" {
		return nil, errors.New("cannot diff without a target key: say where the rows go (API root and organisation, LMS base, export folder)")
	}
	rows, err := s.db.Query(`SELECT key, hash FROM row_hashes WHERE job = ? AND target = ?`, job, target)
	if err != nil {
		return nil, fmt.Errorf("cannot read what job %s sent before: %w", job, err)
	}
	defer rows.Close()
	d := &Differ{job: job, target: target, known: map[uint64]uint64{}, sorted: true}
	for rows.Next() {
		var k, h int64
		if err := rows.Scan(&k, &h); err != nil {
			return nil, fmt.Errorf("cannot read what job %s sent before: %w", job, err)
		}
		d.known[uint64(k)] = uint64(h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read what job %s sent before: %w", job, err)
	}
	d.Counts.Known = len(d.known)
	return d, nil
}

// Change is what diffing decided for a row.
type Change uint8

const (
	New Change = iota
	Changed
	Unchanged
	NoKey
)

func (c Change) String() string {
	return [...]string{"new", "changed", "unchanged", "no key"}[c]
}

// RowKey is the natural key diffing gives a row: pipeline.NaturalKey (the kind's Key, else its
// first filled unique field), "" when it has none. A caller naming the keys a target holds
// (Reconcile) must spell them the same way for a record describing the same thing.
func RowKey(r *pipeline.Row) (kind, key string) {
	return r.Map.Kind.Name, pipeline.NaturalKey(r)
}

// Classify decides a valid row's fate and, unless it is unchanged, remembers it for Commit.
// Rows must come in input order (as a pipeline sink receives them).
func (d *Differ) Classify(r *pipeline.Row) Change {
	kind, key := RowKey(r)
	src, row := r.Rec.Src.Index, r.Rec.Row
	if n := len(d.pending); n > 0 && d.sorted {
		last := d.pending[n-1]
		d.sorted = last.src < src || last.src == src && last.row < row
	}
	if key == "" {
		d.Counts.NoKey++
		d.pending = append(d.pending, pendingRow{src: src, row: row, change: NoKey})
		return NoKey
	}
	p := pendingRow{key: fingerprint(kind, key), hash: contentHash(r), src: src, row: row}
	old, ok := d.known[p.key]
	if ok {
		d.seen++
	}
	switch {
	case ok && old == p.hash:
		d.Counts.Unchanged++
		p.change = Unchanged
		d.unchanged = append(d.unchanged, p)
	case ok:
		d.Counts.Changed++
		p.change = Changed
		d.pending = append(d.pending, p)
	default:
		d.Counts.New++
		p.change = New
		d.pending = append(d.pending, p)
	}
	return p.change
}

// Finish computes the known rows the file lacked.
func (d *Differ) Finish() DiffCounts {
	d.Counts.Missing = d.Counts.Known - d.seen
	d.sort()
	return d.Counts
}

// Reconcile compares the plan with what the target holds, after its download: onTarget yields
// every natural key the target holds (by kind; spelt as RowKey spells a row's; a record may
// yield several keys, e.g. its MISID and its e-mail). A row the state knew but whose key is
// not on the target is new whatever the state says: unchanged, it is sent after all; changed,
// it counts as new. So users that vanished from the target (a refreshed beta, archived users)
// are sent again. Call it once, after Finish and before Sends; it returns the counts after.
func (d *Differ) Reconcile(onTarget iter.Seq2[string, string]) DiffCounts {
	present := map[uint64]struct{}{}
	for kind, key := range onTarget {
		present[fingerprint(kind, key)] = struct{}{}
	}
	gone := func(p pendingRow) bool { _, ok := present[p.key]; return !ok }
	for i := range d.pending {
		if p := &d.pending[i]; p.change == Changed && gone(*p) {
			p.change = New
			d.Counts.Changed--
			d.Counts.New++
			d.Counts.NotOnTarget++
		}
	}
	d.sendAfterAll(gone)
	return d.Counts
}

// Resend makes the rows at rows (table index, row number) that diffing found unchanged new
// after all: the target does not hold their keys (the OneFile load found them missing from its
// download, which it makes anyway, so no call is added). Call it after Finish; rows not
// unchanged are left as they are. It returns how many it made new; they count as NotOnTarget
// and Commit remembers them once they reach the target.
func (d *Differ) Resend(rows iter.Seq2[int, int]) int {
	gone := map[[2]int]bool{}
	for src, row := range rows {
		gone[[2]int{src, row}] = true
	}
	if len(gone) == 0 {
		return 0
	}
	return d.sendAfterAll(func(p pendingRow) bool { return gone[[2]int{p.src, p.row}] })
}

// sendAfterAll makes the unchanged rows gone says the target lacks new, to be sent and then
// remembered (NotOnTarget), and returns how many.
func (d *Differ) sendAfterAll(gone func(pendingRow) bool) int {
	n := 0
	kept := d.unchanged[:0]
	for _, p := range d.unchanged {
		if !gone(p) {
			kept = append(kept, p)
			continue
		}
		p.change = New
		d.pending = append(d.pending, p)
		d.sorted = false
		d.Counts.Unchanged--
		d.Counts.New++
		d.Counts.NotOnTarget++
		n++
	}
	d.unchanged = kept
	d.sort()
	return n
}

// Commit remembers the content of every pending row that ok says reached the target, in one
// transaction, so rows that failed are sent again next time.
func (s *State) Commit(ctx context.Context, d *Differ, runID string, ok func(src, row int) bool) (int, error) {
	fail := func(err error) (int, error) {
		return 0, fmt.Errorf("cannot record what run %s sent (the next run will send it again): %w", runID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO row_hashes (job, target, key, hash, run) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job, target, key) DO UPDATE SET hash = excluded.hash, run = excluded.run`)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	n := 0
	for _, p := range d.pending {
		if p.change == NoKey || !ok(p.src, p.row) {
			continue
		}
		if _, err := st.Exec(d.job, d.target, int64(p.key), int64(p.hash), runID); err != nil {
			return fail(err)
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return n, nil
}

func fingerprint(kind, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return h.Sum64()
}

// contentHash hashes a row's mapped fields by canonical name, so a reordered or renamed column
// does not make every row look changed. FNV is stable across runs and machines, unlike maphash.
func contentHash(r *pipeline.Row) uint64 {
	h := fnv.New64a()
	k := r.Map.Kind
	for f := range k.Fields {
		if !r.Has(f) {
			continue
		}
		h.Write([]byte(k.Fields[f].Name))
		h.Write([]byte{0})
		h.Write([]byte(r.Value(f)))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Evaluate says why a run must be held, or nothing when its changes are within the thresholds.
func (t Thresholds) Evaluate(c DiffCounts) []string {
	var why []string
	if t.MaxChanges.Exceeded(c.Changed, c.Known) {
		why = append(why, fmt.Sprintf("%d known rows would be updated; the job allows at most %s", c.Changed, t.MaxChanges))
	}
	if t.MaxNew.Exceeded(c.New, c.Known) {
		why = append(why, fmt.Sprintf("%d rows are new; the job allows at most %s", c.New, t.MaxNew))
	}
	if t.MaxMissing.Exceeded(c.Missing, c.Known) {
		why = append(why, fmt.Sprintf("%d of %d known rows are missing from the file (a truncated export?); the job allows at most %s", c.Missing, c.Known, t.MaxMissing))
	}
	return why
}
