package peoplefluent

import "strings"

// replaySafe reports whether posting these rows a second time, after a first
// post whose outcome is unknown (a 500, a reset connection, a timeout), can
// only re-apply the same changes and never create a second record or session.
// When it cannot be sure, it says no: a duplicate training record in the LMS
// is worse than a row reported as "outcome unknown, check before re-sending".
//
//   - trainingHistoryCsv: ACTION U (update) or blank (add or update) is safe,
//     unless CREATESESSION is true ("true creates a new session" each time) or USERID is
//     blank ("a classroom and session will be created with no associated training record").
//     ACTION A is not: the vendor says it "adds a record if none exists"
//     without saying what a match is, and even if nothing is duplicated the
//     second answer would report the row failed ("already exists") when it
//     was loaded.
//   - externalTrainingCsv: U and D are safe, AU with a RecordID is safe; A,
//     and AU without a RecordID, create a record each time.
//   - courses: the schema is not public, so a repost is never assumed safe.
//
// guess G32 (docs/guesses.md).
func replaySafe(ep Endpoint, header []string, rows [][]string) bool {
	if !ep.IsCSV() {
		return false
	}
	for _, ok := range rowsSafe(ep, header, rows) {
		if !ok {
			return false
		}
	}
	return true
}

// rowsSafe says of each row whether replaying it is safe, by the rules of replaySafe: a chunk
// whose answer was lost is resolved row by row, the safe rows sent again and the others
// reported "unknown" for a person to check.
func rowsSafe(ep Endpoint, header []string, rows [][]string) []bool {
	safe := make([]bool, len(rows))
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
		action, create, user := col("ACTION"), col("CREATESESSION"), col("USERID")
		for r, row := range rows {
			a := cell(row, action)
			safe[r] = (a == "" || a == "U") && cell(row, create) != "TRUE" && cell(row, user) != ""
		}
	case ExternalTrainingCSV:
		action, id := col("Action"), col("RecordID")
		for r, row := range rows {
			switch cell(row, action) {
			case "U", "D":
				safe[r] = true
			case "AU":
				safe[r] = cell(row, id) != ""
			}
		}
	}
	return safe
}
