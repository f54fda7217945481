package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/onefile/profile"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// TestProbeOnefile probes the sandbox in both keychain settings and both search modes: the
// probe reports what the sandbox was set to, not what it assumes, and writes the profile loads
// read. It also proves the probe only reads: the sandbox holds the same users afterwards.
func TestProbeOnefile(t *testing.T) {
	for _, keychain := range []bool{true, false} {
		for _, mode := range []sandbox.SearchMode{sandbox.SearchSummary, sandbox.SearchFull} {
			t.Run(mode.String()+map[bool]string{true: ",keychain", false: ",no-keychain"}[keychain], func(t *testing.T) {
				box := sandbox.New(sandbox.Config{Keychain: keychain, SearchMode: mode, CustomerToken: "probe-token-1"})
				url, shutdown, err := box.Start("127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					shutdown(ctx)
				})
				before := len(box.Snapshot().Users)
				state := filepath.Join(t.TempDir(), "ledger.db")
				d := Deps{Getenv: func(k string) string {
					if k == TokenEnv {
						return "probe-token-1"
					}
					return ""
				}}
				res, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Authenticated || res.KeychainOn != keychain || res.Organisation != 5740 || len(res.Organisations) != 2 {
					t.Errorf("authenticated %v, keychain %v (want %v), organisation %d of %d", res.Authenticated, res.KeychainOn, keychain, res.Organisation, len(res.Organisations))
				}
				full := slices.Contains(res.SearchFields, "OrganisationID")
				if full != (mode == sandbox.SearchFull) || !slices.Contains(res.SearchFields, "MISID") {
					t.Errorf("search %s answers %v", mode, res.SearchFields)
				}
				if res.GetUserReturnsMore != (mode == sandbox.SearchSummary) {
					t.Errorf("search %s: GET returns more = %v (search %v, get %v)", mode, res.GetUserReturnsMore, res.SearchFields, res.GetUserFields)
				}
				if res.Counts["classrooms"] == 0 || res.Counts["standards"] == 0 || res.Counts["units"] == 0 || res.Counts["placements"] == 0 {
					t.Errorf("counts %v", res.Counts)
				}
				if res.AssignPath != "unknown" {
					t.Errorf("assign_path %q without a write test", res.AssignPath)
				}
				if n := len(box.Snapshot().Users); n != before {
					t.Errorf("the probe changed the users: %d, was %d", n, before)
				}
				p, err := profile.Read(profile.Dir(state), res.APIRoot, 5740)
				if err != nil || p == nil {
					t.Fatalf("profile: %v %v", p, err)
				}
				if p.KeychainOn != keychain || !slices.Equal(p.SearchFields, res.SearchFields) || res.Profile == "" {
					t.Errorf("profile %+v does not say what the probe found", p)
				}
				if fi, err := os.Stat(res.Profile); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("profile file: %v %v", fi, err)
				}
				var text bytes.Buffer
				res.WriteText(&text)
				for _, want := range []string{"token accepted", "Keychain: " + map[bool]string{true: "on", false: "off"}[keychain], "User search answers: ", "Assignment path: unknown"} {
					if !strings.Contains(text.String(), want) {
						t.Errorf("text does not say %q:\n%s", want, text.String())
					}
				}
			})
		}
	}
}

// A refused token is exit 2 with no profile written.
func TestProbeOnefileBadToken(t *testing.T) {
	box := sandbox.New(sandbox.Config{CustomerToken: "right"})
	url, shutdown, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	state := filepath.Join(t.TempDir(), "ledger.db")
	d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: "wrong"}[k] }}
	res, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state})
	if err == nil || KindOf(err) != CannotRun || res == nil || res.Authenticated || !strings.Contains(err.Error(), "token") {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if _, err := os.Stat(profile.Dir(state)); !os.IsNotExist(err) {
		t.Errorf("a profile folder after a refused token: %v", err)
	}
}

