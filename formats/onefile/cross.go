package onefile

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/check"
)

// The cross-row checks of both kinds share one index of the run's users (through the run's
// RunState), so an assignment can name a learner of another sheet or file, and a learner its
// assessor, in any order: a reference to a row already seen is judged at once; any other waits,
// grouped by the value it names, until Finish, when every user of the run is known.
//
// Users are found by MISID or e-mail through the run's duplicate index (RunState.FirstRow: both
// fields are Unique, so the pipeline already keeps each value's first row); this index adds one
// byte per user row (its role and whether it was rejected), waiting references 8 bytes per row
// plus one copy of each distinct value named.

const peopleKey = "onefile/people"

// want says what a reference must name; it also picks the message.
type want uint8

// What a reference wants; the roles given are bulk's defaults (schema.RoleRules, which a target
// profile may change).
const (
	wantAssessor  want = iota + 1 // DefaultAssessor*: roles 4, 5
	wantEmployer                  // DefaultEmployer*: role 40
	wantLearner                   // an assignment's learner: role 1
	wantAssignee1                 // assignee at Level 1: 4, 5, 10, 40, 45
	wantAssignee2                 // assignee at Level 2: 4, 5, 10
	wantAssignee3                 // assignee at Level 3: 4, 5, 10
)

// allows reports whether a user of role is what the reference wants under rules (the schema's
// role table, as the target profile settles its guesses: the sandbox uses the same table, so a
// file that validates does not fail at the API for it).
func (w want) allows(rules schema.RoleRules, role int) bool {
	switch w {
	case wantAssessor:
		return rules.DefaultAssessor(role)
	case wantEmployer:
		return role == RoleEmployer
	case wantLearner:
		return role == RoleLearner
	case wantAssignee1:
		return rules.Assign(LevelAdditional, role)
	case wantAssignee2:
		return rules.Assign(LevelUnitSummary, role)
	case wantAssignee3:
		return rules.Assign(LevelLearningAim, role)
	}
	return false
}

// needs says what the reference needed under rules, completing "...; ", with the guess a
// profile may settle to allow role there.
func (w want) needs(rules schema.RoleRules, role int) string {
	switch w {
	case wantAssessor:
		return defaultAssessorRoles(rules) + guessHint(0, role)
	case wantEmployer:
		return "a default employer must be an Employer (Role 40)."
	case wantLearner:
		return "users are assigned to learners (Role 1)."
	case wantAssignee1:
		return levelRoles(rules, LevelAdditional) + guessHint(LevelAdditional, role)
	case wantAssignee2:
		return levelRoles(rules, LevelUnitSummary) + guessHint(LevelUnitSummary, role)
	default:
		return levelRoles(rules, LevelLearningAim) + guessHint(LevelLearningAim, role)
	}
}

// ref is a waiting reference: row 32 bits | table 16 | field 8 | want 8.
type ref uint64

func packRef(p person, field int, w want) ref {
	return ref(uint64(p.row)<<32 | uint64(p.tbl)<<16 | uint64(uint8(field))<<8 | uint64(w))
}

func (r ref) row() uint32 { return uint32(r >> 32) }
func (r ref) tbl() uint16 { return uint16(r >> 16) }
func (r ref) field() int  { return int(uint8(r >> 8)) }
func (r ref) want() want  { return want(uint8(r)) }

type waiting struct {
	typ   byte   // keyMISID or keyEmail
	value string // as first written
	refs  []ref
}

type table struct {
	src   *pipeline.Source
	m     *pipeline.Mapping
	users []uint8 // by row number: what add recorded of a user row (userIndexed, role, rejected)
}

// A user row's byte in table.users: its role (0 when not valid; roles are below 64) and flags.
const (
	userRoleMask = 0x3f
	userIndexed  = 0x40 // add has seen the row
	userRejected = 0x80 // the row had an error when it was indexed
)

// people is the run's shared index.
type people struct {
	keyer  // groups waiting references by the value they name
	st     *pipeline.RunState
	waits  map[uint64]*waiting
	tables []table // by Source.Index
	org    struct {
		id  int64
		at  person
		set bool
	}
	finished bool
	rules    schema.RoleRules // the run's role rules (every row of a run has the same options)
}

func sharedPeople(st *pipeline.RunState) *people {
	return st.Get(peopleKey, func() any { return newPeople(st) }).(*people)
}

