package load

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/aims"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// validatedFiles runs CSV files (name → rows of "Field=value;...") through the real pipeline
// with every OneFile kind, learning aims included, and returns the collector's rows.
func validatedFiles(t testing.TB, files ...[2]any) []*Item {
	t.Helper()
	dir := t.TempDir()
	var inputs []pipeline.Input
	for _, f := range files {
		name, specs := f[0].(string), f[1].([]string)
		var header []string
		var recs []map[string]string
		for _, spec := range specs {
			m := map[string]string{}
			for _, kv := range strings.Split(spec, ";") {
				k, v, _ := strings.Cut(kv, "=")
				k = strings.TrimSpace(k)
				if !slices.Contains(header, k) {
					header = append(header, k)
				}
				m[k] = strings.TrimSpace(v)
			}
			recs = append(recs, m)
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.Write(header)
		for _, m := range recs {
			row := make([]string, len(header))
			for j, h := range header {
				row[j] = m[h]
			}
			w.Write(row)
		}
		w.Flush()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := read.Open(path, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		inputs = append(inputs, in)
	}
	col := NewCollector()
	err := pipeline.Run(context.Background(), inputs, pipeline.Options{Among: []*pipeline.Kind{onefile.Users, onefile.Assignments, aims.Kind},
		Sink: col, Reporter: tee{report.New(dir, false), col}})
	if err != nil {
		t.Fatal(err)
	}
	items := col.Items()
	for _, it := range items {
		if it.Rejected {
			t.Logf("validation rejected %s row %d: %s", it.Src.File, it.Row, it.Why)
		}
	}
	return items
}

// aimsLoad is a term start with learning aims: two new learners, and rows putting them and the
// seed's learner on standards by ID and by title, one with a framework template, and a Level 3
// assignment that names the same standard.
func aimsLoad(t *testing.T) []*Item {
	return validatedFiles(t,
		[2]any{"learners.csv", []string{
			"Role=1;FirstName=Ann;LastName=Aim;Email=ann.aim@learner.example;MISID=AIM-1;DefaultAssessorMISID=STF-001;ClassroomID=101;PlacementID=201",
			"Role=1;FirstName=Bo;LastName=Aim;Email=bo.aim@learner.example;MISID=AIM-2;DefaultAssessorMISID=STF-001;ClassroomID=101;PlacementID=201",
		}},
		[2]any{"standards.csv", []string{
			"LearnerMISID=AIM-1;StandardID=301;FrameworkTemplateID=401",
			"LearnerEmail=bo.aim@learner.example;StandardTitle=Customer Service Practitioner (Level 2)",
			"LearnerID=1010;StandardID=301",
		}},
		[2]any{"assignments.csv", []string{
			"LearnerMISID=AIM-1;UserMISID=STF-002;Level=3;StandardID=301",
		}},
	)
}

func byKind(out *Outcome, kind string) []Result {
	var rs []Result
	for _, r := range out.Results {
		if r.Item.Kind.Name == kind {
			rs = append(rs, r)
		}
	}
	return rs
}

// Learning aims are made once across two runs: the first makes each (its result carries the
// learning aim ID OneFile answered), the second sends nothing and says which run made them.
func TestLearningAimsOnceAcrossRuns(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	led := openLedger(t)
	items := aimsLoad(t)
	for _, it := range items {
		if it.Rejected {
			t.Fatalf("validation rejected %s row %d: %s", it.Src.File, it.Row, it.Why)
		}
	}
	out1, _ := runLoad(t, b, items, Options{Ledger: led})
	if !out1.OK() {
		t.Fatalf("first run: %v %+v", statuses(out1), out1.Results)
	}
	made := b.LearningAims()
	if len(made) != 3 {
		t.Fatalf("sandbox holds %d learning aims, want 3: %+v", len(made), made)
	}
	ids := map[string]bool{}
	for _, a := range made {
		ids[strconv.Itoa(a.ID)] = true
	}
	for _, r := range byKind(out1, aims.Kind.Name) {
		if r.Action != ActAssign || r.Status != StatusOK || !ids[r.OneFileID] || !strings.Contains(r.Message, "learning aim "+r.OneFileID) {
			t.Errorf("row %d: %+v, want assign/ok with one of the learning aim IDs %v", r.Item.Row, r, ids)
		}
	}
	if tas := b.TemplateAssignments(); len(tas) != 1 || tas[0].TemplateID != 401 {
		t.Errorf("template assignments %+v, want the first learner on 401", tas)
	}
	// The ledger keeps the IDs, so bulk runs show lists them.
	rs, err := led.Results(context.Background(), out1.RunID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		if r.Kind == aims.Kind.Name && ids[r.OneFileID] {
			n++
		}
	}
	if n != 3 {
		t.Errorf("the ledger's results carry %d learning aim IDs, want 3: %+v", n, rs)
	}

	before := b.Snapshot().Calls
	out2, _ := runLoad(t, b, aimsLoad(t), Options{Ledger: led})
	after := b.Snapshot().Calls
	for _, ep := range []string{"POST /Standard/{id}/{action}/{learnerId}", "POST /FrameworkTemplate/{id}/Assign/{userId}/{only}"} {
		if after[ep] != before[ep] {
			t.Errorf("second run called %s %d times", ep, after[ep]-before[ep])
		}
	}
	for _, r := range byKind(out2, aims.Kind.Name) {
		if r.Action != ActExists || r.Status != StatusSkipped || !strings.Contains(r.Message, "made by run "+strconv.FormatInt(out1.RunID, 10)) || !ids[r.OneFileID] {
			t.Errorf("row %d second run: %+v", r.Item.Row, r)
		}
	}
	if len(b.LearningAims()) != 3 {
		t.Errorf("second run made learning aims: %+v", b.LearningAims())
	}
}

// A learning aim already on OneFile (no ledger knows it) is answered "already assigned": the
// row is unchanged, not failed. One whose intent the ledger holds with no outcome (a run killed
// mid-call) is made by that run: ok.
func TestLearningAimAlreadyThere(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	c := newClient(t, b)
	if _, err := c.AssignStandard(context.Background(), 301, 1010); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignStandard(context.Background(), 302, 1010); err != nil {
		t.Fatal(err)
	}
	led := openLedger(t)
	sc := ledger.Scope{APIRoot: b.url, Org: 5740}
	if err := led.Record(context.Background(), sc, 1, aimKey(1010, 302), ledger.Intent, ActAssign, "", ""); err != nil {
		t.Fatal(err)
	}
	items := validatedFiles(t, [2]any{"standards.csv", []string{"LearnerMISID=L-0001;StandardID=301", "LearnerMISID=L-0001;StandardID=302"}})
	out, _ := runLoad(t, b, items, Options{Ledger: led})
	got := []string{}
	for _, r := range out.Results {
		got = append(got, r.Action+"/"+r.Status)
	}
	if want := []string{"exists/skipped", "assign/ok"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v: %+v", got, want, out.Results)
	}
	if n := len(b.LearningAims()); n != 2 {
		t.Errorf("%d learning aims, want 2", n)
	}
	if p := PlannedAction(out.Results[0]); p != PlanUnchanged {
		t.Errorf("an aim already there plans as %q, want unchanged", p)
	}
}

// OneFile's refusals end the row failed with its message: an unknown standard, a user who is
// not a learner, an unknown template (after the aim was made).
func TestLearningAimRefusals(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	items := validatedFiles(t, [2]any{"standards.csv", []string{
		"LearnerID=1010;StandardID=999",
		"LearnerID=1001;StandardID=301",
		"LearnerID=1010;StandardID=302;FrameworkTemplateID=777",
		"LearnerID=1010;StandardTitle=No Such Standard",
	}})
	out, rec := runLoad(t, b, items, Options{})
	want := []struct{ status, msg string }{
		{StatusFailed, "Standard \"999\" was not found"},
		{StatusFailed, "not a learner"},
		{StatusFailed, "FrameworkTemplate \"777\" was not found"},
		{StatusRejected, "no standard of that name"},
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Status != w.status || !strings.Contains(r.Message, w.msg) {
			t.Errorf("row %d: %s %q, want %s with %q", r.Item.Row, r.Status, r.Message, w.status, w.msg)
		}
	}
	if len(rec.problems) != 4 {
		t.Errorf("%d problems for the report, want 4", len(rec.problems))
	}
}

// A dry run plans each row as assign and sends nothing; a learner the load would create is
// planned too.
func TestLearningAimsDryRun(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	var lines []string
	logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	out, _ := runLoad(t, b, aimsLoad(t), Options{DryRun: true, Logf: logf})
	// The opening line counts the learning aims, not "0 staff and 0 learner rows".
	if n := len(byKind(out, aims.Kind.Name)); len(lines) == 0 || !strings.Contains(lines[0], fmt.Sprintf(" %d learning aims", n)) {
		t.Errorf("opening line %q, want it to count %d learning aims", lines, n)
	}
	for _, r := range byKind(out, aims.Kind.Name) {
		if PlannedAction(r) != PlanAssign {
			t.Errorf("row %d planned %q (%+v), want assign", r.Item.Row, PlannedAction(r), r)
		}
	}
	if n := len(b.LearningAims()); n != 0 {
		t.Errorf("a dry run made %d learning aims", n)
	}
	p := NewPlan(out, Options{DryRun: true, APIRoot: b.url}, out.Started)
	back, _, err := p.Items()
	if err != nil {
		t.Fatalf("the plan does not read back: %v", err)
	}
	for i, it := range back {
		if it.Kind == aims.Kind && it.Aim == nil {
			t.Errorf("plan row %d lost its learning aim", i)
		}
	}
}

// Under faults (10% of writes answered 500 before the change, 10% made and then dropped), every
// learning aim ends made exactly once: a call whose answer was lost is sent again and OneFile's
// "already assigned" then says it was made.
func TestLearningAimsUnderFaults(t *testing.T) {
	b := startSandbox(t, sandbox.Config{Faults: sandbox.FaultSpec{Error500: 0.1, Drop: 0.1, Seed: 3}})
	var users, rows []string
	const n = 40
	for i := range n {
		users = append(users, "Role=1;FirstName=F"+strconv.Itoa(i)+";LastName=Aim;Email=f"+strconv.Itoa(i)+"@learner.example;MISID=FA-"+strconv.Itoa(i)+
			";DefaultAssessorMISID=STF-001;ClassroomID=101;PlacementID=201")
		rows = append(rows, "LearnerMISID=FA-"+strconv.Itoa(i)+";StandardID=301;FrameworkTemplateID=401")
	}
	items := validatedFiles(t, [2]any{"learners.csv", users}, [2]any{"standards.csv", rows})
	out, rec := runLoad(t, b, items, Options{Ledger: openLedger(t), Concurrency: 4})
	for _, r := range byKind(out, aims.Kind.Name) {
		if r.Action != ActAssign || r.Status != StatusOK {
			t.Errorf("row %d: %s %s %q", r.Item.Row, r.Action, r.Status, r.Message)
		}
	}
	if len(rec.problems) > 0 {
		t.Errorf("problems: %+v", rec.problems)
	}
	snap := b.Snapshot()
	if st := snap.Statuses["POST /Standard/{id}/{action}/{learnerId}"]; st[0] == 0 || st[500] == 0 {
		t.Fatalf("no learning aim call was dropped or failed (%v): the test proves nothing", st)
	}
	per := map[int]int{}
	for _, a := range b.LearningAims() {
		per[a.LearnerID]++
	}
	if len(per) != n || len(b.TemplateAssignments()) != n {
		t.Errorf("%d learners with aims, %d on the template; want %d each", len(per), len(b.TemplateAssignments()), n)
	}
	for l, k := range per {
		if k != 1 {
			t.Errorf("learner %d has %d learning aims", l, k)
		}
	}
}
