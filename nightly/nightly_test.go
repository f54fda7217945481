package nightly

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadJob(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"minimal", "inputs: {folder: in}\n", ""},
		{"unknown key", "inputs: {folder: in}\ntargte: {type: export}\n", `line 2: "targte" is not a setting`},
		{"every problem at once", "inputs: {folder: in, setle: 2m}\ntarget: {type: ftp}\n", "\"setle\" is not a setting under inputs (see docs/nightly.md for the settings)\n  - target.type \"ftp\""},
		{"secret in file", "inputs: {folder: in}\ntarget: {type: onefile, url: x, token: abc}\n", "secrets are never kept"},
		{"missing folder", "inputs: {folder: nowhere}\n", "is not a folder that exists"},
		{"bad threshold", "inputs: {folder: in}\nthresholds: {max_new: lots}\n", "is not a count"},
		{"export needs kind", "inputs: {folder: in}\ntarget: {type: export, folder: out}\n", "kind is missing"},
		{"bad target", "inputs: {folder: in}\ntarget: {type: ftp}\n", "use validate, export, onefile or peoplefluent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "job.yaml")
			writeFile(t, p, tc.yaml)
			j, err := Load(p)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if j.Inputs.Folder != filepath.Join(dir, "in") || j.Archive != filepath.Join(dir, "in", "archive") || j.Name != "job" {
					t.Errorf("defaults: %+v", j)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "abc") {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		limit        Limit
		n, known     int
		wantExceeded bool
	}{
		{Limit{Count: 10, Set: true}, 10, 0, false},
		{Limit{Count: 10, Set: true}, 11, 0, true},
		{Limit{Percent: 10, Set: true}, 10, 100, false},
		{Limit{Percent: 10, Set: true}, 11, 100, true},
		{Limit{Percent: 10, Set: true}, 500, 0, false},
		{Limit{}, 1000, 10, false},
	}
	for _, tc := range tests {
		if got := tc.limit.Exceeded(tc.n, tc.known); got != tc.wantExceeded {
			t.Errorf("%+v.Exceeded(%d, %d) = %v", tc.limit, tc.n, tc.known, got)
		}
	}
}

func TestReadyAndClaim(t *testing.T) {
	dir := t.TempDir()
	j := &Job{Inputs: Inputs{Folder: dir, Glob: "*.csv", Settle: Duration(time.Minute)}}
	now := time.Now()
	old := now.Add(-2 * time.Minute)
	for _, name := range []string{"a.csv", "b.csv", "~$c.csv", ".d.csv", "e.csv.part"} {
		writeFile(t, filepath.Join(dir, name), "x")
		os.Chtimes(filepath.Join(dir, name), old, old)
	}
	writeFile(t, filepath.Join(dir, "fresh.csv"), "still being written")
	ready, waiting, _, err := Ready(j, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(base(ready), ","); got != "a.csv,b.csv" {
		t.Errorf("ready = %s", got)
	}
	if got := strings.Join(base(waiting), ","); got != "fresh.csv" {
		t.Errorf("waiting = %s", got)
	}
	j.Inputs.DoneMarker = true
	writeFile(t, filepath.Join(dir, "b.csv.done"), "")
	ready, _, _, _ = Ready(j, now)
	if got := strings.Join(base(ready), ","); got != "b.csv" {
		t.Errorf("with markers, ready = %s", got)
	}
	claimed, err := Claim(j, filepath.Join(dir, "b.csv"), "RUN1")
	if err != nil {
		t.Fatal(err)
	}
	if claimed != filepath.Join(dir, "processing", "RUN1-b.csv") || !fileExists(claimed+".done") {
		t.Errorf("claimed = %s", claimed)
	}
	if _, err := Claim(j, filepath.Join(dir, "b.csv"), "RUN2"); !errors.Is(err, ErrClaimed) {
		t.Errorf("second claim: %v, want ErrClaimed", err)
	}
	done, err := File(claimed, filepath.Join(dir, "archive"), "done")
	if err != nil || done != filepath.Join(dir, "archive", "done", "RUN1-b.csv") || !fileExists(done) || fileExists(claimed) {
		t.Errorf("File = %s, %v", done, err)
	}
}

func base(ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, filepath.Base(p))
	}
	return out
}

