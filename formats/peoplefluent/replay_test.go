package peoplefluent

import (
	"testing"
	"time"
)

func TestReplaySafe(t *testing.T) {
	th := []string{"USERID", "LEARNINGID", "ACTION", "CREATESESSION"}
	ex := []string{"Action", "RecordID", "UserId", "Title"}
	tests := []struct {
		name   string
		ep     Endpoint
		header []string
		rows   [][]string
		want   bool
	}{
		{"training updates", TrainingHistoryCSV, th, [][]string{{"a", "L", "U", ""}, {"b", "L", "u", "false"}}, true},
		{"training add-or-update", TrainingHistoryCSV, th, [][]string{{"a", "L", "", ""}}, true},
		{"training without ACTION column", TrainingHistoryCSV, []string{"USERID", "LEARNINGID"}, [][]string{{"a", "L"}}, true},
		{"training add", TrainingHistoryCSV, th, [][]string{{"a", "L", "U", ""}, {"b", "L", "A", ""}}, false},
		{"training creates a session", TrainingHistoryCSV, th, [][]string{{"a", "L", "U", "TRUE"}}, false},
		{"training short row", TrainingHistoryCSV, th, [][]string{{"a"}}, true},
		{"training without a user creates a session", TrainingHistoryCSV, th, [][]string{{"a", "L", "U", ""}, {" ", "L", "U", ""}}, false},
		{"external update and delete", ExternalTrainingCSV, ex, [][]string{{"U", "R1", "", ""}, {"D", "R2", "", ""}}, true},
		{"external AU with id", ExternalTrainingCSV, ex, [][]string{{"AU", "R1", "u", "t"}}, true},
		{"external AU without id", ExternalTrainingCSV, ex, [][]string{{"AU", "", "u", "t"}}, false},
		{"external add", ExternalTrainingCSV, ex, [][]string{{"A", "R1", "u", "t"}}, false},
		{"external no action", ExternalTrainingCSV, ex, [][]string{{"", "R1", "u", "t"}}, false},
		{"courses", Courses, nil, nil, false},
	}
	for _, tt := range tests {
		if got := replaySafe(tt.ep, tt.header, tt.rows); got != tt.want {
			t.Errorf("%s: replaySafe = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPolicy: the push's retry policy is httpx's, with equal jitter: waits double from
// MinBackoff up to MaxBackoff, each between half and all of its step; Retries maps onto
// attempts (0 the default, negative none). Retry-After forms are httpx.RetryAfter's
// (internal/httpx) and are pushed end to end in TestPushRetryAfterForms.
func TestPolicy(t *testing.T) {
	p := &Pusher{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	pol := p.policy()
	for retry, step := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		step *= time.Millisecond
		for range 50 {
			if d := pol.Backoff(retry + 1); d < step/2 || d > step {
				t.Fatalf("retry %d: wait %v outside [%v, %v]", retry+1, d, step/2, step)
			}
		}
	}
	if d := (&Pusher{}).policy().Backoff(100); d > DefaultMaxBackoff || d < DefaultMaxBackoff/2 {
		t.Errorf("default backoff after 100 retries is %v", d)
	}
	for _, tt := range []struct{ retries, attempts int }{{0, DefaultRetries + 1}, {-1, 1}, {2, 3}} {
		if got := (&Pusher{Retries: tt.retries}).policy().Attempts(); got != tt.attempts {
			t.Errorf("Retries %d: %d attempts, want %d", tt.retries, got, tt.attempts)
		}
	}
	if pol := (&Pusher{}).policy(); !pol.TooLong(DefaultMaxRetryAfter+time.Second) || pol.TooLong(DefaultMaxRetryAfter) {
		t.Errorf("MaxRetryAfter %v, want %v", pol.MaxRetryAfter, DefaultMaxRetryAfter)
	}
}