func newPeople(st *pipeline.RunState) *people {
	return &people{keyer: keyer{maphash.MakeSeed()}, st: st, waits: map[uint64]*waiting{}, rules: schema.DefaultRoles}
}

func (pp *people) noteTable(r *pipeline.Row) {
	i := r.Rec.Src.Index
	for len(pp.tables) <= i {
		pp.tables = append(pp.tables, table{})
	}
	if pp.tables[i].src == nil {
		pp.tables[i].src, pp.tables[i].m = r.Rec.Src, r.Map
		pp.rules = roleRules(r)
	}
}

func whereOf(r *pipeline.Row) person {
	return person{row: uint32(r.Rec.Row), tbl: uint16(r.Rec.Src.Index)}
}

// add records a user row's role and state, for references that find it by MISID or e-mail.
// The caller has checked that the row has a MISID or an e-mail (else nothing can name it).
func (pp *people) add(r *pipeline.Row, role int) {
	b := uint8(role)&userRoleMask | userIndexed
	if r.HasErrors() {
		b |= userRejected
	}
	t := &pp.tables[r.Rec.Src.Index]
	row := r.Rec.Row
	if row >= len(t.users) {
		t.users = append(t.users, make([]uint8, row+1-len(t.users))...)
	}
	t.users[row] = b
}

// lookup finds the earliest user row of the run whose MISID (typ keyMISID) or e-mail is v,
// among the rows indexed so far. The row being checked is not indexed yet: a row naming itself
// waits for Finish, which passes over it (its row rule has said so).
func (pp *people) lookup(typ byte, v string) (person, bool) {
	f := uMISID
	if typ == keyEmail {
		f = uEmail
	}
	src, row, ok := pp.st.FirstRow(Users, f, v)
	if !ok || src.Index >= len(pp.tables) {
		return person{}, false
	}
	users := pp.tables[src.Index].users
	if row >= len(users) || users[row]&userIndexed == 0 {
		return person{}, false
	}
	p := person{row: uint32(row), tbl: uint16(src.Index), role: users[row] & userRoleMask}
	if users[row]&userRejected != 0 {
		p.flags |= rejectedFlag
	}
	return p, true
}

// check resolves a reference from row r's field f (a MISID or e-mail of type typ) now if it
// can, or makes it wait for Finish.
func (pp *people) check(r *pipeline.Row, f int, typ byte, w want) {
	v := r.Value(f)
	if v == "" || r.FieldHasError(f) {
		return
	}
	if p, ok := pp.lookup(typ, v); ok {
		// Everything indexed so far comes before r, and a later row cannot be first.
		if msg := pp.judge(r.Rec.Src, r.Kind().Fields[f].Name, v, p, w); msg != "" {
			r.Errorf(f, RuleReference, "%s", msg)
		}
		return
	}
	key := pp.key(typ, v)
	wt := pp.waits[key]
	if wt == nil {
		wt = &waiting{typ: typ, value: strings.Clone(v)} // rows are reused: keep a copy
		pp.waits[key] = wt
	}
	wt.refs = append(wt.refs, packRef(whereOf(r), f, w))
}

// judge returns the error for a reference from table from naming p, or "" when it is right.
func (pp *people) judge(from *pipeline.Source, field, value string, p person, w want) string {
	switch {
	case p.role == 0:
		return fmt.Sprintf("%s %q names %s, whose Role is not valid; fix that row, or this one cannot be loaded.", field, value, pp.where(p, from))
	case !w.allows(pp.rules, int(p.role)):
		return fmt.Sprintf("%s %q names %s, %s; %s", field, value, pp.where(p, from), RoleLabel(int(p.role)), w.needs(pp.rules, int(p.role)))
	case p.flags&rejectedFlag != 0:
		return fmt.Sprintf("%s %q names %s, which is rejected; fix that row, or this one cannot be loaded.", field, value, pp.where(p, from))
	}
	return ""
}

// where names a row for a message about a row of table from.
func (pp *people) where(p person, from *pipeline.Source) string {
	t := pp.tables[p.tbl].src
	if t == from {
		return fmt.Sprintf("row %d", p.row)
	}
	return fmt.Sprintf("row %d of %s", p.row, t.Where())
}

