package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/pipelinetest"
	"github.com/bulkload/bulk/pipeline/report"
)

// testKind has a required unique key, a number, and a cross-row rule that a row's Ref must name
// a Key seen anywhere in the run (checked at Finish, so forward references work).
var testKind = func() *pipeline.Kind {
	k := &pipeline.Kind{Name: "test-people", Fields: []pipeline.Field{
		{Name: "Key", Synonyms: []string{"ID Code"}, Required: true, Unique: true},
		{Name: "Age", Type: pipeline.Integer, Min: 0, Max: 130},
		{Name: "Ref"},
	}}
	k.NewCross = func(st *pipeline.RunState) pipeline.Cross { return &refCross{keys: map[string]bool{}} }
	return k
}()

type pendingRef struct {
	p   pipeline.Problem
	ref string
}

type refCross struct {
	keys map[string]bool
	refs []pendingRef
}

func (c *refCross) Check(r *pipeline.Row) {
	c.keys[r.Value(0)] = true
	if ref := r.Value(2); ref != "" {
		c.refs = append(c.refs, pendingRef{pipeline.Problem{Source: r.Rec.Src, File: r.Rec.Src.File, Row: r.Rec.Row, Column: r.Column(2),
			Value: ref, Rule: "reference", Severity: pipeline.Error, Message: "no such key"}, ref})
	}
}

func (c *refCross) Finish(rep func(pipeline.Problem)) {
	for _, pr := range c.refs {
		if !c.keys[pr.ref] {
			rep(pr.p)
		}
	}
}

type collectSink struct{ keys []string }

func (s *collectSink) Accept(r *pipeline.Row) error {
	s.keys = append(s.keys, r.Value(0))
	return nil
}

func TestRunOutcomes(t *testing.T) {
	hdr := []string{"id code", "AGE", "Ref", "Extra"}
	tests := []struct {
		name         string
		inputs       func() []pipeline.Input
		batch        int
		read, reject int64
		accepted     string
		rules        map[string]int64
	}{
		{
			name: "valid rows reach the sink in order",
			inputs: func() []pipeline.Input {
				var rows [][]string
				for i := 0; i < 50; i++ {
					rows = append(rows, []string{fmt.Sprint("k", i), "30", "", ""})
				}
				return []pipeline.Input{pipelinetest.CSV("a.csv", hdr, rows...)}
			},
			batch: 7, read: 50, reject: 0,
			accepted: func() string {
				var s []string
				for i := 0; i < 50; i++ {
					s = append(s, fmt.Sprint("k", i))
				}
				return strings.Join(s, ",")
			}(),
			rules: map[string]int64{"unknown-column": 1},
		},
		{
			name: "duplicates across tables, bad numbers, required",
			inputs: func() []pipeline.Input {
				return []pipeline.Input{
					pipelinetest.CSV("a.csv", hdr, []string{"k1", "30", "", ""}, []string{"k2", "x", "", ""}, []string{"", "3", "", ""}),
					pipelinetest.CSV("b.csv", hdr, []string{"K1", "31", "", ""}, []string{"k3", "200", "", ""}),
				}
			},
			batch: 2, read: 5, reject: 4, accepted: "k1",
			rules: map[string]int64{"unknown-column": 2, "duplicate": 1, "integer": 2, "required": 1},
		},
		{
			name: "a late reference problem rejects an already-counted row",
			inputs: func() []pipeline.Input {
				return []pipeline.Input{pipelinetest.CSV("a.csv", hdr, []string{"k1", "", "k2", ""}, []string{"k2", "", "nobody", ""})}
			},
			batch: 1, read: 2, reject: 1, accepted: "k1,k2",
			rules: map[string]int64{"unknown-column": 1, "reference": 1},
		},
		{
			name: "a missing required column rejects every row with one problem",
			inputs: func() []pipeline.Input {
				return []pipeline.Input{pipelinetest.CSV("a.csv", []string{"Age"}, []string{"3"}, []string{"4"})}
			},
			read: 2, reject: 2, accepted: "",
			rules: map[string]int64{"missing-column": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := report.New(t.TempDir(), false)
			sink := &collectSink{}
			err := pipeline.Run(context.Background(), tc.inputs(), pipeline.Options{Kind: testKind, BatchSize: tc.batch, Workers: 3, Sink: sink, Reporter: rep})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Counts()
			if c.Read != tc.read || c.Rejected != tc.reject || c.Valid != c.Read-c.Rejected {
				t.Errorf("counts = %+v, want read %d rejected %d", c, tc.read, tc.reject)
			}
			if got := strings.Join(sink.keys, ","); got != tc.accepted {
				t.Errorf("sink got %q, want %q", got, tc.accepted)
			}
			s := rep.Summary()
			for rule, n := range tc.rules {
				if s.ProblemsByRule[rule] != n {
					t.Errorf("problems by rule %s = %d, want %d (all: %v)", rule, s.ProblemsByRule[rule], n, s.ProblemsByRule)
				}
			}
			if len(s.ProblemsByRule) != len(tc.rules) {
				t.Errorf("problems by rule = %v, want %v", s.ProblemsByRule, tc.rules)
			}
		})
	}
}

