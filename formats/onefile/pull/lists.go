package pull

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Lists are an organisation's names as a template's drop-downs offer them, by the field
// (column) they go in: ClassroomName, PlacementName, StandardTitle, UnitTitle, and the MISIDs and
// e-mails of the users a row may name (DefaultAssessorMISID, UserEmail, ...). Each holds the
// names as OneFile holds them, which is what the loader looks up (ignoring case); a name that
// two records share is left out, because the loader cannot tell which is meant and asks for
// the ID instead.
type Lists map[string][]string

// The reference lists, by the columns that take them.
var refColumns = map[string][]string{
	"classrooms": {"ClassroomName"},
	"placements": {"PlacementName"},
	"standards":  {"StandardTitle"},
	"units":      {"UnitTitle"},
}

// userColumns are the columns that name users of each role, by MISID and by e-mail: a
// learner's default assessor (assessors and trainee assessors, as OneFile takes them),
// default employer, and the user an assignment assigns (any role but learner).
var userColumns = map[int][]string{
	schema.TraineeAssessor: {"DefaultAssessor", "User"},
	schema.Assessor:        {"DefaultAssessor", "User"},
	schema.IQA:             {"User"},
	schema.Employer:        {"DefaultEmployer", "User"},
	schema.Observer:        {"User"},
}

type listBuilder struct {
	vals  map[string][]string
	count map[string]map[string]int // column → lower(name) → times seen
}

func newLists() *listBuilder {
	return &listBuilder{vals: map[string][]string{}, count: map[string]map[string]int{}}
}

func (b *listBuilder) add(col, name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	if b.count[col] == nil {
		b.count[col] = map[string]int{}
	}
	k := strings.ToLower(name)
	if b.count[col][k] == 0 {
		b.vals[col] = append(b.vals[col], name)
	}
	b.count[col][k]++
}

func (b *listBuilder) addRef(what, name string) {
	for _, c := range refColumns[what] {
		b.add(c, name)
	}
}

func (b *listBuilder) addUser(role int, misid, email string) {
	for _, c := range userColumns[role] {
		b.add(c+"MISID", misid)
		b.add(c+"Email", email)
	}
}

// lists drops shared names and sorts each list, as a person looks a name up.
func (b *listBuilder) lists() Lists {
	out := Lists{}
	for col, vs := range b.vals {
		var keep []string
		for _, v := range vs {
			if b.count[col][strings.ToLower(v)] == 1 {
				keep = append(keep, v)
			}
		}
		slices.SortFunc(keep, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		if len(keep) > 0 {
			out[col] = keep
		}
	}
	return out
}

// Counts says how many names each list holds, for a person: "12 classrooms, 3 assessors".
func (l Lists) Counts() string {
	var parts []string
	for _, x := range []struct{ col, what string }{
		{"ClassroomName", "classrooms"}, {"PlacementName", "placements"}, {"StandardTitle", "standards"},
		{"UnitTitle", "units"}, {"DefaultAssessorEmail", "assessors"}, {"DefaultEmployerEmail", "employers"},
	} {
		parts = append(parts, fmt.Sprintf("%d %s", len(l[x.col]), x.what))
	}
	return strings.Join(parts, ", ")
}

// FetchLists reads the organisation's names from OneFile: its reference lists, and the staff a
// row may name (a user search by role, which answers MISID and e-mail even as a summary).
func FetchLists(ctx context.Context, src Source, org int) (Lists, error) {
	b := newLists()
	cls, err := src.SearchClassrooms(ctx, api.NameFilter{OrganisationID: org})
	if err != nil {
		return nil, fmt.Errorf("reading the classrooms: %w", err)
	}
	for _, c := range cls {
		b.addRef("classrooms", c.Name)
	}
	pls, err := src.SearchPlacements(ctx, api.NameFilter{OrganisationID: org})
	if err != nil {
		return nil, fmt.Errorf("reading the placements: %w", err)
	}
	for _, p := range pls {
		b.addRef("placements", p.Name)
	}
	sts, err := src.SearchStandards(ctx, api.StandardFilter{OrganisationID: org})
	if err != nil {
		return nil, fmt.Errorf("reading the standards: %w", err)
	}
	for _, s := range sts {
		b.addRef("standards", s.Title)
	}
	uns, err := src.SearchUnits(ctx, api.UnitFilter{OrganisationID: org})
	if err != nil {
		return nil, fmt.Errorf("reading the units: %w", err)
	}
	for _, u := range uns {
		b.addRef("units", u.Title)
	}
	for _, role := range []int{schema.TraineeAssessor, schema.Assessor, schema.IQA, schema.Employer, schema.Observer} {
		err := src.ListUsers(ctx, api.UserFilter{OrganisationID: org, Role: api.Role(role)}, func(page []api.RawUser) error {
			for _, u := range page {
				b.addUser(role, text(u["MISID"]), text(u["Email"]))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading the users of role %d: %w", role, err)
		}
	}
	return b.lists(), nil
}

// ReadLists reads the names a workbook from bulk pull holds: its reference sheets and its
// staff sheets (learners are not read: no drop-down lists them).
func ReadLists(path string) (Lists, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s as a workbook (%v): give the .xlsx that 'bulk pull onefile' wrote", path, err)
	}
	defer f.Close()
	b := newLists()
	found := 0
	for _, r := range []struct {
		sheet refSheet
		what  string
	}{{Classrooms, "classrooms"}, {Placements, "placements"}, {Standards, "standards"}, {Units, "units"}} {
		n, err := eachRow(f, r.sheet.Name, r.sheet.Header, func(get func(string) string) {
			b.addRef(r.what, get(r.sheet.Header[1]))
		})
		if err != nil {
			return nil, err
		}
		found += n
	}
	for _, g := range Groups {
		if slices.Contains(g.Roles, schema.Learner) {
			continue
		}
		n, err := eachRow(f, g.Sheet, nil, func(get func(string) string) {
			role := 0
			fmt.Sscan(get("Role"), &role)
			b.addUser(role, get("MISID"), get("Email"))
		})
		if err != nil {
			return nil, err
		}
		found += n
	}
	if found == 0 {
		return nil, fmt.Errorf("%s has none of the sheets bulk pull writes (%s, %s, ...): give a workbook from 'bulk pull onefile'", path, Classrooms.Name, Placements.Name)
	}
	return b.lists(), nil
}

// eachRow calls fn for each row under the header of sheet (1 when it exists, 0 when not),
// with a getter of cells by header. A header, when given, must be the reference sheet's.
func eachRow(f *excelize.File, sheet string, header []string, fn func(get func(string) string)) (int, error) {
	if i, _ := f.GetSheetIndex(sheet); i < 0 {
		return 0, nil
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var col map[string]int
	for rows.Next() {
		cells, err := rows.Columns()
		if err != nil {
			return 0, err
		}
		if col == nil {
			if header != nil && (len(cells) < len(header) || !slices.Equal(cells[:len(header)], header)) {
				return 0, fmt.Errorf("sheet %s: its header is not the one bulk pull writes (%s)", sheet, strings.Join(header, ", "))
			}
			col = map[string]int{}
			for i, h := range cells {
				col[h] = i
			}
			continue
		}
		fn(func(h string) string {
			if i, ok := col[h]; ok && i < len(cells) {
				return cells[i]
			}
			return ""
		})
	}
	return 1, rows.Error()
}