// finish resolves every waiting reference, once for the run, whichever kind's Finish comes first.
func (pp *people) finish(rep func(pipeline.Problem)) {
	if pp.finished {
		return
	}
	pp.finished = true
	if len(pp.waits) == 0 {
		return
	}
	keys := make([]uint64, 0, len(pp.waits))
	for k := range pp.waits {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, key := range keys {
		wt := pp.waits[key]
		p, found := pp.lookup(wt.typ, wt.value)
		if !found {
			pp.notInFiles(wt, rep)
			continue
		}
		for _, rf := range wt.refs {
			if p.row == rf.row() && p.tbl == rf.tbl() {
				continue // the row names itself: its row rule has said so
			}
			t := pp.tables[rf.tbl()]
			msg := pp.judge(t.src, t.m.Kind.Fields[rf.field()].Name, wt.value, p, rf.want())
			if msg != "" {
				rep(pp.problem(rf, wt.value, pipeline.Error, msg))
			}
		}
	}
	pp.waits = nil
}

// notInFiles warns about a value no user of the run has: once per field naming it, on the first
// row that does, with the count. Such users are usually already on OneFile (the assessors of a
// learners-only file); a warning on every row would bury the real problems, and the report would
// hold one problem per row of a big file. A loader checks each row against OneFile itself.
func (pp *people) notInFiles(wt *waiting, rep func(pipeline.Problem)) {
	type use struct {
		first ref
		n     int
	}
	var order []string
	uses := map[string]*use{}
	for _, rf := range wt.refs {
		t := pp.tables[rf.tbl()]
		name := t.m.Kind.Fields[rf.field()].Name
		u := uses[name]
		if u == nil {
			u = &use{first: rf}
			uses[name] = u
			order = append(order, name)
		}
		u.n++
	}
	for _, name := range order {
		u := uses[name]
		rows := "this row"
		if u.n == 2 {
			rows = "this row and 1 other naming it"
		} else if u.n > 2 {
			rows = fmt.Sprintf("this row and %d others naming it", u.n-1)
		}
		rep(pp.problem(u.first, wt.value, pipeline.Warning, fmt.Sprintf("%s %q is not in the files given: it must already exist on OneFile, or loading %s will fail.", name, wt.value, rows)))
	}
}

func (pp *people) problem(rf ref, value string, sev pipeline.Severity, msg string) pipeline.Problem {
	t := pp.tables[rf.tbl()]
	return pipeline.Problem{Source: t.src, File: t.src.File, Sheet: t.src.Sheet, Row: int(rf.row()),
		Column: column(t, rf.field()), Value: value, Rule: RuleReference, Severity: sev, Message: msg}
}

func column(t table, f int) string {
	if c := t.m.Col[f]; c >= 0 && c < len(t.src.Header) {
		return t.src.Header[c]
	}
	return t.m.Kind.Fields[f].Name
}

// usersCross checks onefile-users rows across the run.
type usersCross struct{ pp *people }

func newUsersCross(st *pipeline.RunState) pipeline.Cross { return &usersCross{sharedPeople(st)} }

func (c *usersCross) Check(r *pipeline.Row) {
	pp := c.pp
	pp.noteTable(r)
	n := userNoteOf(r)
	if n&noteOrganisation != 0 {
		c.organisation(r)
	}
	role := int(n & noteRoleMask)
	if role == RoleLearner && n&noteRefs != 0 {
		pp.check(r, uAssessorMISID, keyMISID, wantAssessor)
		pp.check(r, uAssessorEmail, keyEmail, wantAssessor)
		pp.check(r, uEmployerMISID, keyMISID, wantEmployer)
		pp.check(r, uEmployerEmail, keyEmail, wantEmployer)
	}
	if n&noteNamed != 0 {
		pp.add(r, role) // after its own checks, so that its rejected flag is final
	}
}

// What noteUser leaves in a users row's Note for usersCross, so that the in-order check reads
// only the cells it has work for (most rows: none).
const (
	noteRoleMask     = 0x3f   // the row's role, 0 when not valid (roles are below 64)
	noteNamed        = 1 << 8 // MISID or Email is filled: references can find the row
	noteRefs         = 1 << 9 // a DefaultAssessor/DefaultEmployer MISID or e-mail is filled
	noteOrganisation = 1 << 10
	noteSet          = 1 << 11
)

// noteUser is the last row rule of onefile-users.
func noteUser(r *pipeline.Row) { r.Note = userNote(r) }

func userNote(r *pipeline.Row) uint32 {
	n := uint32(rowRole(r, uRole)&noteRoleMask) | noteSet
	if r.Value(uMISID) != "" || r.Value(uEmail) != "" {
		n |= noteNamed
	}
	for _, f := range [...]int{uAssessorMISID, uAssessorEmail, uEmployerMISID, uEmployerEmail} {
		if r.Value(f) != "" {
			n |= noteRefs
			break
		}
	}
	if r.Value(uOrganisationID) != "" {
		n |= noteOrganisation
	}
	return n
}

// userNoteOf returns the row's note, working it out for a row the row rules have not seen (a
// test driving the cross check alone, a row unreadable enough that no rule ran).
func userNoteOf(r *pipeline.Row) uint32 {
	if r.Note&noteSet != 0 {
		return r.Note
	}
	return userNote(r)
}

// organisation holds every row to the first OrganisationID given: one run, one organisation.
func (c *usersCross) organisation(r *pipeline.Row) {
	v := r.Value(uOrganisationID)
	if v == "" || r.FieldHasError(uOrganisationID) {
		return
	}
	id, _ := check.Integer(v)
	o := &c.pp.org
	if !o.set {
		o.id, o.at, o.set = id, whereOf(r), true
		return
	}
	if id != o.id {
		r.Errorf(uOrganisationID, RuleOrganisation, "OrganisationID %d differs from %d given on %s: one run loads one organisation. Split the file, or leave the column empty to use the organisation chosen for the load.",
			id, o.id, c.pp.where(o.at, r.Rec.Src))
	}
}

func (c *usersCross) Finish(rep func(pipeline.Problem)) { c.pp.finish(rep) }

// assignmentsCross checks onefile-assignments rows across the run: references to users, and
// the same assignment twice (OneFile answers a repeat with an error).
type assignmentsCross struct {
	pp    *people
	seen  map[uint64]person
	keyer keyer
}

func newAssignmentsCross(st *pipeline.RunState) pipeline.Cross {
	return assignmentsFor(sharedPeople(st))
}

func assignmentsFor(pp *people) *assignmentsCross {
	return &assignmentsCross{pp: pp, seen: map[uint64]person{}, keyer: keyer{maphash.MakeSeed()}}
}

func (c *assignmentsCross) Check(r *pipeline.Row) {
	pp := c.pp
	pp.noteTable(r)
	pp.check(r, aLearnerMISID, keyMISID, wantLearner)
	pp.check(r, aLearnerEmail, keyEmail, wantLearner)
	level, levelOK := ParseLevel(r.Value(aLevel))
	if levelOK {
		w := wantAssignee1
		switch level {
		case LevelUnitSummary:
			w = wantAssignee2
		case LevelLearningAim:
			w = wantAssignee3
		}
		pp.check(r, aUserMISID, keyMISID, w)
		pp.check(r, aUserEmail, keyEmail, w)
		c.duplicate(r, level)
	}
}

// duplicate rejects the second of two rows assigning the same user to the same learner at the
// same level (and standard or unit). Learner and user are compared by the first key each row
// gives (ID, else MISID, else e-mail): one row by MISID and another by e-mail are not matched.
func (c *assignmentsCross) duplicate(r *pipeline.Row, level int) {
	var h maphash.Hash
	h.SetSeed(c.keyer.seed)
	part := func(fs ...int) bool {
		for i, f := range fs {
			if v := r.Value(f); v != "" {
				h.WriteByte(byte('0' + i))
				writeFolded(&h, v)
				h.WriteByte(0)
				return true
			}
		}
		return false
	}
	if !part(aLearnerID, aLearnerMISID, aLearnerEmail) || !part(aUserID, aUserMISID, aUserEmail) {
		return
	}
	h.WriteByte(byte('0' + level))
	switch level {
	case LevelLearningAim:
		if !part(aStandardID, aStandardTitle) {
			return
		}
	case LevelUnitSummary:
		if !part(aUnitID, aUnitTitle) {
			return
		}
	}
	key := h.Sum64()
	if first, dup := c.seen[key]; dup {
		r.Errorf(aLevel, pipeline.RuleDuplicate, "The same assignment (learner, user, level%s) is on %s; OneFile refuses a repeated assignment, so this row is rejected.",
			map[int]string{LevelLearningAim: " and standard", LevelUnitSummary: " and unit"}[level], c.pp.where(first, r.Rec.Src))
		return
	}
	c.seen[key] = whereOf(r)
}

func (c *assignmentsCross) Finish(rep func(pipeline.Problem)) { c.pp.finish(rep) }
