package peoplefluent

import "strings"

// replaySafe reports whether posting these rows a second time, after a first
// post whose outcome is unknown (a 500, a reset connection, a timeout), can
// only re-apply the same changes and never create a second record or session.
// When it cannot be sure, it says no: a duplicate training record in the LMS
// is worse than a row reported as "outcome unknown, check before re-sending".
//
//   - trainingHistoryCsv: ACTION U (update) or blank (add or update) is safe,
//     unless CREATESESSION is true ("true creates a new session" each time).
//     ACTION A is not: the vendor says it "adds a record if none exists"
//     without saying what a match is, and even if nothing is duplicated the
//     second answer would report the row failed ("already exists") when it
//     was loaded.
//   - externalTrainingCsv: U and D are safe, AU with a RecordID is safe; A,
//     and AU without a RecordID, create a record each time.
//   - courses: the schema is not public, so a repost is never assumed safe.
func replaySafe(ep Endpoint, header []string, rows [][]string) bool {
	col := func(name string) int {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i
			}
		}
		return -1
	}
	cell := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return strings.ToUpper(strings.TrimSpace(row[i]))
	}
	switch ep {
	case TrainingHistoryCSV:
		action, create := col("ACTION"), col("CREATESESSION")
		for _, row := range rows {
			if a := cell(row, action); a != "" && a != "U" {
				return false
			}
			if cell(row, create) == "TRUE" {
				return false
			}
		}
		return true
	case ExternalTrainingCSV:
		action, id := col("Action"), col("RecordID")
		for _, row := range rows {
			switch cell(row, action) {
			case "U", "D":
			case "AU":
				if cell(row, id) == "" {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	return false
}
