package nightly

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// leaversFixture is a nightly OneFile job against a sandbox on loopback, with the given extra
// job settings; its ledger is in the test's folder.
type leaversFixture struct {
	*runnerFixture
	box *sandbox.Server
	url string
	d   app.Deps
}

func newLeaversFixture(t *testing.T, extra string) *leaversFixture {
	t.Helper()
	box := sandbox.New(sandbox.Config{})
	url, stop, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stop(ctx)
	})
	f := newRunnerFixture(t, "")
	writeFile(t, filepath.Join(f.dir, "token"), box.CustomerToken())
	writeFile(t, f.job, fmt.Sprintf(`name: learners-nightly
inputs: {folder: in, settle: 1s}
kind: onefile-users
state: %s
target: {type: onefile, url: %q, organisation: 5740, token_file: token, rate: 60000}
%s`, f.state, url, extra))
	d := f.deps()
	ledgerPath := filepath.Join(f.dir, "ledger.db")
	d.LedgerPath = func() (string, error) { return ledgerPath, nil }
	return &leaversFixture{f, box, url, d}
}

// drop writes a settled export of learners ZQ-i for ids; bad ids get an e-mail that is not one.
func (f *leaversFixture) drop(ids []int, bad ...int) {
	f.t.Helper()
	f.drops++
	var b strings.Builder
	b.WriteString("FirstName,LastName,Email,MISID,Role,DefaultAssessorID,ClassroomID,PlacementID\n")
	for _, i := range ids {
		email := fmt.Sprintf("zq%03d@personal.example", i)
		if slices.Contains(bad, i) {
			email = "not-an-address"
		}
		fmt.Fprintf(&b, "Zebedee%03d,Quixfarnsworth,%s,ZQ-%03d,Learner,1001,101,201\n", i, email, i)
	}
	p := filepath.Join(f.in, fmt.Sprintf("learners-%d.csv", f.drops))
	writeFile(f.t, p, b.String())
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		f.t.Fatal(err)
	}
}

func (f *leaversFixture) run() app.Kind {
	f.t.Helper()
	return app.KindOf(RunJob(context.Background(), f.d, f.log(), f.job, RunOptions{}))
}

// idsOf maps the sandbox's users by MISID.
func (f *leaversFixture) idsOf() map[string]int {
	m := map[string]int{}
	for _, u := range f.box.Snapshot().Users {
		m[u.MISID] = u.ID
	}
	return m
}

