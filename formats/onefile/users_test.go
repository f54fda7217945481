package onefile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// wide is a users header with every column the tests use.
var wide = []string{"Role", "FirstName", "LastName", "Email", "MISID", "DefaultAssessorID", "DefaultAssessorMISID",
	"DefaultAssessorEmail", "ClassroomID", "ClassroomName", "PlacementID", "PlacementName", "DefaultEmployerMISID",
	"DefaultEmployerEmail", "ULN", "NINO", "DOB", "StartOn", "PlannedEndDate", "L12", "L13", "L14", "L15", "L16",
	"SupportFunding", "MobileNumber", "Telephone", "OrganisationID", "Website"}

var learnerDefaults = map[string]string{
	"Role": "1", "FirstName": "Amira", "LastName": "Khan", "Email": "amira.khan@student.example", "MISID": "L001",
	"DefaultAssessorEmail": "sam.patel@ng.example", "ClassroomName": "Business Admin L3", "PlacementName": "Harrow Dental",
	"ULN": "1000000043", "DOB": "14/03/2007", "StartOn": "01/09/2026", "PlannedEndDate": "31/08/2028",
}

// row builds a wide row from defaults and "Field=value" overrides.
func row(defaults map[string]string, over ...string) string {
	vals := map[string]string{}
	for k, v := range defaults {
		vals[k] = v
	}
	for _, o := range over {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			panic("override without =: " + o)
		}
		vals[k] = v
	}
	cells := make([]string, len(wide))
	for i, h := range wide {
		cells[i] = vals[h]
	}
	return strings.Join(cells, "|")
}

func learner(over ...string) string { return row(learnerDefaults, over...) }

func staff(role, first, email, misid string, over ...string) string {
	return row(map[string]string{"Role": role, "FirstName": first, "LastName": "Staff", "Email": email, "MISID": misid}, over...)
}

// staffSheet holds one user of each staff role, rows 2-6.
var staffSheet = tbl{sheet: "Staff", header: strings.Join(wide, "|"), rows: []string{
	staff("5", "Sam", "sam.patel@ng.example", "S001"),
	staff("10", "Ruth", "ruth.iqbal@ng.example", "S002"),
	staff("40", "Rhys", "rhys.hughes@harrowdental.example", "E001", "PlacementName=Harrow Dental"),
	staff("45", "Olu", "olu.ade@harrowdental.example", "E002", "PlacementName=Harrow Dental"),
	staff("4", "Tia", "tia.ng@ng.example", "S003"),
}}

func learners(rows ...string) tbl {
	return tbl{sheet: "Learners", header: strings.Join(wide, "|"), rows: rows}
}

