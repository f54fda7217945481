package peoplefluent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

// captured is one request as an LMS received it.
type captured struct {
	method, path string
	header       http.Header
	body         string
}

// captureLMS answers every request "No Error Occurred" and keeps it.
type captureLMS struct {
	mu   sync.Mutex
	reqs []captured
}

func (c *captureLMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs = append(c.reqs, captured{r.Method, r.URL.Path, r.Header.Clone(), string(b)})
	c.mu.Unlock()
	io.WriteString(w, "No Error Occurred\r\n")
}

// TestRequestsMatchTheDocument compares what bulk sends with the vendor's API reference
// (peoplefluent-lms-legacy-api.txt, "contentHandler/..."): POST {base}/contentHandler/{name},
// system authentication (HTTP Basic, the system key as the password, the configured system
// user as the name), the "Request Body schema" as Content-Type (text/plain for the CSV
// endpoints, application/xml for courses), and the body: the CSV header row of the field table
// first, or a courses document.
func TestRequestsMatchTheDocument(t *testing.T) {
	const xmlDoc = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<courses>\n  <module>\n    <id>HS-101</id>\n    <title>Health and Safety</title>\n  </module>\n</courses>\n"
	tests := []struct {
		ep                  peoplefluent.Endpoint
		user, wantUser      string
		payload             string
		wantType, wantStart string
	}{
		{peoplefluent.TrainingHistoryCSV, "", "bulk", payload("USERID,LEARNINGID,ENDDATE", "jsmith,HS-101,05-09-2026 17:00"), "text/plain; charset=utf-8", "USERID,LEARNINGID,ENDDATE\r\n"},
		{peoplefluent.ExternalTrainingCSV, "lms.admin", "lms.admin", payload("Action,UserId,Title", "A,jsmith,First Aid"), "text/plain; charset=utf-8", "Action,UserId,Title\r\n"},
		{peoplefluent.Courses, "lms.admin", "lms.admin", xmlDoc, "application/xml; charset=utf-8", `<?xml version="1.0" encoding="UTF-8"?>`},
	}
	for _, tt := range tests {
		t.Run(string(tt.ep), func(t *testing.T) {
			lms := &captureLMS{}
			ts := httptest.NewServer(lms)
			defer ts.Close()
			p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), User: tt.user}
			sum, err := p.Push(context.Background(), tt.ep, "payload", strings.NewReader(tt.payload))
			if err != nil || sum.OK != sum.Rows {
				t.Fatalf("push: %v %+v", err, sum)
			}
			if len(lms.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(lms.reqs))
			}
			r := lms.reqs[0]
			if r.method != http.MethodPost || r.path != "/ekp/contentHandler/"+string(tt.ep) {
				t.Errorf("%s %s, want POST /ekp/contentHandler/%s", r.method, r.path, tt.ep)
			}
			if got := r.header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			req := &http.Request{Header: r.header}
			user, pass, ok := req.BasicAuth()
			if !ok || user != tt.wantUser || pass != key {
				t.Errorf("Basic auth user %q (ok %v, key sent %v), want user %q and the system key", user, ok, pass == key, tt.wantUser)
			}
			if !strings.HasPrefix(r.body, tt.wantStart) || strings.HasPrefix(r.body, "\uFEFF") {
				t.Errorf("body starts %.60q, want %q and no byte-order mark", r.body, tt.wantStart)
			}
			if r.body != tt.payload {
				t.Errorf("body %q, want the payload as given %q", r.body, tt.payload)
			}
		})
	}
}

// TestSystemUserAgainstSandbox: a sandbox set up with an admin user refuses the default name
// (the push stops with an AuthError before any row is loaded) and takes the configured one.
func TestSystemUserAgainstSandbox(t *testing.T) {
	srv := sandbox.New(peoplefluent.NewSecret(key), sandbox.DefaultSeed())
	srv.AdminUser = "lms.admin"
	ts := httptest.NewServer(srv)
	defer ts.Close()
	body := payload("USERID,LEARNINGID", "jsmith,HS-101")
	p := &peoplefluent.Pusher{Base: ts.URL + "/ekp/", Key: peoplefluent.NewSecret(key), Retries: -1}
	_, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(body))
	var ae *peoplefluent.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("default user: %v, want an AuthError", err)
	}
	if srv.TrainingRecords() != 0 {
		t.Fatal("rows loaded with the wrong user")
	}
	p.User = "LMS.Admin"
	sum, err := p.Push(context.Background(), peoplefluent.TrainingHistoryCSV, "t.csv", strings.NewReader(body))
	if err != nil || sum.OK != 1 || srv.TrainingRecords() != 1 {
		t.Fatalf("configured user: %v %+v, %d records", err, sum, srv.TrainingRecords())
	}
}

func TestCheckUser(t *testing.T) {
	tests := []struct{ name, want string }{
		{"lms.admin", ""},
		{"admin@example.com", ""},
		{"  ", "blank"},
		{"ad:min", "colon"},
		{"ad\nmin", "control character"},
		{strings.Repeat("a", 86), "at most 85"},
		{strings.Repeat("a", 85), ""},
	}
	for _, tt := range tests {
		err := peoplefluent.CheckUser(tt.name)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%q: %v, want %q", tt.name, err, tt.want)
		}
	}
	p := &peoplefluent.Pusher{Base: "http://127.0.0.1:1/ekp/", Key: peoplefluent.NewSecret(key), User: "a:b"}
	if _, err := p.Push(context.Background(), peoplefluent.Courses, "c.xml", strings.NewReader("<courses/>")); err == nil || !strings.Contains(err.Error(), "colon") {
		t.Errorf("a user name with a colon was sent: %v", err)
	}
}
