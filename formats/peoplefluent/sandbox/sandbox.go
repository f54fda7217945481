// Package sandbox is a local stand-in for the PeopleFluent LMS contentHandler
// endpoints, for tests over loopback and for users who want to rehearse a
// push before pointing bulk at the real LMS.
//
// It behaves as far as public material describes the LMS: HTTP Basic system
// authentication (any non-empty user name, the system key as password),
// POST {context}/contentHandler/{trainingHistoryCsv|externalTrainingCsv|courses},
// HTTP 200 with the rows that have a problem echoed as quoted CSV and the
// message in an added last column ("WARNING. ..." for warnings), or
// "No Error Occurred". Rows are checked against the vendor's field tables
// and against a Seed of known users, modules and facilities, and loaded rows
// are kept, so an update of a record that does not exist, or a second add,
// is caught as the LMS would. Where the LMS's exact wording or leniency is not
// public, the sandbox picks a clear message and is, if anything, stricter.
package sandbox

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
)

// maxBody bounds one request body.
const maxBody = 512 << 20

// Server is the sandbox LMS. Set its fields before serving; then it is safe
// for concurrent requests.
type Server struct {
	Key         peoplefluent.Secret // system key the requests must carry
	ContextPath string              // default "/ekp/"
	// AdminUser, if set, is the system user name the requests must carry (compared ignoring
	// case: the LMS stores user IDs lower-case). Empty: any non-empty name, as the vendor's
	// reference describes system authentication.
	AdminUser string
	// CheckCourses, if set, checks a well-formed courses body (no DOCTYPE) in place of the
	// built-in strict schema (schema.go) and returns its problems: a customer's own courses.xsd
	// (bulk sandbox peoplefluent --xsd) is the better judge. Called concurrently.
	CheckCourses func(body []byte) []string
	Seed         Seed

	// ErrorShare is the share (0..1) of requests answered 500 before
	// anything is loaded, chosen at random from RandSeed.
	ErrorShare float64
	RandSeed   uint64
	// EmptyAnswers makes every 200 answer have an empty body, like LMS
	// 10.1 and earlier.
	EmptyAnswers bool
	// EchoAll echoes every row (rows without a problem with an empty
	// message) instead of only the rows with a message.
	EchoAll bool
	// RetryAfter is the Retry-After header of a "busy" 503; default "1".
	RetryAfter string
	// KeepBodies keeps every request body for Bodies.
	KeepBodies bool
	// Latency is how long the LMS takes over a request: the rows are loaded at once and the
	// answer comes Latency later, so a client stopped or cut off meanwhile leaves rows loaded
	// whose answer it never saw (the case a resumed push must get right).
	Latency time.Duration
	// DropRequests lists requests (numbered from 1 in the order they arrive, authenticated
	// ones only) whose rows are loaded and whose connection is then closed without an answer.
	DropRequests []int

	once  sync.Once
	mu    sync.Mutex
	rng   *rand.Rand
	users map[string]User   // by lower-case ID
	mods  map[string]Module // by lower-case ID
	facs  map[string]bool
	fired map[string]bool // one-shot faults already fired, by user ID
	stats Stats
	train map[string]map[string]string // training records by user|learning ID
	ext   map[string]map[string]string // external training by RecordID
	nextX int
	crs   map[string]bool // course module IDs
	// bodies by endpoint, when KeepBodies
	bodies map[string][][]byte
	reqN   int                       // authenticated requests so far
	recv   map[string]map[string]int // times each data row was received, by endpoint

	updated map[string]time.Time // when each training record was last added or updated (reads.go)
}

// Stats counts what the sandbox received and did.
type Stats struct {
	Requests  map[string]int // per endpoint name, authenticated requests
	Statuses  map[int]int    // per HTTP status answered
	Rows      map[string]int // data rows received per endpoint
	Loaded    map[string]int // rows loaded (ok or warning) per endpoint
	Rejected  map[string]int // rows answered with an error per endpoint
	AuthFails int
}

// New returns a sandbox with the given key and seed.
func New(key peoplefluent.Secret, seed Seed) *Server {
	return &Server{Key: key, Seed: seed}
}

