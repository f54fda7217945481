package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Table streams the data rows of one CSV file or sheet. Its Source (with the header) is known
// before the first Next.
type Table interface {
	Source() *Source
	// Next fills rec with the next data row (blank rows are skipped) and returns io.EOF after
	// the last. rec's slices may be reused by the caller; the strings put in them must stay valid.
	Next(rec *Record) error
}

// Input is one file given to a run: a CSV file has one table, a workbook one per sheet.
type Input interface {
	// NextTable returns the next table or io.EOF. Problems the reader found in a header row it
	// could read are given by the table's HeaderProblems method, when it has one (the runner
	// reports them with the table); a table whose header cannot be read is returned with the
	// problem in Problems of its first record, never dropped.
	NextTable() (Table, error)
	Close() error
}

// Sink receives, in input order, every row that passed the checks so far. It may report problems
// on the row (a transform that fails); an error it returns stops the run (disk full, auth lost).
type Sink interface {
	Accept(r *Row) error
}

// Reporter receives every outcome: tables as they start, problems, and each data row once.
// Calls come from one goroutine, in input order, except problems from Cross.Finish which come last.
// Row comes after the Sink has seen an Accepted row.
type Reporter interface {
	Table(src *Source, k *Kind, problems []Problem)
	Row(r *Row, out Outcome)
	Problem(p Problem) // a problem raised after its row was reported (Cross.Finish)
}

// Progress is what the runner tells about its advance, once per batch.
type Progress struct {
	Rows  int64
	Table *Source
	// Expected is the rows read so far in earlier tables plus the reader's estimate of the
	// current table's (CSV: from its size); 0 when the reader cannot say. A progress bar's
	// total, so a data officer sees a percentage and a time left.
	Expected int64
}

// Options configure one run.
type Options struct {
	Kind       *Kind   // nil: detect per table among Among
	Among      []*Kind // kinds detection may choose
	Aliases    Aliases // --map
	MonthFirst bool    // --date-order mdy
	Workers    int     // row-check goroutines; 0 = GOMAXPROCS
	BatchSize  int     // rows per batch; 0 = 512
	Sink       Sink
	Reporter   Reporter
	Progress   func(Progress)
	// Skipped is told about tables that match no kind (with why); they are reported, not read.
	Skipped func(src *Source, why string)
	// Chosen is told which kind detection picked for each table.
	Chosen func(src *Source, k *Kind, detected bool)
	// Keep, when set, is asked about each row that passed the checks, before the Sink: the rows
	// it refuses are reported Skipped and the Sink never sees them (a nightly run's diffing).
	Keep func(*Row) bool
	// Strict: a warning rejects its row too. It is decided here, before Keep and the Sink, so
	// a row the report counts rejected never reaches the target.
	Strict bool
	// Replaced, when set, is asked about each row read: a row it names is passed over, neither
	// checked nor counted, because a corrected copy of it (in a rejects.xlsx given in the same
	// run) takes its place.
	Replaced func(src *Source, row int) bool
	// Settings are the target's settings a kind's rules read (RowOptions.Settings): for OneFile,
	// the role rules its target profile settles. nil: the kinds' defaults.
	Settings any
}

// PanicError is a panic recovered in one of a run's goroutines: a bug in bulk, not a problem
// of the input. Its message says only where it happened; the panic's value and stack are for a
// crash file, not for a report or a log line (a value may hold data from the input).
type PanicError struct {
	Where string // "reading", "checking rows", "in-order checks"
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (a panic) while %s", e.Where)
}

// recoverAs turns a panic of the calling goroutine into a *PanicError in *err, so one bad rule
// or reader ends the run with its own exit status instead of killing the process with Go's 2,
// the status of a bad flag. It must be deferred directly.
func recoverAs(where string, err *error) {
	if v := recover(); v != nil {
		*err = &PanicError{Where: where, Value: v, Stack: debug.Stack()}
	}
}

