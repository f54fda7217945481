//go:build unix

package nightly

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
)

// TestReadyRefusesLinksAndStrangers: a symbolic link, a hard link to a file outside the folder
// and a file another user owns are never ready, each with its reason; a file of the job's
// inputs.group is.
func TestReadyRefusesLinksAndStrangers(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "drop")
	os.Mkdir(dir, 0o755)
	outside := filepath.Join(root, "secret.token")
	writeFile(t, outside, "TOKEN-not-for-reports")
	writeFile(t, filepath.Join(dir, "good.csv"), "x")
	if err := os.Symlink(outside, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(dir, "hard.csv")); err != nil {
		t.Fatal(err)
	}
	const stranger = 4242
	foreign := os.Getuid() == 0 // only root can give a file away
	if foreign {
		writeFile(t, filepath.Join(dir, "foreign.csv"), "x")
		if err := os.Chown(filepath.Join(dir, "foreign.csv"), stranger, stranger); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{"good.csv", "foreign.csv"} {
		os.Chtimes(filepath.Join(dir, n), old, old)
	}
	j := &Job{Inputs: Inputs{Folder: dir, Glob: "*.csv", Settle: Duration(time.Minute)}}
	ready, _, skipped, err := Ready(j, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(base(ready), ","); got != "good.csv" {
		t.Errorf("ready = %s, want good.csv only", got)
	}
	why := map[string]string{}
	for _, s := range skipped {
		why[filepath.Base(s.Path)] = s.Why
	}
	want := map[string]string{"link.csv": "symbolic link", "hard.csv": "hard link"}
	if foreign {
		want["foreign.csv"] = "owned by uid 4242"
	}
	for name, w := range want {
		if !strings.Contains(why[name], w) {
			t.Errorf("%s: skipped because %q, want %q", name, why[name], w)
		}
		// Claim judges the file itself too, whatever Ready said.
		if _, err := Claim(j, filepath.Join(dir, name), "R1"); !errors.Is(err, ErrRefused) {
			t.Errorf("Claim(%s) = %v, want ErrRefused", name, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was moved: %v", name, err)
		}
	}
	if foreign {
		j.Inputs.Group = "4242"
		ready, _, _, _ = Ready(j, time.Now())
		if got := strings.Join(base(ready), ","); got != "foreign.csv,good.csv" {
			t.Errorf("with inputs.group 4242, ready = %s", got)
		}
	}
}

// TestRunnerNeverReadsLinks: a nightly run over a folder holding a symbolic link to a token
// file and a hard link to a credentials file claims neither, says so in its log, and the
// secrets are in no file it writes.
func TestRunnerNeverReadsLinks(t *testing.T) {
	f := newRunnerFixture(t, "")
	secrets := filepath.Join(f.dir, "secrets")
	os.Mkdir(secrets, 0o700)
	token := filepath.Join(secrets, "onefile.token")
	writeFile(t, token, trainingHeader+"TOKEN-abc123,LRN,01/02/2026,Completed,A\n")
	creds := filepath.Join(secrets, "credentials.csv")
	writeFile(t, creds, trainingHeader+"PASSWORD-xyz789,LRN,01/02/2026,Completed,A\n")
	if err := os.Symlink(token, filepath.Join(f.in, "token.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(creds, filepath.Join(f.in, "creds.csv")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(f.in, "creds.csv"), old, old)
	f.drop(jsmith)
	if k := f.run(RunOptions{}); k != app.OK {
		t.Fatalf("%v\n%s", k, f.logbuf.String())
	}
	for _, name := range []string{"token.csv", "creds.csv"} {
		if !strings.Contains(f.logbuf.String(), "not claimed") || !strings.Contains(f.logbuf.String(), name) {
			t.Errorf("the log does not say %s was not claimed:\n%s", name, f.logbuf.String())
		}
		if _, err := os.Lstat(filepath.Join(f.in, name)); err != nil {
			t.Errorf("%s was moved: %v", name, err)
		}
	}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, secrets) || d.Type()&fs.ModeSymlink != 0 || p == filepath.Join(f.in, "creds.csv") {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"TOKEN-abc123", "PASSWORD-xyz789"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %s", p, s)
			}
		}
		return nil
	})
}

// TestResumeNeverReadsLinks: files left in processing/ by a run that died are judged as a drop
// folder's files are before they are run again: a symbolic link to a token file and a hard link
// to a credentials file planted there (under a dead run's name) are not resumed, the log says
// why, and the secrets are in no file the run writes; a regular file left there is resumed.
func TestResumeNeverReadsLinks(t *testing.T) {
	f := newRunnerFixture(t, "")
	secrets := filepath.Join(f.dir, "secrets")
	os.Mkdir(secrets, 0o700)
	token := filepath.Join(secrets, "onefile.token")
	writeFile(t, token, trainingHeader+"TOKEN-abc123,LRN,01/02/2026,Completed,A\n")
	creds := filepath.Join(secrets, "credentials.csv")
	writeFile(t, creds, trainingHeader+"PASSWORD-xyz789,LRN,01/02/2026,Completed,A\n")
	processing := filepath.Join(f.in, "processing")
	if err := os.Mkdir(processing, 0o700); err != nil {
		t.Fatal(err)
	}
	const dead = "20260101T010101-abcdef-"
	if err := os.Symlink(token, filepath.Join(processing, dead+"token.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(creds, filepath.Join(processing, dead+"creds.csv")); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(processing, dead+"left.csv")
	writeFile(t, left, trainingHeader+jsmith+"\n")
	k := f.run(RunOptions{})
	log := f.logbuf.String()
	if k != app.OK {
		t.Fatalf("%v\n%s", k, log)
	}
	for _, name := range []string{"token.csv", "creds.csv"} {
		if !strings.Contains(log, "not resumed") || !strings.Contains(log, dead+name) {
			t.Errorf("the log does not say %s was not resumed:\n%s", name, log)
		}
		if _, err := os.Lstat(filepath.Join(processing, dead+name)); err != nil {
			t.Errorf("%s was moved: %v", name, err)
		}
	}
	if _, err := os.Lstat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the regular file left in processing/ was not resumed (%v):\n%s", err, log)
	}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, secrets) || d.Type()&fs.ModeSymlink != 0 || p == filepath.Join(processing, dead+"creds.csv") {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"TOKEN-abc123", "PASSWORD-xyz789"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %s", p, s)
			}
		}
		return nil
	})
}
