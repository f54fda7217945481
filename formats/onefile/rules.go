package onefile

import (
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/pipeline"
)

// Rule codes the OneFile kinds raise besides the pipeline's own. Codes are stable: data officers
// and scripts key on them, so they are never renamed.
const (
	RuleRole         = "role"
	RuleLevel        = "level"
	RuleDateOrder    = "date-order"
	RuleReference    = "reference"
	RuleILRCode      = "ilr-code"
	RuleNotForRole   = "not-for-role"
	RuleOrganisation = "organisation"
)

// Rules are the rule codes the OneFile kinds raise, for `bulk rules` (internal/catalog).
var Rules = []pipeline.Rule{
	{Code: RuleRole, Summary: "Role is not a OneFile role (" + roleList(schema.AllRoles, ", ") + "), or the role may not do what the row asks.", Example: "Role 'Manager'; an Employer assigned at Level 3"},
	{Code: RuleLevel, Summary: "Level is not an assignment level (1 Additional, 2 Unit Summary, 3 Learning Aim), or the row gives data the level does not take (warning).", Example: "Level 4"},
	{Code: RuleDateOrder, Summary: "Dates that cannot all be right: PlannedEndDate before StartOn, DOB in the future or after StartOn (errors); an age below 13 (learners), 16 (staff) or above 100 (warning).", Example: "StartOn 01/09/2026, PlannedEndDate 31/08/2025"},
	{Code: RuleReference, Summary: "A row refers to another user that cannot be right: the wrong role, a rejected row, itself; or a user not in the input, who must then exist on OneFile (warning); with load peoplefluent --check-users, a USERID the LMS does not have.", Example: "DefaultAssessorEmail naming an Employer's row"},
	{Code: RuleILRCode, Summary: "Not an ILR code: L12 ethnicity must be 31-47, 98 or 99 (error); L15/L16 outside the LLDD categories 4-17, 93-99 are warnings.", Example: "L12 '30'"},
	{Code: RuleNotForRole, Summary: "A staff row fills learner fields OneFile does not take for that role; they are not sent (warning).", Example: "ULN on an Assessor's row"},
	{Code: RuleOrganisation, Summary: "OrganisationID differs from the one given on an earlier row: one run loads one organisation.", Example: "OrganisationID 5740 on row 2, 5741 on row 9"},
}
