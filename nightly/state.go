package nightly

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"time"

	_ "modernc.org/sqlite" // pure Go: building bulk needs no C toolchain

	"github.com/bulkload/bulk/pipeline"
)

// State is a job's memory between runs: its run history and, per natural key, a hash of the
// row's content as last sent. Keys are kept as 64-bit fingerprints, not in clear: the state file
// holds no personal data.
type State struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	job TEXT NOT NULL,
	job_path TEXT NOT NULL DEFAULT '',
	file TEXT NOT NULL,
	status TEXT NOT NULL,          -- running, done, failed, held, approved
	started TEXT NOT NULL,
	finished TEXT,
	summary TEXT,                  -- JSON
	archive TEXT,
	report TEXT
);
CREATE TABLE IF NOT EXISTS row_hashes (
	job TEXT NOT NULL,
	key INTEGER NOT NULL,
	hash INTEGER NOT NULL,
	run TEXT NOT NULL,
	PRIMARY KEY (job, key)
) WITHOUT ROWID;
`

// DefaultStatePath is where job state lives unless a job names its own: $BULK_STATE_DIR,
// else $XDG_STATE_HOME/bulk, else ~/.local/state/bulk; the file is nightly.db.
func DefaultStatePath() string {
	dir := os.Getenv("BULK_STATE_DIR")
	if dir == "" {
		if x := os.Getenv("XDG_STATE_HOME"); x != "" {
			dir = filepath.Join(x, "bulk")
		} else if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state", "bulk")
		} else {
			dir = ".bulk-state"
		}
	}
	return filepath.Join(dir, "nightly.db")
}

// OpenState opens (creating) the state database at path.
func OpenState(path string) (*State, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the state folder: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open the job state %s: %w", path, err)
	}
	return &State{db: db}, nil
}

// Close closes the database.
func (s *State) Close() error { return s.db.Close() }

// Run is one row of the run history.
type Run struct {
	ID, Job, JobPath, File, Status string
	Started, Finished              time.Time
	Summary                        map[string]any
	Archive, Report                string
}

// StartRun records a run as running.
func (s *State) StartRun(r Run) error {
	_, err := s.db.Exec(`INSERT INTO runs (id, job, job_path, file, status, started, report) VALUES (?, ?, ?, ?, 'running', ?, ?)`,
		r.ID, r.Job, r.JobPath, r.File, r.Started.UTC().Format(time.RFC3339), r.Report)
	return err
}

// FinishRun records a run's outcome.
func (s *State) FinishRun(id, status, archive string, summary map[string]any) error {
	b, _ := json.Marshal(summary)
	_, err := s.db.Exec(`UPDATE runs SET status = ?, finished = ?, archive = ?, summary = ? WHERE id = ?`,
		status, time.Now().UTC().Format(time.RFC3339), archive, string(b), id)
	return err
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

// Runs returns the newest runs first.
func (s *State) Runs(limit int) ([]Run, error) {
	// Insertion order, not the ID: two runs in one second have IDs that differ only in their
	// random part.
	return s.runs(`ORDER BY rowid DESC LIMIT ?`, limit)
}

func (s *State) runs(where string, args ...any) ([]Run, error) {
	rows, err := s.db.Query(`SELECT id, job, job_path, file, status, started, COALESCE(finished, ''), COALESCE(summary, ''), COALESCE(archive, ''), COALESCE(report, '') FROM runs `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished, summary string
		if err := rows.Scan(&r.ID, &r.Job, &r.JobPath, &r.File, &r.Status, &started, &finished, &summary, &r.Archive, &r.Report); err != nil {
			return nil, err
		}
		r.Started, _ = time.Parse(time.RFC3339, started)
		r.Finished, _ = time.Parse(time.RFC3339, finished)
		if summary != "" {
			json.Unmarshal([]byte(summary), &r.Summary)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Differ sorts a run's rows into new, changed and unchanged against the job's last good runs.
// It loads the job's fingerprints once (16 bytes a known row) rather than asking the database
// per row; the rows it lets through are remembered until Commit.
type Differ struct {
	job     string
	known   map[uint64]uint64 // key fingerprint → content hash
	seen    int               // known keys met in this file
	pending []pendingRow
	Counts  DiffCounts
}

// DiffCounts are a run's rows by what diffing decided.
type DiffCounts struct {
	Known     int `json:"known"`     // rows known from earlier runs
	New       int `json:"new"`       // never sent before
	Changed   int `json:"changed"`   // sent before with other content
	Unchanged int `json:"unchanged"` // skipped: sent before exactly so
	Missing   int `json:"missing"`   // known, but absent from this file
	NoKey     int `json:"no_key"`    // rows with no natural key: always sent
}

type pendingRow struct {
	key, hash uint64
	src, row  int
	noKey     bool // sent every time: nothing to remember it by
}

// Sends reports whether the row at (src, row) is to be sent: new, changed or without a key.
// Rows are classified in input order, so the pending list is sorted and a binary search finds it.
func (d *Differ) Sends(src, row int) bool {
	i := sort.Search(len(d.pending), func(i int) bool {
		p := d.pending[i]
		return p.src > src || p.src == src && p.row >= row
	})
	return i < len(d.pending) && d.pending[i].src == src && d.pending[i].row == row
}

// ToSend is how many rows Sends will let through.
func (d *Differ) ToSend() int { return len(d.pending) }

// NewDiffer loads what the job has sent before.
func (s *State) NewDiffer(job string) (*Differ, error) {
	rows, err := s.db.Query(`SELECT key, hash FROM row_hashes WHERE job = ?`, job)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	d := &Differ{job: job, known: map[uint64]uint64{}}
	for rows.Next() {
		var k, h int64
		if err := rows.Scan(&k, &h); err != nil {
			return nil, err
		}
		d.known[uint64(k)] = uint64(h)
	}
	d.Counts.Known = len(d.known)
	return d, rows.Err()
}

// Change is what diffing decided for a row.
type Change uint8

const (
	New Change = iota
	Changed
	Unchanged
	NoKey
)

// Classify decides a valid row's fate and, unless it is unchanged, remembers it for Commit.
func (d *Differ) Classify(r *pipeline.Row) Change {
	key := pipeline.NaturalKey(r)
	if key == "" {
		d.Counts.NoKey++
		d.pending = append(d.pending, pendingRow{src: r.Rec.Src.Index, row: r.Rec.Row, noKey: true})
		return NoKey
	}
	kf := fingerprint(r.Map.Kind.Name, key)
	h := contentHash(r)
	old, ok := d.known[kf]
	if ok {
		d.seen++
	}
	switch {
	case ok && old == h:
		d.Counts.Unchanged++
		return Unchanged
	case ok:
		d.Counts.Changed++
		d.pending = append(d.pending, pendingRow{key: kf, hash: h, src: r.Rec.Src.Index, row: r.Rec.Row})
		return Changed
	default:
		d.Counts.New++
		d.pending = append(d.pending, pendingRow{key: kf, hash: h, src: r.Rec.Src.Index, row: r.Rec.Row})
		return New
	}
}

// Finish computes the known rows the file lacked.
func (d *Differ) Finish() DiffCounts {
	d.Counts.Missing = d.Counts.Known - d.seen
	return d.Counts
}

// Commit remembers the content of every pending row that ok says reached the target, in one
// transaction, so rows that failed are sent again next time.
func (s *State) Commit(ctx context.Context, d *Differ, runID string, ok func(src, row int) bool) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO row_hashes (job, key, hash, run) VALUES (?, ?, ?, ?)
		ON CONFLICT (job, key) DO UPDATE SET hash = excluded.hash, run = excluded.run`)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range d.pending {
		if p.noKey || !ok(p.src, p.row) {
			continue
		}
		if _, err := st.Exec(d.job, int64(p.key), int64(p.hash), runID); err != nil {
			return n, err
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, errors.Join(errors.New("cannot record what was sent"), err)
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
