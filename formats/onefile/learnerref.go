package onefile

import "github.com/bulkload/bulk/pipeline"

// LearnerRefs lets a kind of another package (onefile-standards) check that a row naming a
// learner by MISID or e-mail names a learner of the run, through the same index of the run's
// users that the users and assignments kinds share: a learner on another sheet or file, in any
// order, is found; a staff row named as the learner is an error; a value no row of the run has
// is a warning (the learner must already be on OneFile).
type LearnerRefs struct{ pp *people }

// NewLearnerRefs returns the run's learner references (one per run: call it from a kind's
// NewCross).
func NewLearnerRefs(st *pipeline.RunState) *LearnerRefs { return &LearnerRefs{sharedPeople(st)} }

// Check resolves row r's learner reference in field misid (a MISID) and field email (an
// e-mail); a field below 0 is not checked.
func (c *LearnerRefs) Check(r *pipeline.Row, misid, email int) {
	c.pp.noteTable(r)
	if misid >= 0 {
		c.pp.check(r, misid, keyMISID, wantLearner)
	}
	if email >= 0 {
		c.pp.check(r, email, keyEmail, wantLearner)
	}
}

// Finish reports the references that never resolved (once for the run, whichever kind ends
// first).
func (c *LearnerRefs) Finish(rep func(pipeline.Problem)) { c.pp.finish(rep) }
