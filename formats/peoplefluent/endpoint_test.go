package peoplefluent

import (
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		base    string
		ep      Endpoint
		want    string
		wantErr string
	}{
		{"https://lms.example.com/ekp/", TrainingHistoryCSV, "https://lms.example.com/ekp/contentHandler/trainingHistoryCsv", ""},
		{"https://lms.example.com/ekp", ExternalTrainingCSV, "https://lms.example.com/ekp/contentHandler/externalTrainingCsv", ""},
		{"https://lms.example.com/utest//", Courses, "https://lms.example.com/utest//contentHandler/courses", ""},
		{"https://lms.example.com", Courses, "https://lms.example.com/contentHandler/courses", ""},
		{"  http://127.0.0.1:8090/ekp/ ", Courses, "http://127.0.0.1:8090/ekp/contentHandler/courses", ""},
		{"https://lms.example.com/my%20lms/", Courses, "https://lms.example.com/my%20lms/contentHandler/courses", ""},
		{"", Courses, "", "empty"},
		{"lms.example.com/ekp", Courses, "", "must start with https://"},
		{"ftp://lms.example.com/ekp", Courses, "", "must start with https://"},
		{"https:///ekp", Courses, "", "no host"},
		{"https://admin:hunter2@lms.example.com/ekp/", Courses, "", "must not contain a user name"},
		{"https://lms.example.com/ekp/?x=1", Courses, "", "must not have a query"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			got, err := tt.ep.URL(tt.base)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
			if err != nil && tt.wantErr == "must not contain a user name" && strings.Contains(err.Error(), "hunter2") {
				t.Error("error repeats the password from the URL")
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, in := range []string{"trainingHistoryCsv", "TRAININGHISTORYCSV", "externalTrainingCsv", "courses"} {
		if _, err := ParseEndpoint(in); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	if _, err := ParseEndpoint("users"); err == nil {
		t.Error("users accepted")
	}
}

// TestContentType: the Content-Type sent is the vendor document's "Request Body schema" for
// each endpoint, and CheckContentType (the sandbox's rule) accepts exactly that.
func TestContentType(t *testing.T) {
	if got := TrainingHistoryCSV.ContentType(); got != "text/plain; charset=utf-8" {
		t.Errorf("trainingHistoryCsv sends %q", got)
	}
	if got := ExternalTrainingCSV.ContentType(); got != "text/plain; charset=utf-8" {
		t.Errorf("externalTrainingCsv sends %q", got)
	}
	if got := Courses.ContentType(); got != "application/xml; charset=utf-8" {
		t.Errorf("courses sends %q", got)
	}
	tests := []struct {
		ep     Endpoint
		header string
		want   string // "" or part of the complaint
	}{
		{TrainingHistoryCSV, "text/plain; charset=utf-8", ""},
		{TrainingHistoryCSV, "text/plain", ""},
		{TrainingHistoryCSV, "Text/Plain; Charset=UTF-8", ""},
		{TrainingHistoryCSV, "text/csv; charset=utf-8", "send text/plain"},
		{TrainingHistoryCSV, "text/plain; charset=iso-8859-1", "takes UTF-8"},
		{TrainingHistoryCSV, "", "no Content-Type"},
		{TrainingHistoryCSV, "text/plain; charset", "cannot be read"},
		{ExternalTrainingCSV, "application/octet-stream", "send text/plain"},
		{Courses, "application/xml", ""},
		{Courses, "text/xml", "send application/xml"},
		{Courses, "text/plain", "send application/xml"},
	}
	for _, tt := range tests {
		got := tt.ep.CheckContentType(tt.header)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s %q: %q, want %q", tt.ep, tt.header, got, tt.want)
		}
	}
	for _, ep := range Endpoints {
		if msg := ep.CheckContentType(ep.ContentType()); msg != "" {
			t.Errorf("%s refuses what bulk sends: %s", ep, msg)
		}
	}
}
