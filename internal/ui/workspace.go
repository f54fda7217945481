package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
	"github.com/bulkload/bulk/pipeline/report"
)

// workspace is the session's work: the files uploaded (each with a working copy that cell edits
// change), the settings the page chose, what the last validation found, the plan and the load.
type workspace struct {
	s  *Server
	mu sync.Mutex // guards everything below

	files    []*upload
	settings settings
	val      *validation
	err      string // the last use case's error, for people
	busy     string // what is under way: "validating", "planning"
	runs     int    // report folders made so far

	target target
	plan   *planState
	job    *applyJob
	box    *sandboxBox
	pfbox  *pfBox     // the session's PeopleFluent sandbox, once a push needs it
	pfprev *pfPreview // what a PeopleFluent push would send
	// sandboxRate paces loads into the sandbox (calls a minute; 0: app.SandboxRate): tests slow
	// a load down to cancel it midway.
	sandboxRate int
}

type upload struct {
	Name   string   `json:"name"`
	Size   int64    `json:"size"`
	Hidden []string `json:"hidden_sheets,omitempty"` // sheets Excel hides: not read unless asked
	Edits  int      `json:"edits"`                   // cells changed on the page
	// Download is where the working copy downloads: a path of its own, so that an upload
	// named as a report (rejects.xlsx, fixed and uploaded again) is not mistaken for it.
	Download string `json:"download"`
	work     string // the working copy: what is validated, planned and downloaded
}

// settings are the reading options the page chose: the command line's --kind, --sheet,
// --header-row, --include-hidden and --map.
type settings struct {
	Kind          string            `json:"kind"`
	Sheet         string            `json:"sheet"`
	HeaderRow     int               `json:"header_row"`
	IncludeHidden bool              `json:"include_hidden"`
	Map           map[string]string `json:"map"` // header as written → field
}

// validation is what app.Validate found, kept for the grid: every table's rows with their cells
// as read and their problems.
type validation struct {
	ID      int            `json:"id"` // changes with every validation, so the page knows to fetch rows again
	Counts  report.Counts  `json:"counts"`
	Rules   map[string]int `json:"rules"` // problems by rule
	Tables  []*table       `json:"tables"`
	Notes   []string       `json:"notes"`   // what the command line prints on stderr
	General []problem      `json:"general"` // problems on no row (a file, a header)
	Report  string         `json:"-"`       // the report folder
}

type table struct {
	Index     int       `json:"index"`
	File      string    `json:"file"`
	Sheet     string    `json:"sheet"`
	Kind      string    `json:"kind"`
	HeaderRow int       `json:"header_row"`
	Header    []string  `json:"header"`
	Columns   []column  `json:"columns"`
	Fields    []string  `json:"fields"` // the kind's fields, for the mapping's choices
	Rows      int       `json:"rows"`
	Rejected  int       `json:"rejected"`
	Problems  []problem `json:"problems"` // on the table itself (missing columns, ...)
	src       *pipeline.Source
	rows      []*row
	byRow     map[int]*row
}

// column is one input header and the field it maps to ("" when none: an unknown column).
type column struct {
	Header string `json:"header"`
	Field  string `json:"field"`
}

type row struct {
	Row      int       `json:"row"`
	Outcome  string    `json:"outcome"`
	Cells    []string  `json:"cells"`
	Problems []problem `json:"problems,omitempty"`
}

