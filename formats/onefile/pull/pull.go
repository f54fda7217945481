package pull

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/bulkload/bulk/formats/onefile"
	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Source is what a pull reads from OneFile; *api.Client is one.
type Source interface {
	ListUsers(ctx context.Context, f api.UserFilter, fn func(page []api.RawUser) error) error
	GetUserRaw(ctx context.Context, id int) (api.RawUser, error)
	SearchClassrooms(ctx context.Context, f api.NameFilter) ([]api.Classroom, error)
	SearchPlacements(ctx context.Context, f api.NameFilter) ([]api.Placement, error)
	SearchStandards(ctx context.Context, f api.StandardFilter) ([]api.Standard, error)
	SearchUnits(ctx context.Context, f api.UnitFilter) ([]api.Unit, error)
}

// Options tune a pull.
type Options struct {
	// Readers is how many GET /User/{id} run at once when a search answers summaries (the
	// client's rate limiter paces them all); default 4.
	Readers int
	// Progress, when set, is told each time a page of users has been written.
	Progress func(sheet string, users int)
}

// Counts is what a pull wrote.
type Counts struct {
	Users      map[string]int `json:"users"` // by sheet
	Read       int            `json:"users_read_whole"`
	Classrooms int            `json:"classrooms"`
	Placements int            `json:"placements"`
	Standards  int            `json:"standards"`
	Units      int            `json:"units"`
}

// Sheets are the sheets written, in order, with their row counts (headers excluded).
func (c *Counts) Sheets() []string {
	var out []string
	for _, g := range Groups {
		if n := c.Users[g.Sheet]; n > 0 {
			out = append(out, fmt.Sprintf("%s (%d)", g.Sheet, n))
		}
	}
	return out
}

// Write pulls organisation org from src into w as an XLSX workbook. Each sheet is streamed
// (excelize's StreamWriter keeps at most a chunk of rows in memory, the rest in a temporary
// file), and users are read one page at a time, so memory stays flat whatever the
// organisation's size. csv, when not nil, is given every sheet's rows too (bulk pull --csv).
func Write(ctx context.Context, src Source, org int, w io.Writer, csv SheetSink, o Options) (*Counts, error) {
	if o.Readers <= 0 {
		o.Readers = 4
	}
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetDocProps(&excelize.DocProperties{
		Title:    fmt.Sprintf("OneFile organisation %d", org),
		Subject:  "bulk pull onefile",
		Creator:  "bulk",
		Keywords: "bulk-pull onefile",
		Description: "What the organisation held when pulled. The users sheets load back as they are: " +
			"bulk load onefile --mode upsert FILE changes only what you edit. The reference sheets are not loaded.",
		Created: time.Now().UTC().Format(time.RFC3339),
	})
	text, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("@")})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: ptr("@")})
	if err != nil {
		return nil, err
	}
	p := &puller{ctx: ctx, src: src, org: org, f: f, text: text, head: head, o: o, csv: csv,
		counts: &Counts{Users: map[string]int{}}}
	if p.csv == nil {
		p.csv = discard{}
	}
	// Every sheet exists from the start, in the order a person reads them: the users sheets
	// (an empty one is a header to fill in; each row carries its user's OneFile ID), then the
	// reference sheets. The first, open when the workbook opens, is Assessors. (SetActiveSheet
	// would read a streamed sheet back into memory, so the order does the choosing.)
	names := []string{}
	for _, g := range Groups {
		names = append(names, g.Sheet)
	}
	for _, r := range refSheets {
		names = append(names, r.Name)
	}
	if err := f.SetSheetName(f.GetSheetName(0), names[0]); err != nil {
		return nil, err
	}
	for _, n := range names[1:] {
		if _, err := f.NewSheet(n); err != nil {
			return nil, err
		}
	}
	for _, g := range Groups {
		if err := p.group(g); err != nil {
			return nil, err
		}
	}
	if err := p.references(); err != nil {
		return nil, err
	}
	// excelize's WriteTo builds the whole zip in a buffer before copying it to w: the file's
	// size in memory at the end (10 MiB per 100k users). Its zip writer, given w itself, writes
	// each part straight through instead; the buffer stays empty. (What excelize then does to
	// the buffer only matters for parts over 4 GiB, which a sheet of Excel's 1,048,576 rows of
	// users does not reach.)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if _, err := f.WriteTo(io.Discard); err != nil {
		return nil, err
	}
	return p.counts, nil
}

func ptr[T any](v T) *T { return &v }

