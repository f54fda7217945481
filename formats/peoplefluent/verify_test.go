package peoplefluent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

// verifyPayload is pushed to the sandbox and read back. Row 4 names its module by title, row 5
// is an online module (the LMS keeps no score), row 7 has no USERID (a session only), and row
// 8 updates the record row 6 added: the LMS keeps the later one.
const verifyPayload = "USERID,LEARNINGID,LOTITLE,ENROLLDATE,STARTDATE,ENDDATE,STUDENTSTATUS,SCORE,ACTION\r\n" +
	"jsmith,HS-101,,01-09-2026 09:00,05-09-2026 09:00,05-09-2026 17:00,Pass,87,A\r\n" +
	"adoe,HS-101,,,05-Sep-2026,05-Sep-2026,Completed,,A\r\n" +
	"mlee,,Data Protection Refresher,,,,Active,,A\r\n" +
	"pkhan,FIRE-01,,,01-09-2026,,Completed,92,A\r\n" +
	"pkhan,FA-EXAM,,,,,Active,,\r\n" +
	",FL-WS,,,,,,,\r\n" +
	"pkhan,FA-EXAM,,,02-09-2026,,Active,,U\r\n"

func pushed(t *testing.T, configure func(*sandbox.Server)) (*env, peoplefluent.Summary) {
	t.Helper()
	e := newEnv(t, configure)
	sum, err := e.push(t, peoplefluent.TrainingHistoryCSV, verifyPayload)
	if err != nil || sum.Failed != 0 {
		t.Fatalf("push: %v %+v", err, sum)
	}
	return e, sum
}

func (e *env) verifier(results *[]peoplefluent.VerifyResult) *peoplefluent.Verifier {
	return &peoplefluent.Verifier{
		Reader:   peoplefluent.Reader{Base: e.base, Key: peoplefluent.NewSecret(key), Retries: -1, Client: &http.Client{Timeout: 30 * time.Second}},
		OnResult: func(r peoplefluent.VerifyResult) error { *results = append(*results, r); return nil },
	}
}

func byRow(rs []peoplefluent.VerifyResult) map[int]peoplefluent.VerifyResult {
	m := map[int]peoplefluent.VerifyResult{}
	for _, r := range rs {
		m[r.Row] = r
	}
	return m
}

// TestVerifyAgainstSandbox pushes a payload, has the sandbox lose a record and change another,
// and reads back: per-user reads and one read for all users since the push must agree.
func TestVerifyAgainstSandbox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perUser int
		since   time.Duration // before now; 0: no lastUpdatedStart
		reqs    int
	}{
		{name: "user by user", perUser: 0, reqs: 4},
		{name: "all users since the push", perUser: -1, since: 2 * time.Minute, reqs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := pushed(t, nil)
			var rs []peoplefluent.VerifyResult
			v := e.verifier(&rs)
			v.PerUser = tc.perUser
			if tc.since != 0 {
				v.Since = time.Now().Add(-tc.since)
			}
			sum, err := v.Verify(context.Background(), "payload.csv", strings.NewReader(verifyPayload))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Confirmed != 5 || sum.Skipped != 2 || sum.Rows != 7 || sum.Problems() != 0 || sum.Requests != tc.reqs {
				t.Fatalf("before any loss: %+v\n%+v", sum, rs)
			}

			if !e.srv.Forget("adoe", "HS-101") || !e.srv.Alter("jsmith", "HS-101", "STARTDATE", "05-09-2026 10:00") {
				t.Fatal("the sandbox holds no such record")
			}
			rs = nil
			sum, err = v.Verify(context.Background(), "payload.csv", strings.NewReader(verifyPayload))
			if err != nil {
				t.Fatal(err)
			}
			got := byRow(rs)
			want := map[int]string{2: peoplefluent.VerifyDifferent, 3: peoplefluent.VerifyMissing, 4: peoplefluent.VerifyConfirmed,
				5: peoplefluent.VerifyConfirmed, 6: peoplefluent.VerifySkipped, 7: peoplefluent.VerifySkipped, 8: peoplefluent.VerifyConfirmed}
			for row, st := range want {
				if got[row].Status != st {
					t.Errorf("row %d: %s (%s), want %s", row, got[row].Status, got[row].Message, st)
				}
			}
			if d := got[2].Diffs; len(d) != 1 || d[0].Field != "STARTDATE" || d[0].Sent != "05-09-2026 09:00" || !strings.HasPrefix(d[0].LMS, "2026-09-05T10:00") {
				t.Errorf("row 2's differences: %+v", d)
			}
			if !strings.Contains(got[3].Message, "no training record for adoe on HS-101") {
				t.Errorf("row 3: %q", got[3].Message)
			}
			if sum.Rows != sum.Confirmed+sum.Missing+sum.Different+sum.Skipped || sum.Missing != 1 || sum.Different != 1 {
				t.Errorf("counts: %+v", sum)
			}
		})
	}
}

