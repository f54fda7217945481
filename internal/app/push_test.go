package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/pipeline/report"
)

// TestPushResumesFromLedger: without State the push ledger is pf-pushes.db beside the OneFile
// run ledger (Deps.LedgerPath), so all of bulk's state is in one folder; the same push run
// again sends nothing the LMS answered and keeps the first run's results; State and PushAgain
// are honoured.
func TestPushResumesFromLedger(t *testing.T) {
	const key = "app-push-test-KEY-3c1e"
	srv := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	in := filepath.Join(dir, "training.csv")
	payload := "USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\n" +
		"jsmith,HS-101,05-Sep-2026 09:00,Completed,A\r\n" +
		"adoe,HS-101,05-Sep-2026,Completed,A\r\n" +
		"mlee,FIRE-01,05-Sep-2026,Completed,A\r\n"
	if err := os.WriteFile(in, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(dir, "state")
	d := Deps{
		Getenv:     func(k string) string { return map[string]string{PFKeyEnv: key}[k] },
		LedgerPath: func() (string, error) { return filepath.Join(stateDir, "ledger.db"), nil },
	}
	rep := filepath.Join(dir, "report")
	o := PushOptions{File: in, Base: base, Endpoint: "trainingHistoryCsv", ChunkRows: 2, Retries: 0, ReportDir: rep, Quiet: true}
	posts := func() int { return srv.Stats().Requests["trainingHistoryCsv"] }

	first, err := Push(context.Background(), d, o)
	if err != nil || first.OK != 3 || first.Problems() != 0 || first.Kept != "" {
		t.Fatalf("first push: %+v, %v", first, err)
	}
	if want := pushledger.PathIn(stateDir); first.Ledger != want {
		t.Errorf("push ledger %s, want %s (beside the OneFile run ledger)", first.Ledger, want)
	}
	if _, err := os.Stat(first.Ledger); err != nil {
		t.Errorf("the push ledger was not written: %v", err)
	}
	sent := posts()
	if sent != 2 {
		t.Fatalf("%d posts for 3 rows in chunks of 2, want 2", sent)
	}

	again, err := Push(context.Background(), d, o)
	if err != nil || again.OK != 3 || again.Earlier != 2 || posts() != sent {
		t.Fatalf("second push: %+v, %v; %d posts, want still %d", again, err, posts(), sent)
	}
	if want := filepath.Join(rep, "results-1.csv"); again.Kept != want {
		t.Errorf("earlier results kept as %q, want %q", again.Kept, want)
	}

	// Another ledger knows nothing of this push: everything is sent again.
	o.State = filepath.Join(dir, "elsewhere", "pushes.db")
	other, err := Push(context.Background(), d, o)
	if err != nil || other.Earlier != 0 || other.Ledger != o.State || posts() != sent+2 {
		t.Fatalf("push with State: %+v, %v; %d posts", other, err, posts())
	}
	// PushAgain: a new push of the same file, though the ledger has it.
	o.PushAgain = true
	fresh, err := Push(context.Background(), d, o)
	if err != nil || fresh.Earlier != 0 || posts() != sent+4 {
		t.Fatalf("push again: %+v, %v; %d posts", fresh, err, posts())
	}
}

// TestPushSpreadsheetSaysUseLoad: a workbook given to push (a spreadsheet, not a payload from
// bulk export) is refused before anything is sent, with the command that takes it; a payload
// that is not a workbook is not mistaken for one.
func TestPushSpreadsheetSaysUseLoad(t *testing.T) {
	const key = "app-push-test-KEY-77aa"
	srv := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]string{"Learner ID", "Course", "Completed"})
	book := filepath.Join(dir, "training.xlsx")
	if err := wb.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	d := Deps{
		Getenv:     func(k string) string { return map[string]string{PFKeyEnv: key}[k] },
		LedgerPath: func() (string, error) { return filepath.Join(dir, "state", "ledger.db"), nil },
	}
	o := PushOptions{File: book, Base: base, Endpoint: "trainingHistoryCsv", ChunkRows: 2, ReportDir: filepath.Join(dir, "r"), Quiet: true}
	_, err = Push(context.Background(), d, o)
	if err == nil || !strings.Contains(err.Error(), "push takes a payload from bulk export; for a spreadsheet use bulk load peoplefluent") || KindOf(err) != CannotRun {
		t.Errorf("push of a workbook: %v", err)
	}
	if n := srv.Stats().Requests["trainingHistoryCsv"]; n != 0 {
		t.Errorf("%d requests sent for a workbook", n)
	}
	// A payload whose first bytes only happen to start with P is still a payload.
	pay := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(pay, []byte("USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\nPK,HS-101,05-Sep-2026,Completed,A\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.File = pay
	if out, err := Push(context.Background(), d, o); err != nil || out.Rows != 1 {
		t.Errorf("push of a payload: %+v, %v", out, err)
	}
	// Its results.csv starts with a byte order mark for Excel, or none with --csv-bom=false.
	for _, noBOM := range []bool{false, true} {
		o.NoBOM, o.ReportDir, o.PushAgain = noBOM, filepath.Join(dir, fmt.Sprint("r", noBOM)), true
		out, err := Push(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out.Results)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasPrefix(string(b), report.BOM); got == noBOM || !strings.Contains(string(b), "file,row,status,message\r\n") {
			t.Errorf("NoBOM %v: results.csv %q", noBOM, b)
		}
	}
}

// TestPFUser: the system user name comes from --user, else BULK_PF_USER, else "bulk"; a name
// Basic authentication cannot carry is refused, naming where it came from.
func TestPFUser(t *testing.T) {
	tests := []struct {
		flag, env, want, wantErr string
	}{
		{"", "", "bulk", ""},
		{"", "lms.admin", "lms.admin", ""},
		{"ops.admin", "lms.admin", "ops.admin", ""},
		{" ops.admin ", "", "ops.admin", ""},
		{"a:b", "", "", "--user"},
		{"", "a:b", "", PFUserEnv},
	}
	for _, tt := range tests {
		d := Deps{Getenv: func(k string) string {
			if k == PFUserEnv {
				return tt.env
			}
			return ""
		}}
		got, err := PFUser(d, tt.flag)
		if got != tt.want || tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("flag %q env %q: %q %v, want %q %q", tt.flag, tt.env, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestPushRacingSameFolder: a second push into the same report folder, started while the first
// is waiting for the LMS, is refused without touching the first's results.csv or raw/ (it used
// to move them aside before finding the push's lock held): a push of the same payload because
// that push is running, one of another payload because the folder is in use. The first push
// then finishes into the files it created.
func TestPushRacingSameFolder(t *testing.T) {
	for _, tc := range []struct {
		name, second, refusal string
	}{
		{"same payload", "training.csv", "another bulk is pushing the same payload"},
		{"another payload", "other.csv", "another push is writing its results into"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testPushRacing(t, tc.second, tc.refusal)
		})
	}
}

func testPushRacing(t *testing.T, second, refusal string) {
	const key = "app-push-race-KEY-91d0"
	sb := pfsandbox.New(peoplefluent.NewSecret(key), pfsandbox.DefaultSeed())
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			first := false
			once.Do(func() { first = true })
			if first {
				close(entered)
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
		}
		sb.ServeHTTP(w, r)
	}))
	defer ts.Close()
	var released sync.Once
	letGo := func() { released.Do(func() { close(release) }) }
	defer letGo() // before ts.Close, should the test stop early: Close waits for the handler
	dir := t.TempDir()
	header := "USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\n"
	for name, rows := range map[string]string{
		"training.csv": "jsmith,HS-101,05-Sep-2026 09:00,Completed,A\r\nadoe,HS-101,05-Sep-2026,Completed,A\r\n",
		"other.csv":    "mlee,FIRE-01,05-Sep-2026,Completed,A\r\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(header+rows), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := Deps{
		Getenv:     func(k string) string { return map[string]string{PFKeyEnv: key}[k] },
		LedgerPath: func() (string, error) { return filepath.Join(dir, "state", "ledger.db"), nil },
	}
	rep := filepath.Join(dir, "report")
	o := PushOptions{File: filepath.Join(dir, "training.csv"), Base: ts.URL + "/ekp/", Endpoint: "trainingHistoryCsv", ChunkRows: 1, Retries: 0, ReportDir: rep, Quiet: true}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type result struct {
		out *PushOutcome
		err error
	}
	firstDone := make(chan result, 1)
	go func() {
		out, err := Push(ctx, d, o)
		firstDone <- result{out, err}
	}()
	select {
	case <-entered: // the first push holds its locks and is waiting for the LMS's answer
	case r := <-firstDone:
		t.Fatalf("the first push ended before posting: %+v, %v", r.out, r.err)
	case <-ctx.Done():
		t.Fatal("the first push never posted")
	}
	firstResults, err := os.Stat(filepath.Join(rep, "results.csv"))
	if err != nil {
		t.Fatalf("the first push has no results.csv yet: %v", err)
	}

	o2 := o
	o2.File = filepath.Join(dir, second)
	out2, err := Push(ctx, d, o2)
	if err == nil || !strings.Contains(err.Error(), refusal) || KindOf(err) != CannotRun {
		t.Fatalf("second push while the first runs: %+v, %v; want refused: %s", out2, err, refusal)
	}
	if kept, _ := filepath.Glob(filepath.Join(rep, "r*-*")); len(kept) != 0 {
		t.Errorf("the refused push moved the running push's results aside: %v", kept)
	}
	if now, err := os.Stat(filepath.Join(rep, "results.csv")); err != nil || !os.SameFile(now, firstResults) {
		t.Errorf("results.csv is no longer the running push's file (%v)", err)
	}
	if got := sb.Stats().Requests["trainingHistoryCsv"]; got != 0 {
		t.Errorf("the LMS answered %d posts while the first push waited; the refused push sent something", got)
	}

	letGo()
	r := <-firstDone
	if r.err != nil || r.out.OK != 2 {
		t.Fatalf("first push: %+v, %v", r.out, r.err)
	}
	b, err := os.ReadFile(filepath.Join(rep, "results.csv"))
	if err != nil || strings.Count(string(b), ",ok,") != 2 {
		t.Errorf("results.csv after the first push: %q, %v", b, err)
	}
	// Once it has finished, the folder is free: the other push runs, keeping the first's results.
	if out, err := Push(ctx, d, o2); err != nil || out.Kept == "" {
		t.Errorf("a push after the first ended: %+v, %v", out, err)
	}
}
