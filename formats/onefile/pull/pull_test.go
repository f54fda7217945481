package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

func TestCell(t *testing.T) {
	for _, tc := range []struct {
		field string
		v     any
		want  string
	}{
		{"MISID", "0012", "0012"},
		{"ULN", "1000000043", "1000000043"},
		{"MobileNumber", "07700 900123", "07700 900123"},
		{"ClassroomID", json.Number("101"), "101"},
		{"ClassroomID", json.Number("0"), ""},      // OneFile's "none": not an ID to send
		{"LearnerStatusID", json.Number("0"), "0"}, // a code where 0 is a value
		{"DOB", "2007-03-14T00:00:00.000Z", "2007-03-14"},
		{"DOB", "2007-03-14T23:30:00-02:00", "2007-03-15"}, // the UTC day, as the API client reads it
		{"CreatedOn", "2026-09-01T09:30:00.000Z", "2026-09-01 09:30"},
		{"CreatedOn", "2026-09-01T00:00:00.000Z", "2026-09-01"},
		{"DOB", "not a date", "not a date"},
		{"SupportFunding", false, "false"},
		{"Role", json.Number("5"), "5"},
		{"EpisodeName", nil, ""},
		{"FirstName", "  Ana ", "Ana"},
	} {
		if got := Cell(tc.field, tc.v); got != tc.want {
			t.Errorf("Cell(%s, %#v) = %q, want %q", tc.field, tc.v, got, tc.want)
		}
	}
}

// fakeOneFile answers the few calls a pull makes, generating n learners, whole, page by page
// as OneFile documents its paged searches (a bare array per page, 204 past the end), so that a
// benchmark measures the pull and not a server holding n users.
func fakeOneFile(n int) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2.1/Authentication", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "session-token-0123456789") })
	mux.HandleFunc("POST /api/v2.1/{entity}/Search/{page}/{size}", func(w http.ResponseWriter, r *http.Request) {
		var f struct{ Role int }
		_ = json.NewDecoder(r.Body).Decode(&f)
		page, _ := strconv.Atoi(r.PathValue("page"))
		size, _ := strconv.Atoi(r.PathValue("size"))
		from := (page - 1) * size
		if r.PathValue("entity") != "User" || f.Role != 1 || from >= n {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var b strings.Builder
		b.WriteByte('[')
		for i := from; i < min(from+size, n); i++ {
			if i > from {
				b.WriteByte(',')
			}
			b.WriteString(learnerJSON(i))
		}
		b.WriteByte(']')
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, b.String())
	})
	mux.HandleFunc("GET /api/v2.1/User/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		if id < 100000 || id >= 100000+n {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		io.WriteString(w, learnerJSON(id-100000))
	})
	return httptest.NewServer(mux)
}

// learnerJSON is the i-th learner, whole, as GET /User/{id} answers it.
func learnerJSON(i int) string {
	return fmt.Sprintf(`{"ID":%d,"Role":1,"OrganisationID":5740,"FirstName":"First%d","LastName":"Last%d","Email":"l%d@x.example","MISID":"L%07d",`+
		`"DefaultAssessorID":1001,"ClassroomID":101,"PlacementID":201,"ULN":"1000000043","NINO":"AB123456C","DOB":"2007-03-14T00:00:00.000Z",`+
		`"StartOn":"2026-09-01T00:00:00.000Z","PlannedEndDate":"2028-08-31T00:00:00.000Z","MobileNumber":"07700 900123","L12":"31","L13":"F","LearnerStatusID":0,`+
		`"Username":"u%d","LastModified":"2026-09-01T00:00:00.000Z"}`, 100000+i, i, i, i, i, i)
}

