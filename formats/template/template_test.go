package template

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	_ "github.com/bulkload/bulk/formats/onefile" // the real kinds: every registered kind gets a template
	"github.com/bulkload/bulk/internal/catalog"
	"github.com/bulkload/bulk/pipeline"
	"github.com/bulkload/bulk/pipeline/read"
)

// allKinds is every registered kind plus the test kind.
func allKinds() []*pipeline.Kind {
	return append(catalog.Kinds(), testKind())
}

func colOf(t *testing.T, k *pipeline.Kind, name string) string {
	t.Helper()
	for pos, fi := range Order(k) {
		if k.Fields[fi].Name == name {
			c, _ := excelize.ColumnNumberToName(pos + 1)
			return c
		}
	}
	t.Fatalf("%s has no field %s", k.Name, name)
	return ""
}

func TestLayout(t *testing.T) {
	for _, k := range allKinds() {
		t.Run(k.Name, func(t *testing.T) {
			f, err := excelize.OpenFile(writeTemplate(t, k))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			data := MainSheet(k)
			sheets := f.GetSheetList()
			if sheets[0] != DataSheets(k)[0].Name || !slices.Contains(sheets, data) || !slices.Contains(sheets, ReadMeSheet) {
				t.Fatalf("sheets %q: want %s first and a %s sheet", sheets, data, ReadMeSheet)
			}
			if got := f.GetSheetName(f.GetActiveSheetIndex()); got != DataSheets(k)[0].Name {
				t.Errorf("the workbook opens on %s, want the first data sheet", got)
			}

			rows, err := f.GetRows(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !slices.Equal(rows[0], Headers(k)) {
				t.Fatalf("data sheet rows %q: want only the header %q", rows, Headers(k))
			}
			// Required columns come first.
			seenOptional := false
			for _, fi := range Order(k) {
				if !k.Fields[fi].Required {
					seenOptional = true
				} else if seenOptional {
					t.Errorf("required %s comes after an optional column", k.Fields[fi].Name)
				}
			}

			panes, err := f.GetPanes(data)
			if err != nil {
				t.Fatal(err)
			}
			if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
				t.Errorf("panes %+v: want the header row frozen", panes)
			}

			comments, err := f.GetComments(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(comments) != len(k.Fields) {
				t.Errorf("%d header notes, want %d", len(comments), len(k.Fields))
			}
			for _, c := range comments {
				col, row, _ := excelize.CellNameToCoordinates(c.Cell)
				fd := &k.Fields[Order(k)[col-1]]
				text := ""
				for _, p := range c.Paragraph {
					text += p.Text
				}
				if row != 1 || !strings.Contains(text, fd.Name) || !strings.Contains(text, Need(fd)) || !strings.Contains(text, Describe(fd)) {
					t.Errorf("note on %s: %q does not name %s, say it is %s and how to write it", c.Cell, text, fd.Name, Need(fd))
				}
			}

			dvs, err := f.GetDataValidations(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(dvs) != len(k.Fields) {
				t.Errorf("%d data validations, want one per column (%d)", len(dvs), len(k.Fields))
			}
			needLists := false
			for pos, fi := range Order(k) {
				fd := &k.Fields[fi]
				col, _ := excelize.ColumnNumberToName(pos + 1)
				dv := dvFor(t, f, data, col)
				if dv.PromptTitle == nil || *dv.PromptTitle != clip(fd.Name, maxPromptTitle) || dv.Prompt == nil || len([]rune(*dv.Prompt)) > maxPrompt {
					t.Errorf("%s: prompt %v %v", fd.Name, dv.PromptTitle, dv.Prompt)
				}
				if dv.Error != nil && len([]rune(*dv.Error)) > maxError {
					t.Errorf("%s: error message longer than Excel allows: %q", fd.Name, *dv.Error)
				}
				if vals, _ := Values(fd); len(vals) > 0 {
					if dv.Type != "list" {
						t.Errorf("%s: validation %s, want a drop-down list", fd.Name, dv.Type)
					}
					isInline := strings.HasPrefix(dv.Formula1, `"`)
					if isInline != inline(vals) {
						t.Errorf("%s: inline list %v, want %v (%d values)", fd.Name, isInline, inline(vals), len(vals))
					}
					needLists = needLists || !isInline
				}
				// The data cells' format: text for identifiers, dates for dates.
				style, err := f.GetColStyle(data, col)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if st, err := f.GetStyle(style); err == nil && st.CustomNumFmt != nil {
					got = *st.CustomNumFmt
				} else if err == nil && st.NumFmt == 49 {
					got = "@"
				}
				if got != NumFmt(fd) {
					t.Errorf("%s: column format %q, want %q", fd.Name, got, NumFmt(fd))
				}
				if w, err := f.GetColWidth(data, col); err != nil || w < float64(len(fd.Name)) {
					t.Errorf("%s: column width %v (%v) narrower than its header", fd.Name, w, err)
				}
			}
			hasLists := slices.Contains(sheets, ListsSheet)
			if hasLists != needLists {
				t.Errorf("Lists sheet present %v, needed %v", hasLists, needLists)
			}
			if hasLists {
				if visible, _ := f.GetSheetVisible(ListsSheet); visible {
					t.Errorf("the Lists sheet is visible")
				}
			}

			readme, err := f.GetRows(ReadMeSheet)
			if err != nil {
				t.Fatal(err)
			}
			all := fmt.Sprint(readme)
			for _, want := range append([]string{k.Name, k.Title, "bulk validate", "bulk kinds " + k.Name}, Headers(k)...) {
				if !strings.Contains(all, want) {
					t.Errorf("Read me does not mention %q", want)
				}
			}
			// The example row: the headers on one row, the examples under them.
			for i, r := range readme {
				if slices.Equal(r, Headers(k)) && i+1 < len(readme) {
					for c, fi := range Order(k) {
						if got := cellAt(readme[i+1], c); got != k.Fields[fi].Example {
							t.Errorf("Read me example for %s = %q, want %q", k.Fields[fi].Name, got, k.Fields[fi].Example)
						}
					}
					return
				}
			}
			t.Errorf("Read me has no example row")
		})
	}
}

func cellAt(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// TestRoundTrip is the test that matters: a template filled in with good data passes the real
// pipeline, every row; the same with one bad value rejects that row and only it.
func TestRoundTrip(t *testing.T) {
	k := testKind()
	good := []map[string]string{
		examples(k),
		{"Action": "u", "UserID": "asmith", "Email": "a.smith@example.com", "ULN": "1000000051", "NINO": "AB123456",
			"MISID": "0000042", "Phone": "+44 113 496 0000", "Level": "3", "Grade": "*NONE*", "Cost": "0.99",
			"StartOn": "2026-09-01", "EndOn": "NONE", "Currency": "EUR", "Venue": "Leeds, Main Site", "Active": "false"},
		{"Action": "D", "UserID": "cjones", "StartOn": "01/09/2026", "Level": "1", "Grade": "1", "Cost": "100"},
	}
	t.Run("valid", func(t *testing.T) {
		path := fill(t, k, good)
		for _, tc := range []struct {
			name string
			kind *pipeline.Kind
			ro   read.Options
		}{
			{"detected", nil, read.Options{}},
			{"--kind --sheet", k, read.Options{Sheet: MainSheet(k)}},
		} {
			o := validate(t, path, tc.kind, []*pipeline.Kind{k}, tc.ro)
			if o.counts.Read != int64(len(good)) || o.counts.Valid != o.counts.Read || len(o.problems) != 0 {
				t.Errorf("%s: %+v, problems:%s", tc.name, o.counts, describe(o.problems))
			}
			if tc.kind == nil {
				if o.chosen[MainSheet(k)] != k.Name {
					t.Errorf("detection chose %v", o.chosen)
				}
				// The Read me sheet is not data: detection passes over it. The Lists sheet is
				// hidden, so it is not read at all (see read.Options.IncludeHidden).
				if !slices.Equal(o.skipped, []string{ReadMeSheet}) {
					t.Errorf("skipped %q, want the Read me sheet", o.skipped)
				}
			}
		}
	})

	for _, tc := range []struct {
		field, value string
		rule         string
		dvStops      bool // the template's validation refuses the value as it is typed
	}{
		{"Action", "X", pipeline.RuleEnum, true},
		{"Action", "", pipeline.RuleRequired, false}, // Excel cannot require a value; bulk does
		{"UserID", "a-very-long-user-id", pipeline.RuleMaxLength, true},
		{"Email", "jo.bloggs.example.com", pipeline.RuleEmail, true},
		{"ULN", "1000000063", pipeline.RuleULN, false}, // ten digits, wrong check digit: Excel cannot tell
		{"ULN", "100000004", pipeline.RuleULN, true},
		{"NINO", "GB123456A", pipeline.RuleNINO, false},
		{"MISID", "this-is-far-too-long", pipeline.RuleMaxLength, true},
		{"Level", "7", pipeline.RuleInteger, true},
		{"Level", "2.5", pipeline.RuleInteger, true},
		{"Grade", "6", pipeline.RuleInteger, true},
		{"Grade", "none at all", pipeline.RuleInteger, true},
		{"Cost", "12.345", pipeline.RuleDecimal, true},
		{"Cost", "twelve", pipeline.RuleDecimal, true},
		{"StartOn", "31/02/2026", pipeline.RuleDate, true}, // not a date: Excel keeps it as text
		{"EndOn", "soon", pipeline.RuleDate, true},
		{"Currency", "XYZ", pipeline.RuleEnum, true},
		{"Active", "maybe", pipeline.RuleBool, false}, // the drop-down suggests; yes/no and 1/0 are accepted too
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			rows := []map[string]string{good[0], clone(good[1]), good[2]}
			rows[1][tc.field] = tc.value
			path := fill(t, k, rows)
			o := validate(t, path, nil, []*pipeline.Kind{k}, read.Options{})
			if o.counts.Read != 3 || o.counts.Valid != 2 || o.counts.Rejected != 1 {
				t.Fatalf("%+v, want row 3 rejected and the others valid; problems:%s", o.counts, describe(o.problems))
			}
			if len(o.problems) != 1 || o.problems[0].Row != 3 || o.problems[0].Column != tc.field || o.problems[0].Rule != tc.rule {
				t.Errorf("problems:%s\nwant one %s on row 3, column %s", describe(o.problems), tc.rule, tc.field)
			}
			tmpl := writeTemplate(t, k)
			fd := &k.Fields[k.MustField(tc.field)]
			if got := accepts(t, tmpl, colOf(t, k, tc.field), typed(fd, tc.value)); got == tc.dvStops {
				t.Errorf("Excel's validation accepts %q: %v, want %v", tc.value, got, !tc.dvStops)
			}
		})
	}

	t.Run("duplicate", func(t *testing.T) {
		rows := []map[string]string{good[0], clone(good[1]), good[2]}
		rows[1]["Email"] = good[0]["Email"]
		o := validate(t, fill(t, k, rows), nil, []*pipeline.Kind{k}, read.Options{})
		if o.counts.Rejected != 1 || len(o.problems) != 1 || o.problems[0].Rule != pipeline.RuleDuplicate || o.problems[0].Row != 3 {
			t.Errorf("%+v%s", o.counts, describe(o.problems))
		}
		tmpl := writeTemplate(t, k)
		col := colOf(t, k, "Email")
		if accepts(t, tmpl, col, good[0]["Email"], good[0]["Email"]) {
			t.Errorf("Excel's validation accepts an e-mail already in the column")
		}
		if !accepts(t, tmpl, col, good[0]["Email"], good[1]["Email"]) {
			t.Errorf("Excel's validation refuses a new e-mail")
		}
	})
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestExamples checks every kind's metadata the way its template uses it: each example passes its
// column's own checks in bulk (the Read me shows them as what good values look like) and the
// column's Excel validation, and each drop-down value is a spelling bulk understands.
func TestExamples(t *testing.T) {
	for _, k := range allKinds() {
		t.Run(k.Name, func(t *testing.T) {
			ex := examples(k)
			for _, f := range k.Fields {
				if f.Required && f.Example == "" {
					t.Errorf("%s is required and has no Example: the template's example row leaves it blank", f.Name)
				}
			}
			// The example row through the column checks alone: a kind's row rules may need
			// columns to agree (one of LearnerID, LearnerMISID...), which one value per column
			// cannot show.
			columnsOnly := &pipeline.Kind{Name: k.Name, Fields: k.Fields}
			o := validate(t, fill(t, k, []map[string]string{ex}), columnsOnly, nil, read.Options{Sheet: MainSheet(k)})
			if o.counts.Valid != 1 {
				t.Errorf("an example fails its column's checks:%s", describe(o.problems))
			}
			tmpl := writeTemplate(t, k)
			for _, f := range k.Fields {
				if f.Example != "" && !accepts(t, tmpl, colOf(t, k, f.Name), typed(&f, f.Example)) {
					t.Errorf("%s: Excel's validation refuses the example %q", f.Name, f.Example)
				}
			}
			// Each drop-down value, put into the example row of the full kind: bulk must not
			// refuse the spelling. Errors about how it combines with the rest of the row (a
			// learner at Level 3) are the kind's business; a refused spelling shows as a
			// value-check rule or a message quoting the value.
			var rows []map[string]string
			var offered []string
			for _, f := range k.Fields {
				vals, _ := Values(&f)
				for _, v := range vals {
					r := clone(ex)
					r[f.Name] = v
					rows = append(rows, r)
					offered = append(offered, f.Name+"\x00"+v)
				}
			}
			if len(rows) == 0 {
				return
			}
			o = validate(t, fill(t, k, rows), k, nil, read.Options{Sheet: MainSheet(k)})
			spelling := map[string]bool{pipeline.RuleEnum: true, pipeline.RuleInteger: true, pipeline.RuleDecimal: true,
				pipeline.RuleBool: true, pipeline.RuleDate: true, pipeline.RuleMaxLength: true}
			for _, p := range o.problems {
				if p.Severity != pipeline.Error || p.Row < 2 || p.Row-2 >= len(offered) {
					continue
				}
				field, v, _ := strings.Cut(offered[p.Row-2], "\x00")
				if p.Column == field && (spelling[p.Rule] || strings.Contains(p.Message, fmt.Sprintf("%q", v))) {
					t.Errorf("drop-down value %s=%q is refused: %s (%s)", field, v, p.Message, p.Rule)
				}
			}
		})
	}
}

// TestDetection: a template's headers are recognised as its kind, among all the kinds.
func TestDetection(t *testing.T) {
	kinds := allKinds()
	for _, k := range kinds {
		src := &pipeline.Source{File: "t.xlsx", Sheet: MainSheet(k), Header: Headers(k)}
		if got, cs := pipeline.DetectKind(src, nil, kinds); got != k {
			t.Errorf("%s template detected as %v (candidates %v)", k.Name, got, cs)
		}
	}
}

func TestCSV(t *testing.T) {
	for _, k := range allKinds() {
		var b bytes.Buffer
		if err := WriteCSV(&b, k); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		if !strings.HasSuffix(s, "\r\n") || strings.Count(s, "\n") != 1 || strings.HasPrefix(s, "\ufeff") {
			t.Errorf("%s: %q: want one CRLF-ended header line without a byte-order mark", k.Name, s)
		}
		path := t.TempDir() + "/" + k.Name + ".csv"
		if err := writeFile(path, b.Bytes()); err != nil {
			t.Fatal(err)
		}
		in, err := read.Open(path, read.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := in.NextTable()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tbl.Source().Header, Headers(k)) {
			t.Errorf("%s: bulk reads the header as %q, want %q", k.Name, tbl.Source().Header, Headers(k))
		}
		var rec pipeline.Record
		if err := tbl.Next(&rec); err != io.EOF {
			t.Errorf("%s: a data row in a header-only CSV: %v %q", k.Name, err, rec.Cells)
		}
		in.Close()
	}
}

func TestDescribe(t *testing.T) {
	withTime := pipeline.Field{Name: "When", Type: pipeline.Date, Example: "05-Sep-2026 09:00"}
	for _, tc := range []struct {
		f               pipeline.Field
		limits, says    string
		numFmt          string
		values          []string
		onlyTheseValues bool
	}{
		{pipeline.Field{MaxLen: 100}, "max 100 chars", "Text, at most 100 characters.", "@", nil, false},
		{pipeline.Field{Type: pipeline.Integer, Min: 1, Max: 5, AllowNone: "*NONE*"}, "1 to 5; *NONE* clears",
			"A whole number from 1 to 5. *NONE* clears the value in the target; an empty cell leaves it unchanged.", "", nil, false},
		{pipeline.Field{Type: pipeline.Decimal, Places: 2}, "2 decimals", "A number with at most 2 decimal places.", "", nil, false},
		{pipeline.Field{Type: pipeline.Date, Example: "14/03/2007"}, "", "A date, e.g. 14/03/2007 (yyyy-mm-dd and 14-Mar-2007 work too).", "dd/mm/yyyy", nil, false},
		{withTime, "time optional", "A date, with a time if needed, e.g. 05/09/2026 09:00 (yyyy-mm-dd hh:mm works too).", "dd/mm/yyyy hh:mm", nil, false},
		{pipeline.Field{Type: pipeline.Enum, Enum: []string{"A", "U"}}, "A, U", "One of: A, U.", "@", []string{"A", "U"}, true},
		{pipeline.Field{Type: pipeline.Enum, Enum: currencies}, "one of 48 values", "One of the values in the drop-down.", "@", currencies, true},
		{pipeline.Field{Choices: []string{"1", "5"}, AllowNone: "NONE"}, "1, 5, NONE",
			"Text; the drop-down offers the usual values. NONE clears the value in the target; an empty cell leaves it unchanged.", "@", []string{"1", "5", "NONE"}, false},
		{pipeline.Field{Type: pipeline.Email, Unique: true, MaxLen: 254}, "max 254 chars; unique", "An e-mail address, at most 254 characters. Must not repeat on another row.", "@", nil, false},
		{pipeline.Field{Type: pipeline.ULN}, "10 digits, check digit", "The Unique Learner Number: 10 digits, the last a check digit.", "@", nil, false},
		{pipeline.Field{Type: pipeline.Bool}, "", "true or false (yes/no and 1/0 work too).", "@", []string{"true", "false"}, false},
		{pipeline.Field{Choices: []string{"1 Excellent", "*NONE*"}, AllowNone: "*none*"}, "1 Excellent, *NONE*",
			"Text; the drop-down offers the usual values. *none* clears the value in the target; an empty cell leaves it unchanged.", "@", []string{"1 Excellent", "*NONE*"}, false},
	} {
		if got := Limits(&tc.f); got != tc.limits {
			t.Errorf("Limits(%+v) = %q, want %q", tc.f, got, tc.limits)
		}
		if got := Describe(&tc.f); got != tc.says {
			t.Errorf("Describe(%+v) = %q, want %q", tc.f, got, tc.says)
		}
		if got := NumFmt(&tc.f); got != tc.numFmt {
			t.Errorf("NumFmt(%+v) = %q, want %q", tc.f, got, tc.numFmt)
		}
		if vals, only := Values(&tc.f); !slices.Equal(vals, tc.values) || only != tc.onlyTheseValues {
			t.Errorf("Values(%+v) = %q %v, want %q %v", tc.f, vals, only, tc.values, tc.onlyTheseValues)
		}
	}
}

func TestDataSheetName(t *testing.T) {
	for name, want := range map[string]string{
		"onefile-users": "onefile-users",
		"a/b:c":         "a-b-c",
		"a-kind-with-a-name-longer-than-excel-allows": "a-kind-with-a-name-longer-than-",
	} {
		if got := DataSheet(&pipeline.Kind{Name: name}); got != want {
			t.Errorf("DataSheet(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestInline(t *testing.T) {
	long := strings.Repeat("x", 253)
	for _, tc := range []struct {
		vals []string
		want bool
	}{
		{[]string{"A", "U", "D"}, true},
		{[]string{long, "y"}, true},      // 253 + 1 + 1 = 255 characters
		{[]string{long, "yz"}, false},    // 256
		{[]string{"Leeds, Main"}, false}, // a comma would split the value
		{[]string{`the "big" room`}, false},
		{[]string{strings.Repeat("é", 255)}, true}, // characters, not bytes
	} {
		if got := inline(tc.vals); got != tc.want {
			t.Errorf("inline(%.20q...) = %v, want %v", tc.vals, got, tc.want)
		}
	}
}
