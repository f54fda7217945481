package sandbox

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
)

// The LMS's two system-authenticated reads, answered from what the sandbox received:
// GET {context}/api/trainingHistoryXml and GET {context}/api/users200510Xml. The query
// parameters are the vendor reference's, checked strictly (an unknown or repeated parameter,
// a lastUpdatedStart not in yyyy-MM-dd'T'HH:mm'Z', a users200510Xml without its required
// status are refused with 400). The answers' layout is not public; the sandbox writes the one
// bulk reads (peoplefluent.DecodeTrainingHistory, DecodeUsers), which follows the vendor's
// published read schema for training records and a public client's reading of users.

var readParams = map[string][]string{
	peoplefluent.ReadTrainingHistory: {"userId", "organizationId", "lastUpdatedStart", "lastUpdatedEnd", "moduleIds", "includeOlder", "fields"},
	peoplefluent.ReadUsers:           {"status", "organizationId", "fields"},
}

// readModuleTypes are the read schema's names for the one-letter learning types.
var readModuleTypes = map[string]string{
	"R": "classroom", "O": "onlineModule", "M": "exam", "W": "workshopSeminar", "C": "learningProgram",
	"1": "selfTrainingPaper", "2": "selfTrainingVideo", "3": "specialInterestGroup", "4": "coaching",
}

// transcriptStatuses are the overallStatus the sandbox answers for a STUDENTSTATUS (the field
// table's transcript statuses, written as the read schema writes its enumerations).
var transcriptStatuses = map[string]string{
	"pass": "passed", "completed": "completed", "withdrawn": "withdrawn", "deactivated": "deactivated", "exempt": "waiverExempt",
}

