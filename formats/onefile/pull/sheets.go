// Package pull writes what a OneFile organisation holds into a workbook bulk reads back: one
// sheet per role group of users in the onefile-users layout (so `bulk load onefile --mode
// upsert` of an unchanged pull plans every row unchanged), and reference sheets of the
// organisation's classrooms, placements, standards and units, which readers recognise and pass
// over. It also gives the names those sheets hold as drop-down lists for templates.
package pull

import (
	"slices"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// Group is one users sheet: the roles whose users it lists, and its columns (onefile-users field
// names, in the kind's order).
type Group struct {
	Sheet   string
	Roles   []int
	Columns []string
}

// Groups are the users sheets of a pull, staff before learners as a load sends them.
var Groups = func() []Group {
	gs := []Group{
		{Sheet: "Assessors", Roles: []int{schema.TraineeAssessor, schema.Assessor}},
		{Sheet: "IQAs", Roles: []int{schema.IQA}},
		{Sheet: "Employers", Roles: []int{schema.Employer}},
		{Sheet: "Observers", Roles: []int{schema.Observer}},
		{Sheet: "Learners", Roles: []int{schema.Learner}},
	}
	for i := range gs {
		gs[i].Columns = columns(gs[i].Roles)
	}
	return gs
}()

// columns are the onefile-users columns a pull writes for users of roles: the user's own
// OneFile ID (schema.UserID: the loader matches the row to that user by it), then the API fields
// (not the by-name and by-MISID references: a pull knows the IDs) that OneFile takes for one of
// the roles. Every one of them is a header the kind reads as it is.
func columns(roles []int) []string {
	var out []string
	for _, f := range onefile.Users.Fields {
		if _, ok := schema.UserField(f.Name); !ok && f.Name != schema.UserID.Name {
			continue
		}
		if slices.ContainsFunc(roles, func(r int) bool { return onefile.TakesField(r, f.Name) }) {
			out = append(out, f.Name)
		}
	}
	return out
}

// A reference sheet's name and header row. Their headers name no field of any kind (a test
// holds them to that; "OneFile ID" alone is a users column, hence "OneFile ID (ClassroomID)"), so that no reader, even with --kind, takes them for data; IsReference
// recognises them by name and header.
type refSheet struct {
	Name   string
	Header []string
	What   string // for the notice when a load passes over it
}

// The reference sheets, in the order a pull writes them.
var (
	Classrooms = refSheet{"Classrooms", []string{"OneFile ID (ClassroomID)", "Name (ClassroomName)", "MIS code"}, "the organisation's classrooms"}
	Placements = refSheet{"Placements", []string{"OneFile ID (PlacementID)", "Name (PlacementName)", "MIS code"}, "the organisation's placements"}
	Standards  = refSheet{"Standards", []string{"OneFile ID (StandardID)", "Title (StandardTitle)"}, "the organisation's standards"}
	Units      = refSheet{"Units", []string{"OneFile ID (UnitID)", "Title (UnitTitle)", "OneFile ID of its standard", "Title of its standard", "NDAQ code"}, "the organisation's units"}
	// usersIndex is the sheet of user IDs pulls wrote before each users row carried its
	// OneFileID: not written now, still passed over in those workbooks (its first header is a
	// users synonym, so without this it would be read as users).
	usersIndex = refSheet{"User IDs", []string{"OneFile user ID", "On sheet", "Full name", "MIS code (MISID)", "Login e-mail (Email)"}, "the OneFile IDs of the pulled users"}
	refSheets  = []refSheet{Classrooms, Placements, Standards, Units}
)

// IsReference says which reference sheet of a pull src is ("the organisation's classrooms, a
// reference sheet bulk pull wrote"), or "" for any other sheet. A workbook's sheet is known by
// its name and header; a CSV (bulk pull --csv writes Classrooms.csv, ...) by its header alone,
// as a file may be renamed and its headers name no field of any kind anyway. The User IDs
// sheet was never written as a CSV, and its first header is a users column: workbooks only.
func IsReference(src *pipeline.Source) string {
	if src == nil {
		return ""
	}
	for i, r := range append(refSheets, usersIndex) {
		byName := src.Sheet == r.Name || src.Sheet == "" && i < len(refSheets)
		if byName && len(src.Header) >= len(r.Header) && slices.Equal(src.Header[:len(r.Header)], r.Header) {
			return r.What + ", a reference sheet bulk pull wrote"
		}
	}
	return ""
}