// TestVerifySkipsRowsThePushFailed: rows a results.csv says failed are not looked for.
func TestVerifySkipsRowsThePushFailed(t *testing.T) {
	e, _ := pushed(t, nil)
	e.srv.Forget("jsmith", "HS-101")
	var rs []peoplefluent.VerifyResult
	v := e.verifier(&rs)
	v.Skip = func(row int) string {
		if row == 2 {
			return "the push failed it"
		}
		return ""
	}
	sum, err := v.Verify(context.Background(), "payload.csv", strings.NewReader(verifyPayload))
	if err != nil {
		t.Fatal(err)
	}
	if r := byRow(rs)[2]; r.Status != peoplefluent.VerifySkipped || r.Message != "the push failed it" || sum.Missing != 0 {
		t.Errorf("row 2: %+v; %+v", r, sum)
	}
}

// TestVerifyStops: a refused key, a read that is not there and an answer that is not the
// read's stop the verification with an error that never holds the key.
func TestVerifyStops(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    any
		text    string
	}{
		{"refused key", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Unauthorized "+key, http.StatusUnauthorized)
		}, new(*peoplefluent.AuthError), "refused the system key"},
		{"no such read", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, new(*peoplefluent.ReadError), "HTTP 404"},
		{"login page", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body>Please log in</body></html>")
		}, new(*peoplefluent.AnswerError), "<html>, not <trainingHistory>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			v := &peoplefluent.Verifier{Reader: peoplefluent.Reader{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), Retries: -1}}
			_, err := v.Verify(context.Background(), "payload.csv", strings.NewReader(verifyPayload))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %T %q, want %T containing %q", err, err, tc.want, tc.text)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("the error holds the key: %q", err)
			}
		})
	}
}

// TestSandboxReadsAreStrict: the sandbox refuses reads the reference does not allow.
func TestSandboxReadsAreStrict(t *testing.T) {
	e, _ := pushed(t, nil)
	for _, tc := range []struct {
		name  string
		read  string
		query url.Values
		user  string
		key   string
		code  int
	}{
		{"ok", peoplefluent.ReadTrainingHistory, url.Values{"userId": {"jsmith"}, "lastUpdatedStart": {"2026-01-01T00:00Z"}}, "bulk", key, 200},
		{"date with seconds", peoplefluent.ReadTrainingHistory, url.Values{"lastUpdatedStart": {"2026-01-01T00:00:00Z"}}, "bulk", key, 400},
		{"date day first", peoplefluent.ReadTrainingHistory, url.Values{"lastUpdatedStart": {"01-01-2026"}}, "bulk", key, 400},
		{"unknown parameter", peoplefluent.ReadTrainingHistory, url.Values{"user": {"jsmith"}}, "bulk", key, 400},
		{"wrong key", peoplefluent.ReadTrainingHistory, nil, "bulk", "nope", 401},
		{"no user name", peoplefluent.ReadTrainingHistory, nil, "", key, 401},
		{"users without status", peoplefluent.ReadUsers, nil, "bulk", key, 400},
		{"users", peoplefluent.ReadUsers, url.Values{"status": {"Active"}}, "bulk", key, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := peoplefluent.ReadURL(e.base, tc.read, tc.query)
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.SetBasicAuth(tc.user, tc.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("HTTP %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
		})
	}
	resp, err := http.Post(e.base+"api/"+peoplefluent.ReadUsers, "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a read: HTTP %d", resp.StatusCode)
	}
}