type problem struct {
	Row      int    `json:"row,omitempty"`
	Col      int    `json:"col"` // the column's index, -1 for the whole row
	Column   string `json:"column,omitempty"`
	Value    string `json:"value,omitempty"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Where    string `json:"where,omitempty"`
}

func newWorkspace(s *Server) *workspace {
	return &workspace{s: s, settings: settings{Map: map[string]string{}}, target: target{Kind: "sandbox", Mode: "upsert"}}
}

// close stops what the session started.
func (ws *workspace) close() {
	ws.cancelApply()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws.waitApply(ctx)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.box != nil {
		ws.box.stop()
		ws.box = nil
	}
	if ws.pfbox != nil {
		_ = ws.pfbox.stop()
		ws.pfbox = nil
	}
}

// reportDir makes a new report folder for one use case's run, inside the session's folder.
func (ws *workspace) reportDir(what string) string {
	ws.runs++
	return filepath.Join(ws.s.dir, "reports", fmt.Sprintf("%s-%d", what, ws.runs))
}

// state is what the page shows, for every tab: never a token.
func (ws *workspace) state() map[string]any {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	files := ws.files
	if files == nil {
		files = []*upload{} // the page reads a list, never null
	}
	st := map[string]any{
		"files": files, "settings": ws.settings, "error": ws.err, "busy": ws.busy,
		"target": ws.target.public(), "kinds": kindNames(),
	}
	if ws.val != nil {
		st["validation"] = ws.val
	}
	if ws.plan != nil {
		st["plan"] = ws.plan.summary()
	}
	if ws.pfprev != nil {
		st["pf_preview"] = ws.pfprev
	}
	if ws.job != nil {
		st["apply"] = ws.job.public()
	}
	ws.s.mu.Lock()
	st["version"] = ws.s.version
	ws.s.mu.Unlock()
	return st
}

func kindNames() []string {
	var names []string
	for _, k := range catalog.Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// inputOptions are the use cases' reading options: the working copies and the page's settings,
// the --map written as the command line's YAML.
func (ws *workspace) inputOptions(reportDir string) (app.InputOptions, error) {
	o := app.InputOptions{ReportDir: reportDir, Kind: ws.settings.Kind, Sheet: ws.settings.Sheet,
		HeaderRow: ws.settings.HeaderRow, IncludeHidden: ws.settings.IncludeHidden, Quiet: false}
	for _, f := range ws.files {
		o.Files = append(o.Files, f.work)
	}
	if len(ws.settings.Map) > 0 {
		o.MapFile = filepath.Join(ws.s.dir, "map.yaml")
		if err := os.WriteFile(o.MapFile, mapYAML(ws.settings.Map), 0o600); err != nil {
			return o, err
		}
	}
	return o, nil
}

// mapYAML is a --map file: `header: field` lines, sorted, each quoted as YAML needs.
func mapYAML(m map[string]string) []byte {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	var b bytes.Buffer
	b.WriteString("# bulk --map file: the header in your file, then the field it holds.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", strconv.Quote(k), strconv.Quote(m[k]))
	}
	return b.Bytes()
}

// lockedBuffer collects what a use case prints for people (its notes), from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// observer keeps every row's cells as read and its outcome (app.InputOptions.Observe).
type observer struct {
	mu     sync.Mutex
	tables []*table
	bySrc  map[*pipeline.Source]*table
}

func (o *observer) Table(src *pipeline.Source, k *pipeline.Kind, ps []pipeline.Problem) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bySrc == nil {
		o.bySrc = map[*pipeline.Source]*table{}
	}
	t := &table{Index: len(o.tables), File: src.File, Sheet: src.Sheet, HeaderRow: src.HeaderRow,
		Header: slices.Clone(src.Header), src: src, byRow: map[int]*row{}}
	if k != nil {
		t.Kind = k.Name
		for _, f := range k.Fields {
			t.Fields = append(t.Fields, f.Name)
		}
	}
	o.tables = append(o.tables, t)
	o.bySrc[src] = t
}

func (o *observer) Row(r *pipeline.Row, out pipeline.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.bySrc[r.Rec.Src]
	if t == nil {
		return
	}
	cells := make([]string, len(r.Rec.Cells))
	for i, c := range r.Rec.Cells {
		cells[i] = strings.Clone(c) // the reader reuses its buffers
	}
	rw := &row{Row: r.Rec.Row, Outcome: out.String(), Cells: cells}
	t.rows = append(t.rows, rw)
	t.byRow[rw.Row] = rw
	t.Rows++
	if out == pipeline.Rejected {
		t.Rejected++
	}
}

func (o *observer) Problem(pipeline.Problem) {} // the report keeps every problem; read from it after

// runValidate validates the working copies with app.Validate, as 'bulk validate' does, and keeps
// what it found for the grid. Called with ws.mu held; it releases it while the use case runs.
func (ws *workspace) runValidate(ctx context.Context) {
	if len(ws.files) == 0 {
		ws.val, ws.err = nil, ""
		return
	}
	dir := ws.reportDir("validate")
	o, err := ws.inputOptions(dir)
	if err != nil {
		ws.err = err.Error()
		return
	}
	obs := &observer{}
	o.Observe = obs
	notes := &lockedBuffer{}
	ws.busy = "validating"
	ws.mu.Unlock()
	ws.s.bump()
	out, err := app.Validate(ctx, app.Deps{Stdout: io.Discard, Stderr: notes, Getenv: ws.s.o.Getenv}, o)
	ws.mu.Lock()
	ws.busy = ""
	ws.plan, ws.pfprev = nil, nil // a plan (a preview) is of the rows as they were
	ws.err = ""
	if out == nil {
		ws.val, ws.err = nil, ws.s.sayError(err)
		return
	}
	if err != nil && app.KindOf(err) != app.Rejected {
		ws.err = ws.s.sayError(err)
	}
	v := &validation{ID: ws.runs, Counts: out.Counts, Rules: map[string]int{}, Tables: obs.tables, Notes: notes.lines(), Report: dir}
	for _, t := range v.Tables {
		v.mapColumns(t, ws.settings.Map)
	}
	for _, p := range out.Report.Problems() {
		v.Rules[p.Rule]++
		t := obs.bySrc[p.Source]
		if t == nil {
			v.General = append(v.General, problem{Col: -1, Rule: p.Rule, Severity: p.Severity.String(), Message: p.Message, Where: where(p)})
			continue
		}
		pr := problem{Row: p.Row, Col: colIndex(t.Header, p.Column), Column: p.Column, Value: p.Value, Rule: p.Rule, Severity: p.Severity.String(), Message: p.Message}
		if rw := t.byRow[p.Row]; rw != nil {
			rw.Problems = append(rw.Problems, pr)
		} else {
			t.Problems = append(t.Problems, pr)
		}
	}
	ws.val = v
}

func where(p pipeline.Problem) string {
	switch {
	case p.File == "":
		return ""
	case p.Sheet != "":
		return p.File + ", sheet " + p.Sheet
	}
	return p.File
}

// mapColumns names the field each of t's headers maps to, through the kind's synonyms and the
// page's mapping, as the pipeline maps them (pipeline.MapHeader).
func (v *validation) mapColumns(t *table, m map[string]string) {
	k, err := catalog.KindByName(t.Kind)
	if err != nil {
		return
	}
	aliases := pipeline.Aliases{}
	for h, f := range m {
		aliases[pipeline.NormalizeHeader(h)] = f
	}
	mp, _, _ := pipeline.MapHeader(k, t.src, aliases)
	for i, h := range t.Header {
		c := column{Header: h}
		if mp != nil && i < len(mp.FieldOf) && mp.FieldOf[i] >= 0 {
			c.Field = k.Fields[mp.FieldOf[i]].Name
		}
		t.Columns = append(t.Columns, c)
	}
}

func colIndex(header []string, name string) int {
	if name == "" {
		return -1
	}
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

// sayError is a use case's error in the page's words: the session's temporary folder, where
// the uploads, reports and plan lie, means nothing to the officer and is left out (a file is
// named by its name, the plan as "the plan"), and a hint to make the plan again with the command
// line points at the page's button instead.
func (s *Server) sayError(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var e *app.Error
	if errors.As(err, &e) && e.Hint != "" {
		hint := e.Hint
		if strings.Contains(hint, "bulk load onefile --dry-run") {
			hint = "Plan the load again, then apply the new plan."
		}
		msg += " " + hint
	}
	return sessionPaths(msg, s.dir)
}

// sessionPaths takes the session's folder out of msg: its plans become "the plan", other
// files their path inside it (a working copy: its name).
func sessionPaths(msg, dir string) string {
	sep := string(filepath.Separator)
	for _, d := range []string{filepath.Join(dir, "reports"), filepath.Join(dir, "work"), dir} {
		for {
			i := strings.Index(msg, d+sep)
			if i < 0 {
				break
			}
			end := i + len(d) + 1
			for end < len(msg) && !strings.ContainsRune(" :;,\"'\n", rune(msg[end])) {
				end++
			}
			rest := msg[i+len(d)+1 : end]
			if strings.HasSuffix(rest, "plan.json") {
				rest = "the plan"
			}
			msg = msg[:i] + rest + msg[end:]
		}
	}
	return msg
}

// Uploads.

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "send the files as a form upload")
		return
	}
	ws, done, ok := s.startOp(w, "a load is under way: wait for it to end, or cancel it, before changing the files")
	if !ok {
		return
	}
	defer done()
	dir := filepath.Join(s.dir, "work")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	// The files arrive in a folder of their own and replace the session's only once every one
	// has: an upload refused halfway leaves the session as it was.
	incoming, err := os.MkdirTemp(dir, ".incoming-")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer os.RemoveAll(incoming)
	var added []*upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the upload could not be read (%v); files together may be at most %d MiB", err, maxUpload>>20))
			return
		}
		name := cleanName(part.FileName())
		if name == "" {
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".csv" && ext != ".xlsx" && ext != ".txt" && ext != ".tsv" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s is not a CSV or XLSX file: save it from Excel as .xlsx or CSV UTF-8", name))
			return
		}
		if slices.ContainsFunc(added, func(a *upload) bool { return a.Name == name }) {
			// Two files of one name from different folders: both are data, and the session
			// keeps files by name, so one would replace the other unseen.
			writeError(w, http.StatusBadRequest, fmt.Sprintf("two of the files chosen are named %s (from different folders): rename one (autumn-%s, say) and upload them again", name, name))
			return
		}
		path := filepath.Join(incoming, name)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		n, err := io.Copy(f, part)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s could not be received (%v); files together may be at most %d MiB", name, err, maxUpload>>20))
			return
		}
		added = append(added, &upload{Name: name, Size: n, work: filepath.Join(dir, name), Hidden: hiddenSheets(path),
			Download: "/api/download/file/" + url.PathEscape(name)})
	}
	if len(added) == 0 {
		writeError(w, http.StatusBadRequest, "no file was chosen")
		return
	}
	for _, a := range added {
		// The original is kept beside the working copy, which cell edits change.
		from := filepath.Join(incoming, a.Name)
		if err := copyFile(from, filepath.Join(dir, ".orig-"+a.Name)); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if err := os.Rename(from, a.work); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	ws.mu.Lock()
	for _, a := range added {
		ws.files = slices.DeleteFunc(ws.files, func(u *upload) bool { return u.Name == a.Name })
		ws.files = append(ws.files, a)
	}
	ws.runValidate(r.Context())
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// cleanName is an uploaded file's name without any folder, or "" for none.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

func hiddenSheets(path string) []string {
	if !read.HasSheets(path) {
		return nil
	}
	in, err := read.Open(path, read.Options{})
	if err != nil {
		return nil // validation says why
	}
	defer in.Close()
	if h, ok := in.(interface{ HiddenSheets() []string }); ok {
		return h.HiddenSheets()
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

func (s *Server) handleClear(w http.ResponseWriter, r *http.Request) {
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	for _, f := range ws.files {
		os.Remove(f.work)
		os.Remove(filepath.Join(filepath.Dir(f.work), ".orig-"+f.Name))
	}
	ws.files, ws.val, ws.plan, ws.pfprev, ws.err = nil, nil, nil, nil, ""
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// handleSettings changes how the files are read (kind, sheet, header row, hidden sheets, the
// column mapping) and validates them again.
func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	var in settings
	if !readJSON(w, r, &in) {
		return
	}
	if in.HeaderRow < 0 || in.HeaderRow > pipeline.MaxHeaderRow {
		writeError(w, http.StatusBadRequest, "the header row must be a row of the sheet (1 for the first), or empty to find it")
		return
	}
	if in.Map == nil {
		in.Map = map[string]string{}
	}
	for h, f := range in.Map {
		if f == "" {
			delete(in.Map, h)
		}
	}
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	ws.settings = in
	ws.runValidate(r.Context())
	ws.mu.Unlock()
	s.bump()
	writeJSON(w, http.StatusOK, ws.state())
}

// handleRows serves one page of a table's rows for the grid: all rows or those with problems,
// optionally those with a problem of one rule or in one column.
func (s *Server) handleRows(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ti, _ := strconv.Atoi(q.Get("table"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ws := s.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.val == nil || ti < 0 || ti >= len(ws.val.Tables) {
		writeError(w, http.StatusNotFound, "no such table: upload a file first")
		return
	}
	t := ws.val.Tables[ti]
	rule, col, only := q.Get("rule"), q.Get("column"), q.Get("show")
	rows := t.rows
	if rule != "" || col != "" || only != "" {
		rows = nil
		for _, rw := range t.rows {
			if keep(rw, rule, col, only) {
				rows = append(rows, rw)
			}
		}
	}
	total := len(rows)
	offset = min(max(offset, 0), total)
	end := min(offset+limit, total)
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": offset, "rows": rows[offset:end]})
}

func keep(rw *row, rule, col, only string) bool {
	switch only {
	case "problems":
		if len(rw.Problems) == 0 {
			return false
		}
	case "rejected":
		if rw.Outcome != pipeline.Rejected.String() {
			return false
		}
	}
	if rule == "" && col == "" {
		return true
	}
	for _, p := range rw.Problems {
		if (rule == "" || p.Rule == rule) && (col == "" || p.Column == col) {
			return true
		}
	}
	return false
}

// handleCell changes one cell of a working copy and validates every file again at once: rules
// across rows (duplicates, references) see the change as the command line would.
func (s *Server) handleCell(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Table int    `json:"table"`
		Row   int    `json:"row"`
		Col   int    `json:"col"`
		Value string `json:"value"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ws, done, ok := s.startOp(w, "")
	if !ok {
		return
	}
	defer done()
	ws.mu.Lock()
	defer func() { ws.mu.Unlock(); s.bump() }()
	if ws.val == nil || in.Table < 0 || in.Table >= len(ws.val.Tables) {
		writeError(w, http.StatusNotFound, "no such table: validate again")
		return
	}
	t := ws.val.Tables[in.Table]
	rw := t.byRow[in.Row]
	if rw == nil || in.Col < 0 || in.Col >= len(t.Header) || in.Col >= 16384 {
		writeError(w, http.StatusNotFound, "no such cell")
		return
	}
	var up *upload
	for _, f := range ws.files {
		if f.work == t.src.Path {
			up = f
		}
	}
	if up == nil {
		writeError(w, http.StatusNotFound, "that file is no longer in the session")
		return
	}
	if err := editCell(t, rw, in.Col, in.Value); errors.Is(err, errNot1252) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("the cell could not be changed: %v", err))
		return
	}
	up.Edits++
	ws.runValidate(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// editCell writes value into the working copy at the row and column the grid showed. A workbook
// is changed in place (every other cell, sheet and format kept); a CSV file is written again
// from the rows as read, UTF-8, each on the row number it had.
func editCell(t *table, rw *row, col int, value string) error {
	if read.HasSheets(t.src.Path) {
		f, err := excelize.OpenFile(t.src.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		cell, err := excelize.CoordinatesToCellName(col+1, rw.Row)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(t.Sheet, cell, value); err != nil {
			return err
		}
		return f.Save()
	}
	for len(rw.Cells) <= col {
		rw.Cells = append(rw.Cells, "")
	}
	was := rw.Cells[col]
	rw.Cells[col] = value
	if err := writeCSV(t); err != nil {
		rw.Cells[col] = was // the file is unchanged: so is the grid's row
		return err
	}
	return nil
}

// recordsAbove is the text of the first n records of the CSV file at path (each with its line
// end; a quoted cell may run over lines), decoded from enc, and how many it found: the rows above
// a header. Files in other encodings than UTF-8 and Windows-1252 give none.
func recordsAbove(path, enc string, n int) (string, int) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", 0
	}
	switch enc {
	case pipeline.EncodingWindows1252:
		if raw, err = charmap.Windows1252.NewDecoder().Bytes(raw); err != nil {
			return "", 0
		}
	case read.EncodingUTF8, read.EncodingUTF8BOM:
		raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	default:
		return "", 0
	}
	quoted, found := false, 0
	for i, c := range raw {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			if found++; found == n {
				return string(raw[:i+1]), found
			}
		}
	}
	return "", 0
}

