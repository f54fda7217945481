package externalcsv

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/internal/kindtest"
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// vendorHeaders is the CSV field table of contentHandler/externalTrainingCsv in
// shared/reference/vendor-docs/peoplefluent-lms-legacy-api.txt, in its order and spelling.
var vendorHeaders = []string{"Action", "RecordID", "UserId", "Title", "CourseType", "StartDate", "EndDate",
	"Status", "Subject", "Grade", "Score", "Duration", "Unit", "Cost", "Currency", "Language", "VendorInfo1", "Comments"}

func TestHeadersAreTheVendorTable(t *testing.T) {
	kindtest.VendorHeaders[Record](t, Kind, vendorHeaders)
}

type recSink struct{ recs []Record }

func (s *recSink) Accept(r *pipeline.Row) error {
	var rec Record
	if Transform(r, &rec) {
		s.recs = append(s.recs, rec)
	}
	return nil
}

func c(h, v string) [2]string { return [2]string{h, v} }

// add is a valid create row plus extra columns (replacing same-named ones).
func add(extra ...[2]string) kindtest.Row {
	return with(kindtest.Row{{"Action", "A"}, {"UserId", "jsmith"}, {"Title", "First Aid"}}, extra...)
}

func with(row kindtest.Row, extra ...[2]string) kindtest.Row {
	row = append(kindtest.Row(nil), row...)
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

func TestRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name  string
		row   kindtest.Row
		rules []string // "!" marks a warning
		field string
		want  string
	}{
		// Action and what each needs.
		{"add", add(), nil, "Action", "A"},
		{"add word", add(c("Action", "add")), nil, "Action", "A"},
		{"add needs user", add(c("UserId", "")), []string{"required"}, "", ""},
		{"add needs title", add(c("Title", "")), []string{"required"}, "", ""},
		{"add with record id", add(c("RecordID", "EXT-1")), nil, "RecordID", "EXT-1"},
		{"update", kindtest.Row{{"Action", "U"}, {"RecordID", "EXT-1"}, {"Status", "2"}}, nil, "Status", "2"},
		{"update word", kindtest.Row{{"Action", "Update"}, {"RecordID", "EXT-1"}, {"Title", "New"}}, nil, "Action", "U"},
		{"update needs record", kindtest.Row{{"Action", "U"}, {"RecordID", ""}, {"Status", "2"}}, []string{"required"}, "", ""},
		{"update needs a change", kindtest.Row{{"Action", "U"}, {"RecordID", "EXT-1"}, {"Status", ""}}, []string{"nothing-to-change"}, "", ""},
		{"delete", kindtest.Row{{"Action", "D"}, {"RecordID", "EXT-1"}}, nil, "RecordID", "EXT-1"},
		{"delete word", kindtest.Row{{"Action", "delete"}, {"RecordID", "EXT-1"}}, nil, "Action", "D"},
		{"delete needs record", kindtest.Row{{"Action", "D"}, {"RecordID", ""}}, []string{"required"}, "", ""},
		{"delete with values", kindtest.Row{{"Action", "D"}, {"RecordID", "EXT-1"}, {"Title", "x"}}, []string{"ignored-value!"}, "Title", "x"},
		{"add or update", add(c("Action", "AU"), c("RecordID", "EXT-1")), nil, "Action", "AU"},
		{"upsert", add(c("Action", "upsert"), c("RecordID", "EXT-1")), nil, "Action", "AU"},
		{"AU without record", add(c("Action", "AU")), []string{"ignored-value!"}, "Action", "AU"},
		{"AU needs title", add(c("Action", "AU"), c("RecordID", "EXT-1"), c("Title", "")), []string{"required"}, "", ""},
		{"action unknown", add(c("Action", "X")), []string{"enum"}, "", ""},
		{"action blank", add(c("Action", "")), []string{"required"}, "", ""},
		{"no action column", kindtest.Row{{"UserId", "a"}, {"Title", "t"}}, []string{"missing-column"}, "", ""},

		// Lengths.
		{"record id 15", add(c("RecordID", long(15))), nil, "RecordID", long(15)},
		{"record id 16", add(c("RecordID", long(16))), []string{"max-length"}, "", ""},
		{"user id 85", add(c("UserId", long(85))), nil, "UserId", long(85)},
		{"user id 86", add(c("UserId", long(86))), []string{"max-length"}, "", ""},
		{"user id lower-cased", add(c("UserId", "JSmith")), nil, "UserId", "jsmith"},
		{"title 255", add(c("Title", long(255))), nil, "Title", long(255)},
		{"title 256", add(c("Title", long(256))), []string{"max-length"}, "", ""},
		{"subject 50", add(c("Subject", long(50))), nil, "Subject", long(50)},
		{"subject 51", add(c("Subject", long(51))), []string{"max-length"}, "", ""},
		{"title unicode 255", add(c("Title", strings.Repeat("é", 255))), nil, "Title", strings.Repeat("é", 255)},

		// CourseType: C R O W, and TNS sent blank.
		{"type C", add(c("CourseType", "c")), nil, "CourseType", "C"},
		{"type program", add(c("CourseType", "Programme")), nil, "CourseType", "C"},
		{"type R", add(c("CourseType", "R")), nil, "CourseType", "R"},
		{"type classroom", add(c("CourseType", "Classroom")), nil, "CourseType", "R"},
		{"type O", add(c("CourseType", "O")), nil, "CourseType", "O"},
		{"type online", add(c("CourseType", "online")), nil, "CourseType", "O"},
		{"type W", add(c("CourseType", "W")), nil, "CourseType", "W"},
		{"type seminar", add(c("CourseType", "Workshop/Seminar")), nil, "CourseType", "W"},
		{"type TNS", add(c("CourseType", "TNS")), []string{"course-type-tns!"}, "CourseType", ""},
		{"type not specified", add(c("CourseType", "Not specified")), []string{"course-type-tns!"}, "CourseType", ""},
		{"type M is not external", add(c("CourseType", "M")), []string{"enum"}, "", ""},
		{"type unknown", add(c("CourseType", "Z")), []string{"enum"}, "", ""},

		// Status 0-5.
		{"status 0", add(c("Status", "0")), nil, "Status", "0"},
		{"status open", add(c("Status", "Open for editing")), nil, "Status", "0"},
		{"status 1", add(c("Status", "1")), nil, "Status", "1"},
		{"status pending", add(c("Status", "Pending Approval")), nil, "Status", "1"},
		{"status 2", add(c("Status", "2")), nil, "Status", "2"},
		{"status approved", add(c("Status", "approved")), nil, "Status", "2"},
		{"status 3", add(c("Status", "3")), nil, "Status", "3"},
		{"status denied", add(c("Status", "Approval Denied")), nil, "Status", "3"},
		{"status 4", add(c("Status", "4")), nil, "Status", "4"},
		{"status completed", add(c("Status", "Completed")), nil, "Status", "4"},
		{"status 5", add(c("Status", "5")), nil, "Status", "5"},
		{"status cancelled", add(c("Status", "canceled")), nil, "Status", "5"},
		{"status 6", add(c("Status", "6")), []string{"enum"}, "", ""},
		{"status words", add(c("Status", "Done")), []string{"enum"}, "", ""},

		// Unit.
		{"unit I", add(c("Duration", "30"), c("Unit", "I")), nil, "Unit", "I"},
		{"unit minutes", add(c("Duration", "30"), c("Unit", "minutes")), nil, "Unit", "I"},
		{"unit H", add(c("Duration", "3"), c("Unit", "H")), nil, "Unit", "H"},
		{"unit hours", add(c("Duration", "3"), c("Unit", "Hours")), nil, "Unit", "H"},
		{"unit D", add(c("Duration", "3"), c("Unit", "d")), nil, "Unit", "D"},
		{"unit days", add(c("Duration", "3"), c("Unit", "Day(s)")), nil, "Unit", "D"},
		{"unit W", add(c("Duration", "3"), c("Unit", "W")), nil, "Unit", "W"},
		{"unit weeks", add(c("Duration", "3"), c("Unit", "weeks")), nil, "Unit", "W"},
		{"unit M", add(c("Duration", "3"), c("Unit", "M")), nil, "Unit", "M"},
		{"unit months", add(c("Duration", "3"), c("Unit", "Months")), nil, "Unit", "M"},
		{"unit Y", add(c("Duration", "1"), c("Unit", "Y")), nil, "Unit", "Y"},
		{"unit years", add(c("Duration", "1"), c("Unit", "year")), nil, "Unit", "Y"},
		{"unit unknown", add(c("Duration", "1"), c("Unit", "Fortnights")), []string{"enum"}, "", ""},

		// Duration and Cost: two decimals, not negative, with their partners.
		{"duration 2 places", add(c("Duration", "12.50"), c("Unit", "H")), nil, "Duration", "12.50"},
		{"duration excel", add(c("Duration", "3.0"), c("Unit", "H")), nil, "Duration", "3"},
		{"duration 3 places", add(c("Duration", "1.125"), c("Unit", "H")), []string{"decimal"}, "", ""},
		{"duration text", add(c("Duration", "two"), c("Unit", "H")), []string{"decimal"}, "", ""},
		{"duration negative", add(c("Duration", "-2"), c("Unit", "H")), []string{"negative"}, "", ""},
		{"duration without unit", add(c("Duration", "2")), []string{"paired-value!"}, "Duration", "2"},
		{"cost", add(c("Cost", "350.55"), c("Currency", "GBP")), nil, "Cost", "350.55"},
		{"cost whole", add(c("Cost", "250"), c("Currency", "GBP")), nil, "Cost", "250"},
		{"cost 3 places", add(c("Cost", "99.999"), c("Currency", "GBP")), []string{"decimal"}, "", ""},
		// As a spreadsheet shows a number: read as the number, with a warning (issue 11).
		{"cost with sign", add(c("Cost", "£250"), c("Currency", "GBP")), []string{"decimal!"}, "Cost", "250"},
		{"cost thousands", add(c("Cost", "1,250.00"), c("Currency", "GBP")), []string{"decimal!"}, "Cost", "1250.00"},
		{"cost negative", add(c("Cost", "-5"), c("Currency", "GBP")), []string{"negative"}, "", ""},
		{"cost without currency", add(c("Cost", "5")), []string{"paired-value!"}, "Cost", "5"},

		// Currency and Language.
		{"currency", add(c("Currency", "gbp")), nil, "Currency", "GBP"},
		{"currency eur", add(c("Currency", "EUR")), nil, "Currency", "EUR"},
		{"currency UKP", add(c("Currency", "UKP")), []string{"currency"}, "", ""},
		{"currency withdrawn", add(c("Currency", "HRK")), []string{"currency"}, "", ""},
		{"currency symbol", add(c("Currency", "£")), []string{"currency"}, "", ""},
		{"language", add(c("Language", "en")), nil, "Language", "en"},
		{"language region", add(c("Language", "fr-ca")), nil, "Language", "fr_CA"},
		{"language es_ES", add(c("Language", "es_ES")), nil, "Language", "es_ES"},
		{"language name", add(c("Language", "English")), []string{"language"}, "", ""},
		{"language unknown", add(c("Language", "qq")), []string{"language"}, "", ""},

		// Dates: any input format, written yyyy-MM-dd [HH:mm:ss].
		{"date dmy", add(c("StartDate", "05/09/2026")), nil, "StartDate", "2026-09-05"},
		{"date dmy time", add(c("StartDate", "05/09/2026 13:00")), nil, "StartDate", "2026-09-05 13:00:00"},
		{"date iso", add(c("StartDate", "2026-09-05")), nil, "StartDate", "2026-09-05"},
		{"date iso time", add(c("StartDate", "2010-08-25 13:00:00")), nil, "StartDate", "2010-08-25 13:00:00"},
		{"date mmm", add(c("EndDate", "5-Sep-2026")), nil, "EndDate", "2026-09-05"},
		{"date two-digit", add(c("EndDate", "05/09/26")), nil, "EndDate", "2026-09-05"},
		{"date serial", add(c("EndDate", "46270")), nil, "EndDate", "2026-09-05"},
		{"date impossible", add(c("StartDate", "30/02/2026")), []string{"date"}, "", ""},
		{"date NONE is not external", add(c("StartDate", "NONE")), []string{"date"}, "", ""},
		{"end before start", add(c("StartDate", "15/10/2026"), c("EndDate", "14/10/2026")), []string{"date-range"}, "", ""},
		{"same day", add(c("StartDate", "15/10/2026"), c("EndDate", "15/10/2026")), nil, "EndDate", "2026-10-15"},

		// Free text.
		{"grade", add(c("Grade", "Distinction")), nil, "Grade", "Distinction"},
		{"score text", add(c("Score", "92%")), nil, "Score", "92%"},
		{"vendor", add(c("Vendor Info", "St John")), nil, "VendorInfo1", "St John"},
		{"comments", add(c("Comments", "line, with \"quotes\"")), nil, "Comments", "line, with \"quotes\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, sink := kindtest.One(t, Kind, tc.row, func() *recSink { return &recSink{} })
			for _, p := range res.Problems {
				if p.Rule == pipeline.RuleUnknownColumn {
					t.Errorf("column %q not recognised", p.Column)
				}
			}
			if got := res.Rules(); !slices.Equal(got, tc.rules) {
				t.Fatalf("rules %q, want %q\n%s", got, tc.rules, res.Lines())
			}
			rejected := len(res.Rejected) > 0
			if rejected != (len(sink.recs) == 0) {
				t.Fatalf("rejected=%v but %d records reached the sink", rejected, len(sink.recs))
			}
			if tc.field == "" {
				if !rejected {
					t.Fatal("row accepted, want rejected")
				}
				return
			}
			if rejected {
				t.Fatalf("row rejected:\n%s", res.Lines())
			}
			rv := reflect.ValueOf(sink.recs[0])
			for i := 0; i < rv.NumField(); i++ {
				if rv.Type().Field(i).Tag.Get("csv") == tc.field {
					if got := rv.Field(i).String(); got != tc.want {
						t.Errorf("%s = %q, want %q", tc.field, got, tc.want)
					}
					return
				}
			}
			t.Fatalf("no payload column %q", tc.field)
		})
	}
}

