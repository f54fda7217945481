package trainingcsv

import (
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// naturalKey identifies one learner's record of one session from one export to the next, for
// nightly diffing: the user, the learning (ID or title) and the session (code, else start date).
// User IDs are compared as the LMS stores them, lower-cased.
func naturalKey(r *pipeline.Row) string {
	learning := r.Value(fLearningID)
	if learning == "" {
		learning = "title:" + strings.ToLower(r.Value(fLOTitle))
	}
	session := r.Value(fSessionCode)
	if session == "" {
		session = "start:" + r.Value(fStartDate)
	}
	return strings.ToLower(r.Value(fUserID)) + "\x00" + learning + "\x00" + session
}

func init() { Kind.Key = naturalKey }
