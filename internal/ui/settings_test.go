package ui

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestSettings: hidden sheets are flagged and read only when asked; the header row and a column
// mapping chosen on the page are the command line's --header-row and --map.
func TestSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staff.xlsx")
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Staff")
	rows := [][]any{{"Staff export, 1 September"}, {}, {"Role", "Forename", "Surname", "Work mail", "MIS ID"},
		{"Assessor/Tutor", "Aisha", "Rahman", "aisha.rahman@northfield.example", "S-1"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Staff", cell, &r)
	}
	f.NewSheet("Old")
	f.SetSheetRow("Old", "A1", &[]any{"Role", "Forename", "Surname", "Email", "MIS ID"})
	f.SetSheetRow("Old", "A2", &[]any{"Assessor/Tutor", "Old", "Person", "old.person@northfield.example", "S-9"})
	f.SetSheetVisible("Old", false)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t)
	c := ts.signIn(t)
	st := ts.upload(t, c, path)
	files := st["files"].([]any)
	if h := files[0].(map[string]any)["hidden_sheets"]; h == nil || h.([]any)[0] != "Old" {
		t.Errorf("hidden sheets %v, want Old", h)
	}
	tests := []struct {
		name     string
		settings map[string]any
		tables   int
		field    string // what "Work mail" maps to
		header   int
	}{
		{"as read", map[string]any{}, 1, "", 3},
		{"hidden sheets read", map[string]any{"include_hidden": true}, 2, "", 3},
		{"header row given", map[string]any{"header_row": 3}, 1, "", 3},
		{"mapped", map[string]any{"map": map[string]string{"Work mail": "Email"}}, 1, "Email", 3},
	}
	for _, tt := range tests {
		var got struct {
			Error      string `json:"error"`
			Validation struct {
				Tables []struct {
					Sheet     string   `json:"sheet"`
					HeaderRow int      `json:"header_row"`
					Columns   []column `json:"columns"`
				} `json:"tables"`
			} `json:"validation"`
		}
		if code := ts.postJSON(t, c, "/api/settings", tt.settings, &got); code != http.StatusOK || got.Error != "" {
			t.Errorf("%s: %d %s", tt.name, code, got.Error)
			continue
		}
		if len(got.Validation.Tables) != tt.tables {
			t.Errorf("%s: %d tables, want %d", tt.name, len(got.Validation.Tables), tt.tables)
			continue
		}
		staff := got.Validation.Tables[0]
		if staff.HeaderRow != tt.header {
			t.Errorf("%s: header on row %d, want %d", tt.name, staff.HeaderRow, tt.header)
		}
		for _, col := range staff.Columns {
			if col.Header == "Work mail" && col.Field != tt.field {
				t.Errorf("%s: Work mail maps to %q, want %q", tt.name, col.Field, tt.field)
			}
		}
	}
	resp, err := c.Get(ts.base + "/api/download/map.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"Work mail": "Email"`) {
		t.Errorf("map.yaml: %q", b)
	}
}