// errNot1252 is a value typed into a Windows-1252 file that the encoding cannot hold.
var errNot1252 = errors.New(`this file was saved in Windows-1252 (Excel's plain "CSV"), which cannot hold that value's characters: save the file from Excel as "CSV UTF-8" and upload it again, then fix the cell`)

// writeCSV writes a CSV table back from its rows: blank lines where the file had rows that
// were not data, so that every row keeps its number. A file read as Windows-1252 (Excel's
// plain "CSV") is written back in Windows-1252: as UTF-8 it would no longer read as a file that
// lost characters to '?', and its lossy-encoding warnings would vanish with the '?' still in
// it. Others are written as UTF-8 with a BOM, so that Excel opens them right.
func writeCSV(t *table) error {
	var b bytes.Buffer
	cp1252 := t.src.Encoding == pipeline.EncodingWindows1252
	if !cp1252 {
		b.WriteString("\ufeff")
	}
	line := 1
	put := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\r\n") || strings.TrimSpace(c) != c {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
		line++
	}
	if t.HeaderRow > 1 {
		// The rows above the header (a title, a date, notes) are not data, but the officer's:
		// kept as the file has them.
		if above, n := recordsAbove(t.src.Path, t.src.Encoding, t.HeaderRow-1); n == t.HeaderRow-1 {
			b.WriteString(above)
			line += n
		}
	}
	for line < t.HeaderRow {
		put(nil)
	}
	put(t.Header)
	rows := slices.Clone(t.rows)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	for _, rw := range rows {
		for line < rw.Row {
			put(nil)
		}
		put(rw.Cells)
	}
	out := b.Bytes()
	if cp1252 {
		var err error
		if out, err = charmap.Windows1252.NewEncoder().Bytes(out); err != nil {
			return errNot1252
		}
	}
	return os.WriteFile(t.src.Path, out, 0o600)
}

