package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulkload/bulk/formats/coursesxml"
	"github.com/bulkload/bulk/formats/peoplefluent"
)

const key = "sandbox-test-key"

func serve(t *testing.T, configure func(*Server)) (*Server, string) {
	t.Helper()
	s := New(peoplefluent.NewSecret(key), DefaultSeed())
	if configure != nil {
		configure(s)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// contentTypeFor is the Content-Type bulk sends to the endpoint at the end of url.
func contentTypeFor(url string) string {
	ep, err := peoplefluent.ParseEndpoint(url[strings.LastIndex(url, "/")+1:])
	if err != nil {
		return "text/plain; charset=utf-8" // a path the sandbox does not serve: the route is tested
	}
	return ep.ContentType()
}

// post sends body and returns the status and answer.
func post(t *testing.T, url, user, pass, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("Content-Type", contentTypeFor(url))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestAuthAndRoutes(t *testing.T) {
	_, base := serve(t, func(s *Server) { s.ContextPath = "utest" })
	const ok = "USERID,LEARNINGID\r\njsmith,HS-101\r\n"
	tests := []struct {
		name, method, path, user, pass string
		want                           int
	}{
		{"good", "POST", "/utest/contentHandler/trainingHistoryCsv", "any", key, 200},
		{"no credentials", "POST", "/utest/contentHandler/trainingHistoryCsv", "", "", 401},
		{"empty user name", "POST", "/utest/contentHandler/trainingHistoryCsv", "", key, 401},
		{"wrong key", "POST", "/utest/contentHandler/trainingHistoryCsv", "any", key + "x", 401},
		{"GET", "GET", "/utest/contentHandler/trainingHistoryCsv", "any", key, 405},
		{"other context path", "POST", "/ekp/contentHandler/trainingHistoryCsv", "any", key, 404},
		{"unknown endpoint", "POST", "/utest/contentHandler/users", "any", key, 404},
		{"endpoint case", "POST", "/utest/contentHandler/TrainingHistoryCsv", "any", key, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(ok))
			if tt.user != "" || tt.pass != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			req.Header.Set("Content-Type", "text/plain; charset=utf-8")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestEchoFormat(t *testing.T) {
	_, base := serve(t, nil)
	url := base + "/ekp/contentHandler/trainingHistoryCsv"
	code, body, h := post(t, url, "u", key, "USERID,LEARNINGID\r\njsmith,HS-101\r\nghost,\"HS-101\"\r\n")
	want := "Please go to the last Column to view the error\r\nUSERID,LEARNINGID\r\n\"ghost\",\"HS-101\",\"User ID ghost does not exist.\"\r\n"
	if code != 200 || body != want || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("%d %q\nwant %q", code, body, want)
	}
	_, body, _ = post(t, url, "u", key, "USERID,LEARNINGID\r\nadoe,HS-101\r\n")
	if body != "No Error Occurred\r\n" {
		t.Errorf("all rows passed: %q", body)
	}
}

// check posts one training or external row and returns the sandbox's message.
func check(t *testing.T, base string, ep peoplefluent.Endpoint, header, row string) string {
	t.Helper()
	code, body, _ := post(t, base+"/ekp/contentHandler/"+string(ep), "u", key, header+"\r\n"+row+"\r\n")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if strings.HasPrefix(body, "No Error Occurred") {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(body), "\r\n")
	last := lines[len(lines)-1]
	i := strings.LastIndex(last, `,"`)
	return strings.ReplaceAll(strings.TrimSuffix(last[i+2:], `"`), `""`, `"`)
}

func TestTrainingChecks(t *testing.T) {
	const h = "USERID,LEARNINGID,LOTITLE,ENROLLDATE,ENDDATE,STARTDATE,STUDENTSTATUS,SESSIONSTATUS,CREATESESSION,LOTYPE,SCORE,PRESCORE,LANGUAGE,DEADLINEDAYS,DEADLINEDATE,Performance Grade,Instructor,Training Venue,SESSIONTIMEZONE,USE SETTINGS AS OF DATE,ACTION"
	tests := []struct {
		name, row, want string // want: "" ok, "WARNING. ..." prefix, or an error fragment
	}{
		{"minimal", "jsmith,HS-101,,,,,,,,,,,,,,,,,,,", ""},
		{"every field valid", "JSmith,HS-101,Health and Safety Induction,5-9-26 9:00,05-SEP-2026 17:00,05-sep-2026 09:00,exempt,Cancelled,TRUE,R,87.5,-1,fr_CA,0,2026-12-31 23:59:59,*NONE*,trainer1|trainer2,LON-01,Europe/London,05-09-2026,", ""},
		{"NONE dates", "jsmith,HS-101,,NONE,none,NONE,,,,,,,,,NONE,,,,,,", ""},
		{"session only", ",HS-101,,,,,,,,,,,,,,,,,,,", ""},
		{"title only", "jsmith,,fire safety awareness,,,,,,,,,,,,,,,,,,", ""},
		{"no module", "jsmith,,,,,,,,,,,,,,,,,,,,", "LEARNINGID or LOTITLE is required."},
		{"unknown title", "jsmith,,Nope,,,,,,,,,,,,,,,,,,", `No learning module has the title "Nope".`},
		{"title differs", "jsmith,HS-101,Other,,,,,,,,,,,,,,,,,,", "WARNING. LOTITLE \"Other\" differs"},
		{"unknown user", "nobody,HS-101,,,,,,,,,,,,,,,,,,,", "User ID nobody does not exist."},
		{"bad enroll date", "jsmith,HS-101,,2026-09-05,,,,,,,,,,,,,,,,,", `ENROLLDATE "2026-09-05" is not a date`},
		{"impossible date", "jsmith,HS-101,,31-Feb-2026,,,,,,,,,,,,,,,,,", `ENROLLDATE "31-Feb-2026"`},
		{"bad time", "jsmith,HS-101,,05-Sep-2026 25:00,,,,,,,,,,,,,,,,,", `ENROLLDATE "05-Sep-2026 25:00"`},
		{"end before start", "jsmith,HS-101,,,01-Sep-2026,05-Sep-2026,,,,,,,,,,,,,,,", "WARNING. ENDDATE is before STARTDATE."},
		{"status", "jsmith,HS-101,,,,,Passed,,,,,,,,,,,,,,", `STUDENTSTATUS "Passed"`},
		{"session status", "jsmith,HS-101,,,,,,Open,,,,,,,,,,,,,", `SESSIONSTATUS "Open"`},
		{"createsession", "jsmith,HS-101,,,,,,,yes,,,,,,,,,,,,", `CREATESESSION "yes"`},
		{"lotype", "jsmith,HS-101,,,,,,,,X,,,,,,,,,,,", `LOTYPE "X"`},
		{"score text", "jsmith,HS-101,,,,,,,,,Merit,,,,,,,,,,", ""}, // the table does not call SCORE numeric
		{"prescore", "jsmith,HS-101,,,,,,,,,,9O,,,,,,,,,", `PRESCORE "9O" is not a number.`},
		{"score on LOTYPE O", "jsmith,HS-101,,,,,,,,O,90,,,,,,,,,,", "WARNING. LOTYPE O is online: the score was not recorded."},
		{"score on online module", "jsmith,FIRE-01,,,,,,,,,90,,,,,,,,,,", "WARNING. FIRE-01 is an online module"},
		{"language", "jsmith,HS-101,,,,,,,,,,," + strings.Repeat("x", 51) + ",,,,,,,,", "LANGUAGE is longer than 50"},
		{"deadline days", "jsmith,HS-101,,,,,,,,,,,,1.5,,,,,,,", `DEADLINEDAYS "1.5"`},
		{"deadline date", "jsmith,HS-101,,,,,,,,,,,,,05-Sep-2026,,,,,,", `DEADLINEDATE "05-Sep-2026"`},
		{"grade", "jsmith,HS-101,,,,,,,,,,,,,,6,,,,,", `Performance Grade "6"`},
		{"instructor", "jsmith,HS-101,,,,,,,,,,,,,,,trainer1|ghost,,,,", `Instructor "ghost" is not a valid User ID.`},
		{"venue", "jsmith,HS-101,,,,,,,,,,,,,,,,Nowhere,,,", "WARNING. Training Venue Nowhere does not exist"},
		{"time zone", "jsmith,HS-101,,,,,,,,,,,,,,,,,Mars/Olympus,,", `SESSIONTIMEZONE "Mars/Olympus"`},
		{"settings date has no time", "jsmith,HS-101,,,,,,,,,,,,,,,,,,05-09-2026 10:00,", `USE SETTINGS AS OF DATE "05-09-2026 10:00"`},
		{"update without record", "mlee,HS-101,,,,,,,,,,,,,,,,,,,U", "There is no training record for mlee on HS-101 to update."},
		{"action", "jsmith,HS-101,,,,,,,,,,,,,,,,,,,X", `ACTION "X" is not A, U or blank.`},
		{"seeded failure", "broken.user,HS-101,,,,,,,,,,,,,,,,,,,", "Simulated failure for user broken.user"},
		{"seeded warning", "odd.user,HS-101,,,,,,,,,,,,,,,,,,,", "WARNING. Simulated warning for user odd.user"},
	}
	_, base := serve(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, base, peoplefluent.TrainingHistoryCSV, h, tt.row)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("message %q, want %q", got, tt.want)
			}
			if strings.HasPrefix(tt.want, "WARNING. ") != strings.HasPrefix(got, "WARNING. ") {
				t.Errorf("message %q: warning/error kind wrong", got)
			}
		})
	}
}

