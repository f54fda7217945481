// Package trainingcsv is the training-history kind: training records in the PeopleFluent LMS
// trainingHistoryCsv format (contentHandler/trainingHistoryCsv), its fields and rules from the
// vendor's field table, and the export of valid rows to the payload the endpoint accepts.
package trainingcsv

import (
	"github.com/bulkload/bulk/formats/internal/payloadcsv"
	"github.com/bulkload/bulk/formats/internal/pfvalue"
	"github.com/bulkload/bulk/pipeline"
)

// Record is one row of the trainingHistoryCsv payload. The csv tags are the vendor's headers,
// spelled and ordered as its field table: the kind's field names come from them, and so does the
// payload header. Values are canonical text (dates formatted, enums in their codes).
type Record struct {
	UserID              string `csv:"USERID"`
	LearningID          string `csv:"LEARNINGID"`
	LOTitle             string `csv:"LOTITLE"`
	EnrollDate          string `csv:"ENROLLDATE"`
	StartDate           string `csv:"STARTDATE"`
	EndDate             string `csv:"ENDDATE"`
	StudentStatus       string `csv:"STUDENTSTATUS"`
	CreateSession       string `csv:"CREATESESSION"`
	TrainingVenue       string `csv:"Training Venue"`
	Instructor          string `csv:"Instructor"`
	SessionStatus       string `csv:"SESSIONSTATUS"`
	SessionCode         string `csv:"SESSIONCODE"`
	SessionTitle        string `csv:"SESSIONTITLE"`
	Score               string `csv:"SCORE"`
	LOType              string `csv:"LOTYPE"`
	Action              string `csv:"ACTION"`
	PreScore            string `csv:"PRESCORE"`
	PostScore           string `csv:"POSTSCORE"`
	Language            string `csv:"LANGUAGE"`
	UseSettingsAsOfDate string `csv:"USE SETTINGS AS OF DATE"`
	SessionTimeZone     string `csv:"SESSIONTIMEZONE"`
	DeadlineDays        string `csv:"DEADLINEDAYS"`
	DeadlineDate        string `csv:"DEADLINEDATE"`
	ParentProgramID     string `csv:"Parent Program ID"`
	TransferSessionCode string `csv:"Transfer Session Code"`
	PerformanceGrade    string `csv:"Performance Grade"`
}

func col(goField string) string { return payloadcsv.Tag[Record](goField) }

// The enumerations of the vendor's table, with the spellings people write for them.
var (
	StudentStatus = pfvalue.NewEnum(
		pfvalue.Value{Code: "Pass", Also: []string{"Passed"}},
		pfvalue.Value{Code: "Completed", Also: []string{"Complete"}},
		pfvalue.Value{Code: "Active", Also: []string{"In Progress", "Enrolled", "Not Started"}},
		pfvalue.Value{Code: "Withdrawn", Also: []string{"Withdraw"}},
		pfvalue.Value{Code: "Deactivated", Also: []string{"Deactivate"}},
		pfvalue.Value{Code: "EXEMPT", Also: []string{"Exempted", "Waiver", "Waived", "Waiver/Exempt"}},
	)
	SessionStatus = pfvalue.NewEnum(
		pfvalue.Value{Code: "Active"},
		pfvalue.Value{Code: "Completed", Also: []string{"Complete"}},
		pfvalue.Value{Code: "Cancelled", Also: []string{"Canceled"}},
	)
	LOType = pfvalue.NewEnum(
		pfvalue.Value{Code: "C", Label: "Program", Also: []string{"Programme", "Learning Program", "Learning Programme"}},
		pfvalue.Value{Code: "M", Label: "Exam", Also: []string{"Examination"}},
		pfvalue.Value{Code: "O", Label: "Online", Also: []string{"Online Module", "E-learning", "eLearning"}},
		pfvalue.Value{Code: "R", Label: "Classroom"},
		pfvalue.Value{Code: "W", Label: "Workshop/Seminar", Also: []string{"Workshop", "Seminar"}},
		pfvalue.Value{Code: "1", Label: "Self Training (Paper)"},
		pfvalue.Value{Code: "2", Label: "Self Training (Video)"},
		pfvalue.Value{Code: "3", Label: "Special Interest Group"},
		pfvalue.Value{Code: "4", Label: "Coaching"},
	)
	Action = func() *pfvalue.Enum {
		e := pfvalue.NewEnum(
			pfvalue.Value{Code: "A", Label: "Add", Also: []string{"Insert", "Create"}},
			pfvalue.Value{Code: "U", Label: "Update"},
		)
		e.Also = "blank (add or update)"
		return e
	}()
	PerformanceGrade = pfvalue.NewEnum(
		pfvalue.Value{Code: "1", Label: "Excellent"},
		pfvalue.Value{Code: "2", Label: "Very Good"},
		pfvalue.Value{Code: "3", Label: "Good"},
		pfvalue.Value{Code: "4", Label: "Average"},
		pfvalue.Value{Code: "5", Label: "Poor"},
	)
)

