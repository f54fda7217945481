package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/internal/app"
)

// TestE2EKillKeepsPasswords: a load into a `bulk sandbox onefile --keychain off` process is
// SIGKILLed mid-load. Every user it created by then has its login in credentials.csv (each
// was synced as its answer arrived), except at most one per worker whose answer was in flight,
// which the re-run names as lost. The re-run into the same report folder creates nobody twice,
// keeps the first run's file as credentials-1.csv and writes the rest's logins.
func TestE2EKillKeepsPasswords(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	const token = "e2e-token"
	url := startSandboxProcess(t, bin, token, "--keychain", "off", "--latency", "40ms", "--rate-limit", "off")
	client, err := api.New(api.Config{BaseURL: url, CustomerToken: token, RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	dir := t.TempDir()
	const n, workers = 200, 2
	var b strings.Builder
	b.WriteString("Role,FirstName,LastName,Email,MISID\n")
	for i := range n {
		fmt.Fprintf(&b, "5,First%d,Last%d,cred%d@northfield.example,CRED-%03d\n", i, i, i, i)
	}
	in := writeFile(t, dir, "staff.csv", b.String())
	report := filepath.Join(dir, "report")
	args := []string{"load", "onefile", "--url", url, "--org", "5740", "--state", filepath.Join(dir, "ledger.db"),
		"--concurrency", fmt.Sprint(workers), "--rate", "100000", "--report", report, in}
	newCmd := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), app.TokenEnv+"="+token)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		return cmd, &errb
	}
	// created returns the organisation's CRED- users by OneFile ID.
	created := func() map[string]string {
		us, err := client.FindUsers(context.Background(), api.UserFilter{OrganisationID: 5740})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, u := range us {
			if strings.HasPrefix(u.MISID, "CRED-") {
				if _, dup := m[fmt.Sprint(u.ID)]; dup {
					t.Errorf("user %d twice", u.ID)
				}
				m[fmt.Sprint(u.ID)] = u.MISID
			}
		}
		return m
	}
	// logins reads a credentials file: OneFile ID -> password, checking each is there once.
	logins := func(path string) map[string]string {
		t.Helper()
		recs := readCSV(t, path)
		m := map[string]string{}
		for _, r := range recs[1:] {
			if _, dup := m[r[4]]; dup || r[6] == "" {
				t.Errorf("%s: bad or repeated login for %s", path, r[4])
			}
			m[r[4]] = r[6]
		}
		return m
	}

	first, errb := newCmd()
	killMidway(t, first, errb, func() bool { return len(created()) >= 20 })
	before := created()
	if len(before) >= n {
		t.Fatalf("killed after %d of %d users: not mid-load", len(before), n)
	}
	kept := logins(filepath.Join(report, "credentials.csv"))
	var missing []string
	for id := range before {
		if _, ok := kept[id]; !ok {
			missing = append(missing, before[id])
		}
	}
	if len(missing) > workers {
		t.Fatalf("killed after %d users: %d logins on disk, %d missing (%v): they were not written as they came",
			len(before), len(kept), len(missing), missing)
	}
	t.Logf("killed after %d users: %d logins on disk, %d in flight", len(before), len(kept), len(missing))

	second, errb2 := newCmd()
	if err := second.Run(); err != nil {
		t.Fatalf("second run: %v\n%s", err, errb2)
	}
	after := created()
	if len(after) != n {
		t.Errorf("%d users after the re-run, want %d", len(after), n)
	}
	// The first run's logins are kept, unchanged; the second run's file has the rest.
	if k := logins(filepath.Join(report, "credentials-1.csv")); len(k) != len(kept) {
		t.Errorf("credentials-1.csv holds %d logins, the killed run wrote %d", len(k), len(kept))
	}
	second2 := logins(filepath.Join(report, "credentials.csv"))
	for id, misid := range after {
		_, one := kept[id]
		_, two := second2[id]
		lost := false
		for _, m := range missing {
			lost = lost || m == misid
		}
		if one == two && !lost {
			t.Errorf("%s (user %s): in the first file %v, in the second %v", misid, id, one, two)
		}
	}
	for _, m := range missing {
		if !strings.Contains(errb2.String(), "login was lost") {
			t.Errorf("the re-run does not say %s's login was lost:\n%s", m, errb2)
		}
	}
}