// TestLoadReadsProfile: a load into a probed target reads its profile and says so; the
// assignment path the profile settles is the one the client uses: a sandbox that takes the
// assignee in the path refuses the learner reading and takes the assignee one, and one that
// takes the learner in the path (the newer guide's wording) takes the learner reading.
func TestLoadReadsProfile(t *testing.T) {
	for _, tt := range []struct {
		path          string
		learnerInPath bool // the sandbox's reading
		assigned      int
	}{
		{"assignee", false, 1},
		{"learner", false, 0},
		{"learner", true, 1},
	} {
		t.Run(fmt.Sprintf("%s,sandbox-learner-in-path=%v", tt.path, tt.learnerInPath), func(t *testing.T) {
			box := sandbox.New(sandbox.Config{Keychain: true, CustomerToken: "probe-token-2", AssignLearnerInPath: tt.learnerInPath})
			url, shutdown, err := box.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(context.Background())
			dir := t.TempDir()
			state := filepath.Join(dir, "ledger.db")
			d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: "probe-token-2"}[k] }}
			res, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state})
			if err != nil {
				t.Fatal(err)
			}
			p, err := profile.Read(profile.Dir(state), res.APIRoot, 5740)
			if err != nil || p == nil {
				t.Fatal(p, err)
			}
			p.AssignPath = tt.path // as a write test would settle it
			if _, err := profile.Write(profile.Dir(state), p); err != nil {
				t.Fatal(err)
			}
			in := writeFile(t, dir, "assign.csv", "LearnerID,UserID,Level,StandardID\n1010,1001,3,301\n")
			var stderr bytes.Buffer
			d.Stderr = &stderr
			o := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: filepath.Join(dir, "r")},
				URL: url, Org: 5740, State: state, Mode: "create", Concurrency: 1, Rate: SandboxRate}
			if _, err := LoadOnefile(context.Background(), d, o); err != nil && tt.assigned == 1 {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "Target profile (probed") || !strings.Contains(stderr.String(), "assignment path "+tt.path) {
				t.Errorf("the load does not say it read the profile:\n%s", stderr.String())
			}
			as := box.Snapshot().Assignments
			if len(as) != tt.assigned {
				t.Errorf("assign_path %s: %d assignments on the sandbox, want %d\n%s", tt.path, len(as), tt.assigned, stderr.String())
			}
			if len(as) == 1 && (as[0].AssigneeID != 1001 || as[0].LearnerID != 1010) {
				t.Errorf("assigned %+v, want assessor 1001 to learner 1010", as[0])
			}
		})
	}
}

// TestProbeWriteTest: --write-test settles the assignment path against a sandbox that takes the
// assignee in the path and against one that takes the learner (the newer guide's reading), in
// both keychain settings; and is refused for live before anything is sent.
func TestProbeWriteTest(t *testing.T) {
	defaults := map[string]bool{"trainee-assessor-any-level": true, "trainee-default-assessor": true, "iqa-default-assessor": false}
	other := map[string]bool{"trainee-assessor-any-level": false, "trainee-default-assessor": true, "iqa-default-assessor": true}
	for _, tt := range []struct {
		learnerInPath, keychain bool
		want                    string
		tries                   int
		roles                   map[string]bool // the sandbox's, which the write test must find
	}{
		{false, true, "assignee", 1, defaults},
		{true, true, "learner", 2, defaults},
		{true, false, "learner", 2, other},
		{false, false, "assignee", 1, other},
	} {
		t.Run(fmt.Sprintf("%s,keychain=%v,iqa-default=%v", tt.want, tt.keychain, tt.roles["iqa-default-assessor"]), func(t *testing.T) {
			box := sandbox.New(sandbox.Config{Keychain: tt.keychain, AssignLearnerInPath: tt.learnerInPath, CustomerToken: "probe-token-3",
				Faults: sandbox.FaultSpec{Lag: 300 * time.Millisecond}, Roles: tt.roles})
			url, shutdown, err := box.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(context.Background())
			state := filepath.Join(t.TempDir(), "ledger.db")
			d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: "probe-token-3"}[k] }}
			res, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state, WriteTest: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.AssignPath != tt.want || res.WriteTest == nil || len(res.WriteTest.Tried) != tt.tries {
				t.Fatalf("assign_path %q, write test %+v", res.AssignPath, res.WriteTest)
			}
			byAssessor := 0
			for _, a := range box.Snapshot().Assignments {
				if a.AssigneeID == res.WriteTest.AssessorID && a.LearnerID == res.WriteTest.LearnerID {
					byAssessor++
				}
			}
			if byAssessor != 1 || !strings.Contains(res.WriteTest.Cleanup, "bulk-probe-L-") || !strings.Contains(res.WriteTest.Cleanup, "bulk-probe-Q-") {
				t.Errorf("assignments %v, cleanup %q", box.Snapshot().Assignments, res.WriteTest.Cleanup)
			}
			if fmt.Sprint(res.WriteTest.Roles) != fmt.Sprint(tt.roles) || fmt.Sprint(res.Roles) != fmt.Sprint(tt.roles) {
				t.Errorf("role settings found %v (result %v), sandbox has %v; tried %+v", res.WriteTest.Roles, res.Roles, tt.roles, res.WriteTest.RolesTried)
			}
			found := false
			for _, u := range box.Snapshot().Users {
				if u.ID == res.WriteTest.LearnerID {
					found = true
					if fmt.Sprint(u.Fields["DefaultAssessorID"]) != fmt.Sprint(res.WriteTest.AssessorID) {
						t.Errorf("the test learner's default assessor was left at %v", u.Fields["DefaultAssessorID"])
					}
				}
			}
			if !found {
				t.Errorf("test learner %d not on the sandbox", res.WriteTest.LearnerID)
			}
			p, err := profile.Read(profile.Dir(state), res.APIRoot, 5740)
			if err != nil || p == nil || p.AssignPath != tt.want || fmt.Sprint(p.Roles) != fmt.Sprint(tt.roles) {
				t.Fatalf("profile %+v %v", p, err)
			}
			// A later read-only probe keeps the settled path.
			res, err = ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state})
			if err != nil || res.AssignPath != tt.want {
				t.Errorf("read-only probe after: %q %v", res.AssignPath, err)
			}
		})
	}
	d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: "x"}[k] }}
	_, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{Env: "live", Org: 5740, WriteTest: true})
	if err == nil || !strings.Contains(err.Error(), "refused for OneFile live") {
		t.Errorf("--write-test on live: %v", err)
	}
}

