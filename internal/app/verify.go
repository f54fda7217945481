package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/pipeline/report"
)

// VerifyPFOptions are the options of VerifyPeopleFluent ('bulk verify peoplefluent').
type VerifyPFOptions struct {
	// File is a trainingHistoryCsv payload, or the results.csv of its push (then the payload is
	// the one it names, and rows the push failed are not looked for).
	File    string
	Base    string
	KeyFile string // "" reads BULK_PF_SYSTEM_KEY
	User    string // system user name; "" reads BULK_PF_USER, else peoplefluent.DefaultUser
	// Since: only records added or updated since then are read (lastUpdatedStart): a duration
	// back from now (2h), a date (2026-09-05) or a time (2026-09-05T09:00Z). "" reads them all.
	Since     string
	PerUser   int    // see peoplefluent.DefaultPerUser; 0 means it
	ReportDir string // gets verify.csv
	NoBOM     bool
	Quiet     bool

	since    time.Time                       // LoadPeopleFluent sets it from the push's start
	skip     func(row int) string            // LoadPeopleFluent: rows the push failed
	onResult func(peoplefluent.VerifyResult) // LoadPeopleFluent: every row's result
}

// VerifyPFOutcome is what a verification found. Problems() > 0 ends it Rejected.
type VerifyPFOutcome struct {
	peoplefluent.VerifySummary
	Payload string `json:"payload"`
	Results string `json:"results"` // verify.csv
	Base    string `json:"base"`
	Since   string `json:"since,omitempty"`
	// Examples are the first problem rows, for a person to read at once.
	Examples []peoplefluent.VerifyResult `json:"-"`
}

// maxExamples is how many problem rows the summary names.
const maxExamples = 10

