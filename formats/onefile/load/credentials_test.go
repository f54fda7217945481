package load

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/report"
)

// readCredentials returns credentials.csv's logins by OneFile ID, checking its header and mode.
func readCredentials(t *testing.T, path string) map[int][]string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %04o, want 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Excel on Windows needs the byte order mark to show non-Latin names and accents right.
	body, ok := strings.CutPrefix(string(b), report.BOM)
	if !ok {
		t.Errorf("%s does not start with a UTF-8 byte order mark: %q", path, b[:min(len(b), 8)])
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(CredentialsHeader, ",") {
		t.Fatalf("%s: header %v", path, recs)
	}
	m := map[int][]string{}
	for _, r := range recs[1:] {
		id, _ := strconv.Atoi(r[4])
		if _, dup := m[id]; dup || id == 0 || r[6] == "" {
			t.Errorf("%s: bad or repeated login %v", path, r[:6])
		}
		m[id] = r
	}
	return m
}

// newUserIDs are the users the sandbox holds that its seed did not.
func newUserIDs(b *box, seed map[int]bool) []int {
	var ids []int
	for _, u := range b.Snapshot().Users {
		if !seed[u.ID] {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

func seedIDs(b *box) map[int]bool {
	m := map[int]bool{}
	for _, u := range b.Snapshot().Users {
		m[u.ID] = true
	}
	return m
}

// TestCredentialsKeptAsCreated: every user the load creates has its login in credentials.csv
// (0600) when the load ends, written as each answer came; a second run with new logins into
// the same folder first moves the earlier file to credentials-1.csv.
func TestCredentialsKeptAsCreated(t *testing.T) {
	b := startSandbox(t, sandbox.Config{})
	seed := seedIDs(b)
	dir := t.TempDir()
	led := openLedger(t)
	creds := NewCredentialLog(dir, true)
	out, _ := runLoad(t, b, termStart(t, 12), Options{Ledger: led, Concurrency: 4, Credentials: creds})
	creds.Close()
	if !out.OK() {
		t.Fatalf("%v", statuses(out))
	}
	got := readCredentials(t, filepath.Join(dir, "credentials.csv"))
	created := newUserIDs(b, seed)
	if len(created) != 15 || len(got) != len(created) || creds.Count() != 15 || creds.Kept() != "" {
		t.Fatalf("%d users created, %d logins in the file (count %d)", len(created), len(got), creds.Count())
	}
	for _, id := range created {
		if got[id] == nil {
			t.Errorf("user %d has no login in credentials.csv", id)
		}
	}

	// A second load into the same folder with one new user keeps the first file.
	creds2 := NewCredentialLog(dir, true)
	runLoad(t, b, validated(t, []string{"Role=5;FirstName=New;LastName=One;Email=new.one@x.example;MISID=NEW-X1"}, nil),
		Options{Ledger: led, Credentials: creds2})
	creds2.Close()
	if want := filepath.Join(dir, "credentials-1.csv"); creds2.Kept() != want {
		t.Fatalf("kept %q, want %q", creds2.Kept(), want)
	}
	if first := readCredentials(t, filepath.Join(dir, "credentials-1.csv")); len(first) != 15 {
		t.Errorf("the first run's file holds %d logins, want 15", len(first))
	}
	if second := readCredentials(t, filepath.Join(dir, "credentials.csv")); len(second) != 1 {
		t.Errorf("the second run's file holds %d logins, want 1", len(second))
	}
}

// TestCredentialsWriteFailureStops: when a login cannot be written (the disk is full: the
// file is swapped for /dev/full after a few users), the load stops creating, its error names
// the rows whose logins are at risk, every user created is either in credentials.csv or named,
// and a re-run creates nobody twice.
func TestCredentialsWriteFailureStops(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here:", err)
	}
	defer full.Close()
	b := startSandbox(t, sandbox.Config{})
	seed := seedIDs(b)
	dir := t.TempDir()
	led := openLedger(t)
	creds := NewCredentialLog(dir, true)
	items := termStart(t, 30)
	o := Options{Ledger: led, Concurrency: 2, Credentials: creds, Client: NewAPIClient(newClient(t, b)), APIRoot: b.url, Org: 5740}
	swapped := false
	o.Progress = func(p Progress) {
		if p.Done >= 5 && !swapped {
			swapped = true
			creds.mu.Lock()
			if creds.f != nil {
				creds.f.Close()
				creds.f = full
				creds.w = csv.NewWriter(full)
			}
			creds.mu.Unlock()
		}
	}
	out, err := Run(context.Background(), items, o)
	var risk *LoginsAtRisk
	if !errors.As(err, &risk) || len(risk.Rows) == 0 {
		t.Fatalf("err = %v, want logins at risk", err)
	}
	if !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "reset them in OneFile") {
		t.Errorf("error does not say what happened and what to do: %v", err)
	}
	for _, it := range risk.Rows {
		if !strings.Contains(err.Error(), "row "+strconv.Itoa(it.Row)) {
			t.Errorf("the error does not name row %d: %v", it.Row, err)
		}
	}
	saved := readCredentials(t, filepath.Join(dir, "credentials.csv"))
	atRisk := map[int]bool{}
	for _, r := range out.Results {
		if strings.Contains(r.Message, "login could not be saved") {
			id, _ := strconv.Atoi(r.OneFileID)
			atRisk[id] = true
		}
	}
	created := newUserIDs(b, seed)
	for _, id := range created {
		if saved[id] == nil && !atRisk[id] {
			t.Errorf("user %d was created, but its login is neither saved nor named at risk", id)
		}
	}
	if len(atRisk) != len(risk.Rows) || len(created) != len(saved)+len(atRisk) {
		t.Errorf("%d created, %d saved, %d at risk in results, %d named", len(created), len(saved), len(atRisk), len(risk.Rows))
	}
	t.Logf("%d created, %d saved, %d at risk: %v", len(created), len(saved), len(atRisk), err)
	// Stopped creating: at most one create per worker was in flight when the disk filled.
	if len(created) > 5+o.Concurrency+len(risk.Rows) || len(created) >= 33 {
		t.Errorf("%d users created after the first failed login write: creating did not stop", len(created))
	}

	// The disk is freed: running again creates the rest, nobody twice.
	creds2 := NewCredentialLog(dir, true)
	out2, _ := runLoad(t, b, termStart(t, 30), Options{Ledger: led, Concurrency: 2, Credentials: creds2})
	creds2.Close()
	if !out2.OK() {
		t.Errorf("re-run: %v", statuses(out2))
	}
	checkOnce(t, b, items)
	if len(newUserIDs(b, seed)) != 33 {
		t.Errorf("%d users after the re-run, want 33", len(newUserIDs(b, seed)))
	}
	if kept := readCredentials(t, filepath.Join(dir, "credentials-1.csv")); len(kept) != len(saved) {
		t.Errorf("the first run's %d logins were not kept (%d)", len(saved), len(kept))
	}
}

// TestResultsBOM: results.csv and credentials.csv start with a UTF-8 byte order mark for Excel,
// or not at all when the caller turns it off (--csv-bom=false).
func TestResultsBOM(t *testing.T) {
	for _, bom := range []bool{true, false} {
		dir := t.TempDir()
		if err := WriteResults(dir, nil, bom); err != nil {
			t.Fatal(err)
		}
		creds := NewCredentialLog(dir, bom)
		if err := creds.Add(Credential{Item: &Item{Src: &pipeline.Source{File: "s.csv"}, Row: 2}, ID: 7, Username: "u", Password: "p"}); err != nil {
			t.Fatal(err)
		}
		if err := creds.Close(); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"results.csv", "credentials.csv"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			text, got := strings.CutPrefix(string(b), report.BOM)
			if got != bom || !strings.HasPrefix(text, "file,sheet,row,") {
				t.Errorf("bom %v: %s starts %q", bom, name, b[:min(len(b), 20)])
			}
		}
	}
}