func TestLockRefusesSecondRun(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.lock")
	l, err := Acquire(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(p); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second Acquire: %v, want ErrLocked naming the pid", err)
	}
	l.Release()
	l2, err := Acquire(p)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if l2.Stale != "" {
		t.Errorf("a released lock looked stale: %s", l2.Stale)
	}
	l2.l.Release()
	// What a run killed while holding the lock leaves: its text in a file nobody holds.
	if err := os.WriteFile(p, []byte(`{"pid":4242,"command":"bulk run --once job.yaml","since":"2026-01-05T02:00:01Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l3, err := Acquire(p)
	if err != nil || !strings.Contains(l3.Stale, "pid 4242 (bulk run --once job.yaml)") {
		t.Fatalf("after a dead holder: %v, stale %q", err, l3.Stale)
	}
	l3.Release()
}

// TestClaimOnce: of several runs claiming one file at the same moment, exactly one gets it.
func TestClaimOnce(t *testing.T) {
	dir := t.TempDir()
	for round := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.csv", round))
		writeFile(t, p, "ID\n1\n")
		writeFile(t, p+".done", "")
		var wg sync.WaitGroup
		results := make([]error, 4)
		paths := make([]string, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				paths[i], results[i] = Claim(&Job{}, p, fmt.Sprintf("R%d-%d", round, i))
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range results {
			switch {
			case err == nil:
				won++
				if !fileExists(paths[i]) || !fileExists(paths[i]+".done") {
					t.Errorf("round %d: the winner's file or marker is missing: %s", round, paths[i])
				}
			case !errors.Is(err, ErrClaimed):
				t.Errorf("round %d: a loser got %v, want ErrClaimed", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d runs claimed the file", round, won)
		}
	}
	if _, err := Claim(&Job{}, filepath.Join(dir, "never.csv"), "R"); !errors.Is(err, ErrClaimed) {
		t.Errorf("claiming a file that is not there: %v", err)
	}
}

func TestClaimMarkerStuck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.csv")
	writeFile(t, p, "x")
	// Where the marker should go stands a non-empty folder, which rename refuses.
	writeFile(t, p+".done", "")
	writeFile(t, filepath.Join(dir, "processing", "R1-a.csv.done", "blocker"), "")
	claimed, err := Claim(&Job{}, p, "R1")
	if err == nil || !strings.Contains(err.Error(), "marker") || claimed != filepath.Join(dir, "processing", "R1-a.csv") || !fileExists(claimed) {
		t.Errorf("Claim = %q, %v; want the file claimed and an error about its marker", claimed, err)
	}
}

// TestFileAcrossFileSystems: archiving to another file system copies, syncs and removes.
func TestFileAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "bulk-nightly-test-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	defer os.RemoveAll(other)
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	writeFile(t, probe, "")
	if os.Rename(probe, filepath.Join(other, "probe")) == nil {
		t.Skip("/dev/shm is not another file system here: a rename crosses it")
	}
	claimed := filepath.Join(dir, "processing", "R1-a.csv")
	writeFile(t, claimed, "ID\n1\n")
	writeFile(t, claimed+".done", "")
	got, err := File(claimed, other, "done")
	if err != nil || got != filepath.Join(other, "done", "R1-a.csv") {
		t.Fatalf("File = %q, %v", got, err)
	}
	if b, err := os.ReadFile(got); err != nil || string(b) != "ID\n1\n" || fileExists(claimed) || !fileExists(got+".done") || fileExists(claimed+".done") {
		t.Errorf("after the move: %q %v; source left %v", b, err, fileExists(claimed))
	}
	// A file already archived under that name is never overwritten across file systems.
	writeFile(t, claimed, "second")
	if _, err := File(claimed, other, "done"); err == nil || !strings.Contains(err.Error(), "cannot archive") {
		t.Errorf("archiving over an existing file: %v", err)
	}
	if !fileExists(claimed) {
		t.Errorf("a failed archive lost the input")
	}
}

func TestFileRefusesBadArchive(t *testing.T) {
	dir := t.TempDir()
	claimed := filepath.Join(dir, "processing", "R1-a.csv")
	writeFile(t, claimed, "x")
	blocker := filepath.Join(dir, "archive")
	writeFile(t, blocker, "a file where the archive folder should be")
	if _, err := File(claimed, blocker, "done"); err == nil || !strings.Contains(err.Error(), "cannot create") {
		t.Errorf("File into a file: %v", err)
	}
	if !fileExists(claimed) {
		t.Errorf("the input was lost")
	}
}

func TestNewRunID(t *testing.T) {
	now := time.Date(2026, 11, 25, 2, 0, 1, 0, time.FixedZone("BST", 3600))
	seen := map[string]bool{}
	for range 50 {
		id := NewRunID(now)
		if !strings.HasPrefix(id, "20261125T010001-") || len(id) != len("20261125T010001-")+6 {
			t.Fatalf("run ID %q", id)
		}
		seen[id] = true
	}
	if len(seen) < 45 {
		t.Errorf("only %d distinct IDs in 50 in one second", len(seen))
	}
}

// TestJobCheck: every target's settings are checked, each problem in the job file's words.
func TestJobCheck(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	writeFile(t, filepath.Join(dir, "token"), "secret-token")
	writeFile(t, filepath.Join(dir, "key"), "secret-key")
	t.Setenv("BULK_TEST_TOKEN", "x")
	tests := []struct {
		name, yaml string
		want       []string // each must appear; none: the job loads
	}{
		{"onefile", "target: {type: onefile, env: beta, organisation: 5740, token_file: token, mode: upsert}\n", nil},
		{"onefile by env var", "target: {type: onefile, url: 'https://x.example/api/v2.1', token_env: BULK_TEST_TOKEN}\n", nil},
		{"onefile without root or token", "target: {type: onefile}\n", []string{"target.url (the API root) or target.env", "target.token_file or target.token_env is missing"}},
		{"onefile token env unset", "target: {type: onefile, env: beta, token_env: BULK_TEST_UNSET_VAR}\n", []string{"names BULK_TEST_UNSET_VAR, which is not set"}},
		{"onefile bad mode", "target: {type: onefile, env: beta, token_file: token, mode: merge}\n", []string{`target.mode "merge"`}},
		{"onefile token file missing", "target: {type: onefile, env: beta, token_file: nowhere}\n", []string{"target.token_file", "cannot be read"}},
		{"peoplefluent", "kind: training-history\ntarget: {type: peoplefluent, base: 'https://lms.example/ekp/', key_file: key}\n", nil},
		{"peoplefluent missing all", "target: {type: peoplefluent, endpoint: users}\n", []string{"target.base", `target.endpoint "users"`, "kind is missing", "target.key_file or target.key_env"}},
		{"peoplefluent admin user and month names", "kind: training-history\ntarget: {type: peoplefluent, base: 'https://lms.example/ekp/', key_file: key, user: lms.admin, month_names: true}\n", nil},
		{"peoplefluent bad user", "kind: training-history\ntarget: {type: peoplefluent, base: 'https://lms.example/ekp/', key_file: key, user: 'a:b'}\n", []string{"target.user", "colon"}},
		{"peoplefluent verify and check users", "kind: training-history\ntarget: {type: peoplefluent, base: 'https://lms.example/ekp/', key_file: key, verify: true, check_users: true}\n", nil},
		{"peoplefluent verify of courses", "kind: courses\ntarget: {type: peoplefluent, base: 'https://lms.example/ekp/', key_file: key, verify: true, check_users: true}\n",
			[]string{"target.verify", "training-history only", "courses has no documented read"}},
		{"onefile verify and check users", "target: {type: onefile, env: beta, token_file: token, verify: true, check_users: true}\n",
			[]string{"target.verify reads PeopleFluent records back", "target.check_users checks USERIDs", "this job's target is onefile", "checks each row against OneFile's own users"}},
		{"export verify", "kind: training-history\ntarget: {type: export, folder: out, verify: true}\n", []string{"target.verify", "only a peoplefluent target"}},
		{"peoplefluent key file missing", "kind: courses\ntarget: {type: peoplefluent, base: b, key_file: nokey}\n", []string{"target.key_file", "cannot be read"}},
		{"export without folder", "kind: users\ntarget: {type: export}\n", []string{"target.folder is missing"}},
		{"bad glob and map and date order", "inputs: {folder: in, glob: '[x'}\nmap: nomap.yaml\ndate_order: ymd\n", []string{`inputs.glob "[x"`, "map ", "cannot be read", `date_order "ymd"`}},
		{"no folder", "inputs: {glob: '*.csv'}\n", []string{"inputs.folder is missing"}},
		{"header row", "inputs: {folder: in}\nheader_row: 4\n", nil},
		{"bad header row", "inputs: {folder: in}\nheader_row: -1\n", []string{"header_row -1"}},
		{"settle as seconds and duration", "inputs: {folder: in, settle: 90}\n", nil},
		{"bad settle", "inputs: {folder: in, settle: soon}\n", []string{`"soon" is not a duration`}},
		{"bad percentage", "inputs: {folder: in}\nthresholds: {max_changes: 150%}\n", []string{"is not a percentage"}},
		{"not YAML", "inputs: [\n", []string{"is not a job file"}},
		// A state URL bulk cannot keep its state in is refused by --check as the run refuses it,
		// judged as written (not as a path beside the job file), its password never repeated.
		{"state mysql", "state: 'mysql://u:pw@h/db'\n", []string{"state", "mysql://", "give a file path"}},
		{"state postgres without //", "state: 'postgres:/db'\n", []string{"state", "postgres:", "without its //"}},
		{"state postgres", "state: 'postgres://u@h/db'\n", nil},
		{"state file with a colon", "state: './a:b.db'\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "job.yaml")
			text := tc.yaml
			if !strings.Contains(text, "inputs:") {
				text = "inputs: {folder: in}\n" + text
			}
			writeFile(t, p, text)
			j, err := Load(p)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded %+v, want problems %q", j, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret-") || strings.Contains(err.Error(), "pw@") {
				t.Errorf("the error repeats a secret: %v", err)
			}
		})
	}
}

func TestJobDefaults(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	t.Setenv("BULK_STATE_DIR", filepath.Join(dir, "state"))
	p := filepath.Join(dir, "learners.yaml")
	writeFile(t, p, "inputs: {folder: in, settle: 90}\ndiff: false\nthresholds: {max_new: 10%, max_changes: 200}\n")
	j, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if j.Name != "learners" || j.State != filepath.Join(dir, "state", "nightly.db") || j.Inputs.Glob != "*.csv" ||
		time.Duration(j.Inputs.Settle) != 90*time.Second || j.Report != filepath.Join(dir, "in", "archive", "reports") ||
		j.Target.Type != "validate" || j.DiffOn() {
		t.Errorf("defaults: %+v", j)
	}
	if j.Thresholds.MaxMissing.String() != "25%" || j.Thresholds.MaxNew.String() != "10%" || j.Thresholds.MaxChanges.String() != "200" {
		t.Errorf("thresholds: %v %v %v", j.Thresholds.MaxMissing, j.Thresholds.MaxNew, j.Thresholds.MaxChanges)
	}
	why := j.Thresholds.Evaluate(DiffCounts{Known: 100, New: 11, Changed: 201, Missing: 26})
	if len(why) != 3 || !strings.Contains(why[1], "11 rows are new; the job allows at most 10%") || !strings.Contains(why[2], "26 of 100 known rows are missing") {
		t.Errorf("Evaluate = %q", why)
	}
	writeFile(t, p, "inputs: {folder: in}\nstate: my/state.db\n")
	if j, err = Load(p); err != nil || j.State != filepath.Join(dir, "my", "state.db") || !j.DiffOn() {
		t.Errorf("a job's own state path: %+v, %v", j, err)
	}
	t.Setenv("BULK_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg"))
	if got := DefaultStatePath(); got != filepath.Join(dir, "xdg", "bulk", "nightly.db") {
		t.Errorf("DefaultStatePath with XDG_STATE_HOME: %s", got)
	}
}

// TestJobCheckStateFromEnv: a job with no state: takes BULK_STATE_URL; a URL there the run
// would refuse is reported by Load (bulk run --check), naming the variable, without its password.
func TestJobCheckStateFromEnv(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "in"), 0o755)
	p := filepath.Join(dir, "job.yaml")
	writeFile(t, p, "inputs: {folder: in}\n")
	for _, tc := range []struct{ env, want string }{
		{"mysql://u:pw@h/db", "BULK_STATE_URL"},
		{"postgres:/db", "BULK_STATE_URL"},
		{"postgres://u@h/db", ""},
	} {
		t.Setenv("BULK_STATE_URL", tc.env)
		_, err := Load(p)
		if tc.want == "" {
			if err != nil {
				t.Errorf("BULK_STATE_URL=%s: %v", tc.env, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "pw@") {
			t.Errorf("BULK_STATE_URL=%s: Load error %v, want one naming %s without the password", tc.env, err, tc.want)
		}
	}
}