// TestProfileRoles: the role settings of a target profile reach the load's validation (a
// trainee assessor's assignment is refused when the profile says OneFile does not take it, and
// sent when it says it does), and a new read-only probe keeps them (it cannot find them out).
func TestProfileRoles(t *testing.T) {
	box := sandbox.New(sandbox.Config{Keychain: true, CustomerToken: "probe-token-3"})
	url, shutdown, err := box.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	dir := t.TempDir()
	state := filepath.Join(dir, "ledger.db")
	d := Deps{Getenv: func(k string) string { return map[string]string{TokenEnv: "probe-token-3"}[k] }}
	probe := func() *profile.Profile {
		t.Helper()
		res, err := ProbeOnefile(context.Background(), d, ProbeOnefileOptions{URL: url, Org: 5740, State: state})
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.Read(profile.Dir(state), res.APIRoot, 5740)
		if err != nil || p == nil {
			t.Fatal(p, err)
		}
		return p
	}
	in := writeFile(t, dir, "assign.csv", "LearnerID,UserID,UserRole,Level,StandardID\n1010,1004,4,3,302\n")
	for i, allowed := range []bool{false, true} {
		p := probe()
		if i > 0 && (len(p.Roles) != 1 || p.Roles["trainee-assessor-any-level"]) { // the false written below, kept
			t.Fatalf("a new probe lost the role settings: %v", p.Roles)
		}
		p.Roles = map[string]bool{"trainee-assessor-any-level": allowed}
		if _, err := profile.Write(profile.Dir(state), p); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		d.Stderr = &stderr
		rdir := filepath.Join(dir, fmt.Sprint("r", i))
		o := LoadOnefileOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: rdir},
			URL: url, Org: 5740, State: state, Mode: "create", Concurrency: 1, Rate: SandboxRate}
		_, err := LoadOnefile(context.Background(), d, o)
		if got := len(box.Snapshot().Assignments); got != i {
			t.Fatalf("trainee-assessor-any-level %v: %d assignments on the sandbox, want %d (%v)\n%s", allowed, got, i, err, stderr.String())
		}
		if !allowed {
			rej, _ := os.ReadFile(filepath.Join(rdir, "rejects.csv"))
			if !strings.Contains(string(rej), "trainee-assessor-any-level") {
				t.Errorf("the refusal does not name the setting:\n%s", rej)
			}
		}
	}
}