func (f *leaversFixture) archivedMISIDs() []string {
	byID := map[int]string{}
	for m, id := range f.idsOf() {
		byID[id] = m
	}
	var out []string
	for _, id := range f.box.Archived() {
		out = append(out, byID[id])
	}
	slices.Sort(out)
	return out
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// TestLeaversArchived (issue 13) end to end against the sandbox: a learner the job loaded and
// tonight's full export lacks is archived; one whose row is tonight rejected is not (it is in
// the file); a night missing more than max_missing is held with the leavers listed by name in
// held.txt, and approving it archives exactly them; an archived user is no longer in OneFile's
// search, so a later run does not archive them again.
func TestLeaversArchived(t *testing.T) {
	f := newLeaversFixture(t, "full_export: true\non_missing: archive\nthresholds: {max_missing: 40%}\n")
	f.drop(seq(1, 8))
	if k := f.run(); k != app.OK {
		t.Fatalf("first night: %v\n%s", k, f.logbuf.String())
	}
	// Night 2: 8 has left; 3's row is rejected (a bad e-mail) but 3 is still in the file.
	f.drop(seq(1, 7), 3)
	if k := f.run(); k != app.Rejected {
		t.Fatalf("second night: %v, want rejected rows\n%s", k, f.logbuf.String())
	}
	if got := f.archivedMISIDs(); !slices.Equal(got, []string{"ZQ-008"}) {
		t.Fatalf("archived %v, want ZQ-008 only", got)
	}
	runs := f.runs()
	if s := runs[0].Summary; s["leavers"] != float64(1) || s["archived"] != float64(1) {
		t.Errorf("second night's summary: leavers %v, archived %v", s["leavers"], s["archived"])
	}
	// Night 3: 3 of 7 known missing (ZQ-005..7; 8, archived, is forgotten) is over 40%: held, nothing sent.
	f.drop(seq(1, 4))
	if k := f.run(); k != app.Held {
		t.Fatalf("third night: %v, want held\n%s", k, f.logbuf.String())
	}
	if got := f.archivedMISIDs(); len(got) != 1 {
		t.Errorf("a held run archived: %v", got)
	}
	runs = f.runs()
	held, err := os.ReadFile(filepath.Join(runs[0].Report, HeldFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Would archive", "ZQ-005", "ZQ-006", "ZQ-007"} {
		if !strings.Contains(string(held), want) {
			t.Errorf("held.txt lacks %q:\n%s", want, held)
		}
	}
	if strings.Contains(string(held), "ZQ-008") {
		t.Errorf("held.txt lists ZQ-008, already archived:\n%s", held)
	}
	if err := Approve(context.Background(), f.d, f.log(), ApproveOptions{RunID: runs[0].ID, Job: f.job, Yes: true}); err != nil {
		t.Fatalf("approve: %v\n%s", err, f.logbuf.String())
	}
	if got := f.archivedMISIDs(); !slices.Equal(got, []string{"ZQ-005", "ZQ-006", "ZQ-007", "ZQ-008"}) {
		t.Errorf("after approving, archived %v", got)
	}
	// The archive endpoint was called once per leaver: nothing twice.
	if n := f.box.Snapshot().Calls["POST /User/{id}/Archive"]; n != 4 {
		t.Errorf("%d archive calls, want 4", n)
	}
	// Those the approval archived are forgotten too: the same four again miss nobody.
	f.drop(seq(1, 4))
	if k := f.run(); k != app.OK {
		t.Fatalf("fourth night: %v\n%s", k, f.logbuf.String())
	}
	if diff, _ := f.runs()[0].Summary["diff"].(map[string]any); diff["missing"] != float64(0) {
		t.Errorf("fourth night: %v missing after the approved archive, want 0", diff["missing"])
	}
}

// TestLeaversKeptByDefault: without on_missing: archive a learner missing from the export is
// left alone (the default keep), and the archive endpoint is never called.
func TestLeaversKeptByDefault(t *testing.T) {
	f := newLeaversFixture(t, "full_export: true\n")
	f.drop(seq(1, 5))
	if k := f.run(); k != app.OK {
		t.Fatalf("first night: %v\n%s", k, f.logbuf.String())
	}
	f.drop(seq(1, 4))
	if k := f.run(); k != app.OK {
		t.Fatalf("second night: %v\n%s", k, f.logbuf.String())
	}
	if n := f.box.Snapshot().Calls["POST /User/{id}/Archive"]; n != 0 || len(f.box.Archived()) != 0 {
		t.Errorf("%d archive calls with on_missing keep", n)
	}
}

// TestOnMissingChecked: archive is refused in job validation unless the job says its files are
// full exports, loads OneFile users, and diffs.
func TestOnMissingChecked(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no full export", "kind: onefile-users\non_missing: archive\n", "on_missing: archive needs full_export: true"},
		{"full_export false", "kind: onefile-users\non_missing: archive\nfull_export: false\n", "needs full_export: true"},
		{"wrong kind", "kind: onefile-assignments\non_missing: archive\nfull_export: true\n", "kind: onefile-users"},
		{"diff off", "kind: onefile-users\non_missing: archive\nfull_export: true\ndiff: false\n", "needs diff on"},
		{"unknown word", "kind: onefile-users\non_missing: delete\n", `on_missing "delete": use keep`},
		{"archive ok", "kind: onefile-users\non_missing: archive\nfull_export: true\n", ""},
		{"keep ok", "kind: onefile-users\non_missing: keep\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "in"), 0o755)
			writeFile(t, filepath.Join(dir, "token"), "x")
			p := filepath.Join(dir, "job.yaml")
			writeFile(t, p, "name: j\ninputs: {folder: in}\ntarget: {type: onefile, url: 'https://wsapibeta.onefile.co.uk/api/v2.1', organisation: 5740, token_file: token}\n"+tt.yaml)
			j, err := Load(p)
			if err != nil {
				if tt.want == "" || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			got := strings.Join(j.Check(), "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestArchivedLeaversForgotten: a leaver the job archived is gone on purpose, so the state
// forgets them. Before, their key stayed known and missing every night after, so a job that
// archives a few leavers a week crept up on max_missing until every night was held.
func TestArchivedLeaversForgotten(t *testing.T) {
	f := newLeaversFixture(t, "full_export: true\non_missing: archive\nthresholds: {max_missing: 40%}\n")
	f.drop(seq(1, 4))
	if k := f.run(); k != app.OK {
		t.Fatalf("first night: %v\n%s", k, f.logbuf.String())
	}
	f.drop(seq(1, 3)) // ZQ-004 has left
	if k := f.run(); k != app.OK {
		t.Fatalf("second night: %v\n%s", k, f.logbuf.String())
	}
	if got := f.archivedMISIDs(); !slices.Equal(got, []string{"ZQ-004"}) {
		t.Fatalf("archived %v, want ZQ-004", got)
	}
	if !strings.Contains(f.logbuf.String(), "learners-nightly: 0 new, 0 changed, 0 rejected; sent 0 in") || !strings.Contains(f.logbuf.String(), "archived 1 who left the full export") {
		t.Errorf("the run's one human line does not say a leaver was archived:\n%s", f.logbuf.String())
	}
	f.drop(seq(1, 3)) // the same three: nobody is missing
	if k := f.run(); k != app.OK {
		t.Fatalf("third night: %v\n%s", k, f.logbuf.String())
	}
	diff, _ := f.runs()[0].Summary["diff"].(map[string]any)
	if diff["missing"] != float64(0) || diff["known"] != float64(3) {
		t.Errorf("third night: known %v, missing %v; want 3 known, 0 missing (ZQ-004 was archived)", diff["known"], diff["missing"])
	}
	// A leaver who comes back is new, and created again.
	f.drop(seq(1, 4))
	if k := f.run(); k != app.OK {
		t.Fatalf("fourth night: %v\n%s", k, f.logbuf.String())
	}
	diff, _ = f.runs()[0].Summary["diff"].(map[string]any)
	if diff["new"] != float64(1) || diff["missing"] != float64(0) {
		t.Errorf("fourth night: new %v, missing %v; want ZQ-004 new and nobody missing", diff["new"], diff["missing"])
	}
}