func TestTrainingActions(t *testing.T) {
	_, base := serve(t, nil)
	const h = "USERID,LEARNINGID,ACTION"
	steps := []struct{ row, want string }{
		{"mlee,HS-101,U", "There is no training record"},
		{"mlee,HS-101,A", ""},
		{"MLEE,hs-101,A", "already exists"},
		{"mlee,HS-101,U", ""},
		{"mlee,HS-101,", ""},
	}
	for i, st := range steps {
		got := check(t, base, peoplefluent.TrainingHistoryCSV, h, st.row)
		if st.want == "" && got != "" || st.want != "" && !strings.Contains(got, st.want) {
			t.Errorf("step %d %q: %q, want %q", i+1, st.row, got, st.want)
		}
	}
}

func TestHeaderProblems(t *testing.T) {
	_, base := serve(t, nil)
	tests := []struct{ name, header, row, want string }{
		{"byte-order mark", "\uFEFFUSERID,LEARNINGID", "jsmith,HS-101", "byte-order mark"},
		{"case", "userid,LearningID", "jsmith,HS-101", `WARNING. Column "userid" was taken as USERID`},
		{"unknown column", "USERID,LEARNINGID,Colour", "jsmith,HS-101,red", `WARNING. Column "Colour" is not a trainingHistoryCsv field`},
		{"duplicate", "USERID,LEARNINGID,USERID", "jsmith,HS-101,adoe", "Column USERID appears more than once."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := check(t, base, peoplefluent.TrainingHistoryCSV, tt.header, tt.row); !strings.Contains(got, tt.want) {
				t.Errorf("%q, want %q", got, tt.want)
			}
		})
	}
}

