package externalcsv

import (
	"strings"

	"github.com/bulkload/bulk/pipeline"
)

// naturalKey identifies an external training record from one export to the next, for nightly
// diffing: its RecordID when it has one, else the user, the title and the start date.
func naturalKey(r *pipeline.Row) string {
	if id := r.Value(fRecordID); id != "" {
		return "id:" + id
	}
	return strings.ToLower(r.Value(fUserID)) + "\x00" + strings.ToLower(r.Value(fTitle)) + "\x00" + r.Value(fStartDate)
}

func init() { Kind.Key = naturalKey }
