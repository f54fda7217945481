package load

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bulkload/bulk/pipeline/report"
)

// ResultsHeader is the header of results.csv, exactly.
var ResultsHeader = []string{"file", "sheet", "row", "kind", "action", "status", "onefile_id", "message"}

// WriteResults writes results.csv into dir: one line per input row, in input order.
func WriteResults(dir string, rs []Result) error {
	if _, err := report.MakeDir(dir); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(dir, "results.csv"), report.FileMode, func(f *os.File) error {
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

// WriteCredentials writes the logins OneFile returned into dir/credentials.csv, readable by the
// owner only (mode 0600 from the moment it exists). Nothing is written when there are none.
func WriteCredentials(dir string, cs []Credential) (string, error) {
	if len(cs) == 0 {
		return "", nil
	}
	path := filepath.Join(dir, "credentials.csv")
	err := report.WriteFile(path, 0o600, func(f *os.File) error {
		w := csv.NewWriter(f)
		w.UseCRLF = true
		if err := w.Write(CredentialsHeader); err != nil {
			return err
		}
		for _, c := range cs {
			rec := []string{c.Item.Src.File, c.Item.Src.Sheet, strconv.Itoa(c.Item.Row), c.Item.email(),
				strconv.Itoa(c.ID), c.Username, c.Password}
			// The password is written exactly as OneFile made it (a guard character would
			// make it wrong); OneFile, not the input, chooses it.
			for i := range rec[:len(rec)-1] {
				rec[i] = report.SafeCell(rec[i])
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
	return path, err
}
