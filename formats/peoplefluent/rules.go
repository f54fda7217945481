package peoplefluent

import "github.com/bulkload/bulk/pipeline"

// Rule codes for what the LMS says about rows that passed bulk's checks. They land in the same
// report as validation problems, on the input row, so one rejects file lists everything to fix.
const (
	RuleLMSFailed  = "lms-failed"
	RuleLMSWarning = "lms-warning"
)

// Rules are the rule codes a load into the LMS reports with, for `bulk rules` (internal/catalog).
var Rules = []pipeline.Rule{
	{Code: RuleLMSFailed, Summary: "PeopleFluent LMS did not load a row that passed bulk's checks; the message is the LMS's.", Example: "User ID ghost does not exist"},
	{Code: RuleLMSWarning, Summary: "PeopleFluent LMS loaded the row with a warning (the LMS's message).", Example: "WARNING. Session is full"},
}