// BenchmarkWrite pulls n learners into a workbook and reports the peak heap in use while it
// runs, sampled: flat memory means the same peak for 10k and 100k users.
//
//	go test -run '^$' -bench Write -benchtime 1x ./formats/onefile/pull/
func BenchmarkWrite(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 300_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			srv := fakeOneFile(n)
			defer srv.Close()
			c, err := api.New(api.Config{BaseURL: srv.URL + "/api/v2.1", CustomerToken: "t", RatePerMinute: -1, PageSize: 1000})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			// A tight GC keeps the sampled heap close to what is live, not to garbage not yet
			// collected, so the figure is the pull's working set.
			defer debug.SetGCPercent(debug.SetGCPercent(20))
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			go func() {
				defer close(done)
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						runtime.ReadMemStats(&m)
						if m.HeapInuse > peak.Load() {
							peak.Store(m.HeapInuse)
						}
					}
				}
			}()
			var size countWriter
			b.ResetTimer()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				cnt, err := Write(ctx, c, 5740, &size, nil, Options{})
				cancel()
				if err != nil || cnt.Users["Learners"] != n {
					b.Fatalf("%v; %+v", err, cnt)
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(size.n)/float64(b.N)/(1<<20), "xlsx-MiB")
		})
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestUsersCarryTheirIDs: every users sheet has the OneFileID column, each row holds its user's
// ID as text (so Excel keeps it as written), and no separate sheet of IDs is written.
func TestUsersCarryTheirIDs(t *testing.T) {
	srv := fakeOneFile(3)
	defer srv.Close()
	c, err := api.New(api.Config{BaseURL: srv.URL + "/api/v2.1", CustomerToken: "t", RatePerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if _, err := Write(ctx, c, 5740, &buf, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, name := range f.GetSheetList() {
		if name == "User IDs" {
			t.Errorf("a separate sheet of user IDs was written: the users sheets carry them")
		}
	}
	for _, g := range Groups {
		if !slices.Contains(g.Columns, schema.UserID.Name) {
			t.Errorf("sheet %s has no %s column: %v", g.Sheet, schema.UserID.Name, g.Columns)
		}
	}
	rows, err := f.GetRows("Learners")
	if err != nil || len(rows) != 4 {
		t.Fatalf("Learners: %d rows (%v), want a header and 3", len(rows), err)
	}
	col := slices.Index(rows[0], schema.UserID.Name)
	if col < 0 {
		t.Fatalf("Learners header %v has no %s", rows[0], schema.UserID.Name)
	}
	for i, r := range rows[1:] {
		if want := strconv.Itoa(100000 + i); r[col] != want {
			t.Errorf("Learners row %d: %s %q, want %s", i+2, schema.UserID.Name, r[col], want)
		}
		cell, _ := excelize.CoordinatesToCellName(col+1, i+2)
		if typ, _ := f.GetCellType("Learners", cell); typ == excelize.CellTypeNumber {
			t.Errorf("Learners %s holds the ID as a number, want text", cell)
		}
	}
}

// TestIsReference: the reference sheets a pull writes, and the User IDs sheet earlier pulls
// wrote, are recognised by name and header, the CSVs of pull --csv by header; a users sheet is
// not.
func TestIsReference(t *testing.T) {
	for _, tc := range []struct {
		sheet  string
		header []string
		ref    bool
	}{
		{Classrooms.Name, Classrooms.Header, true},
		{Units.Name, append(slices.Clone(Units.Header), "Notes"), true},
		{"User IDs", []string{"OneFile user ID", "On sheet", "Full name", "MIS code (MISID)", "Login e-mail (Email)"}, true},
		{"Classrooms", []string{"OneFile ID", "Name (ClassroomName)", "MIS code"}, false}, // "OneFile ID" alone is a users column
		{"Learners", Groups[4].Columns, false},
		// bulk pull --csv writes each sheet as a CSV (no sheet name): its header alone says.
		{"", Classrooms.Header, true},
		{"", Placements.Header, true},
		{"", Standards.Header, true},
		{"", Units.Header, true},
		{"", usersIndex.Header, false}, // never written as a CSV; its first header is a users column
		{"", []string{"OneFile ID", "Name (ClassroomName)", "MIS code"}, false},
		{"Sheet1", Classrooms.Header, false}, // a workbook's sheet needs its name too
	} {
		got := IsReference(&pipeline.Source{Sheet: tc.sheet, Header: tc.header}) != ""
		if got != tc.ref {
			t.Errorf("IsReference(%s %v) = %v, want %v", tc.sheet, tc.header, got, tc.ref)
		}
	}
}