// handleDownload serves the session's files: the fixed workbook (a working copy), the --map
// YAML, the rejects report, and the new users' logins (once).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	what := r.PathValue("what")
	ws.mu.Lock()
	defer ws.mu.Unlock()
	switch what {
	case "map.yaml":
		serveBytes(w, "map.yaml", mapYAML(ws.settings.Map))
	case "rejects.xlsx", "rejects.csv":
		if ws.val == nil {
			writeError(w, http.StatusNotFound, "nothing validated yet")
			return
		}
		serveFile(w, r, filepath.Join(ws.val.Report, what), what)
	case "credentials.csv":
		ws.serveCredentials(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such report in this session")
	}
}

// handleDownloadFile serves an uploaded file's working copy, with the cells fixed on the page.
func (s *Server) handleDownloadFile(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	name := r.PathValue("name")
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, f := range ws.files {
		if f.Name == name {
			serveFile(w, r, f.work, fixedName(f.Name, f.Edits))
			return
		}
	}
	writeError(w, http.StatusNotFound, "no such file in this session")
}

// fixedName is the name a working copy downloads as: term.xlsx changed on the page is
// term-fixed.xlsx, so the original is not overwritten by mistake.
func fixedName(name string, edits int) string {
	if edits == 0 {
		return name
	}
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-fixed" + ext
}

func serveBytes(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(b)
}

func serveFile(w http.ResponseWriter, r *http.Request, path, name string) {
	b, err := os.ReadFile(path)
	if err != nil {
		writeError(w, http.StatusNotFound, name+" is not there")
		return
	}
	serveBytes(w, name, b)
}

// startOp takes the server's one-operation-at-a-time lock for a handler that changes the
// workspace, and gives the workspace when no load or push is under way; else it answers 409 with
// busy (a standard sentence when "") and lets the lock go. The handler defers done.
func (s *Server) startOp(w http.ResponseWriter, busy string) (ws *workspace, done func(), ok bool) {
	s.op.Lock()
	if s.ws.applying() {
		s.op.Unlock()
		if busy == "" {
			busy = "a load is under way: wait for it to end, or cancel it, first"
		}
		writeError(w, http.StatusConflict, busy)
		return nil, nil, false
	}
	return s.ws, s.op.Unlock, true
}
