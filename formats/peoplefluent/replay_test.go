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

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 9, 5, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"0", 0, true}, {" 7 ", 7 * time.Second, true}, {"-3", 0, false}, {"soon", 0, false},
		{"Sat, 05 Sep 2026 09:02:00 GMT", 2 * time.Minute, true},
		{"Sat, 05 Sep 2026 08:00:00 GMT", 0, true},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := &Pusher{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt, base := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		base *= time.Millisecond
		for range 50 {
			d := p.backoff(attempt)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt, d, base/2, base)
			}
		}
	}
	if d := (&Pusher{}).backoff(100); d > DefaultMaxBackoff {
		t.Errorf("default backoff after 100 attempts is %v", d)
	}
}
