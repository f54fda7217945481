package onefile

import (
	"slices"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// The columns some roles need (a learner's classroom, placement and default assessor; an
// employer's placement) are not Required, since staff rows need none of them, but neither are
// they optional: templates and 'bulk kinds' say "required for learners". Who needs what is the
// schema's (schema.Required), the one table the rules and the API client also follow.
//
// The users template has a Staff sheet and a Learners sheet, each with the columns its roles
// take (schema Takes), so nobody fills in a learner's classroom for a tutor.
func init() {
	markRequiredFor(Users)
	Users.TemplateSheets = []pipeline.TemplateSheet{
		{Name: "Staff", Fields: takenBy(Users, func(s schema.RoleSet) bool { return s&^schema.LearnerOnly != 0 })},
		{Name: "Learners", Fields: takenBy(Users, func(s schema.RoleSet) bool { return s.Has(schema.Learner) })},
	}
}

// takenBy lists the fields of k that some role in, per the schema, takes; a field the schema
// does not know is on every sheet.
func takenBy(k *pipeline.Kind, in func(schema.RoleSet) bool) []string {
	var out []string
	for _, f := range k.Fields {
		sf, ok := schema.UserField(f.Name)
		if !ok {
			sf, ok = schema.UserField(apiFieldOf(f.Name))
		}
		if !ok || in(sf.Takes) {
			out = append(out, f.Name)
		}
	}
	return out
}

// markRequiredFor sets RequiredFor on each field of k that gives an API field some roles
// require: ClassroomName and ClassroomID give ClassroomID, DefaultAssessorMISID gives
// DefaultAssessorID.
func markRequiredFor(k *pipeline.Kind) {
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Required {
			continue
		}
		api := apiFieldOf(f.Name)
		if api == "" || api == "OrganisationID" { // the load's organisation, not the row's to give
			continue
		}
		var who []string
		for _, r := range schema.Roles {
			if slices.Contains(schema.Required(r.ID), api) && !slices.Contains(who, r.Plural) {
				who = append(who, r.Plural)
			}
		}
		f.RequiredFor = strings.Join(who, ", ")
	}
}

// apiFieldOf is the API's ID field a column gives, by the kind's naming: XName, XMISID, XEmail
// and XID all give XID; any other column gives nothing.
func apiFieldOf(name string) string {
	for _, suffix := range []string{"MISID", "Email", "Name", "ID"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && base != "" && !strings.HasSuffix(base, "Last") && !strings.HasSuffix(base, "First") {
			return base + "ID"
		}
	}
	return ""
}