func TestExternalChecks(t *testing.T) {
	const h = "Action,RecordID,UserId,Title,CourseType,StartDate,EndDate,Status,Subject,Duration,Unit,Cost,Currency,Language"
	tests := []struct{ name, row, want string }{
		{"valid add", "A,E1,jsmith,First Aid,R,2026-09-05 09:00:00,2026-09-06,4,Safety,7.5,H,250.55,GBP,en", ""},
		{"add without id", "A,,jsmith,First Aid,,,,,,,,,,", ""},
		{"course type TNS", "A,,jsmith,T,TNS,,,,,,,,,", `CourseType "TNS" does not fit the field's 1 character`},
		{"no action", ",E2,jsmith,T,,,,,,,,,,", "Action is required"},
		{"bad action", "X,E2,jsmith,T,,,,,,,,,,", `Action "X"`},
		{"add needs user and title", "A,E3,,,,,,,,,,,,", "UserId is required to add a record. Title is required to add a record."},
		{"update unknown", "U,E404,,,,,,,,,,,,", "Record ID E404 does not exist."},
		{"update needs id", "U,,,,,,,,,,,,,", "RecordID is required for Action U."},
		{"id too long", "A,1234567890123456,jsmith,T,,,,,,,,,,", "RecordID is longer than 15"},
		{"user too long", "A,,u" + strings.Repeat("x", 85) + ",T,,,,,,,,,,", "UserId is longer than 85"},
		{"title too long", "A,,jsmith," + strings.Repeat("t", 256) + ",,,,,,,,,,", "Title is longer than 255"},
		{"course type", "A,,jsmith,T,X,,,,,,,,,", `CourseType "X"`},
		{"date", "A,,jsmith,T,,05/09/2026,,,,,,,,", `StartDate "05/09/2026"`},
		{"end before start", "A,,jsmith,T,,2026-09-05,2026-09-01,,,,,,,", "WARNING. EndDate is before StartDate."},
		{"status", "A,,jsmith,T,,,,6,,,,,,", `Status "6"`},
		{"subject", "A,,jsmith,T,,,,," + strings.Repeat("s", 51) + ",,,,,", "Subject is longer than 50"},
		{"duration decimals", "A,,jsmith,T,,,,,,1.234,H,,,", `Duration "1.234"`},
		{"duration without unit", "A,,jsmith,T,,,,,,2,,,,", "WARNING. Duration has no Unit."},
		{"unit", "A,,jsmith,T,,,,,,2,S,,,", `Unit "S"`},
		{"cost", "A,,jsmith,T,,,,,,,,1e3,,", `Cost "1e3"`},
		{"currency", "A,,jsmith,T,,,,,,,,,pounds,", `Currency "pounds"`},
		{"language", "A,,jsmith,T,,,,,,,,,,English", `WARNING. Language "English"`},
		{"unknown user", "A,,ghost,T,,,,,,,,,,", "User ID ghost does not exist."},
	}
	_, base := serve(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, base, peoplefluent.ExternalTrainingCSV, h, tt.row)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("message %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExternalActions(t *testing.T) {
	s, base := serve(t, nil)
	const h = "Action,RecordID,UserId,Title"
	steps := []struct{ row, want string }{
		{"A,R1,jsmith,T", ""},
		{"A,R1,jsmith,T", "Record ID R1 already exists"},
		{"AU,R1,jsmith,T2", ""},
		{"AU,R2,adoe,T", ""},
		{"D,R2,,", ""},
		{"D,R2,,", "Record ID R2 does not exist."},
		{"A,,adoe,T", ""},
	}
	for i, st := range steps {
		got := check(t, base, peoplefluent.ExternalTrainingCSV, h, st.row)
		if st.want == "" && got != "" || st.want != "" && !strings.Contains(got, st.want) {
			t.Errorf("step %d %q: %q, want %q", i+1, st.row, got, st.want)
		}
	}
	if n := s.ExternalRecords(); n != 2 {
		t.Errorf("%d records, want 2 (R1 and a generated one)", n)
	}
	st := s.Stats()
	if st.Rows["externalTrainingCsv"] != 7 || st.Loaded["externalTrainingCsv"] != 5 || st.Rejected["externalTrainingCsv"] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaults(t *testing.T) {
	t.Run("error share", func(t *testing.T) {
		s, base := serve(t, func(s *Server) { s.ErrorShare = 0.5; s.RandSeed = 7 })
		for range 40 {
			post(t, base+"/ekp/contentHandler/courses", "u", key, "<courses/>")
		}
		st := s.Stats()
		if n := st.Statuses[500]; n < 8 || n > 32 || n+st.Statuses[200] != 40 {
			t.Errorf("%d of 40 answered 500 with ErrorShare 0.5", n)
		}
	})
	t.Run("crash every time, busy once", func(t *testing.T) {
		_, base := serve(t, nil)
		url := base + "/ekp/contentHandler/trainingHistoryCsv"
		for i := range 2 {
			if code, _, _ := post(t, url, "u", key, "USERID,LEARNINGID\r\ncrash.user,HS-101\r\n"); code != 500 {
				t.Errorf("crash attempt %d: %d", i+1, code)
			}
		}
		code, _, h := post(t, url, "u", key, "USERID,LEARNINGID\r\nbusy.user,HS-101\r\n")
		if code != 503 || h.Get("Retry-After") != "1" {
			t.Errorf("busy: %d Retry-After %q", code, h.Get("Retry-After"))
		}
		if code, _, _ := post(t, url, "u", key, "USERID,LEARNINGID\r\nbusy.user,HS-101\r\n"); code != 200 {
			t.Errorf("busy second time: %d", code)
		}
		// A longer ID that contains a faulty one is not that user.
		if code, _, _ := post(t, url, "u", key, "USERID,LEARNINGID\r\nnotcrash.user2,HS-101\r\n"); code != 200 {
			t.Errorf("crash fault matched inside another ID: %d", code)
		}
	})
	t.Run("drop loads then closes", func(t *testing.T) {
		s, base := serve(t, nil)
		req, _ := http.NewRequest(http.MethodPost, base+"/ekp/contentHandler/trainingHistoryCsv", strings.NewReader("USERID,LEARNINGID\r\ndrop.user,HS-101\r\n"))
		req.SetBasicAuth("u", key)
		req.Header.Set("Content-Type", "text/plain")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("the connection was not dropped")
		}
		if s.TrainingRecords() != 1 {
			t.Error("the dropped request was not loaded")
		}
	})
	t.Run("empty answers", func(t *testing.T) {
		_, base := serve(t, func(s *Server) { s.EmptyAnswers = true })
		if code, body, _ := post(t, base+"/ekp/contentHandler/trainingHistoryCsv", "u", key, "USERID,LEARNINGID\r\nghost,HS-101\r\n"); code != 200 || body != "" {
			t.Errorf("%d %q", code, body)
		}
	})
}

func TestSeeds(t *testing.T) {
	if s := DefaultSeed(); len(s.Users) == 0 || len(s.Modules) == 0 {
		t.Fatal("default seed is empty")
	}
	dir := t.TempDir()
	tests := []struct{ name, json, wantErr string }{
		{"valid", `{"users":[{"id":"u1","fault":"warn"}],"modules":[{"id":"M1","title":"T","type":"O"}],"facilities":["F"]}`, ""},
		{"any user", `{"users":[],"modules":[],"any_user":true,"any_module":true}`, ""},
		{"unknown fault", `{"users":[{"id":"u1","fault":"explode"}]}`, `unknown fault "explode"`},
		{"unknown field", `{"people":[]}`, `unknown field "people"`},
		{"user without id", `{"users":[{"fault":"fail"}]}`, "user 1 has no id"},
		{"not json", `users: []`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(p, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSeed(p)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := LoadSeed(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing seed file accepted")
	}
}

func TestAnyUserAndModule(t *testing.T) {
	_, base := serve(t, func(s *Server) { s.Seed = Seed{AnyUser: true, AnyModule: true} })
	if got := check(t, base, peoplefluent.TrainingHistoryCSV, "USERID,LEARNINGID,Instructor", "whoever,ANY-1,someone"); got != "" {
		t.Errorf("%q", got)
	}
}

func TestStartServes(t *testing.T) {
	s := New(peoplefluent.NewSecret(key), DefaultSeed())
	base, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/ekp/") {
		t.Errorf("base URL %q", base)
	}
	if code, _, _ := post(t, base+"contentHandler/courses", "u", key, `<courses><module><id>M</id><title>T</title></module></courses>`); code != 200 {
		t.Errorf("status %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(base+"contentHandler/courses", "application/xml", strings.NewReader("")); err == nil {
		t.Error("still serving after stop")
	}
}

// TestContentTypeRefused: each endpoint takes the body type the vendor's reference gives
// ("Request Body schema": text/plain for the CSV endpoints, application/xml for courses); any
// other is answered 415 with what to send, and nothing is loaded.
func TestContentTypeRefused(t *testing.T) {
	const csvBody = "USERID,LEARNINGID\r\njsmith,HS-101\r\n"
	const xmlBody = `<?xml version="1.0" encoding="UTF-8"?><courses><module><id>M1</id><title>T</title></module></courses>`
	tests := []struct {
		name, ep, ctype, body string
		want                  int
		wantMsg               string
	}{
		{"csv as text/plain", "trainingHistoryCsv", "text/plain; charset=utf-8", csvBody, 200, ""},
		{"csv as text/csv", "trainingHistoryCsv", "text/csv; charset=utf-8", csvBody, 415, "send text/plain"},
		{"csv without type", "externalTrainingCsv", "", "Action,UserId,Title\r\nA,jsmith,T\r\n", 415, "no Content-Type"},
		{"csv in latin-1", "trainingHistoryCsv", "text/plain; charset=iso-8859-1", csvBody, 415, "takes UTF-8"},
		{"xml as application/xml", "courses", "application/xml", xmlBody, 200, ""},
		{"xml as text/xml", "courses", "text/xml", xmlBody, 415, "send application/xml"},
		{"xml as text/plain", "courses", "text/plain", xmlBody, 415, "send application/xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base := serve(t, nil)
			req, _ := http.NewRequest(http.MethodPost, base+"/ekp/contentHandler/"+tt.ep, strings.NewReader(tt.body))
			req.SetBasicAuth("u", key)
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.wantMsg) {
				t.Fatalf("%d %q, want %d with %q", resp.StatusCode, b, tt.want, tt.wantMsg)
			}
			if st := s.Stats(); tt.want == 415 && (st.Rows[tt.ep] != 0 || st.Requests[tt.ep] != 0 || s.TrainingRecords()+s.ExternalRecords() != 0) {
				t.Errorf("a refused body was taken: %+v", st)
			}
		})
	}
}

// TestAdminUser: with AdminUser set, only that system user name (any case) is let in, and the
// refusal says the user name is what is wrong; unset, any non-empty name is.
func TestAdminUser(t *testing.T) {
	tests := []struct {
		admin, user string
		want        int
	}{
		{"", "anyone", 200},
		{"lms.admin", "lms.admin", 200},
		{"lms.admin", "LMS.Admin", 200},
		{"lms.admin", "bulk", 401},
		{"lms.admin", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.admin+"/"+tt.user, func(t *testing.T) {
			s, base := serve(t, func(s *Server) { s.AdminUser = tt.admin })
			code, body, _ := post(t, base+"/ekp/contentHandler/trainingHistoryCsv", tt.user, key, "USERID,LEARNINGID\r\njsmith,HS-101\r\n")
			if code != tt.want {
				t.Fatalf("status %d %q, want %d", code, body, tt.want)
			}
			if code == 401 && tt.user != "" && !strings.Contains(body, "system user name") {
				t.Errorf("the refusal does not say the user name is wrong: %q", body)
			}
			if code == 401 && s.Stats().AuthFails != 1 {
				t.Errorf("auth failures %d, want 1", s.Stats().AuthFails)
			}
		})
	}
}

// TestCoursesSchema: the sandbox checks a courses body against the vocabulary and element order
// of the vendor's module schema (schema.go), refuses a DOCTYPE, and loads nothing from a
// document with a problem.
func TestCoursesSchema(t *testing.T) {
	doc := func(module string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<courses>\n" + module + "\n</courses>\n"
	}
	const good = `<module><id>HS-101</id><title>Health and Safety</title><type>classroom</type><subject>HS</subject>` +
		`<language>en</language><description>d</description><objective>o1</objective><objective>o2</objective>` +
		`<price><currency>GBP</currency><amount>250.50</amount></price><archived>false</archived>` +
		`<attribute><code>c</code><value>v</value></attribute>` +
		`<session><code>S1</code><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end><region>SE</region>` +
		`<instructor><id>instr1</id></instructor><instructor><id>instr2</id></instructor><location>Room 4</location>` +
		`<facility><trainingCenter><name>London</name></trainingCenter></facility><open>true</open>` +
		`<deadline>2026-08-29T23:59:59</deadline><seats>12</seats><status>active</status></session>` +
		`<prerequisites><anything/></prerequisites></module>`
	tests := []struct {
		name, body, want string // want: "" loads, else part of the answer
	}{
		{"every element in order", doc(good), ""},
		{"DOCTYPE", `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE courses [<!ENTITY x "y">]>` + "\n" + doc(`<module><id>M</id><title>T</title></module>`), "DOCTYPE"},
		{"lower-case doctype", "<!doctype courses>\n<courses><module><id>M</id><title>T</title></module></courses>", "DOCTYPE"},
		{"out of order", doc(`<module><title>T</title><id>M</id></module>`), "<id> comes after <title>"},
		{"unknown element", doc(`<module><id>M</id><title>T</title><cost>5</cost></module>`), "<cost> is not an element of <module>"},
		{"vendor name elsewhere", doc(`<module><id>M</id><title>T</title><session><code>S</code><defaultSessionPrice>5</defaultSessionPrice></session></module>`), "<defaultSessionPrice> is not an element of <session>"},
		{"repeated", doc(`<module><id>M</id><title>T</title><title>U</title></module>`), "<title> appears more than once"},
		{"attribute", doc(`<module id="M"><title>T</title></module>`), `attribute id="M" is not in the schema`},
		{"no title", doc(`<module><id>M</id></module>`), "<title> is missing"},
		{"no module", doc(""), "<module> is missing"},
		{"bad type", doc(`<module><id>M</id><title>T</title><type>Classroom</type></module>`), `"Classroom" is not one of`},
		{"bad status", doc(`<module><id>M</id><title>T</title><session><status>open</status></session></module>`), `"open" is not one of`},
		{"bad date", doc(`<module><id>M</id><title>T</title><session><start>05/09/2026</start></session></module>`), "not an xs:dateTime"},
		{"bad seats", doc(`<module><id>M</id><title>T</title><session><seats>-1</seats></session></module>`), "not a whole number"},
		{"bad currency", doc(`<module><id>M</id><title>T</title><price><currency>pounds</currency></price></module>`), "three-letter currency"},
		{"end before start", doc(`<module><id>M</id><title>T</title><session><code>S</code><start>2026-09-05T09:00:00</start><end>2026-09-04T09:00:00</end></session></module>`), "start is not before end"},
		{"other root", "<catalog><module><id>M</id><title>T</title></module></catalog>", "the root element is <catalog>"},
		{"namespace", `<courses xmlns="urn:x"><module><id>M</id><title>T</title></module></courses>`, "namespace"},
		{"text in a complex element", doc(`<module>stray<id>M</id><title>T</title></module>`), `holds text "stray"`},
		{"not well-formed", "<courses><module>", "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base := serve(t, nil)
			code, body, _ := post(t, base+"/ekp/contentHandler/courses", "u", key, tt.body)
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			if tt.want == "" {
				if body != "No Error Occurred\r\n" {
					t.Fatalf("refused: %s", body)
				}
				if st := s.Stats(); st.Loaded["courses"] != 1 {
					t.Errorf("not loaded: %+v", st)
				}
				return
			}
			if !strings.Contains(body, tt.want) || !strings.HasPrefix(body, "Error: ") {
				t.Fatalf("answer %q, want an error with %q", body, tt.want)
			}
			if st := s.Stats(); st.Loaded["courses"] != 0 || st.Rejected["courses"] != 1 {
				t.Errorf("a refused document counted as loaded: %+v", st)
			}
		})
	}
}

// TestExporterOutputPassesTheSchema: the courses documents bulk export writes (its golden files)
// are what the strict schema takes, and every module type the exporter writes is the schema's.
func TestExporterOutputPassesTheSchema(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "coursesxml", "testdata", "*.golden.xml"))
	if len(files) == 0 {
		t.Fatal("no golden courses documents found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, base := serve(t, nil)
		if _, body, _ := post(t, base+"/ekp/contentHandler/courses", "u", key, string(b)); body != "No Error Occurred\r\n" {
			t.Errorf("%s refused:\n%s", filepath.Base(f), body)
		}
	}
	for _, code := range coursesxml.ModuleType.Codes() {
		if msg := enumValue(moduleTypes)(code); msg != "" {
			t.Errorf("the exporter writes module type %s", msg)
		}
	}
	for _, code := range coursesxml.SessionStatus.Codes() {
		if msg := enumValue(sessionStatuses)(code); msg != "" {
			t.Errorf("the exporter writes session status %s", msg)
		}
	}
}