// TestActiveUsers reads the sandbox's users through the namespaced answer.
func TestActiveUsers(t *testing.T) {
	e := newEnv(t, nil)
	r := &peoplefluent.Reader{Base: e.base, Key: peoplefluent.NewSecret(key), Retries: -1}
	users, err := r.ActiveUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"jsmith", "adoe", "trainer1"} {
		if _, ok := users[id]; !ok {
			t.Errorf("%s missing from %v", id, users)
		}
	}
	if _, ok := users["ajones"]; ok || len(users) != len(sandbox.DefaultSeed().Users) {
		t.Errorf("users: %v", users)
	}
}

func TestDecodeTrainingHistory(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		n         int
		users     string
		err       string
	}{
		{"nested, namespaced, entities", `<?xml version="1.0"?><th:trainingHistory xmlns:th="urn:x"><th:dateCreated>2026-01-01T00:00:00Z</th:dateCreated>
<th:trainingRecord id="a"><th:userId>a&amp;b</th:userId><th:learningModule><th:id>P1</th:id><th:title>Prog</th:title></th:learningModule><th:overallStatus>enrolled</th:overallStatus>
<th:trainingRecord id="b"><th:userId>c</th:userId><th:learningModule><th:id>M1</th:id></th:learningModule><th:overallStatus>completed</th:overallStatus></th:trainingRecord>
</th:trainingRecord></th:trainingHistory>`, 2, "c,a&b", ""},
		{"empty history", `<trainingHistory><dateCreated>2026-01-01T00:00:00Z</dateCreated></trainingHistory>`, 0, "", ""},
		{"empty body", ``, 0, "", "empty"},
		{"cut short", `<trainingHistory><trainingRecord><userId>a</userId></trainingRecord>`, 1, "a", "stops before its end"},
		{"mismatched", `<trainingHistory><trainingRecord></userId></trainingRecord></trainingHistory>`, 0, "", "closes"},
		{"other root", `<users><user><id>a</id></user></users>`, 0, "", "not <trainingHistory>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var users []string
			n, err := peoplefluent.DecodeTrainingHistory(strings.NewReader(tc.xml), func(r *peoplefluent.LMSRecord) error {
				users = append(users, r.UserID)
				return nil
			})
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if n != tc.n || strings.Join(users, ",") != tc.users {
				t.Errorf("%d records %v, want %d %s", n, users, tc.n, tc.users)
			}
		})
	}
}

// TestSandboxLastUpdated: the sandbox's trainingHistoryXml filters by when it loaded each record.
func TestSandboxLastUpdated(t *testing.T) {
	e, _ := pushed(t, nil)
	r := &peoplefluent.Reader{Base: e.base, Key: peoplefluent.NewSecret(key), Retries: -1}
	for _, tc := range []struct {
		from time.Duration
		want int
	}{{-time.Hour, 5}, {time.Hour, 0}} {
		q := url.Values{"lastUpdatedStart": {time.Now().Add(tc.from).UTC().Format(peoplefluent.LastUpdatedLayout)}}
		var n int
		err := r.Get(context.Background(), peoplefluent.ReadTrainingHistory, q, func(body io.Reader) (err error) {
			n, err = peoplefluent.DecodeTrainingHistory(body, func(*peoplefluent.LMSRecord) error { return nil })
			return err
		})
		if err != nil || n != tc.want {
			t.Errorf("lastUpdatedStart now%+v: %d records, %v; want %d", tc.from, n, err, tc.want)
		}
	}
}

// TestVerifyNotAPayload: the spreadsheet a data officer loaded (headers as they wrote them,
// "User ID") is not what verify reads; the refusal says which file to give instead, before
// any read.
func TestVerifyNotAPayload(t *testing.T) {
	var rs []peoplefluent.VerifyResult
	v := &peoplefluent.Verifier{
		Reader:   peoplefluent.Reader{Base: "http://127.0.0.1:1/ekp/", Key: peoplefluent.NewSecret(key), Retries: -1},
		OnResult: func(r peoplefluent.VerifyResult) error { rs = append(rs, r); return nil },
	}
	_, err := v.Verify(context.Background(), "completions.csv", strings.NewReader("User ID,Learning ID,Completion Date\r\njsmith,HS-101,05/09/2026\r\n"))
	if err == nil || !strings.Contains(err.Error(), "payload-training-history.csv") || !strings.Contains(err.Error(), "results.csv") {
		t.Errorf("a data officer's own sheet: %v; want the files to give instead named", err)
	}
}
