// Package externalcsv is the external-training kind: training taken outside the LMS, in the
// PeopleFluent LMS externalTrainingCsv format (contentHandler/externalTrainingCsv), its fields
// and rules from the vendor's field table, and the export of valid rows to that payload.
package externalcsv

import (
	"github.com/bulkload/bulk/formats/internal/payloadcsv"
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// Record is one row of the externalTrainingCsv payload. The csv tags are the vendor's headers,
// spelled and ordered as its field table; the kind's field names come from them.
type Record struct {
	Action      string `csv:"Action"`
	RecordID    string `csv:"RecordID"`
	UserID      string `csv:"UserId"`
	Title       string `csv:"Title"`
	CourseType  string `csv:"CourseType"`
	StartDate   string `csv:"StartDate"`
	EndDate     string `csv:"EndDate"`
	Status      string `csv:"Status"`
	Subject     string `csv:"Subject"`
	Grade       string `csv:"Grade"`
	Score       string `csv:"Score"`
	Duration    string `csv:"Duration"`
	Unit        string `csv:"Unit"`
	Cost        string `csv:"Cost"`
	Currency    string `csv:"Currency"`
	Language    string `csv:"Language"`
	VendorInfo1 string `csv:"VendorInfo1"`
	Comments    string `csv:"Comments"`
}

func col(goField string) string { return payloadcsv.Tag[Record](goField) }

// The enumerations of the vendor's table, with the spellings people write for them.
var (
	Action = pfvalue.NewEnum(
		pfvalue.Value{Code: "A", Label: "Add", Also: []string{"Create", "Insert", "New"}},
		pfvalue.Value{Code: "D", Label: "Delete", Also: []string{"Remove"}},
		pfvalue.Value{Code: "U", Label: "Update", Also: []string{"Modify", "Change"}},
		pfvalue.Value{Code: "AU", Label: "Add or Update", Also: []string{"Upsert", "Add/Update", "Add Update"}},
	)
	// CourseType: the table lists TNS (not specified) among one-character codes and limits the
	// field to 1 character. TNS is the LMS's own code for "no type", which it records when the
	// field is blank; a 3-character TNS would break the 1-character limit. So TNS (or "not
	// specified") is accepted and sent blank, with a warning saying so.
	CourseType = pfvalue.NewEnum(
		pfvalue.Value{Code: "C", Label: "Program", Also: []string{"Programme", "Learning Program"}},
		pfvalue.Value{Code: "R", Label: "Classroom"},
		pfvalue.Value{Code: "O", Label: "Online", Also: []string{"Online Module", "E-learning", "eLearning"}},
		pfvalue.Value{Code: "W", Label: "Workshop/Seminar", Also: []string{"Workshop", "Seminar"}},
		pfvalue.Value{Code: "TNS", Label: "not specified", Also: []string{"None", "Unspecified"}},
	)
	Status = pfvalue.NewEnum(
		pfvalue.Value{Code: "0", Label: "Open for editing", Also: []string{"Open", "OPEN_FOR_EDITING"}},
		pfvalue.Value{Code: "1", Label: "Pending Approval", Also: []string{"Pending", "PENDING_APPROVAL"}},
		pfvalue.Value{Code: "2", Label: "Approved", Also: []string{"APPROVED"}},
		pfvalue.Value{Code: "3", Label: "Approval Denied", Also: []string{"Denied", "Rejected", "APPROVAL_DENIED"}},
		pfvalue.Value{Code: "4", Label: "Completed", Also: []string{"Complete"}},
		pfvalue.Value{Code: "5", Label: "Cancelled", Also: []string{"Canceled"}},
	)
	Unit = pfvalue.NewEnum(
		pfvalue.Value{Code: "I", Label: "Minute(s)", Also: []string{"Minute", "Minutes", "Min", "Mins"}},
		pfvalue.Value{Code: "H", Label: "Hour(s)", Also: []string{"Hour", "Hours", "Hr", "Hrs"}},
		pfvalue.Value{Code: "D", Label: "Day(s)", Also: []string{"Day", "Days"}},
		pfvalue.Value{Code: "W", Label: "Week(s)", Also: []string{"Week", "Weeks", "Wk", "Wks"}},
		pfvalue.Value{Code: "M", Label: "Month(s)", Also: []string{"Month", "Months"}},
		pfvalue.Value{Code: "Y", Label: "Year(s)", Also: []string{"Year", "Years", "Yr", "Yrs"}},
	)
)

// Lengths from the vendor's table.
const (
	maxRecordID   = 15
	maxUserID     = pfvalue.MaxUserID // 85
	maxTitle      = 255
	maxSubject    = 50
	maxCourseType = 1
	moneyPlaces   = 2
)

// Kind is the external-training kind.
var Kind = &pipeline.Kind{
	Name:       "external-training",
	Title:      "PeopleFluent external training records (contentHandler/externalTrainingCsv): add, update, delete",
	Target:     "peoplefluent",
	SheetHints: []string{"external"},
	MinMatch:   3,
	// Header detection: six vendor headers are shared with training-history once case and spaces
	// are ignored (UserId/USERID, StartDate, EndDate, Score, Language, Action), so this kind
	// keeps to synonyms of its own; "Completion Date" and "Status" point to training-history.
	Fields: []pipeline.Field{
		{Name: col("Action"), Synonyms: []string{"Control Action", "Record Action"}, Required: true, Choices: Action.Choices(),
			Help: "A add, U update, D delete, AU add or update.", Example: "A"},
		{Name: col("RecordID"), Synonyms: []string{"Record ID", "External Training ID", "External Record ID"}, MaxLen: maxRecordID, Unique: true,
			Help: "The record's ID in the LMS (at most 15 characters); needed to update or delete.", Example: "EXT-0001"},
		{Name: col("UserID"), Synonyms: []string{"User ID", "Login", "Login ID", "Username", "User Name", "Learner ID", "Employee ID"}, MaxLen: maxUserID,
			Help: "The learner's LMS user ID (at most 85 characters); sent lower-case. Needed to add.", Example: "jsmith"},
		{Name: col("Title"), Synonyms: []string{"Course Title", "Training Title", "Course Name", "Training Name"}, MaxLen: maxTitle,
			Help: "Title of the training (at most 255 characters). Needed to add.", Example: "First Aid at Work"},
		{Name: col("CourseType"), Synonyms: []string{"Course Type", "Training Type"}, Choices: CourseType.Choices(),
			Help: "C Program, R Classroom, O Online, W Workshop/Seminar; blank or TNS for not specified.", Example: "R"},
		{Name: col("StartDate"), Synonyms: []string{"Start Date", "Date Started", "Started On"}, Type: pipeline.Date,
			Help: "Start date (and time).", Example: "05/09/2026"},
		{Name: col("EndDate"), Synonyms: []string{"End Date", "Date Ended"}, Type: pipeline.Date,
			Help: "End date (and time).", Example: "07/09/2026"},
		{Name: col("Status"), Synonyms: []string{"Record Status", "Approval Status"}, Choices: Status.Choices(),
			Help: "0 Open for editing (LMS default), 1 Pending Approval, 2 Approved, 3 Approval Denied, 4 Completed, 5 Cancelled.", Example: "4"},
		{Name: col("Subject"), Synonyms: []string{"Course Subject", "Training Subject"}, MaxLen: maxSubject,
			Help: "Name of a course subject defined in the LMS (at most 50 characters).", Example: "Health and Safety"},
		{Name: col("Grade"), Synonyms: []string{"Result Grade"}, Help: "Any text.", Example: "Pass"},
		{Name: col("Score"), Synonyms: []string{"Result Score"}, Help: "Any text.", Example: "92"},
		{Name: col("Duration"), Synonyms: []string{"Length"}, Type: pipeline.Decimal, Places: moneyPlaces,
			Help: "How long, in Unit, with up to two decimals.", Example: "3.5"},
		{Name: col("Unit"), Synonyms: []string{"Duration Unit", "Units", "Duration Units"}, Choices: Unit.Choices(),
			Help: "I minutes, H hours, D days, W weeks, M months, Y years.", Example: "H"},
		{Name: col("Cost"), Synonyms: []string{"Course Cost", "Price", "Fee", "Amount"}, Type: pipeline.Decimal, Places: moneyPlaces,
			Help: "What it cost, with up to two decimals, no currency sign.", Example: "350.55"},
		{Name: col("Currency"), Synonyms: []string{"Currency Code", "Module Charge Currency"},
			Help: "ISO 4217 code: GBP, EUR, USD...", Example: "GBP"},
		{Name: col("Language"), Synonyms: []string{"Lang", "Language Code"},
			Help: "ISO 639-1 code, optionally with a region: en, fr_CA, es_ES.", Example: "en"},
		{Name: col("VendorInfo1"), Synonyms: []string{"Vendor Info", "Vendor Information", "Vendor", "Training Provider", "Provider"},
			Help: "Who provided the training (any text).", Example: "St John Ambulance"},
		{Name: col("Comments"), Synonyms: []string{"Comment", "Notes", "Note"}, Help: "Any text.", Example: "Certificate 1234"},
	},
}

var (
	fAction     = Kind.MustField(col("Action"))
	fRecordID   = Kind.MustField(col("RecordID"))
	fUserID     = Kind.MustField(col("UserID"))
	fTitle      = Kind.MustField(col("Title"))
	fCourseType = Kind.MustField(col("CourseType"))
	fStartDate  = Kind.MustField(col("StartDate"))
	fEndDate    = Kind.MustField(col("EndDate"))
	fStatus     = Kind.MustField(col("Status"))
	fSubject    = Kind.MustField(col("Subject"))
	fGrade      = Kind.MustField(col("Grade"))
	fScore      = Kind.MustField(col("Score"))
	fDuration   = Kind.MustField(col("Duration"))
	fUnit       = Kind.MustField(col("Unit"))
	fCost       = Kind.MustField(col("Cost"))
	fCurrency   = Kind.MustField(col("Currency"))
	fLanguage   = Kind.MustField(col("Language"))
	fVendor     = Kind.MustField(col("VendorInfo1"))
	fComments   = Kind.MustField(col("Comments"))
)

// RuleNothingToChange and RuleCourseTypeTNS are the kind's own rule codes.
const (
	RuleNothingToChange = "nothing-to-change"
	RuleCourseTypeTNS   = "course-type-tns"
)

// Rules are the rule codes the kind raises beside the shared PeopleFluent ones, for `bulk rules`
// (internal/catalog).
var Rules = append([]pipeline.Rule{
	{Code: RuleNothingToChange, Summary: "An update (Action U) names a RecordID but gives no field to change.", Example: "U,EXT-7 and nothing else"},
	{Code: RuleCourseTypeTNS, Summary: "CourseType TNS (not specified) does not fit the 1-character field; it is sent blank, which the LMS records as not specified (warning).", Example: "CourseType 'TNS'"},
}, pfvalue.Rules...)

func init() {
	Kind.RowRules = append(Kind.RowRules,
		Action.Rule(fAction),
		CourseType.Rule(fCourseType),
		Status.Rule(fStatus),
		Unit.Rule(fUnit),
		checkAction,
		checkCourseType,
		checkDates,
		checkAmounts,
		checkCodes,
	)
}
