package sandbox

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // SESSIONTIMEZONE is checked the same on every machine
)

// trainingFields are the trainingHistoryCsv columns, spelled as the vendor's table.
var trainingFields = []string{
	"USERID", "LEARNINGID", "LOTITLE", "ENROLLDATE", "STARTDATE", "ENDDATE", "STUDENTSTATUS",
	"CREATESESSION", "Training Venue", "Instructor", "SESSIONSTATUS", "SESSIONCODE", "SESSIONTITLE",
	"SCORE", "LOTYPE", "ACTION", "PRESCORE", "POSTSCORE", "LANGUAGE", "USE SETTINGS AS OF DATE",
	"SESSIONTIMEZONE", "DEADLINEDAYS", "DEADLINEDATE", "Parent Program ID", "Transfer Session Code",
	"Performance Grade",
}

// trainingDateLayouts are dd-mm-yy, dd-mm-yyyy, dd-mmm-yy and dd-mmm-yyyy,
// each with and without HH:MM (time.Parse matches month names ignoring case).
var (
	trainingDays      = []string{"2-1-2006", "2-1-06", "2-Jan-2006", "2-Jan-06"}
	trainingDateTimes = func() []string {
		var l []string
		for _, d := range trainingDays {
			l = append(l, d+" 15:04", d)
		}
		return l
	}()
	isoDateTimes = []string{"2006-01-02 15:04:05", "2006-01-02"}
)

func parseAny(v string, layouts []string) (time.Time, bool) {
	for _, l := range layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}

func (s *Server) knownUser(id string) (User, bool) {
	u, ok := s.users[strings.ToLower(id)]
	if !ok && s.Seed.AnyUser {
		return User{ID: id}, true
	}
	return u, ok
}

func (s *Server) userFault(c *rowCheck, u User) {
	switch u.Fault {
	case FaultFail:
		c.errorf("Simulated failure for user %s (fault \"fail\" in the sandbox seed).", u.ID)
	case FaultWarn:
		c.warnf("Simulated warning for user %s (fault \"warn\" in the sandbox seed).", u.ID)
	}
}

func trainingKey(user, learning string) string {
	return strings.ToLower(user) + "|" + strings.ToLower(learning)
}

// learningOf resolves the row's module: by LEARNINGID, else by LOTITLE.
func (s *Server) learningOf(cols columns, row []string) (Module, bool) {
	if id := cols.get(row, "LEARNINGID"); id != "" {
		m, ok := s.mods[strings.ToLower(id)]
		if !ok && s.Seed.AnyModule {
			return Module{ID: id, Title: cols.get(row, "LOTITLE")}, true
		}
		return m, ok
	}
	title := cols.get(row, "LOTITLE")
	for _, m := range s.mods {
		if title != "" && strings.EqualFold(m.Title, title) {
			return m, true
		}
	}
	if title != "" && s.Seed.AnyModule {
		return Module{ID: title, Title: title}, true
	}
	return Module{}, false
}

