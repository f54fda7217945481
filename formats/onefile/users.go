// Package onefile knows OneFile's users and assignments: the kinds bulk reads for it
// (onefile-users, onefile-assignments), their fields, their rules within a row and across rows,
// and the conversion of a valid row into what the API takes. The vendor guides in
// shared/reference/vendor-docs are the contract; the 2026 "Creating and managing users" guide
// wins where the copies differ. docs/onefile-rules.md lists every decision taken here.
package onefile

import (
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// Lengths OneFile does not document: the schema's bounds (docs/onefile-rules.md). Columns that
// are not API fields (names of references) take the bound of the field they stand for.
const (
	maxName    = schema.MaxName
	maxEmail   = schema.MaxEmail
	maxMISID   = schema.MaxMISID
	maxPhone   = schema.MaxPhone
	maxAddress = schema.MaxAddress
	maxWebsite = schema.MaxWebsite
	maxLabel   = schema.MaxLabel
)

// maxID bounds OneFile IDs: positive and, as far as public clients show, 32-bit.
const maxID = 1<<31 - 1

// idField is a OneFile ID column; examples are the sandbox seed's IDs, distinct per field so that
// a template's example row refers to nothing twice.
func idField(name string, synonyms []string, help, example string) pipeline.Field {
	return pipeline.Field{Name: name, Synonyms: synonyms, Type: pipeline.Integer, Min: 1, Max: maxID, Help: help, Example: example}
}

// codeField is an ID-like number for which the vendor guide's own example sends 0 (ProviderID,
// LearnerStatusID): 0 is a value, not "none".
func codeField(name string, synonyms []string, help, example string) pipeline.Field {
	f := idField(name, synonyms, help, example)
	f.Min = 0
	return f
}

// Users is the onefile-users kind: learners and staff in one sheet, told apart by Role, which
// decides each row's required fields. Field names are the API's (POST /User) so that a column
// headed by the API name always maps; synonyms are what data officers' exports call them.
var Users = &pipeline.Kind{
	Name:       "onefile-users",
	Title:      "OneFile users: learners and staff, one per row; Role decides the required fields",
	Target:     "onefile",
	SheetHints: []string{"learner", "staff", "user", "assessor", "apprentice"},
	Fields: []pipeline.Field{
		{Name: "Role", Synonyms: []string{"RoleID", "Role ID", "User Role", "User Type"}, Required: true, Choices: RoleChoices,
			Help: roleList(schema.AllRoles, ", ") + " (the number, the name, or both)", Example: "1"},
		{Name: "FirstName", Synonyms: []string{"Forename", "Forenames", "First Name", "Given Name", "Given Names", "Firstname"}, Required: true, MaxLen: maxName,
			Help: "first name", Example: "Amira"},
		{Name: "LastName", Synonyms: []string{"Surname", "Family Name", "Last Name", "Lastname"}, Required: true, MaxLen: maxName,
			Help: "last name", Example: "Khan"},
		{Name: "Email", Synonyms: []string{"E-mail", "Email Address", "E-mail Address", "EmailAddress"}, Required: true, Type: pipeline.Email, Unique: true, MaxLen: maxEmail,
			Help: "e-mail address; every user needs one and no two rows may share it", Example: "amira.khan@example.ac.uk"},
		{Name: "MISID", Synonyms: []string{"MIS ID", "MIS Reference", "MIS Ref", "Learner Ref", "Learner Reference", "LearnRefNumber", "Staff Ref", "Staff Number"}, Unique: true, MaxLen: maxMISID,
			Help: "the user's reference in your MIS; matches existing OneFile users and lets other rows refer to this one", Example: "L000123"},
		{Name: schema.UserID.Name, Synonyms: []string{"OneFile ID", "OneFile User ID", "OneFileUserID"}, Type: pipeline.Integer, Min: 1, Max: maxID, Unique: true,
			Help: "the user's own OneFile ID (bulk pull writes it): the row then updates that user, whose MISID and Email it may change; empty for a new user", Example: "1010"},
		idField("OrganisationID", []string{"Organisation ID", "OrganizationID", "Organization ID", "Org ID"},
			"OneFile organisation; optional: a load goes to the organisation chosen for the run, and every row giving one must give that one", "5740"),
		idField("DefaultAssessorID", []string{"Default Assessor ID", "Assessor ID"}, "learners: OneFile user ID of the default assessor", "1001"),
		{Name: "DefaultAssessorMISID", Synonyms: []string{"Default Assessor MISID", "Default Assessor MIS ID", "Assessor MISID", "Assessor MIS ID"}, MaxLen: maxMISID,
			Help: "learners: MISID of the default assessor, a row of this run or a user on OneFile", Example: "S0001"},
		{Name: "DefaultAssessorEmail", Synonyms: []string{"Default Assessor Email", "Default Assessor E-mail", "Assessor Email", "Assessor E-mail", "Tutor Email", "Tutor E-mail"}, Type: pipeline.Email, MaxLen: maxEmail,
			Help: "learners: e-mail of the default assessor, a row of this run or a user on OneFile", Example: "sam.patel@example.ac.uk"},
		idField("ClassroomID", []string{"Classroom ID"}, "learners: OneFile classroom ID", "101"),
		{Name: "ClassroomName", Synonyms: []string{"Classroom", "Classroom Name", "Class"}, MaxLen: maxLabel,
			Help: "learners: classroom by name, looked up on OneFile", Example: "Business Admin L3 Sept 2026"},
		idField("PlacementID", []string{"Placement ID"}, "learners, employers, observers: OneFile placement ID", "201"),
		{Name: "PlacementName", Synonyms: []string{"Placement", "Placement Name", "Workplace"}, MaxLen: maxLabel,
			Help: "learners, employers, observers: placement by name, looked up on OneFile", Example: "Harrow Dental Practice"},
		idField("DefaultEmployerID", []string{"Default Employer ID", "Employer ID"}, "learners: OneFile user ID of the default employer", "1005"),
		{Name: "DefaultEmployerMISID", Synonyms: []string{"Default Employer MISID", "Default Employer MIS ID", "Employer MISID", "Employer MIS ID"}, MaxLen: maxMISID,
			Help: "learners: MISID of the default employer (Role 40), a row of this run or a user on OneFile", Example: "E0001"},
		{Name: "DefaultEmployerEmail", Synonyms: []string{"Default Employer Email", "Default Employer E-mail", "Employer Email", "Employer E-mail", "Line Manager Email"}, Type: pipeline.Email, MaxLen: maxEmail,
			Help: "learners: e-mail of the default employer (Role 40), a row of this run or a user on OneFile", Example: "r.hughes@harrowdental.example"},
		{Name: "ULN", Synonyms: []string{"Unique Learner Number", "ULN Number"}, Type: pipeline.ULN, Unique: true,
			Help: "learners: Unique Learner Number, 10 digits with a check digit", Example: "1000000043"},
		{Name: "NINO", Synonyms: []string{"NI Number", "NI No", "NINumber", "National Insurance Number", "National Insurance No", "NI"}, Type: pipeline.NINO,
			Help: "learners: National Insurance number; the final letter is optional", Example: "AB 12 34 56 C"},
		{Name: "DOB", Synonyms: []string{"Date of Birth", "Birth Date", "DateOfBirth", "Birthdate", "D.O.B", "D.O.B."}, Type: pipeline.Date,
			Help: "date of birth", Example: "14/03/2007"},
		{Name: "StartOn", Synonyms: []string{"Start Date", "Start On", "Episode Start Date", "Learning Start Date", "LearnStartDate"}, Type: pipeline.Date,
			Help: "learners: episode start date", Example: "01/09/2026"},
		{Name: "PlannedEndDate", Synonyms: []string{"Planned End Date", "Planned End", "Expected End", "Expected End Date", "LearnPlanEndDate"}, Type: pipeline.Date,
			Help: "learners: planned end date; not before StartOn", Example: "31/08/2028"},
		{Name: "EpisodeName", Synonyms: []string{"Episode", "Episode Name"}, MaxLen: maxLabel, Help: "learners: episode name", Example: "Business Administrator L3"},
		{Name: "CentreRegister", Synonyms: []string{"Centre Register", "Center Register", "Centre Registration Date", "Registration Date"}, Type: pipeline.Date,
			Help: "learners: centre registration date", Example: "01/09/2026"},
		{Name: "CreatedOn", Synonyms: []string{"Created On", "Created", "Created Date"}, Type: pipeline.Date, Help: "creation date to record", Example: "2026-09-01"},
		{Name: "CompanyName", Synonyms: []string{"Company", "Company Name"}, MaxLen: maxLabel, Help: "learners: company shown on the profile", Example: "Harrow Dental Practice Ltd"},
		{Name: "MobileNumber", Synonyms: []string{"Mobile", "Mobile Number", "Mobile Phone", "Mobile No", "Mobile Tel"}, MaxLen: maxPhone, Help: "mobile number; format the column as Text", Example: "07700 900123"},
		{Name: "Telephone", Synonyms: []string{"Phone", "Phone Number", "Telephone Number", "Tel", "Tel No", "Home Phone"}, MaxLen: maxPhone, Help: "telephone number; format the column as Text", Example: "020 7946 0123"},
		{Name: "Website", Synonyms: []string{"Web Site", "URL"}, MaxLen: maxWebsite, Help: "web site", Example: "https://example.ac.uk"},
		{Name: "WorkAddress", Synonyms: []string{"Work Address"}, MaxLen: maxAddress, Help: "work address", Example: "1 High Street, Harrow HA1 1AA"},
		{Name: "HomeAddress", Synonyms: []string{"Home Address", "Address"}, MaxLen: maxAddress, Help: "home address", Example: "2 Station Road, Harrow HA2 2BB"},
		codeField("ProviderID", []string{"Provider ID"}, "learners: OneFile provider ID (0 allowed, as the guide's example shows)", "12"),
		{Name: "L12", Synonyms: []string{"Ethnicity", "Ethnic Origin", "Ethnic Group"}, Choices: codeChoices(Ethnicities),
			Help: "learners: ILR ethnicity code, " + codeList(Ethnicities), Example: "31"},
		{Name: "L13", Synonyms: []string{"Sex", "Gender"}, Type: pipeline.Enum, Enum: []string{"M", "F"}, Spellings: map[string]string{"male": "M", "female": "F"}, Help: "learners: sex, M or F (ILR)", Example: "F"},
		{Name: "L14", Synonyms: []string{"LLDD", "LLDD and Health Problem", "LLDD Health Problem", "LLDDHealthProb", "Learning Difficulty or Disability"}, Type: pipeline.Enum, Enum: []string{"1", "2", "9"},
			Help: "learners: has a learning difficulty, disability or health problem: 1 yes, 2 no, 9 no information (ILR)", Example: "2"},
		{Name: "L15", Synonyms: []string{"Disability", "Primary Disability"}, Choices: codeChoices(LLDDCategories),
			Help: "learners: disability, ILR LLDD category code " + codeList(LLDDCategories), Example: "4"},
		{Name: "L16", Synonyms: []string{"Learning Difficulty"}, Choices: codeChoices(LLDDCategories),
			Help: "learners: learning difficulty, ILR LLDD category code " + codeList(LLDDCategories), Example: "12"},
		{Name: "SupportFunding", Synonyms: []string{"Support Funding"}, Type: pipeline.Bool, Help: "learners: receives support funding (true/false, yes/no)", Example: "no"},
		codeField("LearnerStatusID", []string{"Learner Status ID", "Learner Status"}, "learners: OneFile learner status ID (0 allowed, as the guide's example shows)", "1"),
	},
}

// Field indices of Users, for the rules and the conversion.
var (
	uRole            = Users.MustField("Role")
	uFirstName       = Users.MustField("FirstName")
	uLastName        = Users.MustField("LastName")
	uEmail           = Users.MustField("Email")
	uMISID           = Users.MustField("MISID")
	uOneFileID       = Users.MustField(schema.UserID.Name)
	uOrganisationID  = Users.MustField("OrganisationID")
	uAssessorID      = Users.MustField("DefaultAssessorID")
	uAssessorMISID   = Users.MustField("DefaultAssessorMISID")
	uAssessorEmail   = Users.MustField("DefaultAssessorEmail")
	uClassroomID     = Users.MustField("ClassroomID")
	uClassroomName   = Users.MustField("ClassroomName")
	uPlacementID     = Users.MustField("PlacementID")
	uPlacementName   = Users.MustField("PlacementName")
	uEmployerID      = Users.MustField("DefaultEmployerID")
	uEmployerMISID   = Users.MustField("DefaultEmployerMISID")
	uEmployerEmail   = Users.MustField("DefaultEmployerEmail")
	uULN             = Users.MustField("ULN")
	uNINO            = Users.MustField("NINO")
	uDOB             = Users.MustField("DOB")
	uStartOn         = Users.MustField("StartOn")
	uPlannedEndDate  = Users.MustField("PlannedEndDate")
	uMobile          = Users.MustField("MobileNumber")
	uTelephone       = Users.MustField("Telephone")
	uL12             = Users.MustField("L12")
	uL15             = Users.MustField("L15")
	uL16             = Users.MustField("L16")
	uLearnerStatusID = Users.MustField("LearnerStatusID")
)

// refFields are the columns that stand for an API field: a reference given by MISID, e-mail or
// name, which the loader turns into the field's ID. Each is taken for the roles its field is.
var refFields = map[string]string{
	"DefaultAssessorMISID": "DefaultAssessorID", "DefaultAssessorEmail": "DefaultAssessorID",
	"DefaultEmployerMISID": "DefaultEmployerID", "DefaultEmployerEmail": "DefaultEmployerID",
	"ClassroomName": "ClassroomID", "PlacementName": "PlacementID",
}

// apiField is the schema field a Users column is sent as (directly or as a reference).
func apiField(name string) (schema.Field, bool) {
	if name == schema.UserID.Name { // a key, not a body field: every role may give it
		return schema.Field{Name: name, Type: schema.UserID.Type, Takes: schema.UserID.Takes}, true
	}
	if f, ok := refFields[name]; ok {
		name = f
	}
	return schema.UserField(name)
}

// takes holds, per Users field index, the roles OneFile takes the field for (the schema's, per
// the 2026 guide's two create calls: learners take every field, staff the "All other User
// Roles" list, employers and observers PlacementID too). The rules ask it for every field of
// every row, so it is an array of bit sets rather than lookups by name.
var takes = func() []schema.RoleSet {
	out := make([]schema.RoleSet, len(Users.Fields))
	for i, fd := range Users.Fields {
		out[i] = schema.LearnerOnly // a column that is no API field is a learner's
		if f, ok := apiField(fd.Name); ok {
			out[i] = f.Takes
		}
	}
	return out
}()

// TakesField reports whether OneFile takes field (a Users field name) for a user of role. The
// conversion leaves out the others; the `not-for-role` rule warns about them.
func TakesField(role int, field string) bool {
	if f, ok := usersFieldIndex[field]; ok {
		return takes[f].Has(role)
	}
	return role == RoleLearner
}

var usersFieldIndex = func() map[string]int {
	m := make(map[string]int, len(Users.Fields))
	for i, f := range Users.Fields {
		m[f.Name] = i
	}
	return m
}()

// group is a need that any one of several fields satisfies: "a default assessor" by ID, MISID
// or e-mail.
type group struct {
	what   string
	fields []int
}

var (
	needAssessor  = group{"a default assessor", []int{uAssessorID, uAssessorMISID, uAssessorEmail}}
	needClassroom = group{"a classroom", []int{uClassroomID, uClassroomName}}
	needPlacement = group{"a placement", []int{uPlacementID, uPlacementName}}
)

// groupsByRole are the groups a row of each role needs: those whose API field the schema
// requires for the role, in the order of the groups above. The fields every role requires
// (names, Email, Role) are the kind's Required columns; OrganisationID is the run's.
// It is indexed by role ID (below 64): the rules ask for every row.
var groupsByRole = func() (m [64][]group) {
	for _, r := range schema.Roles {
		for _, g := range []group{needAssessor, needClassroom, needPlacement} {
			f, _ := apiField(Users.Fields[g.fields[0]].Name)
			if f.Requires.Has(r.ID) && f.Requires != schema.AllRoles {
				m[r.ID] = append(m[r.ID], g)
			}
		}
	}
	return m
}()

// requiredGroups reports the groups a row of role needs, per the vendor guide.
func requiredGroups(role int) []group {
	if role <= 0 || role >= len(groupsByRole) {
		return nil
	}
	return groupsByRole[role]
}

// fieldList writes field names as "A, B or C".
func fieldList(k *pipeline.Kind, fs []int) string {
	var b strings.Builder
	for i, f := range fs {
		switch {
		case i == 0:
		case i == len(fs)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(k.Fields[f].Name)
	}
	return b.String()
}

// present returns the first of fs that the table has a column for, or fs[0].
func present(r *pipeline.Row, fs []int) int {
	for _, f := range fs {
		if r.Has(f) {
			return f
		}
	}
	return fs[0]
}

func filled(r *pipeline.Row, fs []int) bool {
	for _, f := range fs {
		if r.Value(f) != "" {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// rowRole returns the row's role, or 0 when Role is empty or not a role.
func rowRole(r *pipeline.Row, f int) int {
	role, _ := ParseRole(r.Value(f))
	return role
}

func init() {
	Users.RowRules = append(Users.RowRules,
		checkUserRole,
		checkUserFieldsForRole,
		checkUserDates,
		checkUserCodes,
		checkUserMangled,
		checkUserSelfReference,
		noteUser, // last: it reads the role the rules above have checked
	)
	Users.NewCross = newUsersCross
	Users.Key = userKey
}

// userKey is a user's natural key from one file to the next: MISID, else e-mail, as the loader
// matches users already on OneFile.
func userKey(r *pipeline.Row) string {
	if v := r.Value(uMISID); v != "" {
		return "MISID=" + strings.ToLower(v)
	}
	if v := r.Value(uEmail); v != "" {
		return "Email=" + strings.ToLower(v)
	}
	return ""
}

func checkUserRole(r *pipeline.Row) {
	if v := r.Value(uRole); v != "" {
		if _, ok := ParseRole(v); !ok {
			r.Errorf(uRole, RuleRole, "Role %q is not a OneFile role: use %s (the number or the name).", v, roleList(schema.AllRoles, " or "))
		}
	}
}

// checkUserFieldsForRole applies the guide's required fields per role, and warns (once per row)
// about learner fields filled on a staff row: OneFile is not documented to take them, so they
// are not sent, and a data officer should know before relying on them.
func checkUserFieldsForRole(r *pipeline.Row) {
	role := rowRole(r, uRole)
	if role == 0 {
		return
	}
	for _, g := range requiredGroups(role) {
		if !filled(r, g.fields) {
			r.Errorf(present(r, g.fields), pipeline.RuleRequired, "%s needs %s: fill %s.",
				capitalize(RoleLabel(role)), g.what, fieldList(r.Kind(), g.fields))
		}
	}
	if role == RoleLearner {
		return
	}
	var extra []string
	first := -1
	for f := range Users.Fields {
		name := Users.Fields[f].Name
		if takes[f].Has(role) || r.Value(f) == "" {
			continue
		}
		if first < 0 {
			first = f
		}
		extra = append(extra, name)
	}
	if first >= 0 {
		what, pronoun := "is a learner field", "it"
		if len(extra) > 1 {
			what, pronoun = "are learner fields", "they"
		}
		object := map[string]string{"it": "it", "they": "them"}[pronoun]
		r.Warnf(first, RuleNotForRole, "%s %s that OneFile does not take for %s; %s will not be sent. Clear %s, or check the Role.",
			joinAnd(extra), what, RoleLabel(role), pronoun, object)
	}
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// goodDay reads field f as a day number when it holds a date no earlier rule has faulted.
func goodDay(r *pipeline.Row, f int) (int, bool) {
	if r.Value(f) == "" || r.FieldHasError(f) {
		return 0, false
	}
	d, err := r.DateDay(f)
	return d, err == nil
}

// Ages outside these bounds are warnings: possible, but far more often a mistyped year.
const (
	minLearnerAge = 13  // the youngest school-leaver programmes start at 14; allow a year
	minStaffAge   = 16  // staff below school-leaving age are implausible
	maxAge        = 100 // either role
)

// checkUserDates compares calendar days as day numbers (this runs on every row; time.Time
// values and their calendar arithmetic cost more than the comparisons).
func checkUserDates(r *pipeline.Row) {
	start, hasStart := goodDay(r, uStartOn)
	if end, ok := goodDay(r, uPlannedEndDate); ok && hasStart && end < start {
		r.Errorf(uPlannedEndDate, RuleDateOrder, "PlannedEndDate %s is before StartOn %s; the planned end must come after the start.",
			dayString(r, end), dayString(r, start))
	}
	dob, ok := goodDay(r, uDOB)
	if !ok {
		return
	}
	today := r.TodayDay()
	if dob > today {
		r.Errorf(uDOB, RuleDateOrder, "DOB %s is in the future; check the year.", dayString(r, dob))
		return
	}
	role := rowRole(r, uRole)
	at, when := today, "today"
	if role == RoleLearner && hasStart {
		at, when = start, "on their StartOn date"
	}
	age := yearsBetween(dob, at)
	min := minStaffAge
	who := "a member of staff"
	if role == RoleLearner {
		min, who = minLearnerAge, "a learner"
	}
	switch {
	case age < 0:
		r.Errorf(uDOB, RuleDateOrder, "DOB %s is after StartOn %s; check both years.", dayString(r, dob), dayString(r, at))
	case age < min || age > maxAge:
		r.Warnf(uDOB, RuleDateOrder, "DOB %s makes %s %d years old %s, which is unlikely; check the year.", dayString(r, dob), who, age, when)
	}
}

// dayString is day number n in the run's day order (--date-order): 31/08/2028, or 08/31/2028.
func dayString(r *pipeline.Row, n int) string {
	if r.Opts != nil && r.Opts.MonthFirst {
		return check.DayTime(n).Format("01/02/2006")
	}
	return check.DayTime(n).Format("02/01/2006")
}

// yearsBetween is the age in whole years on day at of someone born on day dob (day numbers).
func yearsBetween(dob, at int) int {
	y1, m1, d1 := check.Civil(dob)
	y2, m2, d2 := check.Civil(at)
	age := y2 - y1
	if m2 < m1 || m2 == m1 && d2 < d1 {
		age--
	}
	return age
}

func checkUserCodes(r *pipeline.Row) {
	if v := r.Value(uL12); v != "" {
		if _, ok := ParseCode(v, Ethnicities); !ok {
			r.Errorf(uL12, RuleILRCode, "L12 (ethnicity) %q is not an ILR ethnicity code: use one of %s (99 when not provided).", v, codeList(Ethnicities))
		}
	}
	for _, f := range []int{uL15, uL16} {
		if v := r.Value(f); v != "" {
			if _, ok := ParseCode(v, LLDDCategories); !ok {
				what := map[int]string{uL15: "disability", uL16: "learning difficulty"}[f]
				r.Warnf(f, RuleILRCode, "%s (%s) %q is not a known ILR LLDD category code (%s); it will be sent as it is, so check it.",
					Users.Fields[f].Name, what, v, codeList(LLDDCategories))
			}
		}
	}
}

// checkUserMangled finds identifiers and phone numbers a spreadsheet has changed. ULN is
// checked by the pipeline (its type); a MISID may contain letters, so only the exact shape
// Excel writes ("1.23457E+11") counts as mangled, and a MISID's lost leading zeros cannot be
// told from a short MISID.
func checkUserMangled(r *pipeline.Row) {
	for _, f := range []int{uMISID, uAssessorMISID, uEmployerMISID} {
		mangledMISID(r, f)
	}
	for _, f := range []int{uMobile, uTelephone} {
		if v := r.Value(f); v != "" && check.UKPhoneLostZero(v) {
			r.Warnf(f, pipeline.RuleExcelMangled, "%s %q looks like a UK number that lost its leading 0 in a spreadsheet; it will be sent as it is. Format the column as Text and enter the number with its 0.",
				Users.Fields[f].Name, v)
		}
	}
}

func mangledMISID(r *pipeline.Row, f int) {
	if v := r.Value(f); v != "" && check.ExcelScientific(v) {
		r.Errorf(f, pipeline.RuleExcelMangled, "%s %q is in scientific notation: a spreadsheet has rounded the number and the real digits are lost. Format the column as Text in the source and export again.",
			r.Kind().Fields[f].Name, v)
	}
}

// checkUserSelfReference catches a learner named as its own default assessor or employer.
func checkUserSelfReference(r *pipeline.Row) {
	for _, p := range []struct{ ref, own int }{
		{uAssessorMISID, uMISID}, {uAssessorEmail, uEmail}, {uEmployerMISID, uMISID}, {uEmployerEmail, uEmail},
	} {
		if v := r.Value(p.ref); v != "" && strings.EqualFold(v, r.Value(p.own)) {
			what := "default assessor"
			if p.ref == uEmployerMISID || p.ref == uEmployerEmail {
				what = "default employer"
			}
			r.Errorf(p.ref, RuleReference, "%s %q is this row's own %s: a user cannot be their own %s.",
				Users.Fields[p.ref].Name, v, Users.Fields[p.own].Name, what)
		}
	}
}
