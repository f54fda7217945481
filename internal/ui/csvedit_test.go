package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/bulkload/bulk/internal/app"
)

// TestEditCSV: a cell fixed in a CSV file written by Excel's plain "CSV" (Windows-1252) is
// written back in Windows-1252 (see TestEditCSVKeepsLostCharactersFlagged) with every row on
// its number and every accent kept, and the fixed file validates as the page said.
func TestEditCSV(t *testing.T) {
	ts := startServer(t)
	c := ts.signIn(t)
	ts.upload(t, c, "../../samples/learners.csv")
	before := ts.state(t, c).Validation.Counts
	table, r, col := ts.badCell(t, c, "", "date")
	var ok map[string]any
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": r.Row, "col": col, "value": "28/02/2026"}, &ok); code != http.StatusOK {
		t.Fatalf("edit: %d %v", code, ok)
	}
	after := ts.state(t, c).Validation.Counts
	if after.Rejected != before.Rejected-1 || after.Read != before.Read {
		t.Errorf("after fixing row %d: %+v, before %+v", r.Row, after, before)
	}
	resp, err := c.Get(ts.base + "/api/download/file/learners.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("Zo\xeb,")) || !bytes.Contains(b, []byte("28/02/2026")) {
		t.Errorf("the fixed file is not Windows-1252 with its accents and the fix: %.300q", b)
	}
	fixed := filepath.Join(t.TempDir(), "learners-fixed.csv")
	os.WriteFile(fixed, b, 0o600)
	out, err := app.Validate(context.Background(), app.Deps{Stderr: io.Discard}, app.InputOptions{Files: []string{fixed}, ReportDir: t.TempDir(), Quiet: true})
	if out == nil {
		t.Fatal(err)
	}
	if got := out.Counts; got.Read != after.Read || got.Rejected != after.Rejected || got.Warnings != after.Warnings {
		t.Errorf("the fixed file validates as %+v, the page said %+v", got, after)
	}
}

// TestEditCSVKeepsLostCharactersFlagged: in a file saved by Excel's plain "CSV"
// (Windows-1252), a name that lost characters to '?' is a lossy-encoding warning. Fixing
// another cell on the page must not hide it: written back as UTF-8, the file would no longer
// read as Windows-1252, the warning would vanish and "Adébáy??" would be loaded as it is. So a
// Windows-1252 file is written back in Windows-1252, and a character it cannot hold is refused
// with what to do instead.
func TestEditCSVKeepsLostCharactersFlagged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "starters.csv")
	csv := "Role,First Name,Surname,E-mail,Learner Ref\r\n" +
		"Assessor,Siân,O'Neill,sian.oneill@riverside.example,S-1\r\n" +
		"Assessor,Adébáy??,Okafor,ade.okafor@riverside.example,S-2\r\n" +
		"Assessor,Chloé,Dubois,chloe.dubois@riverside,S-3\r\n"
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b, 0o600)

	ts := startServer(t)
	c := ts.signIn(t)
	ts.upload(t, c, path)
	before := ts.state(t, c).Validation.Counts
	if before.Warnings != 1 || before.Rejected != 1 {
		t.Fatalf("before the fix: %+v, want the lossy-encoding warning and the bad e-mail", before)
	}
	table, r, col := ts.badCell(t, c, "", "email")
	var res map[string]any
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": r.Row, "col": col, "value": "chloe.dubois@riverside.example"}, &res); code != http.StatusOK {
		t.Fatalf("edit: %d %v", code, res)
	}
	after := ts.state(t, c).Validation.Counts
	if after.Rejected != 0 || after.Warnings != before.Warnings {
		t.Errorf("after fixing the e-mail: %+v; want no rejects and the lossy-encoding warning still there", after)
	}
	// 李 has no place in Windows-1252: refused, saying what to do, and the file unchanged.
	res = nil
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": 3, "col": 1, "value": "李"}, &res); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(res), "CSV UTF-8") {
		t.Errorf("a character Windows-1252 cannot hold: %d %v, want 400 saying to save as CSV UTF-8", code, res)
	}
	if got := ts.state(t, c).Validation.Counts; got != after {
		t.Errorf("after the refused edit: %+v, want %+v", got, after)
	}
}