func TestDuplicateRecordID(t *testing.T) {
	dir := t.TempDir()
	in := kindtest.CSV(t, dir, "dup.csv", "Action,RecordID,UserId,Title", "A,EXT-1,a,T", "U,ext-1,,New title")
	res := kindtest.Run(t, Kind, nil, in)
	if !res.Has(3, "RecordID", pipeline.RuleDuplicate) {
		t.Errorf("second EXT-1 not reported:\n%s", res.Lines())
	}
}

// TestCourseTypeAgreesWithTheSandbox: every CourseType the exporter accepts is sent as a value
// the sandbox's field rule takes (pfvalue.CheckCourseTypeField, TNS sent blank), and every code
// the field takes is one the exporter accepts.
func TestCourseTypeAgreesWithTheSandbox(t *testing.T) {
	for _, v := range append(CourseType.Choices(), CourseType.Codes()...) {
		code, ok := CourseType.Canonical(v)
		if !ok {
			t.Fatalf("%q listed but not accepted", v)
		}
		if msg := pfvalue.CheckCourseTypeField(pfvalue.SendCourseType(code)); msg != "" {
			t.Errorf("%q is sent as %q, which the field refuses: %s", v, pfvalue.SendCourseType(code), msg)
		}
	}
	for _, code := range pfvalue.CourseTypeCodes {
		if got, ok := CourseType.Canonical(code); !ok || got != code {
			t.Errorf("the field takes %q but the exporter reads it as %q (%v)", code, got, ok)
		}
	}
	if pfvalue.CheckCourseTypeField(pfvalue.CourseTypeNotSpecified) == "" {
		t.Error("a literal TNS passes the 1-character field")
	}
}