// The vendor's table gives a length only for LANGUAGE. The identifiers are the LMS's own, with
// the limits its other loaders document: user IDs 85 (externalTrainingCsv UserId), learning
// IDs 85 and titles 255 (the course loader's ModuleID and ModuleTitle).
const (
	maxID       = 85
	maxTitle    = 255
	maxLanguage = 50
	// scorePlaces bounds the decimals of scores, which the table calls only "numeric": enough
	// for any real score, few enough to catch a spreadsheet's 0.30000000000000004.
	scorePlaces = 6
)

// Kind is the training-history kind.
var Kind = &pipeline.Kind{
	Name:   "training-history",
	Title:  "PeopleFluent training history (contentHandler/trainingHistoryCsv): transcripts, enrollments, sessions",
	Target: "peoplefluent",
	// Sheet names that suggest training records. "course" and "session" belong to courses.
	SheetHints: []string{"training history", "transcript", "training record", "completion", "enrol", "enroll"},
	MinMatch:   3,
	Fields: []pipeline.Field{
		{Name: col("UserID"), Synonyms: []string{"User ID", "Login", "Login ID", "Username", "User Name", "Learner ID", "Employee ID"}, MaxLen: maxID,
			Help: "The learner's LMS user ID; sent lower-case. Blank only on a row that just creates a session (CREATESESSION true).", Example: "jsmith"},
		{Name: col("LearningID"), Synonyms: []string{"Learning ID", "Module ID", "Course ID", "Course Code", "LO ID", "Learning Object ID"}, MaxLen: maxID,
			Help: "The learning module's ID. A row needs LEARNINGID or LOTITLE.", Example: "HS-101"},
		{Name: col("LOTitle"), Synonyms: []string{"LO Title", "Learning Module Title", "Module Title", "Course Title", "Course Name", "Module Name"}, MaxLen: maxTitle,
			Help: "The learning module's title, when there is no LEARNINGID.", Example: "Health and Safety Induction"},
		{Name: col("EnrollDate"), Synonyms: []string{"Enroll Date", "Enrollment Date", "Enrolment Date", "Date Enrolled", "Enrolled On"}, Type: pipeline.Date, AllowNone: "NONE",
			Help: "Enrollment date and time (any date format; NONE for no date). Default: the start date, else today.", Example: "01/09/2026 09:00"},
		{Name: col("StartDate"), Synonyms: []string{"Start Date", "Date Started", "Started On"}, Type: pipeline.Date, AllowNone: "NONE",
			Help: "Start date and time of the transcript (NONE for no date).", Example: "05/09/2026 09:00"},
		{Name: col("EndDate"), Synonyms: []string{"End Date", "Completion Date", "Date Completed", "Completed On"}, Type: pipeline.Date, AllowNone: "NONE",
			Help: "End (completion) date and time (NONE for no date).", Example: "05/09/2026 17:00"},
		{Name: col("StudentStatus"), Synonyms: []string{"Student Status", "Transcript Status", "Completion Status", "Learner Status", "Status"}, Choices: StudentStatus.Codes(),
			Help: "Pass, Completed, Active (enrolls), Withdrawn, Deactivated or EXEMPT.", Example: "Completed"},
		{Name: col("CreateSession"), Synonyms: []string{"Create Session"}, Type: pipeline.Bool,
			Help: "true creates a new session, false updates existing ones (classroom, virtual classroom, workshop types).", Example: "false"},
		{Name: col("TrainingVenue"), Synonyms: []string{"Venue", "Venue Code", "Facility Code"},
			Help: "Facility code of a new session.", Example: "LDN-HQ"},
		{Name: col("Instructor"), Synonyms: []string{"Instructors", "Instructor IDs", "Trainer", "Trainers"},
			Help: "User IDs of a new session's instructors, separated by |.", Example: "instr1|instr2"},
		{Name: col("SessionStatus"), Synonyms: []string{"Session Status", "Event Status"}, Choices: SessionStatus.Codes(),
			Help: "Status of a new session: Active, Completed or Cancelled (LMS default Completed).", Example: "Completed"},
		{Name: col("SessionCode"), Synonyms: []string{"Session Code", "Session ID", "Event Code"},
			Help: "Code of the session to update, or of the session to create.", Example: "HS101-2026-09"},
		{Name: col("SessionTitle"), Synonyms: []string{"Session Title", "Session Name"},
			Help: "Title of a new session (LMS 6.0.0.90 or later).", Example: "September intake"},
		// The table calls PRESCORE and POSTSCORE numeric but not SCORE, so SCORE takes any text
		// (a grade such as "Merit" is sent as written); a number is written canonically.
		{Name: col("Score"), Synonyms: []string{"Assessment Score"},
			Help: "Assessment score (classroom courses; the LMS records none for online ones).", Example: "87.5"},
		{Name: col("LOType"), Synonyms: []string{"LO Type", "Learning Type"}, Choices: LOType.Choices(),
			Help: "C Program, M Exam, O Online, R Classroom, W Workshop/Seminar, 1-4 self training, interest group, coaching.", Example: "R"},
		{Name: col("Action"), Synonyms: []string{"Record Action"}, Choices: Action.Choices(),
			Help: "A adds a record if none exists, U updates one, blank adds or updates.", Example: "A"},
		{Name: col("PreScore"), Synonyms: []string{"Pre Score", "Pre-Assessment Score", "Pre Assessment Score"}, Type: pipeline.Decimal, Places: scorePlaces,
			Help: "Pre-assessment score.", Example: "40"},
		{Name: col("PostScore"), Synonyms: []string{"Post Score", "Post-Assessment Score", "Post Assessment Score"}, Type: pipeline.Decimal, Places: scorePlaces,
			Help: "Post-assessment score.", Example: "85"},
		{Name: col("Language"), Synonyms: []string{"Lang"}, MaxLen: maxLanguage,
			Help: "Language name or ISO code (en, fr_CA) of a new transcript or session; at most 50 characters.", Example: "en"},
		{Name: col("UseSettingsAsOfDate"), Synonyms: []string{"Settings As Of Date", "Settings As Of", "As Of Date"}, Type: pipeline.Date,
			Help: "Use certification settings as of this date (CFR licence).", Example: "01/01/2026"},
		{Name: col("SessionTimeZone"), Synonyms: []string{"Session Time Zone", "Time Zone", "Session TZ"},
			Help: "Time zone ID of the session, such as Europe/London.", Example: "Europe/London"},
		{Name: col("DeadlineDays"), Synonyms: []string{"Deadline Days", "Completion Deadline Days", "Days To Complete"}, Type: pipeline.Integer, Min: 0, Max: 36500,
			Help: "Days from enrollment to complete; 0 means no deadline.", Example: "30"},
		{Name: col("DeadlineDate"), Synonyms: []string{"Deadline Date", "Completion Deadline Date", "Completion Deadline", "Due Date"}, Type: pipeline.Date,
			Help: "Date (and time) by which to complete.", Example: "30/09/2026"},
		{Name: col("ParentProgramID"), Synonyms: []string{"Parent Programme ID", "Parent Program", "Parent Programme"}, MaxLen: maxID,
			Help: "Learning ID of the program the learner is already enrolled on (new enrollments only).", Example: "PROG-7"},
		{Name: col("TransferSessionCode"), Synonyms: []string{"Transfer Session", "Transfer To Session"},
			Help: "Code of the session to move the learner to (updates only).", Example: "HS101-2026-10"},
		{Name: col("PerformanceGrade"), Synonyms: []string{"Performance Grade ID", "Performance Rating"}, AllowNone: "*NONE*", Choices: append(PerformanceGrade.Choices(), "*NONE*"),
			Help: "1 Excellent, 2 Very Good, 3 Good, 4 Average, 5 Poor; *NONE* clears it.", Example: "2"},
	},
}

