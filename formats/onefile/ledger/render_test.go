package ledger

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestWriteRunsAndRun(t *testing.T) {
	start := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	done := Run{ID: 7, Started: start, Finished: start.Add(65 * time.Second), APIRoot: "https://onefile.example/api", Org: 42,
		Mode: "upsert", DryRun: true, Inputs: []string{"a.csv", "b.xlsx"}, Status: "ok", Counts: map[string]int64{"ok": 3, "rejected": 1}, Report: "rep"}
	running := Run{ID: 8, Started: start, APIRoot: "https://x/api", Mode: "create", Status: "running", PID: 4242}
	for _, tc := range []struct {
		name  string
		alive bool
		want  []string
	}{
		{"process gone", false, []string{"stopped (no end recorded: killed?)"}},
		{"process there", true, []string{"  running  "}},
		{"another machine's", true, []string{"running on worker-7.example (pid 4242), or stopped there"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			alive := func(pid int) bool { return tc.alive && pid == 4242 }
			r := running
			if strings.HasPrefix(tc.name, "another") {
				r.Host = "worker-7.example"
			}
			if err := WriteRuns(&b, []Run{done, r}, alive); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range append(tc.want, "ID  ", "upsert (dry run)", "1m5s", "3 ok, 1 rejected", "https://onefile.example/api") {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in\n%s", w, out)
				}
			}
		})
	}
	var b strings.Builder
	rs := []Result{{File: "a.csv", Row: 2, Kind: "onefile-users", Action: "create", Status: "ok", OneFileID: "991", Message: "created"}}
	if err := WriteRun(&b, done, rs, nil); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Run 7", "organisation 42", "dry run (nothing sent)", "a.csv, b.xlsx", "report    rep", "status    ok", "991", "created"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("missing %q in\n%s", w, b.String())
		}
	}
}

func TestProcessAlive(t *testing.T) {
	if !ProcessAlive(os.Getpid()) {
		t.Error("this test's own process is not alive")
	}
	// PIDs are bounded well below this on Linux (pid_max is at most 2^22).
	if ProcessAlive(1 << 30) {
		t.Error("a process that cannot exist is alive")
	}
}
