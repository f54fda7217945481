package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestZeroCodesAndTimestampSent: ProviderID and LearnerStatusID 0 are sent (the guide's example
// shows 0), unset ones are not; CreatedOn goes with its time, and reads back the same.
func TestZeroCodesAndTimestampSent(t *testing.T) {
	zero := 0
	created := TimestampOf(time.Date(2026, 9, 1, 9, 30, 15, 0, time.UTC))
	b, err := json.Marshal(UserFields{FirstName: "A", ProviderID: &zero, CreatedOn: created})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"ProviderID":0`, `"CreatedOn":"2026-09-01T09:30:15.000Z"`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s does not carry %s", s, want)
		}
	}
	if strings.Contains(s, "LearnerStatusID") {
		t.Errorf("unset LearnerStatusID sent: %s", s)
	}
	var back UserFields
	if err := json.Unmarshal(b, &back); err != nil || !back.CreatedOn.Equal(created.Time) || back.ProviderID == nil || *back.ProviderID != 0 {
		t.Errorf("read back %+v, %v", back, err)
	}
}
