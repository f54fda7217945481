package nightly

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Skipped is a file of the drop folder that is never claimed, and why (for the log).
type Skipped struct{ Path, Why string }

// Ready lists the files of the job's folder that match its glob and are stable: unchanged for
// the settle time (and with their .done marker when the job asks for one). Files still being
// written are left for a later run, in waiting. Files that are not the job's to read (links,
// files of other users: see refuse) are in skipped with the reason.
func Ready(j *Job, now time.Time) (ready, waiting []string, skipped []Skipped, err error) {
	matches, err := filepath.Glob(filepath.Join(j.Inputs.Folder, j.Inputs.Glob))
	if err != nil {
		return nil, nil, nil, err
	}
	sort.Strings(matches)
	for _, p := range matches {
		base := filepath.Base(p)
		// Hidden files, Excel's owner files (~$name.xlsx), partial downloads and markers are
		// never inputs.
		if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~$") || strings.HasSuffix(base, ".done") ||
			strings.HasSuffix(base, ".part") || strings.HasSuffix(base, ".tmp") || strings.HasSuffix(base, ".crdownload") {
			continue
		}
		st, err := os.Lstat(p) // a link is judged itself, never what it points at
		if err != nil {
			continue
		}
		if why := j.refuse(st); why != "" {
			skipped = append(skipped, Skipped{Path: p, Why: why})
			continue
		}
		if now.Sub(st.ModTime()) < time.Duration(j.Inputs.Settle) {
			waiting = append(waiting, p)
			continue
		}
		if j.Inputs.DoneMarker {
			if _, err := os.Stat(p + ".done"); err != nil {
				waiting = append(waiting, p)
				continue
			}
		}
		ready = append(ready, p)
	}
	return ready, waiting, skipped, nil
}

// ErrRefused wraps the reason a file was not claimed (a link, another user's file).
var ErrRefused = errors.New("not claimed")

// refuse says why a drop-folder entry must not be read, or "" when it may. A symbolic link is
// never followed: one to the token file would put the token in a rejects.csv. A hard link
// (a file with more than one name) may be a file from outside the folder, a credentials file
// say, given a name in it. Only regular files owned by the user the job runs as, or by the
// job's inputs.group, are read: anyone else who can write into the folder could otherwise
// make bulk read what they cannot. Where the platform does not tell owners and links
// (Windows), only the link and regular-file checks apply.
func (j *Job) refuse(st os.FileInfo) string {
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		return "a symbolic link: links are never followed; put the file itself in the folder"
	case !st.Mode().IsRegular():
		return "not a regular file"
	}
	o, ok := ownerOf(st)
	if !ok {
		return ""
	}
	if o.nlink > 1 {
		return fmt.Sprintf("a hard link (the file has %d names, one may be outside the folder): copy the file into the folder instead", o.nlink)
	}
	me := os.Geteuid()
	if int64(o.uid) == int64(me) {
		return ""
	}
	if j.Inputs.Group != "" {
		gid, err := groupID(j.Inputs.Group)
		if err == nil && int64(o.gid) == gid {
			return ""
		}
		return fmt.Sprintf("owned by uid %d and gid %d, neither this job's user (uid %d) nor its group %s", o.uid, o.gid, me, j.Inputs.Group)
	}
	return fmt.Sprintf("owned by uid %d, not by this job's user (uid %d); name the exporter's group in inputs.group to accept its files", o.uid, me)
}

// groupID resolves a group name (or number) of this machine.
func groupID(name string) (int64, error) {
	if n, err := strconv.ParseInt(name, 10, 64); err == nil {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("no such group on this machine")
	}
	return strconv.ParseInt(g.Gid, 10, 64)
}

// ErrClaimed means another process claimed the file first.
var ErrClaimed = errors.New("the file was claimed by another run")