func TestDuplicateNamesFirstRow(t *testing.T) {
	rep := report.New(t.TempDir(), false)
	in := pipelinetest.CSV("a.csv", []string{"Key"}, []string{"x"}, []string{"y"}, []string{"X"})
	if err := pipeline.Run(context.Background(), []pipeline.Input{in}, pipeline.Options{Kind: testKind, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	ps := rep.Problems()
	if len(ps) != 1 || ps[0].Row != 4 || !strings.Contains(ps[0].Message, "row 2") {
		t.Fatalf("problems = %+v, want one duplicate on row 4 naming row 2", ps)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var rows [][]string
	for i := 0; i < 5000; i++ {
		rows = append(rows, []string{fmt.Sprint(i)})
	}
	err := pipeline.Run(ctx, []pipeline.Input{pipelinetest.CSV("a.csv", []string{"Key"}, rows...)}, pipeline.Options{Kind: testKind, BatchSize: 10})
	if err == nil {
		t.Fatal("Run on a cancelled context returned nil")
	}
}

func TestNoKindDetected(t *testing.T) {
	err := pipeline.Run(context.Background(), []pipeline.Input{pipelinetest.CSV("a.csv", []string{"Colour", "Size"}, []string{"red", "9"})},
		pipeline.Options{Among: []*pipeline.Kind{testKind}})
	if err != pipeline.ErrNoKind {
		t.Fatalf("err = %v, want ErrNoKind", err)
	}
}

func TestForcedKindPassesOverForeignSheets(t *testing.T) {
	book := pipelinetest.NewInput(
		pipelinetest.NewTable("book.xlsx", "Read me", []string{"About this workbook"}, []string{"Fill in the Learners sheet"}),
		pipelinetest.NewTable("book.xlsx", "People", []string{"Key"}, []string{"k1"}))
	rep := report.New(t.TempDir(), false)
	var skipped []string
	err := pipeline.Run(context.Background(), []pipeline.Input{book}, pipeline.Options{Kind: testKind, Reporter: rep,
		Skipped: func(src *pipeline.Source, why string) { skipped = append(skipped, src.Sheet+": "+why) }})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts(); c.Read != 1 || c.Rejected != 0 {
		t.Errorf("counts = %+v, want the one People row, valid", c)
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0], "Read me: none of its headers") {
		t.Errorf("skipped = %q", skipped)
	}
}

// firstCross records, for every row, what RunState.FirstRow says about its Ref (during Check)
// and, at Finish, about every Ref again: the run's duplicate index answers both.
type firstCross struct {
	st         *pipeline.RunState
	k          *pipeline.Kind
	now, atEnd []string
	refs       []string
}

func (c *firstCross) answer(v string) string {
	src, row, ok := c.st.FirstRow(c.k, 0, v)
	if !ok {
		return v + ":none"
	}
	return fmt.Sprintf("%s:%s/%d", v, src.File, row)
}

func (c *firstCross) Check(r *pipeline.Row) {
	if ref := r.Value(2); ref != "" {
		c.now = append(c.now, c.answer(ref))
		c.refs = append(c.refs, ref)
	}
}

func (c *firstCross) Finish(func(pipeline.Problem)) {
	for _, ref := range c.refs {
		c.atEnd = append(c.atEnd, c.answer(ref))
	}
}

func TestRunStateFirstRow(t *testing.T) {
	var fc *firstCross
	k := &pipeline.Kind{Name: "first-rows", Fields: []pipeline.Field{{Name: "Key", Unique: true}, {Name: "Age"}, {Name: "Ref"}}}
	k.NewCross = func(st *pipeline.RunState) pipeline.Cross {
		fc = &firstCross{st: st, k: k}
		return fc
	}
	h := []string{"Key", "Age", "Ref"}
	a := pipelinetest.CSV("a.csv", h, []string{"k1", "", ""}, []string{"K2", "", "k1"}, []string{"k2", "", "K2"}, []string{"", "", "k3"})
	b := pipelinetest.CSV("b.csv", h, []string{"k3", "", "K3"}, []string{"x", "", "nothing"}, []string{"y", "", "Y"})
	// Tiny batches: lookups must see every row before the one being checked, across batches.
	if err := pipeline.Run(context.Background(), []pipeline.Input{a, b}, pipeline.Options{Kind: k, BatchSize: 1}); err != nil {
		t.Fatal(err)
	}
	wantNow := []string{"k1:a.csv/2", "K2:a.csv/3", "k3:none", "K3:b.csv/2", "nothing:none", "Y:b.csv/4"}
	wantEnd := []string{"k1:a.csv/2", "K2:a.csv/3", "k3:b.csv/2", "K3:b.csv/2", "nothing:none", "Y:b.csv/4"}
	if got := strings.Join(fc.now, " "); got != strings.Join(wantNow, " ") {
		t.Errorf("during the run:\n got %s\nwant %s", got, strings.Join(wantNow, " "))
	}
	if got := strings.Join(fc.atEnd, " "); got != strings.Join(wantEnd, " ") {
		t.Errorf("at Finish:\n got %s\nwant %s", got, strings.Join(wantEnd, " "))
	}
	if _, _, ok := fc.st.FirstRow(k, 0, "k1"); ok {
		t.Error("FirstRow answered after the run, when the index is freed")
	}
	if _, _, ok := fc.st.FirstRow(k, 1, "k1"); ok {
		t.Error("FirstRow answered for a field that is not Unique")
	}
}

// estimated is an input whose table can guess its size, as the CSV reader's does.
type estimated struct{ *pipelinetest.Input }

func (e estimated) NextTable() (pipeline.Table, error) {
	t, err := e.Input.NextTable()
	if err != nil {
		return nil, err
	}
	return estimatedTable{t}, nil
}

type estimatedTable struct{ pipeline.Table }

func (estimatedTable) EstimatedRows() int { return 40 }

func TestProgressExpected(t *testing.T) {
	var rows [][]string
	for i := 0; i < 30; i++ {
		rows = append(rows, []string{fmt.Sprint("k", i)})
	}
	var last pipeline.Progress
	err := pipeline.Run(context.Background(), []pipeline.Input{estimated{pipelinetest.CSV("a.csv", []string{"Key"}, rows...)}},
		pipeline.Options{Kind: testKind, BatchSize: 8, Progress: func(p pipeline.Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if last.Rows != 30 || last.Expected != 40 {
		t.Errorf("last progress = %+v, want 30 rows of an expected 40", last)
	}
}

// outcomeLog is a Reporter that passes everything on to a report and notes each row's outcome
// as "row:outcome".
type outcomeLog struct {
	*report.Report
	got []string
}

func (l *outcomeLog) Row(r *pipeline.Row, out pipeline.Outcome) {
	l.got = append(l.got, fmt.Sprintf("%d:%s", r.Rec.Row, out))
	l.Report.Row(r, out)
}

// TestRunKeep: rows Options.Keep refuses are reported Skipped and never reach the sink; Keep
// is asked only about rows that passed the checks, in input order; the report counts skipped
// rows as a part of valid, and a late problem moves a skipped row to rejected.
func TestRunKeep(t *testing.T) {
	hdr := []string{"Key", "Age", "Ref"}
	notOne := func(r *pipeline.Row) bool { return r.Value(1) != "1" } // Age 1: "unchanged"
	tests := []struct {
		name              string
		input             *pipelinetest.Input
		keep              func(*pipeline.Row) bool
		noSink            bool
		outcomes          string
		asked, accepted   string
		rejected, skipped int64
	}{
		{
			name:     "refused valid rows are skipped, rejected rows are not asked about",
			input:    pipelinetest.CSV("a.csv", hdr, []string{"k1", "1", ""}, []string{"k2", "2", ""}, []string{"k3", "x", ""}, []string{"k4", "1", ""}),
			keep:     notOne,
			outcomes: "2:skipped 3:accepted 4:rejected 5:skipped",
			asked:    "k1,k2,k4", accepted: "k2", rejected: 1, skipped: 2,
		},
		{
			name:     "without Keep every valid row is accepted",
			input:    pipelinetest.CSV("a.csv", hdr, []string{"k1", "1", ""}, []string{"k2", "x", ""}),
			outcomes: "2:accepted 3:rejected",
			accepted: "k1", rejected: 1,
		},
		{
			name:     "without a Sink, Keep still decides",
			input:    pipelinetest.CSV("a.csv", hdr, []string{"k1", "1", ""}, []string{"k2", "2", ""}),
			keep:     notOne,
			noSink:   true,
			outcomes: "2:skipped 3:accepted",
			asked:    "k1,k2", skipped: 1,
		},
		{
			name:     "a table missing a required column: Keep is never asked",
			input:    pipelinetest.CSV("a.csv", []string{"Age"}, []string{"1"}, []string{"2"}),
			keep:     notOne,
			outcomes: "2:rejected 3:rejected",
			rejected: 2,
		},
		{
			name:     "a late problem on a skipped row rejects it, and it stops counting as skipped",
			input:    pipelinetest.CSV("a.csv", hdr, []string{"k1", "1", "nobody"}, []string{"k2", "1", "k1"}),
			keep:     notOne,
			outcomes: "2:skipped 3:skipped",
			asked:    "k1,k2", rejected: 1, skipped: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &outcomeLog{Report: report.New(t.TempDir(), false)}
			var asked []string
			o := pipeline.Options{Kind: testKind, BatchSize: 1, Workers: 3, Reporter: log}
			if tc.keep != nil {
				o.Keep = func(r *pipeline.Row) bool {
					asked = append(asked, r.Value(0))
					return tc.keep(r)
				}
			}
			sink := &collectSink{}
			if !tc.noSink {
				o.Sink = sink
			}
			if err := pipeline.Run(context.Background(), []pipeline.Input{tc.input}, o); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(log.got, " "); got != tc.outcomes {
				t.Errorf("outcomes %q, want %q", got, tc.outcomes)
			}
			if got := strings.Join(asked, ","); got != tc.asked {
				t.Errorf("Keep asked about %q, want %q", got, tc.asked)
			}
			if got := strings.Join(sink.keys, ","); got != tc.accepted {
				t.Errorf("sink got %q, want %q", got, tc.accepted)
			}
			c := log.Counts()
			if c.Rejected != tc.rejected || c.Skipped != tc.skipped || c.Read != c.Valid+c.Rejected || c.Skipped > c.Valid {
				t.Errorf("counts %+v, want %d rejected and %d skipped, adding up", c, tc.rejected, tc.skipped)
			}
		})
	}
}

// TestRunStrict: with Options.Strict a row with a warning is rejected by the pipeline itself,
// before Keep and the Sink: the target never takes a row the report counts rejected.
func TestRunStrict(t *testing.T) {
	k := &pipeline.Kind{Name: "test-warned", Fields: []pipeline.Field{{Name: "Key", Required: true}, {Name: "Note"}},
		RowRules: []func(r *pipeline.Row){func(r *pipeline.Row) {
			if r.Value(1) != "" {
				r.Warnf(1, "note", "a note")
			}
		}}}
	input := func() *pipelinetest.Input {
		return pipelinetest.CSV("a.csv", []string{"Key", "Note"}, []string{"k1", ""}, []string{"k2", "hm"}, []string{"k3", ""})
	}
	for _, tc := range []struct {
		strict             bool
		outcomes, accepted string
		asked              string
	}{
		{false, "2:accepted 3:accepted 4:accepted", "k1,k2,k3", "k1,k2,k3"},
		{true, "2:accepted 3:rejected 4:accepted", "k1,k3", "k1,k3"},
	} {
		t.Run(fmt.Sprint("strict=", tc.strict), func(t *testing.T) {
			log := &outcomeLog{Report: report.New(t.TempDir(), tc.strict)}
			sink := &collectSink{}
			var asked []string
			keep := func(r *pipeline.Row) bool { asked = append(asked, r.Value(0)); return true }
			o := pipeline.Options{Kind: k, BatchSize: 2, Workers: 2, Reporter: log, Sink: sink, Keep: keep, Strict: tc.strict}
			if err := pipeline.Run(context.Background(), []pipeline.Input{input()}, o); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(log.got, " "); got != tc.outcomes {
				t.Errorf("outcomes %q, want %q", got, tc.outcomes)
			}
			if got := strings.Join(sink.keys, ","); got != tc.accepted {
				t.Errorf("sink got %q, want %q", got, tc.accepted)
			}
			if got := strings.Join(asked, ","); got != tc.asked {
				t.Errorf("Keep asked about %q, want %q", got, tc.asked)
			}
			if c := log.Counts(); c.Rejected != int64(strings.Count(tc.outcomes, "rejected")) {
				t.Errorf("the report counts %+v", c)
			}
		})
	}
}
