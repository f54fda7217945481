package onefile

import (
	"testing"

	"github.com/bulkload/bulk/formats/template"
)

// TestRequiredFor: the columns only some roles need say which (from schema.Required), not
// "optional"; columns every row needs stay "required", and the organisation, which the load
// sets, is not asked of any row.
func TestRequiredFor(t *testing.T) {
	for _, tc := range []struct{ field, want string }{
		{"Email", "required"},
		{"DefaultAssessorMISID", "required for learners"},
		{"DefaultAssessorEmail", "required for learners"},
		{"DefaultAssessorID", "required for learners"},
		{"ClassroomName", "required for learners"},
		{"PlacementName", "required for learners, employers, observers"},
		{"PlacementID", "required for learners, employers, observers"},
		{"OrganisationID", "optional"},
		{"DefaultEmployerMISID", "optional"},
		{"LastName", "required"},
		{"ULN", "optional"},
	} {
		f := &Users.Fields[Users.MustField(tc.field)]
		if got := template.Need(f); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.field, got, tc.want)
		}
	}
}