// Claim moves a ready file into the folder's processing/ folder under the run ID, atomically (a
// rename in the same folder tree), so no other run can pick it up and a file is never processed
// twice. The size is checked again after the move: a file that changed since it was judged
// stable is put back for a later run. A file claimed whose .done marker cannot follow it is
// returned with an error: it stays in processing/, where the next run resumes it, and the
// stale marker must not make a new file of that name look finished.
//
// The file is judged again (refuse) after the move, on what was moved: a file swapped for a
// link between Ready and Claim is put back, not read; the error wraps ErrRefused.
func Claim(j *Job, path, runID string) (string, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return "", ErrClaimed
	}
	if why := j.refuse(st); why != "" {
		return "", fmt.Errorf("%s: %w: %s", filepath.Base(path), ErrRefused, why)
	}
	dir := filepath.Join(filepath.Dir(path), "processing")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", dir, err)
	}
	claimed := filepath.Join(dir, runID+"-"+filepath.Base(path))
	if err := os.Rename(path, claimed); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", ErrClaimed
		}
		if inUse(err) {
			return "", fmt.Errorf("cannot claim %s: another program still has it open (the exporter writing it?); it will be tried again: %w", path, err)
		}
		return "", fmt.Errorf("cannot claim %s: %w", path, err)
	}
	after, err := os.Lstat(claimed)
	if err == nil && !os.SameFile(st, after) || err == nil && j.refuse(after) != "" {
		why := j.refuse(after)
		if why == "" {
			why = "it was replaced while being claimed"
		}
		if err := os.Rename(claimed, path); err != nil {
			return "", fmt.Errorf("%s: %w: %s, and it cannot be put back (%v): it is in %s; remove it by hand", filepath.Base(path), ErrRefused, why, err, claimed)
		}
		return "", fmt.Errorf("%s: %w: %s", filepath.Base(path), ErrRefused, why)
	}
	if err == nil && (after.Size() != st.Size() || !after.ModTime().Equal(st.ModTime())) {
		if err := os.Rename(claimed, path); err != nil {
			return "", fmt.Errorf("%s changed while being claimed and cannot be put back (%v): it is in %s; move it back by hand", filepath.Base(path), err, claimed)
		}
		return "", fmt.Errorf("%s changed while being claimed; it will be tried again", filepath.Base(path))
	}
	if marker := path + ".done"; fileExists(marker) {
		// The marker follows its file, so a later look at the folder does not find a
		// marker without a file; if it cannot move, the file is claimed all the same.
		if err := os.Rename(marker, claimed+".done"); err != nil {
			return claimed, fmt.Errorf("%s is claimed, but its marker %s could not follow it: %w", filepath.Base(path), marker, err)
		}
	}
	return claimed, nil
}

// Resume claims again, under runID, a file a run that died left in processing/ (path), and
// returns the file's original name and where it now is. It is judged as Claim judges a
// drop-folder file, before and after the move: anyone who can write into processing/ could
// have put a link there, and a resumed file is read like a new one. A refused file stays where
// it is (for a person to remove) and the error wraps ErrRefused; ErrClaimed means it is gone.
func Resume(j *Job, path, runID string) (orig, claimed string, err error) {
	orig = filepath.Base(path)
	if i := strings.Index(orig, "-"); i >= 0 {
		if k := strings.Index(orig[i+1:], "-"); k >= 0 {
			orig = orig[i+1+k+1:] // strip the dead run's ID (date-hex-)
		}
	}
	st, err := os.Lstat(path)
	if err != nil {
		return orig, "", ErrClaimed
	}
	if why := j.refuse(st); why != "" {
		return orig, "", fmt.Errorf("%s: %w: %s; remove it from %s", filepath.Base(path), ErrRefused, why, filepath.Dir(path))
	}
	claimed = filepath.Join(filepath.Dir(path), runID+"-"+orig)
	if err := os.Rename(path, claimed); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return orig, "", ErrClaimed
		}
		return orig, "", fmt.Errorf("cannot resume %s: %w", path, err)
	}
	after, err := os.Lstat(claimed)
	if err != nil {
		return orig, "", ErrClaimed
	}
	why := j.refuse(after)
	if why == "" && !os.SameFile(st, after) {
		why = "it was replaced while being resumed"
	}
	if why != "" {
		if err := os.Rename(claimed, path); err != nil {
			return orig, "", fmt.Errorf("%s: %w: %s, and it cannot be put back (%v): it is %s; remove it by hand", filepath.Base(path), ErrRefused, why, err, claimed)
		}
		return orig, "", fmt.Errorf("%s: %w: %s; remove it from %s", filepath.Base(path), ErrRefused, why, filepath.Dir(path))
	}
	return orig, claimed, nil
}

// File moves a claimed file (and its marker) into archive/<outcome>/, keeping the run ID in its
// name. Across file systems it copies, syncs and then removes.
func File(claimed, archive, outcome string) (string, error) {
	dir := filepath.Join(archive, outcome) // inputs hold personal data: the owner's only
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", dir, err)
	}
	dst := filepath.Join(dir, filepath.Base(claimed))
	if err := move(claimed, dst); err != nil {
		return "", err
	}
	if fileExists(claimed + ".done") {
		if err := move(claimed+".done", dst+".done"); err != nil {
			return dst, fmt.Errorf("%s is archived, but its marker could not follow it: %w", filepath.Base(claimed), err)
		}
	}
	return dst, nil
}

func move(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot archive %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("cannot archive %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Remove(src)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// NewRunID returns a run ID that starts with its UTC time (so file names sort by it) and ends in
// 24 random bits, so runs started in the same second still differ.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405") + fmt.Sprintf("-%x", b)
}