func TestUserRules(t *testing.T) {
	long := strings.Repeat("x", 101)
	tests := []struct {
		name      string
		rows      []string // Learners sheet, after the Staff sheet
		want      []string
		fragments []string
	}{
		{name: "a valid learner", rows: []string{learner()}},
		{name: "role names and spellings", rows: []string{
			learner("Role=Learner"), learner("Role=1 Learner", "Email=b@student.example", "MISID=L002", "ULN="),
			learner("Role=apprentice", "Email=c@student.example", "MISID=L003", "ULN="),
			staff("Assessor / Tutor", "A", "a1@ng.example", "X1"), staff("IV/IQA", "B", "a2@ng.example", "X2"),
			staff("Skills Coach", "C", "a3@ng.example", "X3"), staff("10 IV/IQA", "D", "a4@ng.example", "X4"),
			staff("trainee assessor", "E", "a5@ng.example", "X5"), staff("Observer", "F", "a6@ng.example", "X6", "PlacementID=7"),
		}},
		{name: "unknown role", rows: []string{staff("Manager", "Ann", "ann@ng.example", "X1")},
			want:      []string{"Learners:2:Role:role:error"},
			fragments: []string{`Role "Manager" is not a OneFile role: use 1 Learner, 4 Trainee Assessor`}},
		{name: "role number and name disagree", rows: []string{staff("5 Employer", "Ann", "ann@ng.example", "X1")},
			want: []string{"Learners:2:Role:role:error"}},
		{name: "role 7", rows: []string{staff("7", "Ann", "ann@ng.example", "X1")}, want: []string{"Learners:2:Role:role:error"}},
		{name: "empty role", rows: []string{learner("Role=")}, want: []string{"Learners:2:Role:required:error"}},
		{name: "learner without assessor", rows: []string{learner("DefaultAssessorEmail=")},
			want:      []string{"Learners:2:DefaultAssessorID:required:error"},
			fragments: []string{"A learner (Role 1) needs a default assessor: fill DefaultAssessorID, DefaultAssessorMISID or DefaultAssessorEmail."}},
		{name: "learner with assessor by ID only", rows: []string{learner("DefaultAssessorEmail=", "DefaultAssessorID=1234")}},
		{name: "learner without classroom or placement", rows: []string{learner("ClassroomName=", "PlacementName=")},
			want: []string{"Learners:2:ClassroomID:required:error", "Learners:2:PlacementID:required:error"},
			fragments: []string{"A learner (Role 1) needs a classroom: fill ClassroomID or ClassroomName.",
				"A learner (Role 1) needs a placement: fill PlacementID or PlacementName."}},
		{name: "employer and observer need a placement", rows: []string{
			staff("40", "Ann", "ann@firm.example", "X1"), staff("45", "Bob", "bob@firm.example", "X2"), staff("5", "Cy", "cy@ng.example", "X3")},
			want:      []string{"Learners:2:PlacementID:required:error", "Learners:3:PlacementID:required:error"},
			fragments: []string{"An Employer (Role 40) needs a placement: fill PlacementID or PlacementName.", "An Observer (Role 45) needs a placement"}},
		{name: "learner fields on a staff row", rows: []string{
			staff("5", "Ann", "ann@ng.example", "X1", "ULN=1000000043", "StartOn=01/09/2026", "PlacementName=Harrow Dental"),
			staff("40", "Bob", "bob@firm.example", "X2", "PlacementName=Harrow Dental", "DOB=01/01/1980", "MobileNumber=07700 900123"),
			staff("10", "Cy", "cy@ng.example", "X3", "L12=31")},
			want: []string{"Learners:2:PlacementName:not-for-role:warning", "Learners:4:L12:not-for-role:warning"},
			fragments: []string{"PlacementName, ULN and StartOn are learner fields that OneFile does not take for an Assessor/Tutor (Role 5); they will not be sent.",
				"L12 is a learner field that OneFile does not take for an IV/IQA (Role 10); it will not be sent. Clear it"}},
		{name: "planned end before start", rows: []string{learner("PlannedEndDate=31/08/2026")},
			want: []string{"Learners:2:PlannedEndDate:date-order:error"}, fragments: []string{"PlannedEndDate 31/08/2026 is before StartOn 01/09/2026"}},
		{name: "planned end on the start day", rows: []string{learner("PlannedEndDate=01/09/2026")}},
		{name: "DOB in the future", rows: []string{learner("DOB=14/03/2107")},
			want: []string{"Learners:2:DOB:date-order:error"}, fragments: []string{"DOB 14/03/2107 is in the future"}},
		{name: "DOB after start", rows: []string{learner("DOB=14/03/2026", "StartOn=01/09/2025", "PlannedEndDate=")},
			want: []string{"Learners:2:DOB:date-order:error"}},
		{name: "learner aged 11 at start", rows: []string{learner("DOB=02/09/2014")},
			want: []string{"Learners:2:DOB:date-order:warning"}, fragments: []string{"makes a learner 11 years old on their StartOn date"}},
		{name: "learner aged 13 at start", rows: []string{learner("DOB=01/09/2013")}},
		{name: "learner aged 101 today, no start", rows: []string{learner("DOB=01/01/1925", "StartOn=", "PlannedEndDate=")},
			want: []string{"Learners:2:DOB:date-order:warning"}, fragments: []string{"101 years old today"}},
		{name: "staff aged 15", rows: []string{staff("5", "Ann", "ann@ng.example", "X1", "DOB=01/01/2011")},
			want: []string{"Learners:2:DOB:date-order:warning"}, fragments: []string{"makes a member of staff 15 years old today"}},
		{name: "impossible date", rows: []string{learner("StartOn=31/02/2026")},
			want: []string{"Learners:2:StartOn:date:error"}, fragments: []string{`StartOn "31/02/2026" is not a real date: February 2026 has 28 days.`}},
		{name: "US dates", rows: []string{learner("StartOn=09/25/2026")},
			want: []string{"Learners:2:StartOn:date:error"}, fragments: []string{"--date-order mdy"}},
		{name: "dates in every accepted form", rows: []string{learner("DOB=2007-03-14", "StartOn=01-Sep-26", "PlannedEndDate=46630")}},
		{name: "ILR codes", rows: []string{
			learner("L12=31", "L13=F", "L14=1", "L15=4", "L16=12", "SupportFunding=yes"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "L12=99 Not provided", "L13=m", "L14=9", "L15=98", "L16=99"),
			learner("Email=c@student.example", "MISID=L003", "ULN=", "L12=30", "L13=X", "L14=3", "L15=3", "L16=Dyslexia", "SupportFunding=maybe"),
		}, want: []string{"Learners:4:L12:ilr-code:error", "Learners:4:L13:enum:error", "Learners:4:L14:enum:error",
			"Learners:4:L15:ilr-code:warning", "Learners:4:L16:ilr-code:warning", "Learners:4:SupportFunding:boolean:error"},
			fragments: []string{`L12 (ethnicity) "30" is not an ILR ethnicity code: use one of 31-47, 98, 99`,
				`L15 (disability) "3" is not a known ILR LLDD category code (4-17, 93-99)`}},
		{name: "ULN and NINO", rows: []string{
			learner("ULN=1000000063", "NINO=GB123456A"),
			learner("Email=b@student.example", "MISID=L002", "ULN=9999999999", "NINO=ab 12 34 56 c"),
		}, want: []string{"Learners:2:ULN:uln:error", "Learners:2:NINO:nino:error", "Learners:3:ULN:uln:error"}},
		{name: "Excel mangling", rows: []string{
			learner("ULN=1.23457E+09", "MISID=1.23457E+11", "MobileNumber=7700900123", "Telephone=07700 900123"),
		}, want: []string{"Learners:2:ULN:excel-mangled:error", "Learners:2:MISID:excel-mangled:error", "Learners:2:MobileNumber:excel-mangled:warning"},
			fragments: []string{`MobileNumber "7700900123" looks like a UK number that lost its leading 0`}},
		{name: "a MISID with an E is not mangled", rows: []string{learner("MISID=12E3")}},
		{name: "IDs must be positive whole numbers", rows: []string{learner("ClassroomID=abc", "PlacementID=0", "DefaultAssessorID=12.5")},
			want: []string{"Learners:2:ClassroomID:integer:error", "Learners:2:PlacementID:integer:error", "Learners:2:DefaultAssessorID:integer:error"}},
		{name: "lengths", rows: []string{learner("FirstName=" + long)}, want: []string{"Learners:2:FirstName:max-length:error"}},
		{name: "e-mail", rows: []string{learner("Email=amira.khan@student", "DefaultAssessorEmail=sam.patel@ng")},
			want: []string{"Learners:2:Email:email:error", "Learners:2:DefaultAssessorEmail:email:error"}},
		{name: "duplicates", rows: []string{
			learner(), learner("Email=AMIRA.KHAN@student.example", "MISID=L002", "ULN="),
			learner("Email=b@student.example", "MISID=l001", "ULN="), learner("Email=c@student.example", "MISID=L004"),
		}, want: []string{"Learners:3:Email:duplicate:error", "Learners:4:MISID:duplicate:error", "Learners:5:ULN:duplicate:error"},
			fragments: []string{`Email "AMIRA.KHAN@student.example" already appears on row 2`}},
		{name: "a duplicate of a staff e-mail names its sheet", rows: []string{learner("Email=sam.patel@ng.example", "DefaultAssessorEmail=tia.ng@ng.example")},
			want: []string{"Learners:2:Email:duplicate:error"}, fragments: []string{"row 2 of term.xlsx, sheet Staff"}},
		{name: "organisation", rows: []string{learner("OrganisationID=5740"), learner("Email=b@student.example", "MISID=L002", "ULN=", "OrganisationID=5741")},
			want: []string{"Learners:3:OrganisationID:organisation:error"}, fragments: []string{"OrganisationID 5741 differs from 5740 given on row 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, nil, nil, staffSheet, learners(tc.rows...))
			expect(t, c, tc.want, tc.fragments...)
			if c.rows != len(staffSheet.rows)+len(tc.rows) {
				t.Errorf("%d rows reported, want %d", c.rows, len(staffSheet.rows)+len(tc.rows))
			}
		})
	}
}