// ErrNoKind means no table of the input matched any kind.
var ErrNoKind = errors.New("no sheet or file matched a known kind")

// RunState holds per-run state shared by the cross-row checkers of related kinds.
type RunState struct {
	vals    map[string]any
	uniq    *uniques // nil outside Run
	salts   map[saltKey]uint64
	scratch []byte
}

type saltKey struct {
	k *Kind
	f int
}

// FirstRow returns the first row of the run, in input order, whose Unique field f of kind k
// holds v (ignoring case, as duplicates are found), among the rows the cross-row checks have
// been given so far, the row being checked included. The run's duplicate index answers it, so a
// cross-row checker that needs to find rows by such a value (a learner named by MISID) keeps no
// second copy of every key. It may be called only from Cross.Check and Cross.Finish.
func (s *RunState) FirstRow(k *Kind, f int, v string) (src *Source, row int, ok bool) {
	if s.uniq == nil || v == "" || f < 0 || f >= len(k.Fields) || !k.Fields[f].Unique {
		return nil, 0, false
	}
	sk := saltKey{k, f}
	salt, ok := s.salts[sk]
	if !ok {
		salt = s.uniq.salt(k, f)
		s.salts[sk] = salt
	}
	s.scratch = fold(s.scratch, v)
	l, ok := s.uniq.tab.find(s.uniq.fingerprint(s.scratch, salt))
	if !ok {
		return nil, 0, false
	}
	src, row = s.uniq.where(l)
	return src, row, true
}

// Get returns the value stored under key, creating it with mk the first time.
func (s *RunState) Get(key string, mk func() any) any {
	if v, ok := s.vals[key]; ok {
		return v
	}
	v := mk()
	s.vals[key] = v
	return v
}

type table struct {
	src      *Source
	m        *Mapping
	problems []Problem // header problems
	fatal    bool      // a required column is missing: every row is rejected
	salts    []uint64  // for fingerprints of the kind's Unique fields
	rows     int       // the reader's estimate of the table's rows, when it has one
	present  []int     // the fields with a column in this table, in field order
}

type batch struct {
	keys  []ukey // the rows' Unique keys, in row order (made by the worker)
	seq   int
	tbl   *table
	first bool // the first batch of tbl: its header problems go to the report first
	recs  []Record
	rows  []Row
	n     int
}