// TestCheckCoursesReplacesTheSchema: with CheckCourses set (a customer's courses.xsd), its
// problems are the answer and the built-in schema is not applied; a DOCTYPE is still refused
// before the body reaches it.
func TestCheckCoursesReplacesTheSchema(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	s, base := serve(t, func(s *Server) {
		s.CheckCourses = func(body []byte) []string {
			mu.Lock()
			seen = append(seen, string(body))
			mu.Unlock()
			if strings.Contains(string(body), "<bad/>") {
				return []string{"courses.xml:1: element bad: Schemas validity error"}
			}
			return nil
		}
	})
	url := base + "/ekp/contentHandler/courses"
	// Not the built-in schema's layout, but the customer's schema takes it.
	if _, body, _ := post(t, url, "u", key, `<courses><course code="C1"/></courses>`); body != "No Error Occurred\r\n" {
		t.Errorf("the built-in schema was applied: %q", body)
	}
	if _, body, _ := post(t, url, "u", key, `<courses><bad/></courses>`); body != "Error: courses.xml:1: element bad: Schemas validity error\r\n" {
		t.Errorf("answer %q", body)
	}
	if _, body, _ := post(t, url, "u", key, "<!DOCTYPE courses>\n<courses/>"); !strings.Contains(body, "DOCTYPE") {
		t.Errorf("DOCTYPE answer %q", body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Errorf("CheckCourses saw %d bodies, want 2 (not the DOCTYPE one)", len(seen))
	}
	if st := s.Stats(); st.Loaded["courses"] != 1 || st.Rejected["courses"] != 2 {
		t.Errorf("loaded %d rejected %d", st.Loaded["courses"], st.Rejected["courses"])
	}
}
