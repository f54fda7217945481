package ui

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// learnersWorkbook writes a workbook of n learners made from the sample's Learners sheet: each
// row a copy of one of its rows with its own e-mail and MIS ID, so the sample's mistakes recur
// (a problem every few rows, as a real first export has).
func learnersWorkbook(tb testing.TB, n int) string {
	tb.Helper()
	src, err := excelize.OpenFile(sample)
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := src.GetRows("Learners")
	src.Close()
	if err != nil || len(rows) < 2 {
		tb.Fatalf("the sample's Learners sheet: %v", err)
	}
	header, data := rows[0], rows[1:]
	email, misid := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.ReplaceAll(h, " ", "")) {
		case "email":
			email = i
		case "misid":
			misid = i
		}
	}
	if email < 0 || misid < 0 {
		tb.Fatalf("no Email or MIS ID column in %v", header)
	}
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Learners")
	sw, err := f.NewStreamWriter("Learners")
	if err != nil {
		tb.Fatal(err)
	}
	put := func(r int, cells []string) {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, vals); err != nil {
			tb.Fatal(err)
		}
	}
	put(1, header)
	for i := range n {
		row := append([]string(nil), data[i%len(data)]...)
		for len(row) < len(header) {
			row = append(row, "")
		}
		row[email] = fmt.Sprintf("learner%05d@learners.example", i)
		row[misid] = fmt.Sprintf("L-%05d", i)
		put(i+2, row)
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "learners-10000.xlsx")
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkFirstScreen: a 10,000-row workbook uploaded through the HTTP API (validated as
// 'bulk validate' would) and the first page of its problems served, as the page asks for them.
func BenchmarkFirstScreen(b *testing.B) {
	wb := learnersWorkbook(b, 10000)
	for b.Loop() {
		b.StopTimer()
		ts := startServer(b)
		c := ts.signIn(b)
		b.StartTimer()
		st := ts.upload(b, c, wb)
		var page rowsPage
		if code := ts.do(b, c, http.MethodGet, "/api/rows?table=0&show=problems&offset=0&limit=100", nil, "", &page); code != http.StatusOK || len(page.Rows) == 0 {
			b.Fatalf("first page of problems: %d, %d rows; state %v", code, len(page.Rows), st["error"])
		}
		b.StopTimer()
		ts.Close()
		b.StartTimer()
	}
}

// BenchmarkRowsPage100k: one page of a 100,000-row table served to the grid as it scrolls, all
// rows and rows with a problem of one rule (a problem on every tenth row).
func BenchmarkRowsPage100k(b *testing.B) {
	ts := startServer(b)
	c := ts.signIn(b)
	tb := &table{Header: make([]string, 18), byRow: map[int]*row{}}
	for i := range 100000 {
		rw := &row{Row: i + 2, Outcome: "accepted", Cells: make([]string, 18)}
		for j := range rw.Cells {
			rw.Cells[j] = fmt.Sprintf("value %d.%d", i, j)
		}
		if i%10 == 0 {
			rw.Outcome = "rejected"
			rw.Problems = []problem{{Row: rw.Row, Col: 3, Column: "Email", Rule: "email", Severity: "error", Message: "is not an e-mail address"}}
		}
		tb.rows = append(tb.rows, rw)
		tb.byRow[rw.Row] = rw
	}
	ts.ws.mu.Lock()
	ts.ws.val = &validation{Tables: []*table{tb}}
	ts.ws.mu.Unlock()
	for _, q := range []string{"show=&offset=99900", "show=problems&rule=email&offset=9900"} {
		b.Run(strings.SplitN(q, "&", 2)[0], func(b *testing.B) {
			for b.Loop() {
				var page rowsPage
				if code := ts.do(b, c, http.MethodGet, "/api/rows?table=0&limit=100&"+q, nil, "", &page); code != http.StatusOK || len(page.Rows) != 100 {
					b.Fatalf("%d, %d rows", code, len(page.Rows))
				}
			}
		})
	}
}
