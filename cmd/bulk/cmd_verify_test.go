package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/internal/app"
)

// The commands as a data officer runs them: push, verify (all confirmed, exit 0), the LMS loses
// a record and another is changed (exit 1, both named), probe ok and with a wrong key (exit 2,
// the key nowhere).
func TestVerifyAndProbePeopleFluent(t *testing.T) {
	srv, base := startPFSandbox(t)
	env := map[string]string{app.PFKeyEnv: pfTestKey}
	payload := pfWriteFile(t, "training.csv", "USERID,LEARNINGID,STARTDATE,STUDENTSTATUS,SCORE\r\n"+
		"jsmith,HS-101,05-09-2026 09:00,Pass,87\r\nadoe,HS-101,05-09-2026,Completed,\r\nmlee,FA-EXAM,06-09-2026,Completed,70\r\n", 0o644)
	rep := filepath.Join(t.TempDir(), "report")
	if code, _, stderr := bulkRun(t, env, "push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv", "--report", rep, "-q", payload); code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	results := filepath.Join(rep, "results.csv")
	code, stdout, stderr := bulkRun(t, env, "verify", "peoplefluent", "--base", base, "--report", rep, "-q", results)
	if code != 0 || !strings.Contains(stdout, "3 confirmed, 0 missing, 0 different") {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	srv.Forget("adoe", "HS-101")
	srv.Alter("mlee", "FA-EXAM", "SCORE", "55")
	code, stdout, stderr = bulkRun(t, env, "verify", "peoplefluent", "--base", base, "--report", rep, "-q", "--since", "1h", payload)
	if code != ExitRejected || !strings.Contains(stdout, "row 3 (adoe, HS-101): missing") || !strings.Contains(stdout, "row 4 (mlee, FA-EXAM): different: SCORE sent 70, the LMS has 55") {
		t.Errorf("verify after a loss: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(pfReadFile(t, filepath.Join(rep, "verify.csv")), "4,mlee,FA-EXAM,different,SCORE,") {
		t.Errorf("verify.csv:\n%s", pfReadFile(t, filepath.Join(rep, "verify.csv")))
	}

	code, stdout, stderr = bulkRun(t, env, "probe", "peoplefluent", "--base", base, "--format", "json")
	var res struct {
		Result      string `json:"result"`
		KeyAccepted bool   `json:"key_accepted"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil || res.Result != "ok" || !res.KeyAccepted {
		t.Errorf("probe: exit %d %v\n%s%s", code, err, stdout, stderr)
	}
	wrong := map[string]string{app.PFKeyEnv: "not-the-KEY-77d1e0"}
	code, stdout, stderr = bulkRun(t, wrong, "probe", "peoplefluent", "--base", base, "--format", "json")
	if err := json.Unmarshal([]byte(stdout), &res); code != ExitCannotRun || err != nil || res.Result != "wrong-key" {
		t.Errorf("probe with a wrong key: exit %d %v\n%s%s", code, err, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, wrong[app.PFKeyEnv]) {
		t.Errorf("the key is in the output:\n%s%s", stdout, stderr)
	}
}