func (s *Server) init() {
	s.once.Do(func() {
		s.rng = rand.New(rand.NewPCG(s.RandSeed, 0x5eed))
		s.users = map[string]User{}
		for _, u := range s.Seed.Users {
			s.users[strings.ToLower(strings.TrimSpace(u.ID))] = u
		}
		s.mods = map[string]Module{}
		for _, m := range s.Seed.Modules {
			s.mods[strings.ToLower(strings.TrimSpace(m.ID))] = m
		}
		s.facs = map[string]bool{}
		for _, f := range s.Seed.Facilities {
			s.facs[strings.ToLower(strings.TrimSpace(f))] = true
		}
		s.fired = map[string]bool{}
		s.stats = Stats{Requests: map[string]int{}, Statuses: map[int]int{}, Rows: map[string]int{}, Loaded: map[string]int{}, Rejected: map[string]int{}}
		s.train = map[string]map[string]string{}
		s.ext = map[string]map[string]string{}
		s.crs = map[string]bool{}
		s.bodies = map[string][][]byte{}
		s.recv = map[string]map[string]int{}
		if s.ContextPath == "" {
			s.ContextPath = "/ekp/"
		}
		if !strings.HasPrefix(s.ContextPath, "/") {
			s.ContextPath = "/" + s.ContextPath
		}
		if !strings.HasSuffix(s.ContextPath, "/") {
			s.ContextPath += "/"
		}
		if s.RetryAfter == "" {
			s.RetryAfter = "1"
		}
	})
}

// Received returns how many times each data row reached an endpoint in an authenticated
// request, whatever the sandbox then did with it (loaded, refused with 500 or 503), keyed by the row's cells joined with commas, as sent. It counts receipts,
// not loads: a row received twice was sent twice, whatever the LMS then made of it.
func (s *Server) Received(endpoint peoplefluent.Endpoint) map[string]int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := map[string]int{}
	for k, v := range s.recv[string(endpoint)] {
		c[k] = v
	}
	return c
}

// countReceived counts the data rows of a CSV body for Received. Called with s.mu held.
func (s *Server) countReceived(ep peoplefluent.Endpoint, body []byte) {
	if s.recv[string(ep)] == nil {
		s.recv[string(ep)] = map[string]int{}
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err != nil {
			return // EOF, or a broken body: loadCSV reports it
		}
		if i > 0 {
			s.recv[string(ep)][strings.Join(rec, ",")]++
		}
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Stats{AuthFails: s.stats.AuthFails, Requests: map[string]int{}, Statuses: map[int]int{}, Rows: map[string]int{}, Loaded: map[string]int{}, Rejected: map[string]int{}}
	for k, v := range s.stats.Requests {
		c.Requests[k] = v
	}
	for k, v := range s.stats.Statuses {
		c.Statuses[k] = v
	}
	for k, v := range s.stats.Rows {
		c.Rows[k] = v
	}
	for k, v := range s.stats.Loaded {
		c.Loaded[k] = v
	}
	for k, v := range s.stats.Rejected {
		c.Rejected[k] = v
	}
	return c
}

// Bodies returns the request bodies received for an endpoint (KeepBodies).
func (s *Server) Bodies(endpoint peoplefluent.Endpoint) [][]byte {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies[string(endpoint)]...)
}

// TrainingRecords is how many training records the sandbox holds.
func (s *Server) TrainingRecords() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.train)
}

// ExternalRecords is how many external training records the sandbox holds.
func (s *Server) ExternalRecords() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ext)
}