// Field indexes, for the rules and the transform.
var (
	fUserID        = Kind.MustField(col("UserID"))
	fLearningID    = Kind.MustField(col("LearningID"))
	fLOTitle       = Kind.MustField(col("LOTitle"))
	fEnrollDate    = Kind.MustField(col("EnrollDate"))
	fStartDate     = Kind.MustField(col("StartDate"))
	fEndDate       = Kind.MustField(col("EndDate"))
	fStudentStatus = Kind.MustField(col("StudentStatus"))
	fCreateSession = Kind.MustField(col("CreateSession"))
	fVenue         = Kind.MustField(col("TrainingVenue"))
	fInstructor    = Kind.MustField(col("Instructor"))
	fSessionStatus = Kind.MustField(col("SessionStatus"))
	fSessionCode   = Kind.MustField(col("SessionCode"))
	fSessionTitle  = Kind.MustField(col("SessionTitle"))
	fScore         = Kind.MustField(col("Score"))
	fLOType        = Kind.MustField(col("LOType"))
	fAction        = Kind.MustField(col("Action"))
	fPreScore      = Kind.MustField(col("PreScore"))
	fPostScore     = Kind.MustField(col("PostScore"))
	fLanguage      = Kind.MustField(col("Language"))
	fSettingsDate  = Kind.MustField(col("UseSettingsAsOfDate"))
	fTimeZone      = Kind.MustField(col("SessionTimeZone"))
	fDeadlineDays  = Kind.MustField(col("DeadlineDays"))
	fDeadlineDate  = Kind.MustField(col("DeadlineDate"))
	fParentProgram = Kind.MustField(col("ParentProgramID"))
	fTransfer      = Kind.MustField(col("TransferSessionCode"))
	fGrade         = Kind.MustField(col("PerformanceGrade"))
)

// learnerFields make a row a training record of one learner: on a row without a USERID they
// would be lost, because such a row only creates a session.
var learnerFields = []int{fEnrollDate, fStudentStatus, fScore, fPreScore, fPostScore, fSettingsDate,
	fDeadlineDays, fDeadlineDate, fParentProgram, fTransfer, fGrade, fAction}

// Rules are the rule codes the kind raises, for `bulk rules` (internal/catalog): the shared
// PeopleFluent ones.
var Rules = pfvalue.Rules

func init() {
	Kind.RowRules = append(Kind.RowRules,
		StudentStatus.Rule(fStudentStatus),
		SessionStatus.Rule(fSessionStatus),
		LOType.Rule(fLOType),
		Action.Rule(fAction),
		PerformanceGrade.Rule(fGrade),
		checkIdentity,
		checkDates,
		checkInstructors,
		checkTimeZone,
		checkIgnored,
		checkOnlineScore,
	)
}