// Run streams every table of inputs through the checks, in parallel for row checks and in input
// order for cross-row checks, the sink and the reporter. It returns an error only when the run
// could not go on (unreadable input, a sink failure, cancellation); rejected rows are not errors.
func Run(ctx context.Context, inputs []Input, o Options) error {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.Kind == nil && len(o.Among) == 0 {
		return errors.New("pipeline: no kind given and none to detect among (Options.Kind or Among)")
	}
	ropts := newRowOptions(o.MonthFirst, now())
	ropts.Settings = o.Settings
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan *batch, o.Workers*2)
	done := make(chan *batch, o.Workers*2)
	free := make(chan *batch, o.Workers*4+2)
	for i := 0; i < cap(free); i++ {
		free <- &batch{recs: make([]Record, o.BatchSize), rows: make([]Row, o.BatchSize)}
	}
	matched := 0
	var empties []Problem // inputs with no data row, reported once the rows are
	uniq := newUniques()  // fingerprints are made by the workers, looked up by the sequencer
	defer uniq.free()

	// Reader: one goroutine, because files are read in order.
	g.Go(func() (err error) {
		defer close(work)
		defer recoverAs("reading", &err)
		seq, index := 0, 0
		for _, in := range inputs {
			var first *Source // the input's first table of data
			rows := 0         // the input's data rows
			for {
				t, err := in.NextTable()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				src := t.Source()
				src.Index = index
				index++
				if blankHeader(src.Header) {
					// An empty file or sheet is not a table of any kind: it is said once below
					// (empty-input) when the whole input has no data, else passed over.
					if first == nil {
						first = src
					}
					continue
				}
				k := o.Kind
				if k == nil {
					var cs []Candidate
					k, cs = DetectKind(src, o.Aliases, o.Among)
					if k == nil {
						if o.Skipped != nil {
							o.Skipped(src, explainDetection(cs))
						}
						continue
					}
					if o.Chosen != nil {
						o.Chosen(src, k, true)
					}
				} else if src.Sheet != "" && matchedFields(k, src, o.Aliases) == 0 {
					// A sheet of a workbook with none of the kind's columns (a "Read me" or a
					// lookup list) is not data of that kind: say so and pass over it.
					if o.Skipped != nil {
						o.Skipped(src, fmt.Sprintf("none of its headers is a %s column", k.Name))
					}
					continue
				} else if o.Chosen != nil {
					o.Chosen(src, k, false)
				}
				matched++
				if first == nil || blankHeader(first.Header) {
					first = src
				}
				m, hp, fatal := MapHeader(k, src, o.Aliases)
				if h, ok := t.(interface{ HeaderProblems() []Problem }); ok {
					// The reader's own problems with the header row (bad bytes, stray quotes)
					// go with the table, so a file with a header and no data rows reports them.
					hp = append(h.HeaderProblems(), hp...)
				}
				tb := &table{src: src, m: m, problems: hp, fatal: fatal, salts: uniq.saltsOf(k)}
				for f, c := range m.Col {
					if c >= 0 {
						tb.present = append(tb.present, f)
					}
				}
				if h, ok := t.(interface{ EstimatedRows() int }); ok {
					tb.rows = h.EstimatedRows()
				}
				first := true
				for {
					var b *batch
					select {
					case b = <-free:
					case <-ctx.Done():
						return ctx.Err()
					}
					b.seq, b.tbl, b.first, b.n = seq, tb, first, 0
					seq++
					first = false
					var rerr error
					for b.n < len(b.recs) {
						rec := &b.recs[b.n]
						rec.Reset()
						if rerr = t.Next(rec); rerr != nil {
							break
						}
						rec.Src = src
						if o.Replaced != nil && o.Replaced(src, rec.Row) {
							rows++ // not empty: its row is in the run, as corrected
							continue
						}
						b.n++
					}
					rows += b.n
					select {
					case work <- b:
					case <-ctx.Done():
						return ctx.Err()
					}
					if rerr == io.EOF {
						break
					}
					if rerr != nil {
						return fmt.Errorf("reading %s: %w", src.Where(), rerr)
					}
				}
			}
			if rows == 0 && first != nil {
				matched++ // said as empty-input, not as "no kind"
				empties = append(empties, emptyInput(first))
			}
		}
		if matched == 0 {
			return ErrNoKind
		}
		return nil
	})

	// Row checks: stateless, so any number of goroutines. They are in g, so that one that fails
	// (a panic) stops the others and the reader instead of leaving them blocked.
	var workers sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		workers.Add(1)
		g.Go(func() (err error) {
			defer workers.Done()
			defer recoverAs("checking rows", &err)
			var scratch []byte
			for b := range work {
				if ctx.Err() != nil {
					return ctx.Err() // the run is over: what is queued need not be checked
				}
				b.keys = b.keys[:0]
				for i := 0; i < b.n; i++ {
					r := &b.rows[i]
					*r = Row{Rec: &b.recs[i], Map: b.tbl.m, Problems: r.Problems[:0], Opts: ropts, dates: r.dates[:0], dateErrs: r.dateErrs[:0]}
					checkRow(r, b.tbl.present)
					b.keys = uniq.keys(b.keys, r, i, b.tbl.salts, &scratch)
				}
				select {
				case done <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		workers.Wait()
		close(done)
		return nil
	})

	// Sequencer: puts batches back in input order for cross-row rules, the sink and the report.
	g.Go(func() (err error) {
		defer recoverAs("in-order checks", &err)
		st := &RunState{vals: map[string]any{}, uniq: uniq, salts: map[saltKey]uint64{}}
		defer func() { st.uniq = nil }() // its memory is freed when Run returns
		crosses := map[*Kind]Cross{}
		var order []Cross
		// Batches come back out of order; at most cap(free) are out at once, so a ring indexed by
		// sequence number holds the early ones (a map cost a hash and an allocation per batch).
		pending := make([]*batch, cap(free))
		next := 0
		var rows, before int64 // before: rows of the tables finished so far
		for b := range done {
			pending[b.seq%len(pending)] = b
			for {
				b := pending[next%len(pending)]
				if b == nil || b.seq != next {
					break
				}
				pending[next%len(pending)] = nil
				next++
				k := b.tbl.m.Kind
				if b.first && o.Reporter != nil {
					o.Reporter.Table(b.tbl.src, k, b.tbl.problems)
				}
				if b.first {
					uniq.expect(b.tbl.rows, b.tbl.salts)
					before = rows
				}
				cr, ok := crosses[k]
				if !ok && k.NewCross != nil {
					cr = k.NewCross(st)
					crosses[k] = cr
					order = append(order, cr)
				}
				uniq.prefetch(b.keys)
				keys := b.keys
				for i := 0; i < b.n; i++ {
					r := &b.rows[i]
					n := 0
					for n < len(keys) && keys[n].row == int32(i) {
						n++
					}
					uniq.check(r, keys[:n])
					keys = keys[n:]
					if cr != nil && !r.NotData {
						cr.Check(r)
					}
					out := Accepted
					if b.tbl.fatal || r.HasErrors() || o.Strict && hasWarnings(r) {
						out = Rejected
					} else if r.NotData {
						out = Skipped
					} else if o.Keep != nil && !o.Keep(r) {
						out = Skipped
					} else if o.Sink != nil {
						if err := o.Sink.Accept(r); err != nil {
							return err
						}
						if r.HasErrors() || o.Strict && hasWarnings(r) {
							out = Rejected
						}
					}
					if o.Reporter != nil {
						o.Reporter.Row(r, out)
					}
				}
				rows += int64(b.n)
				if o.Progress != nil {
					p := Progress{Rows: rows, Table: b.tbl.src}
					if b.tbl.rows > 0 {
						p.Expected = max(before+int64(b.tbl.rows), rows)
					}
					o.Progress(p)
				}
				select {
				case free <- b:
				default:
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, cr := range order {
			if o.Reporter != nil {
				cr.Finish(o.Reporter.Problem)
			} else {
				cr.Finish(func(Problem) {})
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if o.Reporter != nil {
		for _, p := range empties {
			o.Reporter.Problem(p)
		}
	}
	return nil
}

// blankHeader reports whether a table has no header at all: an empty file or sheet.
func blankHeader(h []string) bool {
	for _, c := range h {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// emptyInput is the problem of an input with no data row: a nightly drop cut short or an
// export that found nobody must not pass as a run that had nothing to do.
func emptyInput(src *Source) Problem {
	what := "is empty"
	if !blankHeader(src.Header) {
		what = "has a header row but no data rows"
	}
	return Problem{Source: src, File: src.File, Sheet: src.Sheet, Rule: RuleEmptyInput, Severity: Error,
		Message: fmt.Sprintf("%s %s: there is nothing to check or load. Check the file is the one you meant (an export that found nobody, or a copy cut short), then run again.", src.Where(), what)}
}

func hasWarnings(r *Row) bool {
	for i := range r.Problems {
		if r.Problems[i].Severity == Warning {
			return true
		}
	}
	return false
}

func explainDetection(cs []Candidate) string {
	if len(cs) == 0 {
		return "its headers match no kind"
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s (%d)", c.Kind.Name, c.Score))
	}
	return "its headers fit more than one kind equally well: " + strings.Join(parts, ", ")
}