func TestUserReferences(t *testing.T) {
	tests := []struct {
		name      string
		tables    []tbl
		want      []string
		fragments []string
	}{
		{name: "assessor and employer by e-mail and MISID", tables: []tbl{staffSheet, learners(
			learner("DefaultAssessorEmail=SAM.PATEL@ng.example", "DefaultEmployerEmail=rhys.hughes@harrowdental.example"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=s001", "DefaultEmployerMISID=E001"),
			learner("Email=c@student.example", "MISID=L003", "ULN=", "DefaultAssessorEmail=tia.ng@ng.example"),
		)}},
		{name: "assessor of the wrong role", tables: []tbl{staffSheet, learners(
			learner("DefaultAssessorEmail=rhys.hughes@harrowdental.example"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=E002"),
			learner("Email=c@student.example", "MISID=L003", "ULN=", "DefaultEmployerEmail=sam.patel@ng.example"),
			learner("Email=d@student.example", "MISID=L004", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=S002"),
		)}, want: []string{"Learners:2:DefaultAssessorEmail:reference:error", "Learners:3:DefaultAssessorMISID:reference:error",
			"Learners:4:DefaultEmployerEmail:reference:error", "Learners:5:DefaultAssessorMISID:reference:error"},
			fragments: []string{`DefaultAssessorEmail "rhys.hughes@harrowdental.example" names row 4 of term.xlsx, sheet Staff, an Employer (Role 40); a default assessor must be a Trainee Assessor or an Assessor/Tutor (Role 4 or 5).`,
				`names row 2 of term.xlsx, sheet Staff, an Assessor/Tutor (Role 5); a default employer must be an Employer (Role 40).`}},
		{name: "a learner as assessor", tables: []tbl{learners(
			learner(),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=amira.khan@student.example"),
		)}, want: []string{"Learners:2:DefaultAssessorEmail:reference:warning", "Learners:3:DefaultAssessorEmail:reference:error"},
			fragments: []string{`names row 2, a learner (Role 1); a default assessor must be`}},
		{name: "forward references resolve at the end", tables: []tbl{learners(
			learner("DefaultAssessorEmail=", "DefaultAssessorMISID=S009"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=emp@firm.example"),
			staff("5", "Zed", "zed@ng.example", "S009"),
			staff("40", "Emp", "emp@firm.example", "E009", "PlacementName=Firm"),
		)}, want: []string{"Learners:3:DefaultAssessorEmail:reference:error"}, fragments: []string{"names row 5, an Employer (Role 40)"}},
		{name: "not in the files", tables: []tbl{staffSheet, learners(
			learner("DefaultAssessorEmail=someone.else@ng.example"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=someone.else@ng.example"),
			learner("Email=c@student.example", "MISID=L003", "ULN=", "DefaultAssessorEmail=Someone.Else@ng.example", "DefaultEmployerEmail=boss@firm.example"),
			learner("Email=d@student.example", "MISID=L004", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=S404"),
		)}, want: []string{"Learners:2:DefaultAssessorEmail:reference:warning", "Learners:4:DefaultEmployerEmail:reference:warning",
			"Learners:5:DefaultAssessorMISID:reference:warning"},
			fragments: []string{`DefaultAssessorEmail "someone.else@ng.example" is not in the files given: it must already exist on OneFile, or loading this row and 2 others naming it will fail.`,
				`DefaultAssessorMISID "S404" is not in the files given: it must already exist on OneFile, or loading this row will fail.`}},
		{name: "own assessor", tables: []tbl{learners(
			learner("DefaultAssessorEmail=Amira.Khan@student.example"),
		)}, want: []string{"Learners:2:DefaultAssessorEmail:reference:error"}, fragments: []string{"a user cannot be their own default assessor"}},
		{name: "a rejected assessor rejects its learners", tables: []tbl{learners(
			staff("5", strings.Repeat("x", 101), "long@ng.example", "S1"),
			staff("Boss", "Ann", "boss@ng.example", "S2"),
			learner("DefaultAssessorEmail=long@ng.example"),
			learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=boss@ng.example"),
			learner("Email=c@student.example", "MISID=L003", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=S3"),
			staff("5", "Late", "late@ng.example", "S3", "NINO=GB123456A"),
		)}, want: []string{"Learners:2:FirstName:max-length:error", "Learners:3:Role:role:error",
			"Learners:4:DefaultAssessorEmail:reference:error", "Learners:5:DefaultAssessorEmail:reference:error",
			"Learners:6:DefaultAssessorMISID:reference:error", "Learners:7:NINO:nino:error", "Learners:7:NINO:not-for-role:warning"},
			fragments: []string{`names row 2, which is rejected; fix that row, or this one cannot be loaded.`, `names row 3, whose Role is not valid`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, nil, nil, tc.tables...)
			expect(t, c, tc.want, tc.fragments...)
		})
	}
}

// A row a later rule rejects (Finish) is counted rejected: counts add up.
func TestForwardReferenceRejects(t *testing.T) {
	c := run(t, nil, nil, learners(
		learner("DefaultAssessorEmail=emp@firm.example"),
		staff("40", "Emp", "emp@firm.example", "E009", "PlacementName=Firm"),
	))
	if !c.rejected["Learners:2"] || c.rejected["Learners:3"] {
		t.Errorf("rejected = %v, want Learners:2 only", c.rejected)
	}
}

// A reference to a user on an earlier row, learner or staff, is judged when its row is checked,
// so a wrong one keeps the row from the sink (a loader) instead of surfacing after it was sent.
func TestBackReferenceRejectsBeforeSink(t *testing.T) {
	var accepted []int
	sink := sinkFunc(func(r *pipeline.Row) error { accepted = append(accepted, r.Rec.Row); return nil })
	c := run(t, nil, sink, learners(
		learner(),
		learner("Email=b@student.example", "MISID=L002", "ULN=", "DefaultAssessorEmail=AMIRA.KHAN@student.example"),
		staff("40", "Emp", "emp@firm.example", "E009", "PlacementName=Firm"),
		learner("Email=c@student.example", "MISID=L003", "ULN=", "DefaultAssessorEmail=", "DefaultAssessorMISID=e009"),
	))
	expect(t, c, []string{"Learners:2:DefaultAssessorEmail:reference:warning", "Learners:3:DefaultAssessorEmail:reference:error",
		"Learners:5:DefaultAssessorMISID:reference:error"}, "names row 2, a learner (Role 1)", "names row 4, an Employer (Role 40)")
	if fmt.Sprint(accepted) != "[2 4]" {
		t.Errorf("the sink accepted rows %v, want [2 4]", accepted)
	}
}

func TestUserOf(t *testing.T) {
	var got []User
	sink := sinkFunc(func(r *pipeline.Row) error {
		u, err := UserOf(r)
		if err != nil {
			t.Errorf("UserOf row %d: %v", r.Rec.Row, err)
		}
		got = append(got, u)
		return nil
	})
	c := run(t, Users, sink, learners(
		learner("NINO=ab 12 34 56 c", "L12=31 English/Welsh/Scottish/Northern Irish/British", "L13=f", "L15=3", "SupportFunding=Y",
			"DefaultEmployerMISID=E1", "ClassroomName=", "ClassroomID=77", "OrganisationID=5740", "DOB=2007-03-14T00:00:00+01:00", "MobileNumber=07700 900123"),
		staff("5 Assessor/Tutor", "Sam", "sam@ng.example", "S1", "ULN=1234567899", "PlacementName=Somewhere", "DOB=01/02/1980"),
		staff("40", "Emp", "emp@firm.example", "E1", "PlacementID=12"),
	))
	if len(got) != 3 {
		for _, p := range c.problems {
			t.Logf("%s %s", brief(p), p.Message)
		}
		t.Fatalf("%d users accepted, want 3", len(got))
	}
	l := got[0]
	wantFields := map[string]any{"Role": int64(1), "FirstName": "Amira", "LastName": "Khan", "Email": "amira.khan@student.example",
		"MISID": "L001", "ULN": "1000000043", "NINO": "AB123456C", "DOB": "2007-03-14T00:00:00.000Z",
		"StartOn": "2026-09-01T00:00:00.000Z", "PlannedEndDate": "2028-08-31T00:00:00.000Z", "L12": "31", "L13": "F",
		"L15": "3", "SupportFunding": true, "MobileNumber": "07700 900123"}
	if len(l.Fields) != len(wantFields) {
		t.Errorf("learner fields = %v, want %v", l.Fields, wantFields)
	}
	for k, v := range wantFields {
		if l.Fields[k] != v {
			t.Errorf("learner %s = %#v, want %#v", k, l.Fields[k], v)
		}
	}
	if l.Role != 1 || l.OrganisationID != 5740 || l.Classroom != (NamedRef{ID: 77}) || l.Placement != (NamedRef{Name: "Harrow Dental"}) ||
		l.DefaultAssessor != (UserRef{Email: "sam.patel@ng.example"}) || l.DefaultEmployer != (UserRef{MISID: "E1"}) {
		t.Errorf("learner = %+v", l)
	}
	s := got[1]
	if s.Role != 5 || len(s.Fields) != 6 || s.Fields["DOB"] != "1980-02-01T00:00:00.000Z" || s.Fields["ULN"] != nil || !s.Placement.IsZero() || !s.DefaultAssessor.IsZero() {
		t.Errorf("assessor = %+v; learner fields and placement must be left out", s)
	}
	if e := got[2]; e.Role != 40 || e.Placement != (NamedRef{ID: 12}) {
		t.Errorf("employer = %+v", e)
	}
}

// TestZeroCodesAndCreatedOnTime: the vendor guide's example sends ProviderID and LearnerStatusID
// as 0, so 0 is a value (kept, not refused); CreatedOn keeps the time a row gives.
func TestZeroCodesAndCreatedOnTime(t *testing.T) {
	var got []User
	sink := sinkFunc(func(r *pipeline.Row) error {
		u, err := UserOf(r)
		if err != nil {
			t.Errorf("UserOf row %d: %v", r.Rec.Row, err)
		}
		got = append(got, u)
		return nil
	})
	header := strings.Join(append(slices.Clone(wide), "ProviderID", "LearnerStatusID", "CreatedOn"), "|")
	c := run(t, Users, sink, tbl{sheet: "Learners", header: header, rows: []string{
		learner() + "|0|0|01/09/2026 09:30",
		learner("Email=b@student.example", "MISID=L002", "ULN=") + "|-1||",
	}})
	if len(got) != 1 {
		t.Fatalf("%d users accepted, want 1 (the one with 0s); problems %v", len(got), c.problems)
	}
	f := got[0].Fields
	if f["ProviderID"] != int64(0) || f["LearnerStatusID"] != int64(0) {
		t.Errorf("ProviderID %#v, LearnerStatusID %#v: 0 must be kept", f["ProviderID"], f["LearnerStatusID"])
	}
	if f["CreatedOn"] != "2026-09-01T09:30:00.000Z" {
		t.Errorf("CreatedOn %#v, want its time kept", f["CreatedOn"])
	}
	found := false
	for _, p := range c.problems {
		found = found || p.Column == "ProviderID" && p.Row == 3
	}
	if !found {
		t.Errorf("ProviderID -1 was not refused: %v", c.problems)
	}
}

// TestUserOfOneFileID: the optional OneFileID column is the user's identity, not a body field:
// it goes to User.ID for every role (no not-for-role warning on staff), two rows may not give
// the same ID, and an ID that is not a positive whole number is refused.
func TestUserOfOneFileID(t *testing.T) {
	var got []User
	sink := sinkFunc(func(r *pipeline.Row) error {
		u, err := UserOf(r)
		if err != nil {
			t.Errorf("UserOf row %d: %v", r.Rec.Row, err)
		}
		got = append(got, u)
		return nil
	})
	header := strings.Join(append(slices.Clone(wide), "OneFile ID"), "|")
	c := run(t, Users, sink, tbl{sheet: "Learners", header: header, rows: []string{
		learner() + "|1010",
		staff("5", "Sam", "sam@ng.example", "S1") + "|1001",
		staff("5", "Tia", "tia@ng.example", "S2") + "|1001",
		staff("5", "Uma", "uma@ng.example", "S3") + "|0",
		staff("5", "Vic", "vic@ng.example", "S4") + "|",
	}})
	var ids []int64
	for _, u := range got {
		if _, sent := u.Fields[schema.UserID.Name]; sent {
			t.Errorf("row of %s: OneFileID is in the body fields %v", u.Email, u.Fields)
		}
		ids = append(ids, u.ID)
	}
	if fmt.Sprint(ids) != "[1010 1001 0]" {
		t.Errorf("IDs of the accepted rows %v, want [1010 1001 0] (the learner's, Sam's, none for the row without)", ids)
	}
	for _, p := range c.problems {
		if p.Rule == RuleNotForRole {
			t.Errorf("a staff row's OneFileID was warned about as a learner field: %s", p.Message)
		}
	}
	if c.rejected["Learners:3"] || !c.rejected["Learners:4"] || !c.rejected["Learners:5"] {
		t.Errorf("row 4 repeats row 3's ID and row 5 gives 0: both rejected, row 3 kept; rejected %v, problems %v", c.rejected, briefs(c.problems))
	}
}
