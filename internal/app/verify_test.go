package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/pipeline/report"
)

const verifyKey = "app-verify-KEY-9d02e7"

func pfDeps(t *testing.T, stderr *bytes.Buffer) Deps {
	dir := t.TempDir()
	return Deps{
		Stderr:     stderr,
		Getenv:     func(k string) string { return map[string]string{PFKeyEnv: verifyKey}[k] },
		LedgerPath: func() (string, error) { return filepath.Join(dir, "state", "ledger.db"), nil },
	}
}

func startPF(t *testing.T, configure func(*pfsandbox.Server)) (*pfsandbox.Server, string) {
	t.Helper()
	srv := pfsandbox.New(peoplefluent.NewSecret(verifyKey), pfsandbox.DefaultSeed())
	if configure != nil {
		configure(srv)
	}
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	return srv, base
}

func readCSV(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimPrefix(b, []byte("\uFEFF")))
}

// TestLoadPeopleFluentCheckUsersAndVerify: --check-users rejects the row of a user the LMS does
// not have before the push (counts add up), --verify confirms what was pushed; then the LMS
// loses one record and changes another, and bulk verify on the push's results.csv finds both.
func TestLoadPeopleFluentCheckUsersAndVerify(t *testing.T) {
	srv, base := startPF(t, nil)
	dir := t.TempDir()
	in := filepath.Join(dir, "completions.csv")
	data := "USERID,LEARNINGID,STARTDATE,ENDDATE,STUDENTSTATUS,SCORE\n" +
		"jsmith,HS-101,05/09/2026 09:00,05/09/2026 17:00,Pass,87\n" +
		"ajones,HS-101,05/09/2026,05/09/2026,Completed,\n" +
		"adoe,FA-EXAM,06/09/2026,,Active,\n" +
		"mlee,HS-101,07/09/2026,07/09/2026,Completed,64\n"
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "report")
	var stderr bytes.Buffer
	d := pfDeps(t, &stderr)
	o := LoadPeopleFluentOptions{ExportOptions: ExportOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: rep, Quiet: true}, KindName: "training-history"},
		Base: base, ChunkRows: 10, CheckUsers: true, Verify: true}
	out, err := LoadPeopleFluent(context.Background(), d, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	c := out.Export.Counts
	if c.Read != 4 || c.Valid != 3 || c.Rejected != 1 || c.Read != c.Valid+c.Rejected {
		t.Errorf("counts %+v, want 4 read = 3 valid + 1 rejected", c)
	}
	rejects := readCSV(t, filepath.Join(rep, "rejects.csv"))
	if !strings.Contains(rejects, "completions.csv,,3,USERID,ajones,reference,error,no LMS user ajones") {
		t.Errorf("rejects.csv:\n%s", rejects)
	}
	if got := srv.Received(peoplefluent.TrainingHistoryCSV); len(got) != 3 {
		t.Errorf("the LMS received %d rows, want 3 (ajones never sent): %v", len(got), got)
	}
	if v := out.Verify; v == nil || v.Confirmed != 3 || v.Problems() != 0 {
		t.Fatalf("verify after the push: %+v", out.Verify)
	}

	srv.Forget("mlee", "HS-101")
	srv.Alter("adoe", "FA-EXAM", "STUDENTSTATUS", "Withdrawn")
	vrep := filepath.Join(dir, "verify")
	v, err := VerifyPeopleFluent(context.Background(), d, VerifyPFOptions{File: filepath.Join(rep, "results.csv"), Base: base, ReportDir: vrep, Since: "1h", Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.Confirmed != 1 || v.Missing != 1 || v.Different != 1 || v.Rows != 3 {
		t.Errorf("verify: %+v", v.VerifySummary)
	}
	got := readCSV(t, v.Results)
	for _, want := range []string{
		"payload-training-history.csv,2,jsmith,HS-101,confirmed,,",
		"payload-training-history.csv,3,adoe,FA-EXAM,different,STUDENTSTATUS,\"STUDENTSTATUS sent Active, the LMS has withdrawn\"",
		"payload-training-history.csv,4,mlee,HS-101,missing,,the LMS has no training record for mlee on HS-101 added or updated since",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("verify.csv lacks %q:\n%s", want, got)
		}
	}
	var text bytes.Buffer
	v.WriteText(&text)
	if !strings.Contains(text.String(), "1 confirmed, 1 missing, 1 different") || !strings.Contains(text.String(), "row 4 (mlee, HS-101): missing") {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestLoadPeopleFluentVerifyTracesLostRows: rows the LMS does not hold after the push go onto
// their input rows, so the load ends with rejected rows (exit 1).
func TestLoadPeopleFluentVerifyTracesLostRows(t *testing.T) {
	// The sandbox drops what it loads for pkhan at once: the push is answered ok, the read
	// back finds nothing.
	srv, _ := startPF(t, nil)
	ts := httptest.NewServer(&losingLMS{srv: srv})
	defer ts.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "completions.csv")
	if err := os.WriteFile(in, []byte("USERID,LEARNINGID,STARTDATE,STUDENTSTATUS\njsmith,HS-101,05/09/2026,Completed\npkhan,HS-101,05/09/2026,Completed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "report")
	var stderr bytes.Buffer
	o := LoadPeopleFluentOptions{ExportOptions: ExportOptions{InputOptions: InputOptions{Files: []string{in}, ReportDir: rep, Quiet: true}, KindName: "training-history"},
		Base: ts.URL + "/ekp/", ChunkRows: 10, Verify: true}
	out, err := LoadPeopleFluent(context.Background(), pfDeps(t, &stderr), o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Verify == nil || out.Verify.Missing != 1 || out.Export.Counts.Rejected != 1 || out.Export.Counts.Clean() {
		t.Fatalf("verify %+v, counts %+v", out.Verify, out.Export.Counts)
	}
	rejects := readCSV(t, filepath.Join(rep, "rejects.csv"))
	if !strings.Contains(rejects, "completions.csv,,3,,,lms-failed,error,The LMS does not hold this row as it was sent (read back after the push): the LMS has no training record for pkhan on HS-101") {
		t.Errorf("rejects.csv:\n%s", rejects)
	}
	if !strings.Contains(stderr.String(), "row 3 (pkhan, HS-101): missing") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	var sum report.Summary
	b, _ := os.ReadFile(filepath.Join(rep, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || !strings.Contains(string(b), `"missing": 1`) {
		t.Errorf("summary.json has no verify section: %v\n%s", err, b)
	}
}

// losingLMS passes requests to the sandbox and, after each push, forgets pkhan's records: an
// LMS that answers "No Error Occurred" and keeps nothing of one row.
type losingLMS struct{ srv *pfsandbox.Server }

func (l *losingLMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.srv.ServeHTTP(w, r)
	if r.Method == http.MethodPost {
		l.srv.Forget("pkhan", "HS-101")
	}
}

// TestProbePeopleFluent: ok, a wrong key (never in the output), a wrong user name, a server
// that is not there, and a TLS server whose certificate is not trusted.
func TestProbePeopleFluent(t *testing.T) {
	_, base := startPF(t, func(s *pfsandbox.Server) { s.AdminUser = "lmsadmin" })
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!DOCTYPE html><html><body><form>Log in</form></body></html>"))
	}))
	defer login.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	for _, tc := range []struct {
		name, base, key, user, result string
	}{
		{"ok", base, verifyKey, "lmsadmin", ProbeOK},
		{"wrong key", base, "wrong-KEY-55aa31", "lmsadmin", ProbeWrongKey},
		{"wrong user", base, verifyKey, "bulk", ProbeWrongUser},
		{"unreachable", goneURL + "/ekp/", verifyKey, "lmsadmin", ProbeUnreachable},
		{"tls", tlsSrv.URL + "/ekp/", verifyKey, "lmsadmin", ProbeTLS},
		{"no read", strings.TrimSuffix(base, "ekp/") + "other/", verifyKey, "lmsadmin", ProbeNoRead},
		{"login page", login.URL + "/ekp/", verifyKey, "lmsadmin", ProbeNotLMS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Deps{Getenv: func(k string) string { return map[string]string{PFKeyEnv: tc.key}[k] }}
			res, err := ProbePeopleFluent(context.Background(), d, ProbePFOptions{Base: tc.base, User: tc.user, Timeout: 10 * time.Second})
			if res == nil {
				t.Fatalf("no result: %v", err)
			}
			if res.Result != tc.result {
				t.Errorf("result %s (%s), want %s", res.Result, res.Message, tc.result)
			}
			if (tc.result == ProbeOK) != (err == nil) || KindOf(err) != map[bool]Kind{true: OK, false: CannotRun}[tc.result == ProbeOK] {
				t.Errorf("error %v for %s", err, res.Result)
			}
			js, _ := json.Marshal(res)
			for _, s := range []string{string(js), res.Message, errText(err)} {
				if strings.Contains(s, tc.key) {
					t.Errorf("the key is in the output: %s", s)
				}
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
