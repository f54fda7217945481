package trainingcsv

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/internal/kindtest"
	"github.com/bulkload/bulk/pipeline"
)

// vendorHeaders is the CSV field table of contentHandler/trainingHistoryCsv in
// shared/reference/vendor-docs/peoplefluent-lms-legacy-api.txt, in its order and spelling.
var vendorHeaders = []string{"USERID", "LEARNINGID", "LOTITLE", "ENROLLDATE", "STARTDATE", "ENDDATE",
	"STUDENTSTATUS", "CREATESESSION", "Training Venue", "Instructor", "SESSIONSTATUS", "SESSIONCODE",
	"SESSIONTITLE", "SCORE", "LOTYPE", "ACTION", "PRESCORE", "POSTSCORE", "LANGUAGE",
	"USE SETTINGS AS OF DATE", "SESSIONTIMEZONE", "DEADLINEDAYS", "DEADLINEDATE", "Parent Program ID",
	"Transfer Session Code", "Performance Grade"}

func TestHeadersAreTheVendorTable(t *testing.T) {
	kindtest.VendorHeaders[Record](t, Kind, vendorHeaders)
}

// recSink keeps the transformed records of accepted rows.
type recSink struct{ recs []Record }

func (s *recSink) Accept(r *pipeline.Row) error {
	var rec Record
	if Transform(r, &rec) {
		s.recs = append(s.recs, rec)
	}
	return nil
}

// base is a valid row; cases add or override columns.
func base(extra ...[2]string) kindtest.Row {
	row := kindtest.Row{{"USERID", "jsmith"}, {"LEARNINGID", "HS-101"}}
	for _, e := range extra {
		replaced := false
		for i := range row {
			if row[i][0] == e[0] {
				row[i][1] = e[1]
				replaced = true
			}
		}
		if !replaced {
			row = append(row, e)
		}
	}
	return row
}

func c(h, v string) [2]string { return [2]string{h, v} }

func TestRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name  string
		row   kindtest.Row
		rules []string // rule codes; "!" marks a warning
		field string   // payload column to check when the row is accepted
		want  string
	}{
		{"minimal", base(), nil, "USERID", "jsmith"},
		{"user id lower-cased", base(c("USERID", "JSmith")), nil, "USERID", "jsmith"},
		{"user id limit 85", base(c("USERID", long(85))), nil, "USERID", long(85)},
		{"user id over 85", base(c("USERID", long(86))), []string{"max-length"}, "", ""},
		{"learning id over 85", base(c("LEARNINGID", long(86))), []string{"max-length"}, "", ""},
		{"title 255", kindtest.Row{{"USERID", "a"}, {"LOTITLE", long(255)}}, nil, "LOTITLE", long(255)},
		{"title over 255", kindtest.Row{{"USERID", "a"}, {"LOTITLE", long(256)}}, []string{"max-length"}, "", ""},
		{"title alone names the module", kindtest.Row{{"USERID", "a"}, {"LOTITLE", "Fire Safety"}}, nil, "LOTITLE", "Fire Safety"},
		{"no module", kindtest.Row{{"USERID", "a"}, {"LEARNINGID", ""}, {"LOTITLE", ""}}, []string{"required"}, "", ""},
		{"no module column", kindtest.Row{{"USERID", "a"}, {"STUDENTSTATUS", "Pass"}}, []string{"required"}, "", ""},

		// USERID blank: only a session-creating row without learner fields.
		{"session only", base(c("USERID", ""), c("CREATESESSION", "true")), nil, "CREATESESSION", "true"},
		{"session only yes", base(c("USERID", ""), c("CREATESESSION", "Yes")), nil, "CREATESESSION", "true"},
		{"blank user no session", base(c("USERID", "")), []string{"required"}, "", ""},
		{"blank user false session", base(c("USERID", ""), c("CREATESESSION", "false")), []string{"required"}, "", ""},
		{"blank user with status", base(c("USERID", ""), c("CREATESESSION", "true"), c("STUDENTSTATUS", "Pass")), []string{"required"}, "", ""},
		{"blank user with score", base(c("USERID", ""), c("CREATESESSION", "true"), c("SCORE", "5")), []string{"required"}, "", ""},

		// STUDENTSTATUS, every value and the spellings people write.
		{"status Pass", base(c("STUDENTSTATUS", "Pass")), nil, "STUDENTSTATUS", "Pass"},
		{"status passed", base(c("STUDENTSTATUS", "passed")), nil, "STUDENTSTATUS", "Pass"},
		{"status Completed", base(c("STUDENTSTATUS", "COMPLETED")), nil, "STUDENTSTATUS", "Completed"},
		{"status Active", base(c("STUDENTSTATUS", "Active")), nil, "STUDENTSTATUS", "Active"},
		{"status in progress", base(c("STUDENTSTATUS", "In Progress")), nil, "STUDENTSTATUS", "Active"},
		{"status Withdrawn", base(c("STUDENTSTATUS", "withdrawn")), nil, "STUDENTSTATUS", "Withdrawn"},
		{"status Deactivated", base(c("STUDENTSTATUS", "Deactivated")), nil, "STUDENTSTATUS", "Deactivated"},
		{"status EXEMPT", base(c("STUDENTSTATUS", "Exempt")), nil, "STUDENTSTATUS", "EXEMPT"},
		{"status waiver", base(c("STUDENTSTATUS", "Waiver/Exempt")), nil, "STUDENTSTATUS", "EXEMPT"},
		{"status unknown", base(c("STUDENTSTATUS", "Finished")), []string{"enum"}, "", ""},

		// SESSIONSTATUS.
		{"session Active", base(c("SESSIONSTATUS", "active")), nil, "SESSIONSTATUS", "Active"},
		{"session Completed", base(c("SESSIONSTATUS", "Completed")), nil, "SESSIONSTATUS", "Completed"},
		{"session Cancelled", base(c("SESSIONSTATUS", "Cancelled")), nil, "SESSIONSTATUS", "Cancelled"},
		{"session Canceled", base(c("SESSIONSTATUS", "canceled")), nil, "SESSIONSTATUS", "Cancelled"},
		{"session unknown", base(c("SESSIONSTATUS", "Pending")), []string{"enum"}, "", ""},

		// LOTYPE: codes and the vendor's labels.
		{"lotype C", base(c("LOTYPE", "c")), nil, "LOTYPE", "C"},
		{"lotype Program", base(c("LOTYPE", "Programme")), nil, "LOTYPE", "C"},
		{"lotype M", base(c("LOTYPE", "M")), nil, "LOTYPE", "M"},
		{"lotype Exam", base(c("LOTYPE", "Exam")), nil, "LOTYPE", "M"},
		{"lotype O", base(c("LOTYPE", "O")), nil, "LOTYPE", "O"},
		{"lotype Online", base(c("LOTYPE", "online")), nil, "LOTYPE", "O"},
		{"lotype R", base(c("LOTYPE", "R")), nil, "LOTYPE", "R"},
		{"lotype Classroom", base(c("LOTYPE", "Classroom")), nil, "LOTYPE", "R"},
		{"lotype W", base(c("LOTYPE", "W")), nil, "LOTYPE", "W"},
		{"lotype Workshop/Seminar", base(c("LOTYPE", "Workshop/Seminar")), nil, "LOTYPE", "W"},
		{"lotype 1", base(c("LOTYPE", "1")), nil, "LOTYPE", "1"},
		{"lotype paper", base(c("LOTYPE", "Self Training (Paper)")), nil, "LOTYPE", "1"},
		{"lotype 2", base(c("LOTYPE", "2")), nil, "LOTYPE", "2"},
		{"lotype video", base(c("LOTYPE", "self training video")), nil, "LOTYPE", "2"},
		{"lotype 3", base(c("LOTYPE", "3")), nil, "LOTYPE", "3"},
		{"lotype sig", base(c("LOTYPE", "Special Interest Group")), nil, "LOTYPE", "3"},
		{"lotype 4", base(c("LOTYPE", "4")), nil, "LOTYPE", "4"},
		{"lotype coaching", base(c("LOTYPE", "Coaching")), nil, "LOTYPE", "4"},
		{"lotype unknown", base(c("LOTYPE", "X")), []string{"enum"}, "", ""},
		{"lotype 5", base(c("LOTYPE", "5")), []string{"enum"}, "", ""},

		// ACTION.
		{"action A", base(c("ACTION", "a")), nil, "ACTION", "A"},
		{"action Add", base(c("ACTION", "Add")), nil, "ACTION", "A"},
		{"action U", base(c("ACTION", "U")), nil, "ACTION", "U"},
		{"action Update", base(c("ACTION", "update")), nil, "ACTION", "U"},
		{"action blank", base(c("ACTION", "")), nil, "ACTION", ""},
		{"action D", base(c("ACTION", "D")), []string{"enum"}, "", ""},
		{"action AU", base(c("ACTION", "AU")), []string{"enum"}, "", ""},

		// CREATESESSION.
		{"create true", base(c("CREATESESSION", "TRUE")), nil, "CREATESESSION", "true"},
		{"create false", base(c("CREATESESSION", "false")), nil, "CREATESESSION", "false"},
		{"create no", base(c("CREATESESSION", "no")), nil, "CREATESESSION", "false"},
		{"create maybe", base(c("CREATESESSION", "maybe")), []string{"boolean"}, "", ""},

		// Performance Grade.
		{"grade 1", base(c("Performance Grade", "1")), nil, "Performance Grade", "1"},
		{"grade 2", base(c("Performance Grade", "Very Good")), nil, "Performance Grade", "2"},
		{"grade 3", base(c("Performance Grade", "3")), nil, "Performance Grade", "3"},
		{"grade 4", base(c("Performance Grade", "average")), nil, "Performance Grade", "4"},
		{"grade 5", base(c("Performance Grade", "5")), nil, "Performance Grade", "5"},
		{"grade none", base(c("Performance Grade", "*none*")), nil, "Performance Grade", "*NONE*"},
		{"grade 0", base(c("Performance Grade", "0")), []string{"enum"}, "", ""},
		{"grade 6", base(c("Performance Grade", "6")), []string{"enum"}, "", ""},
		{"grade NONE without stars", base(c("Performance Grade", "NONE")), []string{"enum"}, "", ""},

		// Scores.
		{"score", base(c("SCORE", "87.5")), nil, "SCORE", "87.5"},
		{"score .0", base(c("SCORE", "90.0")), nil, "SCORE", "90"},
		// The table does not call SCORE numeric (it does PRESCORE and POSTSCORE): text is sent as written.
		{"score text", base(c("SCORE", "Merit")), nil, "SCORE", "Merit"},
		{"score percent", base(c("SCORE", "90%")), nil, "SCORE", "90%"},
		{"score +number", base(c("SCORE", "+75")), nil, "SCORE", "75"},
		// "Online course data will not receive a score record": warned, still sent.
		{"score on online row", base(c("SCORE", "80"), c("LOTYPE", "Online")), []string{"ignored-value!"}, "SCORE", "80"},
		{"score on online code", base(c("SCORE", "80"), c("LOTYPE", "O")), []string{"ignored-value!"}, "SCORE", "80"},
		{"score on classroom row", base(c("SCORE", "80"), c("LOTYPE", "R")), nil, "SCORE", "80"},
		{"online row without score", base(c("LOTYPE", "O")), nil, "LOTYPE", "O"},
		{"prescore", base(c("PRESCORE", "+40")), nil, "PRESCORE", "40"},
		{"prescore text", base(c("PRESCORE", "n/a")), []string{"decimal"}, "", ""},
		{"postscore", base(c("POSTSCORE", "85.25")), nil, "POSTSCORE", "85.25"},
		{"postscore float noise", base(c("POSTSCORE", "0.30000000000000004")), []string{"decimal"}, "", ""},

		// LANGUAGE.
		{"language code", base(c("LANGUAGE", "en-gb")), nil, "LANGUAGE", "en_GB"},
		{"language name", base(c("LANGUAGE", "English")), nil, "LANGUAGE", "English"},
		{"language 50", base(c("LANGUAGE", long(50))), nil, "LANGUAGE", long(50)},
		{"language 51", base(c("LANGUAGE", long(51))), []string{"max-length"}, "", ""},

		// Dates: every input format of bulk validate, written as dd-Mmm-yyyy HH:MM.
		{"date dd/mm/yyyy", base(c("STARTDATE", "05/09/2026")), nil, "STARTDATE", "05-09-2026 00:00"},
		{"date dd/mm/yyyy time", base(c("STARTDATE", "05/09/2026 09:00")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date dd-mm-yy", base(c("STARTDATE", "05-09-26 09:00")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date dd-mm-yyyy", base(c("STARTDATE", "05-09-2026 09:00")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date dd-mmm-yy", base(c("STARTDATE", "05-Sep-26 09:00")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date dd-mmm-yyyy", base(c("STARTDATE", "05-SEP-2026 09:00")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date yyyy-mm-dd", base(c("STARTDATE", "2026-09-05")), nil, "STARTDATE", "05-09-2026 00:00"},
		{"date yyyy-mm-dd hh:mm:ss", base(c("STARTDATE", "2026-09-05 13:45:10")), nil, "STARTDATE", "05-09-2026 13:45"},
		{"date iso", base(c("STARTDATE", "2026-09-05T09:00:00Z")), nil, "STARTDATE", "05-09-2026 09:00"},
		{"date dotted", base(c("STARTDATE", "05.09.2026")), nil, "STARTDATE", "05-09-2026 00:00"},
		{"date excel serial", base(c("STARTDATE", "46270")), nil, "STARTDATE", "05-09-2026 00:00"},
		{"two-digit year window", base(c("STARTDATE", "05/09/47")), nil, "STARTDATE", "05-09-1947 00:00"},
		{"date NONE", base(c("ENDDATE", "none")), nil, "ENDDATE", "NONE"},
		{"enroll NONE", base(c("ENROLLDATE", "NONE")), nil, "ENROLLDATE", "NONE"},
		{"enroll", base(c("ENROLLDATE", "01/09/2026 08:30")), nil, "ENROLLDATE", "01-09-2026 08:30"},
		{"date impossible", base(c("STARTDATE", "31/02/2026")), []string{"date"}, "", ""},
		{"date words", base(c("ENDDATE", "next week")), []string{"date"}, "", ""},
		{"date bad time", base(c("ENDDATE", "05/09/2026 25:00")), []string{"date"}, "", ""},
		{"end before start", base(c("STARTDATE", "05/09/2026 09:00"), c("ENDDATE", "05/09/2026 08:00")), []string{"date-range"}, "", ""},
		{"end equals start", base(c("STARTDATE", "05/09/2026 09:00"), c("ENDDATE", "05/09/2026 09:00")), nil, "ENDDATE", "05-09-2026 09:00"},
		{"settings date", base(c("USE SETTINGS AS OF DATE", "01/01/2026")), nil, "USE SETTINGS AS OF DATE", "01-01-2026"},
		{"settings date with time", base(c("USE SETTINGS AS OF DATE", "01/01/2026 10:00")), []string{"ignored-value!"}, "USE SETTINGS AS OF DATE", "01-01-2026"},
		{"settings NONE not allowed", base(c("USE SETTINGS AS OF DATE", "NONE")), []string{"date"}, "", ""},
		{"deadline date", base(c("DEADLINEDATE", "30/09/2026")), nil, "DEADLINEDATE", "2026-09-30"},
		{"deadline date time", base(c("DEADLINEDATE", "30/09/2026 17:00")), nil, "DEADLINEDATE", "2026-09-30 17:00:00"},
		{"deadline date bad", base(c("DEADLINEDATE", "30/13/2026")), []string{"date"}, "", ""},

		// DEADLINEDAYS.
		{"deadline days", base(c("DEADLINEDAYS", "30")), nil, "DEADLINEDAYS", "30"},
		{"deadline days 0", base(c("DEADLINEDAYS", "0")), nil, "DEADLINEDAYS", "0"},
		{"deadline days excel", base(c("DEADLINEDAYS", "14.0")), nil, "DEADLINEDAYS", "14"},
		{"deadline days fraction", base(c("DEADLINEDAYS", "2.5")), []string{"integer"}, "", ""},
		{"deadline days negative", base(c("DEADLINEDAYS", "-1")), []string{"integer"}, "", ""},

		// Instructor.
		{"instructors", base(c("Instructor", "Instr1|INSTR2")), nil, "Instructor", "instr1|instr2"},
		{"instructors semicolons", base(c("Instructor", "instr1; instr2")), nil, "Instructor", "instr1|instr2"},
		{"instructor repeated", base(c("Instructor", "instr1|Instr1")), nil, "Instructor", "instr1"},
		{"instructors spaces", base(c("Instructor", "instr1 instr2")), []string{"user-id-list"}, "", ""},
		{"instructors empty", base(c("Instructor", "|")), []string{"user-id-list"}, "", ""},
		{"instructor too long", base(c("Instructor", "a|"+long(86))), []string{"user-id-list"}, "", ""},

		// SESSIONTIMEZONE.
		{"tz iana", base(c("SESSIONTIMEZONE", "Europe/London")), nil, "SESSIONTIMEZONE", "Europe/London"},
		{"tz utc", base(c("SESSIONTIMEZONE", "utc")), nil, "SESSIONTIMEZONE", "UTC"},
		{"tz offset", base(c("SESSIONTIMEZONE", "GMT+05:30")), nil, "SESSIONTIMEZONE", "GMT+05:30"},
		{"tz words", base(c("SESSIONTIMEZONE", "British Time")), []string{"time-zone"}, "", ""},
		{"tz local", base(c("SESSIONTIMEZONE", "Local")), []string{"time-zone"}, "", ""},

		// Values the LMS ignores with this ACTION.
		{"parent program on update", base(c("ACTION", "U"), c("Parent Program ID", "PROG-7")), []string{"ignored-value!"}, "Parent Program ID", "PROG-7"},
		{"parent program on add", base(c("ACTION", "A"), c("Parent Program ID", "PROG-7")), nil, "Parent Program ID", "PROG-7"},
		{"transfer on add", base(c("ACTION", "A"), c("Transfer Session Code", "S2")), []string{"ignored-value!"}, "Transfer Session Code", "S2"},
		{"transfer on update", base(c("ACTION", "U"), c("Transfer Session Code", "S2")), nil, "Transfer Session Code", "S2"},

		// Text fields pass through.
		{"venue", base(c("Training Venue", "LDN-HQ")), nil, "Training Venue", "LDN-HQ"},
		{"session code", base(c("SESSIONCODE", "HS101-2026-09")), nil, "SESSIONCODE", "HS101-2026-09"},
		{"session title", base(c("SESSIONTITLE", "September, intake")), nil, "SESSIONTITLE", "September, intake"},

		// Synonyms people write.
		{"synonyms", kindtest.Row{{"User Name", "X.Y"}, {"Course Code", "HS-101"}, {"Completion Status", "complete"}, {"Date Completed", "05/09/2026"}}, nil, "ENDDATE", "05-09-2026 00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, sink := kindtest.One(t, Kind, tc.row, func() *recSink { return &recSink{} })
			var got []string
			for _, p := range res.Problems {
				if p.Rule == pipeline.RuleUnknownColumn {
					t.Errorf("column %q not recognised", p.Column)
				}
			}
			got = res.Rules()
			if !slices.Equal(got, tc.rules) {
				t.Fatalf("rules %q, want %q\n%s", got, tc.rules, res.Lines())
			}
			rejected := len(res.Rejected) > 0
			if rejected != (len(sink.recs) == 0) {
				t.Fatalf("rejected=%v but %d records reached the sink", rejected, len(sink.recs))
			}
			if tc.field == "" {
				if !rejected {
					t.Fatalf("row accepted, want rejected")
				}
				return
			}
			if rejected {
				t.Fatalf("row rejected:\n%s", res.Lines())
			}
			if v := fieldByHeader(t, sink.recs[0], tc.field); v != tc.want {
				t.Errorf("%s = %q, want %q", tc.field, v, tc.want)
			}
		})
	}
}

func fieldByHeader(t *testing.T, rec Record, header string) string {
	t.Helper()
	rt := reflect.TypeOf(rec)
	for i := 0; i < rt.NumField(); i++ {
		if rt.Field(i).Tag.Get("csv") == header {
			return reflect.ValueOf(rec).Field(i).String()
		}
	}
	t.Fatalf("no payload column %q", header)
	return ""
}

// TestMonthNames: --month-names writes the dd-Mmm-yyyy form the vendor's table also accepts,
// for an LMS whose date parser wants names; the default writes the all-numeric form.
func TestMonthNames(t *testing.T) {
	row := base(c("STARTDATE", "2026-09-05 09:00"), c("USE SETTINGS AS OF DATE", "01/02/2026"))
	tests := []struct {
		name                string
		t                   func(*pipeline.Row, *Record) bool
		wantStart, wantAsOf string
	}{
		{"default numeric", Transform, "05-09-2026 09:00", "01-02-2026"},
		{"month names", TransformMonthNames, "05-Sep-2026 09:00", "01-Feb-2026"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []Record
			kindtest.One(t, Kind, row, func() pipeline.Sink {
				return sinkFunc(func(r *pipeline.Row) error {
					var rec Record
					if tc.t(r, &rec) {
						recs = append(recs, rec)
					}
					return nil
				})
			})
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			if recs[0].StartDate != tc.wantStart || recs[0].UseSettingsAsOfDate != tc.wantAsOf {
				t.Errorf("STARTDATE %q, as-of %q; want %q, %q", recs[0].StartDate, recs[0].UseSettingsAsOfDate, tc.wantStart, tc.wantAsOf)
			}
		})
	}
}

type sinkFunc func(*pipeline.Row) error

func (f sinkFunc) Accept(r *pipeline.Row) error { return f(r) }
