package peoplefluent

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPayload(t *testing.T) {
	tests := []struct {
		name     string
		ep       Endpoint
		in       string
		wantRows int
		wantErr  string
	}{
		{"training", TrainingHistoryCSV, "USERID,LEARNINGID\r\na,b\r\n\"c\nd\",e\r\n", 2, ""},
		{"training header only", TrainingHistoryCSV, "userid,lotitle\r\n", 0, ""},
		{"external", ExternalTrainingCSV, "Action,UserId\nA,u\n", 1, ""},
		{"external to training", TrainingHistoryCSV, "Action,UserId,Title\nA,u,t\n", 0, "use --endpoint externalTrainingCsv"},
		{"training to external", ExternalTrainingCSV, "USERID,LEARNINGID\na,b\n", 0, "use --endpoint trainingHistoryCsv"},
		{"neither", TrainingHistoryCSV, "Name,Email\nx,y\n", 0, "neither LEARNINGID nor LOTITLE"},
		{"broken at line 4", TrainingHistoryCSV, "LEARNINGID\na\nb\n\"c\n", 2, "line 4"},
		{"external without action", ExternalTrainingCSV, "UserId,Title\nu,t\n", 0, "no Action column"},
		{"empty", ExternalTrainingCSV, "", 0, "empty"},
		{"courses", Courses, "<?xml version=\"1.0\"?>\n<courses><module id=\"M\"/></courses>", 1, ""},
		{"courses broken", Courses, "<courses>\n<module>\n</courses>", 1, "line 3"},
		{"courses not xml", Courses, "USERID,LEARNINGID\n", 1, "no XML element"},
		{"courses with a DOCTYPE", Courses, "<?xml version=\"1.0\"?>\n<!DOCTYPE courses [<!ENTITY t SYSTEM \"file:///etc/passwd\">]>\n<courses><module id=\"&t;\"/></courses>", 1, "DOCTYPE"},
		{"courses with a lower-case doctype", Courses, "<!doctype courses>\n<courses/>", 1, "DOCTYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := CheckPayload(tt.ep, "f", strings.NewReader(tt.in))
			checkErr(t, err, tt.wantErr)
			var pe *PayloadError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("error %T, want *PayloadError", err)
			}
			if err == nil && n != tt.wantRows {
				t.Errorf("%d rows, want %d", n, tt.wantRows)
			}
		})
	}
}