// checkTraining checks one trainingHistoryCsv row. Called with s.mu held.
func (s *Server) checkTraining(c *rowCheck, cols columns, row []string) {
	userID := cols.get(row, "USERID")
	if userID != "" {
		if u, ok := s.knownUser(userID); !ok {
			c.errorf("User ID %s does not exist.", userID)
		} else {
			s.userFault(c, u)
		}
	}
	learningID, title := cols.get(row, "LEARNINGID"), cols.get(row, "LOTITLE")
	mod, modOK := s.learningOf(cols, row)
	switch {
	case learningID == "" && title == "":
		c.errorf("LEARNINGID or LOTITLE is required.")
	case !modOK && learningID != "":
		c.errorf("Learning ID %s does not exist.", learningID)
	case !modOK:
		c.errorf("No learning module has the title %q.", title)
	case learningID != "" && title != "" && !strings.EqualFold(mod.Title, title):
		c.warnf("LOTITLE %q differs from the title of %s (%q); the learning ID was used.", title, mod.ID, mod.Title)
	}

	dates := map[string]time.Time{}
	for _, f := range []string{"ENROLLDATE", "STARTDATE", "ENDDATE"} {
		v := cols.get(row, f)
		if v == "" || strings.EqualFold(v, "NONE") {
			continue
		}
		t, ok := parseAny(v, trainingDateTimes)
		if !ok {
			c.errorf("%s %q is not a date in a supported format (dd-mm-yy, dd-mm-yyyy, dd-mmm-yy or dd-mmm-yyyy, optionally followed by HH:MM).", f, v)
			continue
		}
		dates[f] = t
	}
	if st, ok := dates["STARTDATE"]; ok {
		if en, ok := dates["ENDDATE"]; ok && en.Before(st) {
			c.warnf("ENDDATE is before STARTDATE.")
		}
	}
	if v := cols.get(row, "USE SETTINGS AS OF DATE"); v != "" {
		if _, ok := parseAny(v, trainingDays); !ok {
			c.errorf("USE SETTINGS AS OF DATE %q is not a date in a supported format (dd-mm-yy, dd-mm-yyyy, dd-mmm-yy or dd-mmm-yyyy).", v)
		}
	}
	if v := cols.get(row, "DEADLINEDATE"); v != "" && !strings.EqualFold(v, "NONE") {
		if _, ok := parseAny(v, isoDateTimes); !ok {
			c.errorf("DEADLINEDATE %q is not in the format yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.", v)
		}
	}
	if v := cols.get(row, "STUDENTSTATUS"); v != "" && !oneOf(v, "Pass", "Completed", "Active", "Withdrawn", "Deactivated", "EXEMPT") {
		c.errorf("STUDENTSTATUS %q is not one of Pass, Completed, Active, Withdrawn, Deactivated, EXEMPT.", v)
	}
	if v := cols.get(row, "SESSIONSTATUS"); v != "" && !oneOf(v, "Active", "Completed", "Cancelled") {
		c.errorf("SESSIONSTATUS %q is not one of Active, Completed, Cancelled.", v)
	}
	if v := cols.get(row, "CREATESESSION"); v != "" && !oneOf(v, "true", "false") {
		c.errorf("CREATESESSION %q is not true or false.", v)
	}
	if v := cols.get(row, "LOTYPE"); v != "" && !oneOf(v, "C", "M", "O", "R", "W", "1", "2", "3", "4") {
		c.errorf("LOTYPE %q is not a learning type code (C, M, O, R, W, 1, 2, 3, 4).", v)
	}
	// The table calls PRESCORE and POSTSCORE numeric; SCORE it does not, so any text passes.
	for _, f := range []string{"PRESCORE", "POSTSCORE"} {
		if v := cols.get(row, f); v != "" {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				c.errorf("%s %q is not a number.", f, v)
			}
		}
	}
	if cols.get(row, "SCORE") != "" && modOK && mod.Type == "O" {
		c.warnf("%s is an online module: the score was not recorded.", mod.ID)
	} else if cols.get(row, "SCORE") != "" && strings.EqualFold(cols.get(row, "LOTYPE"), "O") {
		c.warnf("LOTYPE O is online: the score was not recorded.")
	}
	if v := cols.get(row, "LANGUAGE"); len([]rune(v)) > 50 {
		c.errorf("LANGUAGE is longer than 50 characters.")
	}
	if v := cols.get(row, "DEADLINEDAYS"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			c.errorf("DEADLINEDAYS %q is not a whole number of days.", v)
		}
	}
	if v := cols.get(row, "Performance Grade"); v != "" && !oneOf(v, "1", "2", "3", "4", "5", "*NONE*") {
		c.errorf("Performance Grade %q is not 1-5 or *NONE*.", v)
	}
	if v := cols.get(row, "Instructor"); v != "" {
		for _, in := range strings.Split(v, "|") {
			in = strings.TrimSpace(in)
			if _, ok := s.knownUser(in); !ok || in == "" {
				c.errorf("Instructor %q is not a valid User ID.", in)
			}
		}
	}
	if v := cols.get(row, "Training Venue"); v != "" && !s.facs[strings.ToLower(v)] {
		c.warnf("Training Venue %s does not exist and was not set.", v)
	}
	if v := cols.get(row, "SESSIONTIMEZONE"); v != "" {
		if _, err := time.LoadLocation(v); err != nil {
			c.errorf("SESSIONTIMEZONE %q is not a time zone ID.", v)
		}
	}

	action := strings.ToUpper(cols.get(row, "ACTION"))
	exists := userID != "" && modOK && s.train[trainingKey(userID, mod.ID)] != nil
	switch action {
	case "":
	case "A":
		if exists {
			c.errorf("A training record for %s on %s already exists: use ACTION U to update it.", userID, mod.ID)
		}
	case "U":
		if userID != "" && modOK && !exists {
			c.errorf("There is no training record for %s on %s to update.", userID, mod.ID)
		}
	default:
		c.errorf("ACTION %q is not A, U or blank.", action)
	}
}

// applyTraining loads a checked row. Called with s.mu held.
func (s *Server) applyTraining(cols columns, row []string) {
	userID := cols.get(row, "USERID")
	mod, ok := s.learningOf(cols, row)
	if userID == "" || !ok {
		return // only a session was created; no training record
	}
	rec := map[string]string{}
	for f := range cols.idx {
		rec[f] = cols.get(row, f)
	}
	s.train[trainingKey(userID, mod.ID)] = rec
	s.touch(trainingKey(userID, mod.ID)) // for trainingHistoryXml's lastUpdatedStart (reads.go)
}