// serveRead answers the reads, and reports whether the request was one.
func (s *Server) serveRead(w http.ResponseWriter, r *http.Request) bool {
	name, ok := strings.CutPrefix(r.URL.Path, s.ContextPath+"api/")
	if !ok {
		return false
	}
	allowed, ok := readParams[name]
	if !ok {
		s.answer(w, http.StatusNotFound, "Not Found\r\n")
		return true
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.answer(w, http.StatusMethodNotAllowed, "Method Not Allowed\r\n")
		return true
	}
	if why := s.refuse(r); why != "" {
		s.mu.Lock()
		s.stats.AuthFails++
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="PeopleFluent LMS sandbox"`)
		s.answer(w, http.StatusUnauthorized, why)
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		err = checkParams(name, q, allowed)
	}
	if err != nil {
		s.answer(w, http.StatusBadRequest, "Bad Request: "+err.Error()+"\r\n")
		return true
	}
	s.mu.Lock()
	s.stats.Requests[name]++
	s.mu.Unlock()
	if name == peoplefluent.ReadUsers {
		s.writeUsers(w, q)
	} else {
		s.writeTrainingHistory(w, q)
	}
	return true
}

// refuse says why a request's system authentication is refused, or "".
func (s *Server) refuse(r *http.Request) string {
	user, pass, ok := r.BasicAuth()
	switch {
	case !ok || strings.TrimSpace(user) == "" || !s.Key.Matches(pass):
		return "Unauthorized\r\n"
	case s.AdminUser != "" && !strings.EqualFold(strings.TrimSpace(user), strings.TrimSpace(s.AdminUser)):
		return "Unauthorized: the system user name is not the one this LMS is set up with: give the administrator's user ID with --user\r\n"
	}
	return ""
}

func checkParams(name string, q url.Values, allowed []string) error {
	for k, v := range q {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s takes no parameter %q (it takes %s)", name, k, strings.Join(allowed, ", "))
		}
		if len(v) > 1 {
			return fmt.Errorf("parameter %s is given %d times", k, len(v))
		}
	}
	for _, k := range []string{"lastUpdatedStart", "lastUpdatedEnd"} {
		if v := q.Get(k); q.Has(k) {
			if _, err := time.Parse(peoplefluent.LastUpdatedLayout, v); err != nil {
				return fmt.Errorf("%s %q is not in the format yyyy-MM-dd'T'HH:mm'Z' (e.g. 2026-09-05T09:00Z)", k, v)
			}
		}
	}
	if v := q.Get("includeOlder"); q.Has("includeOlder") && v != "true" && v != "false" {
		return fmt.Errorf("includeOlder %q is not true or false", v)
	}
	if name == peoplefluent.ReadUsers {
		switch st := q.Get("status"); {
		case !q.Has("status"):
			return fmt.Errorf("%s needs the status to filter by (parameter status)", name)
		case !oneOf(st, "Active", "Suspend", "Close"):
			return fmt.Errorf("status %q is not Active, Suspend or Close", st)
		}
	}
	return nil
}

// touch records when a training record was added or updated. Called with s.mu held.
func (s *Server) touch(key string) {
	if s.updated == nil {
		s.updated = map[string]time.Time{}
	}
	s.updated[key] = time.Now().UTC()
}

// Forget removes the training record of a user on a learning module, as if the LMS had lost
// it (tests of bulk verify). It reports whether there was one.
func (s *Server) Forget(userID, learningID string) bool {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := trainingKey(userID, learningID)
	_, ok := s.train[k]
	delete(s.train, k)
	delete(s.updated, k)
	return ok
}

// Alter sets one field (a trainingHistoryCsv column, e.g. STARTDATE) of a training record the
// sandbox holds, as if someone had changed it in the LMS. It reports whether there was one.
func (s *Server) Alter(userID, learningID, field, value string) bool {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := trainingKey(userID, learningID)
	old, ok := s.train[k]
	if !ok {
		return false
	}
	rec := make(map[string]string, len(old)+1)
	for f, v := range old {
		rec[f] = v
	}
	rec[field] = value
	s.train[k] = rec
	return true
}

type heldRecord struct {
	key string
	rec map[string]string
	at  time.Time
}

// writeTrainingHistory answers trainingHistoryXml: the records held, filtered by userId,
// moduleIds and lastUpdatedStart/End, in a stable order, written as a stream.
func (s *Server) writeTrainingHistory(w http.ResponseWriter, q url.Values) {
	user := strings.ToLower(strings.TrimSpace(q.Get("userId")))
	var mods []string
	for _, m := range strings.Split(q.Get("moduleIds"), ",") {
		if m = strings.ToLower(strings.TrimSpace(m)); m != "" {
			mods = append(mods, m)
		}
	}
	var from, to time.Time
	if v := q.Get("lastUpdatedStart"); v != "" {
		from, _ = time.Parse(peoplefluent.LastUpdatedLayout, v)
	}
	if v := q.Get("lastUpdatedEnd"); v != "" {
		to, _ = time.Parse(peoplefluent.LastUpdatedLayout, v)
		to = to.Add(time.Minute - time.Nanosecond) // "on or before" the minute
	}
	s.mu.Lock()
	var held []heldRecord
	for k, rec := range s.train {
		u, m, _ := strings.Cut(k, "|")
		at := s.updated[k]
		switch {
		case user != "" && u != user,
			len(mods) > 0 && !slices.Contains(mods, m),
			!from.IsZero() && at.Before(from),
			!to.IsZero() && at.After(to):
			continue
		}
		held = append(held, heldRecord{key: k, rec: rec, at: at})
	}
	modsByID := s.mods
	anyModule := s.Seed.AnyModule
	s.mu.Unlock()
	slices.SortFunc(held, func(a, b heldRecord) int { return strings.Compare(a.key, b.key) })

	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	s.mu.Lock()
	s.stats.Statuses[http.StatusOK]++
	s.mu.Unlock()
	bw := bufio.NewWriterSize(w, 64<<10)
	now := time.Now().UTC()
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<trainingHistory>\n  <dateCreated>%s</dateCreated>\n", now.Format(time.RFC3339))
	for i, h := range held {
		_, mid, _ := strings.Cut(h.key, "|")
		mod, ok := modsByID[mid]
		if !ok && anyModule {
			mod = Module{ID: h.rec["LEARNINGID"], Title: h.rec["LOTITLE"]}
			if mod.ID == "" {
				mod.ID = mid
			}
		}
		fmt.Fprintf(bw, "  <trainingRecord id=\"r%d\">\n", i+1)
		element(bw, "    ", "userId", strings.ToLower(h.rec["USERID"]))
		bw.WriteString("    <learningModule>\n")
		element(bw, "      ", "id", mod.ID)
		element(bw, "      ", "title", mod.Title)
		if t := readModuleTypes[strings.ToUpper(mod.Type)]; t != "" {
			element(bw, "      ", "type", t)
		}
		bw.WriteString("    </learningModule>\n")
		start, hasStart := readDate(h.rec["STARTDATE"])
		end, hasEnd := readDate(h.rec["ENDDATE"])
		enrol, hasEnrol := readDate(h.rec["ENROLLDATE"])
		if !hasEnrol && !strings.EqualFold(h.rec["ENROLLDATE"], "NONE") {
			// Not given: the start date, else (none, or in the future) the day it was loaded (doc).
			enrol, hasEnrol = start, hasStart && !start.After(h.at)
			if !hasEnrol {
				enrol, hasEnrol = time.Date(h.at.Year(), h.at.Month(), h.at.Day(), 0, 0, 0, 0, time.UTC), true
			}
		}
		if hasEnrol {
			element(bw, "    ", "enrollmentDate", enrol.Format("2006-01-02T15:04:05"))
		}
		if hasStart {
			element(bw, "    ", "startDate", start.Format("2006-01-02T15:04:05"))
		}
		if hasEnd {
			element(bw, "    ", "endDate", end.Format("2006-01-02T15:04:05"))
		}
		status := transcriptStatuses[strings.ToLower(h.rec["STUDENTSTATUS"])]
		if status == "" { // Active or none: enrolled, in progress once it has dates (doc)
			status = "notStarted"
			if hasStart {
				status = "inProgress"
			}
		}
		element(bw, "    ", "overallStatus", status)
		if sc := h.rec["SCORE"]; sc != "" && mod.Type != "O" {
			element(bw, "    ", "score", sc)
		}
		bw.WriteString("  </trainingRecord>\n")
	}
	bw.WriteString("</trainingHistory>\n")
	_ = bw.Flush()
}

// writeUsers answers users200510Xml: the seeded users for status Active (with AnyUser, also
// the users of the records held), none for the others, in a namespace with a prefix as the
// LMS's answer has one.
func (s *Server) writeUsers(w http.ResponseWriter, q url.Values) {
	var ids []string
	if strings.EqualFold(q.Get("status"), "Active") {
		s.mu.Lock()
		seen := map[string]bool{}
		for k, u := range s.users {
			seen[k] = true
			ids = append(ids, u.ID)
		}
		if s.Seed.AnyUser {
			for k, rec := range s.train {
				u, _, _ := strings.Cut(k, "|")
				if !seen[u] {
					seen[u] = true
					ids = append(ids, rec["USERID"])
				}
			}
		}
		s.mu.Unlock()
	}
	slices.Sort(ids)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	s.mu.Lock()
	s.stats.Statuses[http.StatusOK]++
	s.mu.Unlock()
	bw := bufio.NewWriter(w)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<u:users xmlns:u=\"urn:bulk:sandbox:users200510\">\n")
	for _, id := range ids {
		bw.WriteString("  <u:user>")
		element(bw, "", "u:id", strings.ToLower(id))
		bw.WriteString("</u:user>\n")
	}
	bw.WriteString("</u:users>\n")
	_ = bw.Flush()
}

func readDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "NONE") {
		return time.Time{}, false
	}
	return parseAny(v, trainingDateTimes)
}

func element(bw *bufio.Writer, indent, name, text string) {
	bw.WriteString(indent + "<" + name + ">")
	_ = xml.EscapeText(bw, []byte(text))
	bw.WriteString("</" + name + ">")
	if indent != "" {
		bw.WriteString("\n")
	}
}
