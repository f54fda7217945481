package nightly

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// TestRunnerPeopleFluentChecks: a PeopleFluent job with check_users and verify runs the load
// as 'bulk load peoplefluent --check-users --verify' does, against the sandbox on loopback: the
// row of a user the LMS does not have is rejected before the push and never sent, and what was
// pushed is read back and confirmed in the run's summary.json. Without them, neither read is made.
func TestRunnerPeopleFluentChecks(t *testing.T) {
	const key = "nightly-pf-KEY-51c3"
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("checks %v", on), func(t *testing.T) {
			srv := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
			base, stop, err := srv.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = stop() })
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			if err := os.MkdirAll(in, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "key"), []byte(key), 0o600); err != nil {
				t.Fatal(err)
			}
			job := filepath.Join(dir, "job.yaml")
			text := fmt.Sprintf("name: completions\ninputs: {folder: in, settle: 1s}\nkind: training-history\nstate: %s\n"+
				"target: {type: peoplefluent, base: %q, key_file: key, verify: %v, check_users: %v}\n", filepath.Join(dir, "state.db"), base, on, on)
			if err := os.WriteFile(job, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(in, "completions.csv")
			data := "USERID,LEARNINGID,STARTDATE,ENDDATE,STUDENTSTATUS,SCORE\n" +
				"jsmith,HS-101,05/09/2026 09:00,05/09/2026 17:00,Pass,87\n" +
				"ajones,HS-101,05/09/2026,05/09/2026,Completed,\n" +
				"mlee,HS-101,07/09/2026,07/09/2026,Completed,64\n"
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Minute)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
			var stderr, logbuf bytes.Buffer
			d := app.Deps{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			kind := app.KindOf(RunJob(ctx, d, slog.New(slog.NewTextHandler(&logbuf, nil)), job, RunOptions{}))

			reads := srv.Stats().Requests
			sent := srv.Received(peoplefluent.TrainingHistoryCSV)
			if !on {
				// Nothing checked before the push: every row goes to the LMS.
				if reads["users200510Xml"] != 0 || reads["trainingHistoryXml"] != 0 {
					t.Errorf("reads made without check_users and verify: %v", reads)
				}
				if len(sent) != 3 {
					t.Errorf("the LMS received %d rows, want all 3", len(sent))
				}
				return
			}
			if kind != app.Rejected {
				t.Fatalf("run ended %v\n%s\n%s", kind, stderr.String(), logbuf.String())
			}
			if reads["users200510Xml"] != 1 || reads["trainingHistoryXml"] == 0 {
				t.Errorf("reads %v: want the users read once before the push and the records read back after", reads)
			}
			if len(sent) != 2 {
				t.Errorf("the LMS received %d rows, want 2 (ajones never sent): %v", len(sent), sent)
			}
			st, err := OpenState(filepath.Join(dir, "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			runs, err := st.Runs(10)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs %v: %v", runs, err)
			}
			var sum struct {
				Verify struct {
					Rows, Confirmed, Missing, Different int
				} `json:"verify"`
			}
			b, err := os.ReadFile(filepath.Join(runs[0].Report, "summary.json"))
			if err != nil || json.Unmarshal(b, &sum) != nil {
				t.Fatalf("summary.json: %v\n%s", err, b)
			}
			if sum.Verify.Rows != 2 || sum.Verify.Confirmed != 2 || sum.Verify.Missing+sum.Verify.Different != 0 {
				t.Errorf("summary.json verify %+v, want 2 rows read back and confirmed", sum.Verify)
			}
			rejects, err := os.ReadFile(filepath.Join(runs[0].Report, "rejects.csv"))
			if err != nil || !strings.Contains(string(rejects), "no LMS user ajones") {
				t.Errorf("rejects.csv does not reject ajones before the push: %v\n%s", err, rejects)
			}
		})
	}
}