type puller struct {
	ctx        context.Context
	src        Source
	org        int
	f          *excelize.File
	text, head int
	o          Options
	csv        SheetSink
	counts     *Counts
}

// SheetSink receives every sheet's rows as well (bulk pull --csv writes one CSV per sheet).
type SheetSink interface {
	Sheet(name string, header []string) (RowSink, error)
}

// RowSink takes one sheet's rows.
type RowSink interface {
	Row(cells []string) error
	Close() error
}

type discard struct{}

func (discard) Sheet(string, []string) (RowSink, error) { return discard{}, nil }
func (discard) Row([]string) error                      { return nil }
func (discard) Close() error                            { return nil }

// sheetWriter streams one sheet (and its CSV twin).
type sheetWriter struct {
	p   *puller
	sw  *excelize.StreamWriter
	csv RowSink
	row int
	buf []any
}

// sheet starts streaming a sheet made by Write: widths, header row, frozen pane.
func (p *puller) sheet(name string, header []string) (*sheetWriter, error) {
	sw, err := p.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	for i, h := range header {
		w := float64(min(max(len(h)+4, 12), 40))
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	cs, err := p.csv.Sheet(name, header)
	if err != nil {
		return nil, err
	}
	s := &sheetWriter{p: p, sw: sw, csv: cs}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{StyleID: p.head, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return nil, err
	}
	s.row = 1
	return s, nil
}

// add writes one row, every cell as text (Text format, so Excel keeps IDs, ULNs, phone numbers
// and dates as they are when the file is edited and saved).
func (s *sheetWriter) add(cells []string) error {
	s.row++
	s.buf = s.buf[:0]
	for _, c := range cells {
		if c == "" {
			s.buf = append(s.buf, nil)
			continue
		}
		s.buf = append(s.buf, excelize.Cell{StyleID: s.p.text, Value: c})
	}
	cell, _ := excelize.CoordinatesToCellName(1, s.row)
	if err := s.sw.SetRow(cell, s.buf); err != nil {
		return err
	}
	return s.csv.Row(cells)
}

func (s *sheetWriter) close() error {
	if err := s.sw.Flush(); err != nil {
		return err
	}
	return s.csv.Close()
}

// group writes one users sheet, reading its roles' users page by page. A group with no users
// is its header alone.
func (p *puller) group(g Group) error {
	sw, err := p.sheet(g.Sheet, g.Columns)
	if err != nil {
		return err
	}
	cells := make([]string, len(g.Columns))
	for _, role := range g.Roles {
		var searchWhole *bool // settled on the role's first page
		err := p.src.ListUsers(p.ctx, api.UserFilter{OrganisationID: p.org, Role: api.Role(role)}, func(page []api.RawUser) error {
			page, err := p.complete(page, &searchWhole)
			if err != nil {
				return err
			}
			for _, u := range page {
				for i, c := range g.Columns {
					cells[i] = Cell(c, u[c])
					if c == schema.UserID.Name { // answered as "ID"
						cells[i] = ""
						if id := u.ID(); id > 0 {
							cells[i] = strconv.Itoa(id)
						}
					}
				}
				if err := sw.add(cells); err != nil {
					return err
				}
			}
			p.counts.Users[g.Sheet] += len(page)
			if p.o.Progress != nil {
				p.o.Progress(g.Sheet, p.counts.Users[g.Sheet])
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading the %s (role %d): %w", strings.ToLower(g.Sheet), role, err)
		}
	}
	return sw.close()
}

// complete makes page's users whole (guess G19). Whether a user search answers whole users or summaries
// is not documented (docs/onefile-api.md; real centres answer summaries): the first user of a
// search is read whole (GET /User/{id}) and compared with its search answer, which settles it
// for the rest of the search (*whole). A search that answers summaries has every user read whole,
// a few reads at a time, keeping the page's order.
func (p *puller) complete(page []api.RawUser, whole **bool) ([]api.RawUser, error) {
	if len(page) == 0 || *whole != nil && **whole {
		return page, nil
	}
	start := 0
	if *whole == nil {
		full, err := p.get(page[0].ID())
		if err != nil {
			return nil, err
		}
		p.counts.Read++
		w := true
		for k := range full {
			if _, ok := page[0][k]; !ok {
				w = false // GET answers a field the search left out
			}
		}
		*whole = &w
		page[0] = full
		if w {
			return page, nil
		}
		start = 1
	}
	g, ctx := errgroup.WithContext(p.ctx)
	g.SetLimit(p.o.Readers)
	for i := start; i < len(page); i++ {
		id := page[i].ID()
		g.Go(func() error {
			full, err := p.getCtx(ctx, id)
			if err != nil {
				return err
			}
			page[i] = full
			return nil
		})
		p.counts.Read++
	}
	return page, g.Wait()
}

func (p *puller) get(id int) (api.RawUser, error) { return p.getCtx(p.ctx, id) }

func (p *puller) getCtx(ctx context.Context, id int) (api.RawUser, error) {
	if id <= 0 {
		return nil, fmt.Errorf("a user search answered a user without an ID")
	}
	u, err := p.src.GetUserRaw(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("GET /User/%d: %w", id, err)
	}
	return u, nil
}

// references writes the classrooms, placements, standards and units sheets.
func (p *puller) references() error {
	ctx, org := p.ctx, p.org
	cls, err := p.src.SearchClassrooms(ctx, api.NameFilter{OrganisationID: org})
	if err != nil {
		return fmt.Errorf("reading the classrooms: %w", err)
	}
	if err := p.refRows(Classrooms, len(cls), func(i int) []string {
		return []string{strconv.Itoa(cls[i].ID), cls[i].Name, cls[i].MISID}
	}); err != nil {
		return err
	}
	p.counts.Classrooms = len(cls)
	pls, err := p.src.SearchPlacements(ctx, api.NameFilter{OrganisationID: org})
	if err != nil {
		return fmt.Errorf("reading the placements: %w", err)
	}
	if err := p.refRows(Placements, len(pls), func(i int) []string {
		return []string{strconv.Itoa(pls[i].ID), pls[i].Name, pls[i].MISID}
	}); err != nil {
		return err
	}
	p.counts.Placements = len(pls)
	sts, err := p.src.SearchStandards(ctx, api.StandardFilter{OrganisationID: org})
	if err != nil {
		return fmt.Errorf("reading the standards: %w", err)
	}
	if err := p.refRows(Standards, len(sts), func(i int) []string {
		return []string{strconv.Itoa(sts[i].ID), sts[i].Title}
	}); err != nil {
		return err
	}
	p.counts.Standards = len(sts)
	titles := make(map[int]string, len(sts))
	for _, s := range sts {
		titles[s.ID] = s.Title
	}
	uns, err := p.src.SearchUnits(ctx, api.UnitFilter{OrganisationID: org})
	if err != nil {
		return fmt.Errorf("reading the units: %w", err)
	}
	if err := p.refRows(Units, len(uns), func(i int) []string {
		u := uns[i]
		std := ""
		if u.StandardID != 0 {
			std = strconv.Itoa(u.StandardID)
		}
		return []string{string(u.ID), u.Title, std, titles[u.StandardID], u.NDAQCode}
	}); err != nil {
		return err
	}
	p.counts.Units = len(uns)
	return nil
}

func (p *puller) refRows(r refSheet, n int, row func(int) []string) error {
	sw, err := p.sheet(r.Name, r.Header)
	if err != nil {
		return err
	}
	for i := range n {
		if err := sw.add(row(i)); err != nil {
			return err
		}
	}
	return sw.close()
}

// text is an answer's value as text: strings as they are, numbers as their JSON text.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// Cell is how a pull writes the value OneFile answered for the onefile-users column field, in
// a form the kind reads back as the same value: IDs and codes as their digits (an ID of 0 is
// "none", except for the codes where 0 is a value), dates as yyyy-mm-dd (ISO, which no
// --date-order misreads), CreatedOn with its time, booleans as true/false.
func Cell(field string, v any) string {
	s := strings.TrimSpace(text(v))
	if s == "" {
		return ""
	}
	sf, ok := schema.UserField(field)
	if !ok {
		return s
	}
	switch sf.Type {
	case schema.Int:
		if s == "0" {
			if i := onefile.Users.FieldIndex(field); i >= 0 && onefile.Users.Fields[i].Min > 0 {
				return "" // OneFile's "no classroom": not an ID to send
			}
		}
	case schema.Date:
		t, err := parseTime(s)
		if err != nil {
			return s // as OneFile gave it: the kind will say what is wrong with it
		}
		if field == "CreatedOn" && (t.Hour() != 0 || t.Minute() != 0) {
			return t.Format("2006-01-02 15:04")
		}
		return t.Format("2006-01-02")
	}
	return s
}

func parseTime(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 date", s)
}
