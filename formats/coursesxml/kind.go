// Package coursesxml is the courses kind: learning modules and their sessions, for the PeopleFluent
// LMS courses.xml payload (contentHandler/courses). A sheet holds one row per session with the
// module's columns repeated, or modules and sessions come on separate sheets (a modules sheet,
// and a sessions sheet naming each session's ModuleID); both are the same kind.
//
// The vendor's courses.xsd is not public, so the element layout follows the vocabulary of its
// read-API module schema and lives in one place, layout.go.
package coursesxml

import (
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// ModuleType is the vendor's list of module types (module.xsd), accepted also under the
// one-letter learning-type codes of its CSV loaders (R Classroom, O Online, ...) and their labels.
var ModuleType = pfvalue.NewEnum(
	pfvalue.Value{Code: "audioCassette", Label: "Audio Cassette"},
	pfvalue.Value{Code: "book", Label: "Book"},
	pfvalue.Value{Code: "cd", Label: "CD", Also: []string{"CD-ROM"}},
	pfvalue.Value{Code: "classroom", Label: "Classroom", Also: []string{"R"}},
	pfvalue.Value{Code: "externalCertification", Label: "External Certification"},
	pfvalue.Value{Code: "externalCourse", Label: "External Course"},
	pfvalue.Value{Code: "justInTimeLearning", Label: "Just In Time Learning", Also: []string{"JIT"}},
	pfvalue.Value{Code: "learningProgram", Label: "Learning Program", Also: []string{"C", "Program", "Programme", "Learning Programme"}},
	pfvalue.Value{Code: "onlineModule", Label: "Online Module", Also: []string{"O", "Online", "E-learning", "eLearning"}},
	pfvalue.Value{Code: "video", Label: "Video"},
	pfvalue.Value{Code: "virtualClassroom", Label: "Virtual Classroom", Also: []string{"VC", "Webinar"}},
	pfvalue.Value{Code: "workshopSeminar", Label: "Workshop/Seminar", Also: []string{"W", "Workshop", "Seminar"}},
	pfvalue.Value{Code: "coaching", Label: "Coaching", Also: []string{"4"}},
	pfvalue.Value{Code: "exam", Label: "Exam", Also: []string{"M", "Examination"}},
	pfvalue.Value{Code: "internship", Label: "Internship"},
	pfvalue.Value{Code: "onTheJobTraining", Label: "On The Job Training", Also: []string{"OJT"}},
	pfvalue.Value{Code: "selfTrainingPaper", Label: "Self Training (Paper)", Also: []string{"1"}},
	pfvalue.Value{Code: "selfTrainingVideo", Label: "Self Training (Video)", Also: []string{"2"}},
	pfvalue.Value{Code: "specialInterestGroup", Label: "Special Interest Group", Also: []string{"3", "SIG"}},
	pfvalue.Value{Code: "task", Label: "Task"},
)

// SessionStatus is the vendor's list of session statuses (module.xsd).
var SessionStatus = pfvalue.NewEnum(
	pfvalue.Value{Code: "active", Also: []string{"Open"}},
	pfvalue.Value{Code: "pending"},
	pfvalue.Value{Code: "completed", Also: []string{"Complete"}},
	pfvalue.Value{Code: "closed"},
	pfvalue.Value{Code: "cancelled", Also: []string{"Canceled"}},
	pfvalue.Value{Code: "invitation"},
	pfvalue.Value{Code: "prompt"},
	pfvalue.Value{Code: "required"},
)

// Limits: the course loader documents ModuleID up to 85 characters and ModuleTitle up to 255;
// instructors are LMS user IDs.
const (
	maxModuleID = 85
	maxTitle    = 255
	maxSeats    = 100000
)

// Kind is the courses kind. Field names are the canonical headers of our input template (the
// vendor has no CSV for courses); the element names they become are in layout.go.
var Kind = &pipeline.Kind{
	Name:       "courses",
	Title:      "PeopleFluent courses and sessions (contentHandler/courses, courses.xml)",
	Target:     "peoplefluent",
	SheetHints: []string{"course", "module", "session", "catalog", "catalogue", "schedule", "timetable"},
	MinMatch:   3,
	Fields: []pipeline.Field{
		// The module.
		{Name: "ModuleID", Synonyms: []string{"Module ID", "Module Code", "Course ID", "Course Code"}, Required: true, MaxLen: maxModuleID,
			Help: "The module's ID (at most 85 characters); on every row, also on a sessions sheet.", Example: "HS-101"},
		{Name: "ModuleTitle", Synonyms: []string{"Module Title", "Module Name", "Course Title", "Course Name", "Title"}, MaxLen: maxTitle,
			Help: "The module's title (at most 255 characters); needed to create a module.", Example: "Health and Safety Induction"},
		{Name: "ModuleType", Synonyms: []string{"Module Type", "Type", "Course Type", "Learning Type", "Delivery Type"}, Choices: ModuleType.Choices(),
			Help: "classroom, onlineModule, workshopSeminar, virtualClassroom, exam, learningProgram... (or R, O, W, M, C).", Example: "classroom"},
		{Name: "Subject", Synonyms: []string{"Module Subject", "Course Subject"},
			Help: "Subject the module is filed under.", Example: "Health and Safety"},
		{Name: "Language", Synonyms: []string{"Lang", "Language Code"},
			Help: "ISO 639-1 code, optionally with a region: en, fr_CA.", Example: "en"},
		{Name: "Description", Synonyms: []string{"Module Description", "Course Description", "Summary"},
			Help: "What the module covers.", Example: "Fire, first aid and manual handling for new starters."},
		{Name: "Cost", Synonyms: []string{"Price", "Module Price", "Course Price", "Fee"}, Type: pipeline.Decimal, Places: 2,
			Help: "Price, with up to two decimals.", Example: "250.00"},
		{Name: "Currency", Synonyms: []string{"Currency Code"},
			Help: "ISO 4217 code of the price: GBP, EUR, USD...", Example: "GBP"},
		// The session (leave these blank on a row that only describes the module).
		{Name: "SessionID", Synonyms: []string{"Session ID", "Event ID"}, MaxLen: maxModuleID,
			Help: "The session's ID in the LMS, when updating one.", Example: "S-2026-09"},
		{Name: "SessionCode", Synonyms: []string{"Session Code", "Event Code"},
			Help: "The session's code, unique within its module.", Example: "HS101-2026-09"},
		{Name: "SessionStart", Synonyms: []string{"Session Start", "Session Start Date", "Start", "Start Date", "Start Time", "Starts"}, Type: pipeline.Date,
			Help: "When the session starts (date and time).", Example: "05/09/2026 09:00"},
		{Name: "SessionEnd", Synonyms: []string{"Session End", "Session End Date", "End", "End Date", "End Time", "Ends"}, Type: pipeline.Date,
			Help: "When it ends; a date without a time means the end of that day.", Example: "05/09/2026 17:00"},
		{Name: "Instructors", Synonyms: []string{"Instructor", "Instructor IDs", "Trainer", "Trainers", "Tutor", "Tutors", "Facilitator"},
			Help: "User IDs of the instructors, separated by |.", Example: "instr1|instr2"},
		{Name: "Location", Synonyms: []string{"Venue", "Room", "Address"},
			Help: "Where the session takes place.", Example: "Room 4, Head Office"},
		{Name: "Facility", Synonyms: []string{"Training Center", "Training Centre", "Facility Name"},
			Help: "Name of the training center (facility).", Example: "London Training Centre"},
		{Name: "Region", Synonyms: []string{"Area"},
			Help: "Region of the session.", Example: "South East"},
		{Name: "EnrollmentDeadline", Synonyms: []string{"Enrollment Deadline", "Enrolment Deadline", "Registration Deadline", "Booking Deadline", "Deadline"}, Type: pipeline.Date,
			Help: "Last date and time to enroll.", Example: "29/08/2026 17:00"},
		{Name: "Seats", Synonyms: []string{"Capacity", "Max Seats", "Places", "Max Places", "Max Participants", "Seat Count"}, Type: pipeline.Integer, Min: 0, Max: maxSeats,
			Help: "How many can enroll (a whole number).", Example: "12"},
		{Name: "SessionStatus", Synonyms: []string{"Session Status", "Status"}, Choices: SessionStatus.Codes(),
			Help: "active, pending, completed, closed, cancelled, invitation, prompt or required.", Example: "active"},
	},
}

var (
	fModuleID    = Kind.MustField("ModuleID")
	fTitle       = Kind.MustField("ModuleTitle")
	fType        = Kind.MustField("ModuleType")
	fSubject     = Kind.MustField("Subject")
	fLanguage    = Kind.MustField("Language")
	fDescription = Kind.MustField("Description")
	fCost        = Kind.MustField("Cost")
	fCurrency    = Kind.MustField("Currency")
	fSessionID   = Kind.MustField("SessionID")
	fSessionCode = Kind.MustField("SessionCode")
	fStart       = Kind.MustField("SessionStart")
	fEnd         = Kind.MustField("SessionEnd")
	fInstructors = Kind.MustField("Instructors")
	fLocation    = Kind.MustField("Location")
	fFacility    = Kind.MustField("Facility")
	fRegion      = Kind.MustField("Region")
	fDeadline    = Kind.MustField("EnrollmentDeadline")
	fSeats       = Kind.MustField("Seats")
	fStatus      = Kind.MustField("SessionStatus")
)

// moduleFields describe the module; sessionFields describe one session. A row with any session
// field is a session row.
var (
	moduleFields  = []int{fTitle, fType, fSubject, fLanguage, fDescription, fCost, fCurrency}
	sessionFields = []int{fSessionID, fSessionCode, fStart, fEnd, fInstructors, fLocation, fFacility, fRegion, fDeadline, fSeats, fStatus}
)

// The kind's own rule codes.
const (
	RuleModuleConflict   = "module-conflict"
	RuleModuleIncomplete = "module-incomplete"
)

// Rules are the rule codes the kind raises beside the shared PeopleFluent ones, for `bulk rules`
// (internal/catalog).
var Rules = append([]pipeline.Rule{
	{Code: RuleModuleConflict, Summary: "A module column repeated on a later row differs from the value an earlier row gave the same module.", Example: "ModuleTitle 'Fire Safety' on row 3, 'Fire safety L2' on row 7 for module FS-1"},
	{Code: RuleModuleIncomplete, Summary: "No valid row gives the module's title and type, which the LMS needs; every row of the module is rejected.", Example: "sessions of HS-101 with no modules row for HS-101"},
}, pfvalue.Rules...)

func init() {
	Kind.RowRules = append(Kind.RowRules,
		ModuleType.Rule(fType),
		SessionStatus.Rule(fStatus),
		checkSession,
		checkCodes,
	)
	Kind.NewCross = newCross
}
