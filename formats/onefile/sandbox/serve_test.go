package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	s := New(Config{Faults: FaultSpec{Stall: 1}})
	base, shutdown, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/api/v2.1") {
		t.Errorf("base URL %q", base)
	}
	req, _ := http.NewRequest("POST", base+"/Authentication", nil)
	req.Header.Set("X-CustomerToken", s.CustomerToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("authentication %d", resp.StatusCode)
	}
	// A stalled request must not hold up the shutdown.
	stalled := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/User", strings.NewReader(`{"OrganisationID":5740,"Role":5,"FirstName":"a","LastName":"b","Email":"a@b.example"}`))
		req.Header.Set("X-TokenID", string(tok))
		req.Header.Set("Content-Type", "application/json")
		_, err := http.DefaultClient.Do(req)
		stalled <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); s.Snapshot().Stalled == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the create was never stalled: %+v", s.Snapshot().Statuses)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("shutdown took %v", time.Since(start))
	}
	if err := <-stalled; err == nil {
		t.Error("the stalled request got an answer")
	}
	if _, err := http.Post(base+"/Authentication", "", nil); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestWriteSummary(t *testing.T) {
	c := startSandbox(t, Config{RateLimit: 4}).login()
	id := c.createOK(learner("W-1"))
	c.call("POST", "/User/1001/Assign", obj{"LearnerID": id, "Level": 3, "StandardID": 301})
	c.call("GET", "/Customer", nil)
	c.call("GET", "/Customer", nil) // the fifth call: 429
	var b bytes.Buffer
	if err := c.srv.Snapshot().WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Sandbox holds 8 users: 2 learners, 1 trainee assessor, 3 assessors, 1 IQA, 1 employer",
		"Assignments: 1 (learning aim 1, unit summary 0, additional 0)",
		"Calls: 5 (429: 1, 401: 0, injected 500: 0, dropped: 0, stalled: 0)",
		"POST /User/{id}/Assign",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
