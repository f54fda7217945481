package app

import "testing"

func TestAtRealLimit(t *testing.T) {
	for _, tt := range []struct {
		calls int64
		want  string
	}{
		{87, "at 300 calls a minute this load would take about 17 s"},
		{1, "at 300 calls a minute this load would take about a second"},
		{599, "at 300 calls a minute this load would take about 2 min"},
		{3000, "at 300 calls a minute this load would take about 10 min"},
		{90000, "at 300 calls a minute this load would take about 5.0 h"},
	} {
		if got := atRealLimit(tt.calls); got != tt.want {
			t.Errorf("atRealLimit(%d) = %q, want %q", tt.calls, got, tt.want)
		}
	}
}
