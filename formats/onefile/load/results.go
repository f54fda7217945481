package load

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/bulkload/bulk/pipeline/report"
)

// ResultsHeader is the header of results.csv, exactly.
var ResultsHeader = []string{"file", "sheet", "row", "kind", "action", "status", "onefile_id", "message"}

// WriteResults writes results.csv into dir: one line per input row, in input order, after a
// UTF-8 byte order mark when bom is true (report.BOM).
func WriteResults(dir string, rs []Result, bom bool) error {
	if _, err := report.MakeDir(dir); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(dir, "results.csv"), report.FileMode, func(f *os.File) error {
		if err := report.WriteBOM(f, bom); err != nil {
			return err
		}
		w := csv.NewWriter(f)
		w.UseCRLF = true
		if err := w.Write(ResultsHeader); err != nil {
			return err
		}
		for _, r := range rs {
			rec := []string{r.Item.Src.File, r.Item.Src.Sheet, strconv.Itoa(r.Item.Row), r.Item.Kind.Name,
				r.Action, r.Status, r.OneFileID, r.Message}
			for i := range rec {
				rec[i] = report.SafeCell(rec[i])
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
}

// CredentialsHeader is the header of credentials.csv.
var CredentialsHeader = []string{"file", "sheet", "row", "email", "onefile_id", "username", "password"}

// CredentialLog keeps the logins OneFile returns in dir/credentials.csv, readable by the owner
// only, one line appended and synced to disk as each answer arrives, before the ledger records
// the create as done: OneFile never shows a password again, so a run killed, interrupted or
// stopped by a full disk must already have written every login it was given. The first login
// of a run moves an earlier run's credentials.csv aside (credentials-1.csv, -2, ...), so a
// re-run into the same report folder loses none either. Safe for concurrent use.
type CredentialLog struct {
	dir string
	bom bool

	mu         sync.Mutex
	f          *os.File
	w          *csv.Writer
	path, kept string
	n          int
	err        error // the first failure: every later login is at risk too
}

// NewCredentialLog returns a log that writes into dir once the first login arrives; its file
// starts with a UTF-8 byte order mark when bom is true (report.BOM).
func NewCredentialLog(dir string, bom bool) *CredentialLog {
	return &CredentialLog{dir: dir, bom: bom}
}

// Add appends c and syncs it to disk. An error means the login is not safely kept: the caller
// must stop creating users. After one failure every Add fails (the file's end is unknown).
func (l *CredentialLog) Add(c Credential) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.f == nil {
		if l.err = l.open(); l.err != nil {
			return l.err
		}
	}
	rec := []string{c.Item.Src.File, c.Item.Src.Sheet, strconv.Itoa(c.Item.Row), c.Item.email(),
		strconv.Itoa(c.ID), c.Username, c.Password}
	// The password is written exactly as OneFile made it (a guard character would make it
	// wrong); OneFile, not the input, chooses it.
	for i := range rec[:len(rec)-1] {
		rec[i] = report.SafeCell(rec[i])
	}
	if l.err = l.write(rec); l.err != nil {
		l.err = fmt.Errorf("cannot write to %s: %w", l.path, l.err)
		return l.err
	}
	l.n++
	return nil
}

func (l *CredentialLog) write(rec []string) error {
	if err := l.w.Write(rec); err != nil {
		return err
	}
	l.w.Flush()
	if err := l.w.Error(); err != nil {
		return err
	}
	return l.f.Sync()
}

// open moves an earlier credentials.csv aside and creates a new one, 0600 from the moment it
// exists (O_EXCL: never someone else's file, never a link), with its header on disk.
func (l *CredentialLog) open() error {
	if _, err := report.MakeDir(l.dir); err != nil {
		return fmt.Errorf("cannot create the report folder for new logins: %w", err)
	}
	path := filepath.Join(l.dir, "credentials.csv")
	kept, err := keepEarlier(path)
	if err != nil {
		return err
	}
	l.kept = kept
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, report.FileMode)
	if err != nil {
		return fmt.Errorf("cannot create %s for new logins: %w", path, err)
	}
	if err := f.Chmod(report.FileMode); err != nil { // the umask could only take bits away; be exact
		f.Close()
		return fmt.Errorf("cannot make %s private: %w", path, err)
	}
	l.f, l.path = f, path
	if err := report.WriteBOM(f, l.bom); err != nil {
		return fmt.Errorf("cannot write to %s: %w", path, err)
	}
	l.w = csv.NewWriter(f)
	l.w.UseCRLF = true
	if err := l.write(CredentialsHeader); err != nil {
		return fmt.Errorf("cannot write to %s: %w", path, err)
	}
	return nil
}

// keepEarlier moves path (an earlier run's logins) to the first free credentials-N.csv and
// returns that name, or "" when there was no earlier file.
func keepEarlier(path string) (string, error) {
	if _, err := os.Lstat(path); err != nil {
		return "", nil
	}
	dir := filepath.Dir(path)
	for i := 1; ; i++ {
		to := filepath.Join(dir, fmt.Sprintf("credentials-%d.csv", i))
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", fmt.Errorf("cannot keep the earlier logins in %s: %w", path, err)
		}
		return to, nil
	}
}

// Close closes the file. Path and Kept then say where the logins went.
func (l *CredentialLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil && l.err == nil {
		l.err = err
	}
	return err
}

// Path is the file this run's logins went to ("" when none arrived); Kept is where an earlier
// run's were moved ("" for none); Count how many this run wrote.
func (l *CredentialLog) Path() string { l.mu.Lock(); defer l.mu.Unlock(); return l.path }
func (l *CredentialLog) Kept() string { l.mu.Lock(); defer l.mu.Unlock(); return l.kept }
func (l *CredentialLog) Count() int   { l.mu.Lock(); defer l.mu.Unlock(); return l.n }