// TestDownloadUploadNamedLikeAReport: the documented round trip uploads a fixed rejects.xlsx;
// its working copy (with the cells fixed on the page) is what "Download rejects.xlsx (fixed)"
// gives, not the session's own rejects report of the same name.
func TestDownloadUploadNamedLikeAReport(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"rejects.csv", "credentials.csv"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			body := "Role,First Name,Surname,E-mail,Learner Ref\r\nAssessor,Sian,Oneill,sian.oneill@riverside,S-1\r\n"
			os.WriteFile(path, []byte(body), 0o600)
			ts := startServer(t)
			c := ts.signIn(t)
			ts.upload(t, c, path)
			var st struct {
				Files []struct {
					Name     string `json:"name"`
					Download string `json:"download"`
				} `json:"files"`
			}
			ts.do(t, c, http.MethodGet, "/api/state", nil, "", &st)
			if len(st.Files) != 1 || st.Files[0].Download == "" {
				t.Fatalf("state's files: %+v, want the upload with its download address", st.Files)
			}
			resp, err := c.Get(ts.base + st.Files[0].Download)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("sian.oneill@riverside,S-1")) {
				t.Errorf("downloading the uploaded %s: %d %.200q, want the file itself", name, resp.StatusCode, b)
			}
		})
	}
}

// TestUploadTwoFilesOfOneName: two files of the same name from different folders, chosen
// together, are both data: the page must not keep one and drop the other in silence (the
// command line reads both, as autumn/staff.csv and spring/staff.csv). It refuses the upload,
// saying to rename one.
func TestUploadTwoFilesOfOneName(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i, folder := range []string{"autumn", "spring"} {
		w, _ := mw.CreateFormFile("file", folder+"/staff.csv")
		fmt.Fprintf(w, "Role,First Name,Surname,E-mail,Learner Ref\r\nAssessor,A%d,B,a%d@riverside.example,S-%d\r\n", i, i, i)
	}
	mw.Close()
	ts := startServer(t)
	c := ts.signIn(t)
	var st map[string]any
	code := ts.do(t, c, http.MethodPost, "/api/files", &body, mw.FormDataContentType(), &st)
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(st["error"]), "rename") {
		t.Errorf("two files named staff.csv in one upload: %d %v, want 400 saying to rename one", code, st["error"])
	}
	if got := ts.state(t, c); got.Validation != nil && got.Validation.Counts.Read != 0 {
		t.Errorf("after the refused upload the page reads %+v, want nothing", got.Validation.Counts)
	}
}

// TestEditCSVKeepsTheTitle: the rows above a CSV file's header (a title, a date, notes) are not
// data, but they are the officer's: the fixed file keeps them as they were, and its rows keep
// their numbers.
func TestEditCSVKeepsTheTitle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "starters.csv")
	title := "\"Riverside College – starters, January 2027\",,,,\r\n" +
		"\"Notes: from the MIS,\r\nchecked by HR\",,,,\r\n" +
		",,,,\r\n"
	body := "Role,First Name,Surname,E-mail,Learner Ref\r\n" +
		"Assessor,Siân,O'Neill,sian.oneill@riverside,S-1\r\n" +
		"Assessor,Chloé,Dubois,chloe.dubois@riverside.example,S-2\r\n"
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(title + body))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b, 0o600)
	ts := startServer(t)
	c := ts.signIn(t)
	ts.upload(t, c, path)
	table, r, col := ts.badCell(t, c, "", "email")
	if r.Row != 5 {
		t.Fatalf("the bad e-mail is on row %d, want 5", r.Row)
	}
	var res map[string]any
	if code := ts.postJSON(t, c, "/api/cell", map[string]any{"table": table, "row": r.Row, "col": col, "value": "sian.oneill@riverside.example"}, &res); code != http.StatusOK {
		t.Fatalf("edit: %d %v", code, res)
	}
	resp, err := c.Get(ts.base + "/api/download/file/starters.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text, err := charmap.Windows1252.NewDecoder().Bytes(got)
	if err != nil {
		t.Fatal(err)
	}
	want := title + strings.Replace(body, "sian.oneill@riverside,", "sian.oneill@riverside.example,", 1)
	if string(text) != want {
		t.Errorf("the fixed file:\n%q\nwant\n%q", text, want)
	}
	if st := ts.state(t, c).Validation; st == nil || st.Counts.Rejected != 0 || st.Counts.Read != 2 {
		t.Errorf("after the fix: %+v, want 2 rows read, none rejected", st)
	}
}