// VerifyPeopleFluent reads back from the LMS (trainingHistoryXml) the records of a
// training-history payload and writes, per row, whether the LMS holds it as sent (confirmed),
// not at all (missing) or otherwise (different, naming the fields) to verify.csv.
func VerifyPeopleFluent(ctx context.Context, d Deps, o VerifyPFOptions) (*VerifyPFOutcome, error) {
	if _, err := peoplefluent.ReadURL(o.Base, peoplefluent.ReadTrainingHistory, nil); err != nil {
		return nil, cannotRun(err, "")
	}
	since := o.since
	if o.Since != "" {
		var err error
		if since, err = ParseSince(o.Since, d.now()); err != nil {
			return nil, cannotRun(err, "")
		}
	}
	key, err := ReadPFKey(d, o.KeyFile)
	if err != nil {
		return nil, err
	}
	user, err := PFUser(d, o.User)
	if err != nil {
		return nil, err
	}
	payload, skip := o.File, o.skip
	if ok, err := isResultsCSV(o.File); err != nil {
		return nil, cannotRun(err, "")
	} else if ok {
		if payload, skip, err = fromResults(o.File); err != nil {
			return nil, cannotRun(err, "Give the payload file itself: bulk verify peoplefluent --base URL PAYLOAD.csv")
		}
	}
	f, err := os.Open(payload)
	if err != nil {
		return nil, cannotRun(err, "")
	}
	defer f.Close()
	if what := workbookKind(f); what != "" {
		return nil, cannotRun(fmt.Errorf("%s is %s: verify reads a payload from bulk export or the results.csv of its push", payload, what), "")
	}
	d.warnOpenFolder(o.ReportDir)
	if _, err := report.MakeDir(o.ReportDir); err != nil {
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	path := filepath.Join(o.ReportDir, "verify.csv")
	vf, err := report.CreateFile(path) // personal data: 0600
	if err != nil {
		return nil, cannotRun(err, "Choose another folder with --report.")
	}
	defer vf.Close()
	if err := report.WriteBOM(vf, !o.NoBOM); err != nil {
		return nil, cannotRun(fmt.Errorf("writing %s: %w", path, err), "")
	}
	bw := bufio.NewWriterSize(vf, 64<<10)
	vw := peoplefluent.NewVerifyWriter(bw)
	out := &VerifyPFOutcome{Payload: payload, Results: path, Base: o.Base}
	if !since.IsZero() {
		out.Since = since.UTC().Truncate(time.Minute).Format(peoplefluent.LastUpdatedLayout)
	}
	v := &peoplefluent.Verifier{
		Reader:  peoplefluent.Reader{Base: o.Base, Key: key, User: user, Client: &http.Client{Timeout: peoplefluent.DefaultTimeout}},
		Since:   since,
		PerUser: o.PerUser,
		Skip:    skip,
		OnResult: func(r peoplefluent.VerifyResult) error {
			if o.onResult != nil {
				o.onResult(r)
			}
			if (r.Status == peoplefluent.VerifyMissing || r.Status == peoplefluent.VerifyDifferent) && len(out.Examples) < maxExamples {
				out.Examples = append(out.Examples, r)
			}
			return vw.Write(r)
		},
	}
	if !o.Quiet {
		fmt.Fprintf(d.stderr(), "Reading back the records of %s from %s\n", payload, o.Base)
	}
	sum, verr := v.Verify(ctx, payload, f)
	out.VerifySummary = sum
	if per := o.PerUser; verr == nil && since.IsZero() && sum.Users > max(per, peoplefluent.DefaultPerUser) && !o.Quiet {
		fmt.Fprintf(d.stderr(), "Read every training record the LMS holds (%s) to find those of %s users: give --since next time (e.g. --since 2h) to read only recent ones.\n",
			Thousands(int64(sum.LMSRecords)), Thousands(int64(sum.Users)))
	}
	ferr := vw.Flush()
	if ferr == nil {
		ferr = bw.Flush()
	}
	if err := errors.Join(ferr, vf.Close()); err != nil {
		return out, cannotRun(fmt.Errorf("writing %s: %w", path, err), "")
	}
	if verr != nil {
		if errors.Is(verr, context.Canceled) {
			return out, verr
		}
		return out, cannotRun(verr, "Nothing was changed in the LMS: verify only reads.")
	}
	return out, nil
}

// ParseSince reads --since: a duration back from now, a date, or a time in the LMS's format
// or RFC 3339.
func ParseSince(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, l := range []string{peoplefluent.LastUpdatedLayout, time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: give a duration back from now (2h, 90m), a date (2026-09-05) or a time (2026-09-05T09:00Z)", v)
}

// isResultsCSV reports whether path is a push's results.csv, by its header.
func isResultsCSV(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "\uFEFF")
	return line == strings.Join(peoplefluent.ResultsHeader, ","), nil
}

// fromResults finds the payload a results.csv names and the rows the push failed (which the
// LMS did not load, so are not looked for). Rows left unknown are looked for: that is what
// verify is for.
func fromResults(path string) (string, func(int) string, error) {
	given := path
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", given, err)
	}
	var payload string
	failed := map[int]string{}
	for _, rec := range recs[1:] {
		if len(rec) < 4 {
			continue
		}
		if payload == "" {
			payload = rec[0]
		}
		if rec[0] != payload {
			continue // one push, one payload
		}
		if n, err := strconv.Atoi(rec[1]); err == nil && rec[2] == peoplefluent.StatusFailed {
			failed[n] = "the push failed this row (" + filepath.Base(given) + "): the LMS did not load it"
		}
	}
	if payload == "" {
		return "", nil, fmt.Errorf("%s lists no row", given)
	}
	found := ""
	for _, p := range []string{payload, filepath.Join(filepath.Dir(path), filepath.Base(payload))} {
		if _, err := os.Stat(p); err == nil {
			found = p
			break
		}
	}
	if found == "" {
		return "", nil, fmt.Errorf("%s is the results of pushing %s, which is not there (nor beside it)", given, payload)
	}
	return found, func(row int) string { return failed[row] }, nil
}

// WriteText shows a verification for people: the counts and the first problem rows.
func (o *VerifyPFOutcome) WriteText(w io.Writer) {
	since := ""
	if o.Since != "" {
		since = ", records updated since " + o.Since
	}
	fmt.Fprintf(w, "Verified %s %s of %s against %s%s: %s confirmed, %s missing, %s different, %s skipped (%d %s, %s LMS %s). Details: %s\n",
		Thousands(int64(o.Rows)), Plural(int64(o.Rows), "row", "rows"), o.Payload, o.Base, since,
		Thousands(int64(o.Confirmed)), Thousands(int64(o.Missing)), Thousands(int64(o.Different)), Thousands(int64(o.Skipped)),
		o.Requests, Plural(int64(o.Requests), "read", "reads"), Thousands(int64(o.LMSRecords)), Plural(int64(o.LMSRecords), "record", "records"), o.Results)
	for _, r := range o.Examples {
		fmt.Fprintf(w, "  row %d (%s, %s): %s: %s\n", r.Row, r.UserID, r.Learning, r.Status, r.Message)
	}
	if n := o.Problems(); n > len(o.Examples) {
		fmt.Fprintf(w, "  ... and %s more in %s\n", Thousands(int64(n-len(o.Examples))), o.Results)
	}
}