// Start serves the sandbox on addr (e.g. 127.0.0.1:0 for a free port) and
// returns the base URL to push to (http://127.0.0.1:PORT/ekp/) and a
// function that stops the server.
func (s *Server) Start(addr string) (baseURL string, stop func() error, err error) {
	s.init()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	stop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return err
	}
	return "http://" + ln.Addr().String() + s.ContextPath, stop, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	if s.serveRead(w, r) { // GET {context}/api/trainingHistoryXml, users200510Xml (reads.go)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.ContextPath+"contentHandler/")
	ep, err := peoplefluent.ParseEndpoint(rest)
	if !ok || err != nil || rest != string(ep) {
		s.answer(w, http.StatusNotFound, "Not Found\r\n")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.answer(w, http.StatusMethodNotAllowed, "Method Not Allowed\r\n")
		return
	}
	user, pass, ok := r.BasicAuth()
	why := ""
	switch {
	case !ok || strings.TrimSpace(user) == "" || !s.Key.Matches(pass):
		why = "Unauthorized\r\n"
	case s.AdminUser != "" && !strings.EqualFold(strings.TrimSpace(user), strings.TrimSpace(s.AdminUser)):
		// The key is right: say that the user name is what is wrong, as a rehearsal should.
		why = "Unauthorized: the system user name is not the one this LMS is set up with: give the administrator's user ID with --user\r\n"
	}
	if why != "" {
		s.mu.Lock()
		s.stats.AuthFails++
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="PeopleFluent LMS sandbox"`)
		s.answer(w, http.StatusUnauthorized, why)
		return
	}
	// The vendor's reference gives each endpoint's "Request Body schema" (text/plain for the
	// CSV endpoints, application/xml for courses); the LMS's tolerance of others is not
	// documented, so a rehearsal refuses them.
	if msg := ep.CheckContentType(r.Header.Get("Content-Type")); msg != "" {
		s.answer(w, http.StatusUnsupportedMediaType, "Unsupported Media Type: "+msg+"\r\n")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.answer(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large\r\n")
		return
	}

	s.mu.Lock()
	s.stats.Requests[string(ep)]++
	if s.KeepBodies {
		s.bodies[string(ep)] = append(s.bodies[string(ep)], body)
	}
	fault := s.requestFault(body)
	random500 := s.ErrorShare > 0 && s.rng.Float64() < s.ErrorShare
	s.reqN++
	if ep.IsCSV() {
		s.countReceived(ep, body)
	}
	for _, n := range s.DropRequests {
		if n == s.reqN && fault == FaultNone && !random500 {
			fault = FaultDrop
		}
	}
	s.mu.Unlock()

	switch {
	case random500 || fault == FaultCrash:
		s.answer(w, http.StatusInternalServerError, "<html><body><h1>500 Internal Server Error</h1><p>java.lang.NullPointerException</p></body></html>\r\n")
		return
	case fault == FaultBusy:
		w.Header().Set("Retry-After", s.RetryAfter)
		s.answer(w, http.StatusServiceUnavailable, "Service Unavailable\r\n")
		return
	}

	var answer string
	if ep.IsCSV() {
		answer = s.loadCSV(ep, body)
	} else {
		answer = s.loadCourses(body)
	}
	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done(): // the client went away; the rows stay loaded
			t.Stop()
			return
		}
	}
	if fault == FaultDrop {
		// The rows are loaded; the answer is lost. This is the case
		// where a client cannot know what happened.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if s.EmptyAnswers {
		answer = ""
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	s.answer(w, http.StatusOK, answer)
}

func (s *Server) answer(w http.ResponseWriter, code int, body string) {
	s.mu.Lock()
	s.stats.Statuses[code]++
	s.mu.Unlock()
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// requestFault finds the request-level fault of a seeded user named in the
// body: crash always, busy and drop the first time only. Called with s.mu held.
func (s *Server) requestFault(body []byte) Fault {
	lower := bytes.ToLower(body)
	for id, u := range s.users {
		switch u.Fault {
		case FaultCrash, FaultBusy, FaultDrop:
		default:
			continue
		}
		if !containsWord(lower, []byte(id)) {
			continue
		}
		if u.Fault == FaultCrash {
			return FaultCrash
		}
		if !s.fired[id] {
			s.fired[id] = true
			return u.Fault
		}
	}
	return FaultNone
}

// containsWord reports whether id occurs in body not as part of a longer ID.
func containsWord(body, id []byte) bool {
	isID := func(c byte) bool {
		return c == '.' || c == '_' || c == '-' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z'
	}
	for off := 0; ; {
		i := bytes.Index(body[off:], id)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(id)
		if (start == 0 || !isID(body[start-1])) && (end == len(body) || !isID(body[end])) {
			return true
		}
		off = start + 1
	}
}

// rowCheck collects the problems of one row.
type rowCheck struct {
	errs, warns []string
}

func (c *rowCheck) errorf(format string, a ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, a...))
}
func (c *rowCheck) warnf(format string, a ...any) {
	c.warns = append(c.warns, fmt.Sprintf(format, a...))
}

// message is the row's last-column text: the errors, or the warnings after
// "WARNING. ", or "" when the row passed.
func (c *rowCheck) message() string {
	if len(c.errs) > 0 {
		return strings.Join(c.errs, " ")
	}
	if len(c.warns) > 0 {
		return "WARNING. " + strings.Join(c.warns, " ")
	}
	return ""
}

// columns maps canonical field names to their index in a received header.
type columns struct {
	idx   map[string]int
	notes []string // header problems, reported as warnings on every row
	errs  []string // header problems that fail every row
}

func mapHeader(header []string, fields []string, endpoint string) columns {
	c := columns{idx: map[string]int{}}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if strings.HasPrefix(name, "\uFEFF") {
			c.errs = append(c.errs, fmt.Sprintf("The first column header starts with a byte-order mark (%q): save the file as UTF-8 without BOM.", name))
			continue
		}
		canon := ""
		for _, f := range fields {
			if strings.EqualFold(name, f) {
				canon = f
				break
			}
		}
		switch {
		case canon == "":
			c.notes = append(c.notes, fmt.Sprintf("Column %q is not a %s field and was ignored.", name, endpoint))
			continue
		case canon != name:
			c.notes = append(c.notes, fmt.Sprintf("Column %q was taken as %s: send the exact spelling.", name, canon))
		}
		if _, dup := c.idx[canon]; dup {
			c.errs = append(c.errs, fmt.Sprintf("Column %s appears more than once.", canon))
			continue
		}
		c.idx[canon] = i
	}
	return c
}

func (c columns) get(row []string, field string) string {
	i, ok := c.idx[field]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// loadCSV checks and loads a CSV payload and returns the echo answer.
func (s *Server) loadCSV(ep peoplefluent.Endpoint, body []byte) string {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Sprintf("Error: the file could not be read as CSV: %v\r\n", err)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Sprintf("Error: the file could not be read as CSV: %v\r\n", err)
		}
		rows = append(rows, rec)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var fields []string
	if ep == peoplefluent.TrainingHistoryCSV {
		fields = trainingFields
	} else {
		fields = externalFields
	}
	cols := mapHeader(header, fields, string(ep))
	msgs := make([]string, len(rows))
	for i, row := range rows {
		var c rowCheck
		c.errs = append(c.errs, cols.errs...)
		if ep == peoplefluent.TrainingHistoryCSV {
			s.checkTraining(&c, cols, row)
		} else {
			s.checkExternal(&c, cols, row)
		}
		if len(c.errs) == 0 {
			c.warns = append(c.warns, cols.notes...)
			if ep == peoplefluent.TrainingHistoryCSV {
				s.applyTraining(cols, row)
			} else {
				s.applyExternal(cols, row)
			}
			s.stats.Loaded[string(ep)]++
		} else {
			s.stats.Rejected[string(ep)]++
		}
		msgs[i] = c.message()
	}
	s.stats.Rows[string(ep)] += len(rows)
	return echo(header, rows, msgs, s.EchoAll)
}

// echo writes the answer: the note, the header and the rows with a message
// (all rows with EchoAll), every cell quoted, the message in an added last
// column; or "No Error Occurred" when no row has a message.
func echo(header []string, rows [][]string, msgs []string, all bool) string {
	problems := false
	for _, m := range msgs {
		if m != "" {
			problems = true
			break
		}
	}
	if !problems {
		return "No Error Occurred\r\n"
	}
	var b strings.Builder
	b.WriteString("Please go to the last Column to view the error\r\n")
	b.WriteString(strings.Join(header, ","))
	b.WriteString("\r\n")
	for i, row := range rows {
		if msgs[i] == "" && !all {
			continue
		}
		for _, cell := range row {
			b.WriteString(quote(cell))
			b.WriteByte(',')
		}
		b.WriteString(quote(msgs[i]))
		b.WriteString("\r\n")
	}
	return b.String()
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
