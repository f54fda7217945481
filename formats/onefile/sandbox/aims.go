package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Learning aims, framework templates and archiving (leavers). None of these endpoints is in
// the vendor guides we hold: the first two are seen in public clients (guide 4 of OneFile's
// series), the archive call is a guess isolated in api.ArchivePath (docs/onefile-api.md). The
// sandbox is as strict as the rest of it: an unknown standard or template is a 404 refusal, a
// user who is not a learner (or of another organisation) is refused, and a repeat is refused
// as a repeated assignment is (400, "already assigned"), the answer the client expects.

// LearningAim is a learner put on a standard (POST /Standard/{id}/Assign/{learnerId}).
type LearningAim struct {
	ID         int
	LearnerID  int
	StandardID int
	Made       time.Time
}

// TemplateAssignment is a user put on a framework template.
type TemplateAssignment struct {
	TemplateID int
	UserID     int
}

type frameworkTemplate struct {
	ID    int
	Org   int
	Title string
}

// aimState is what the endpoints of this file keep; guarded by Server.mu.
type aimState struct {
	templates   map[int]*frameworkTemplate
	aims        []LearningAim
	aimOf       map[[2]int]int // {learner, standard} -> learning aim ID
	nextAimID   int
	onTemplate  map[TemplateAssignment]bool
	tplOrder    []TemplateAssignment
	archived    map[int]time.Time // user ID -> when archived
	archiveList []int
}

func (a *aimState) init() {
	if a.templates == nil {
		a.templates = map[int]*frameworkTemplate{}
		a.aimOf = map[[2]int]int{}
		a.onTemplate = map[TemplateAssignment]bool{}
		a.archived = map[int]time.Time{}
		a.nextAimID = 500001
	}
}

// aimRoutes adds this file's endpoints to the mux.
func (s *Server) aimRoutes(m *http.ServeMux) {
	b := s.base
	// Registered with a wildcard for "Assign": the mux would find the pattern in conflict with
	// POST /Standard/Search/{page}/{size}; the handler refuses any other word.
	m.HandleFunc("POST "+b+"/Standard/{id}/{action}/{learnerId}", s.handleAssignStandard)
	m.HandleFunc("POST "+b+"/FrameworkTemplate/{id}/Assign/{userId}/{only}", s.handleAssignTemplate)
	m.HandleFunc("POST "+b+"/User/{id}/Archive", s.handleArchive)
	m.HandleFunc("POST "+b+"/FrameworkTemplate/Search", s.searchHandler(s.searchTemplates, false))
	m.HandleFunc("POST "+b+"/FrameworkTemplate/Search/{page}/{size}", s.searchHandler(s.searchTemplates, true))
}

func pathInt(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil && n > 0
}

// learnerFor finds the learner of a learning-aim call, or writes the refusal.
func (s *Server) learnerFor(w http.ResponseWriter, r *http.Request, name string, org int) *user {
	id, ok := pathInt(r, name)
	u := s.users[id]
	switch {
	case !ok || u == nil:
		writeMsg(w, http.StatusNotFound, fmt.Sprintf("User %q was not found", r.PathValue(name)))
	case u.role() != RoleLearner:
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("User %d is not a learner (it has role %d): only learners are put on standards and framework templates", id, u.role()))
	case u.org() != org:
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("Learner %d belongs to organisation %d, not %d", id, u.org(), org))
	case s.aim.archived[id] != time.Time{}:
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("Learner %d is archived", id))
	default:
		return u
	}
	return nil
}

func (s *Server) handleAssignStandard(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("action") != "Assign" {
		writeMsg(w, http.StatusNotFound, fmt.Sprintf("No HTTP resource was found that matches %s %s", r.Method, r.URL.Path))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aim.init()
	sid, ok := pathInt(r, "id")
	st := s.standards[sid]
	if !ok || st == nil {
		writeMsg(w, http.StatusNotFound, fmt.Sprintf("Standard %q was not found", r.PathValue("id")))
		return
	}
	u := s.learnerFor(w, r, "learnerId", st.Org)
	if u == nil {
		return
	}
	k := [2]int{u.ID, st.ID}
	if id, dup := s.aim.aimOf[k]; dup {
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("Learner %d is already assigned to standard %d (learning aim %d)", u.ID, st.ID, id))
		return
	}
	id := s.aim.nextAimID
	s.aim.nextAimID++
	s.aim.aimOf[k] = id
	s.aim.aims = append(s.aim.aims, LearningAim{ID: id, LearnerID: u.ID, StandardID: st.ID, Made: time.Now().UTC()})
	writeJSON(w, http.StatusOK, id) // the new learning aim's ID, as public clients read it
}

func (s *Server) handleAssignTemplate(w http.ResponseWriter, r *http.Request) {
	only, err := strconv.ParseBool(r.PathValue("only"))
	if err != nil {
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("onlyChangeAssigned %q must be true or false", r.PathValue("only")))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aim.init()
	tid, ok := pathInt(r, "id")
	t := s.aim.templates[tid]
	if !ok || t == nil {
		writeMsg(w, http.StatusNotFound, fmt.Sprintf("FrameworkTemplate %q was not found", r.PathValue("id")))
		return
	}
	u := s.learnerFor(w, r, "userId", t.Org)
	if u == nil {
		return
	}
	k := TemplateAssignment{TemplateID: t.ID, UserID: u.ID}
	switch on := s.aim.onTemplate[k]; {
	case only && !on:
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("User %d is not assigned to framework template %d: onlyChangeAssigned changes only users already on it", u.ID, t.ID))
		return
	case !only && on:
		writeMsg(w, http.StatusBadRequest, fmt.Sprintf("User %d is already assigned to framework template %d", u.ID, t.ID))
		return
	case !only:
		s.aim.onTemplate[k] = true
		s.aim.tplOrder = append(s.aim.tplOrder, k)
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleArchive archives a user: from then on User/Search does not list them (GET /User/{id}
// still answers). Archiving an archived user changes nothing and answers the same.
func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aim.init()
	id, ok := pathInt(r, "id")
	if !ok || s.users[id] == nil {
		writeMsg(w, http.StatusNotFound, fmt.Sprintf("User %q was not found", r.PathValue("id")))
		return
	}
	if _, done := s.aim.archived[id]; !done {
		s.aim.archived[id] = time.Now().UTC()
		s.aim.archiveList = append(s.aim.archiveList, id)
	}
	w.WriteHeader(http.StatusNoContent)
}

// isArchived says whether user id is archived; s.mu held.
func (s *Server) isArchived(id int) bool {
	_, ok := s.aim.archived[id]
	return ok
}

func (s *Server) searchTemplates(body []byte) ([]any, error) {
	f, err := decodeFilter(body, templateFilter)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aim.init()
	var rows []any
	for _, id := range slices.Sorted(maps.Keys(s.aim.templates)) {
		t := s.aim.templates[id]
		if !intMatch(f, "OrganisationID", t.Org) || !textMatch(f, "Title", t.Title) {
			continue
		}
		rows = append(rows, map[string]any{"ID": t.ID, "Title": t.Title})
	}
	return rows, nil
}

var templateFilter = spec(fieldDef{"OrganisationID", kInt, false}, fieldDef{"Title", kString, false})

// LearningAims returns the learning aims made, in order.
func (s *Server) LearningAims() []LearningAim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.aim.aims)
}

// TemplateAssignments returns the users put on framework templates, in order.
func (s *Server) TemplateAssignments() []TemplateAssignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.aim.tplOrder)
}

// Archived returns the IDs of the users archived, in order.
func (s *Server) Archived() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.aim.archiveList)
}
