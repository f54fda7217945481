package read

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// sstModes are the two ways the table is held: in memory, and in a temporary file read through
// a window so small that nearly every string moves it or comes from the cache.
var sstModes = []sstMode{{"memory", false, 0}, {"spilled", true, 8}}

type sstMode struct {
	name   string
	spill  bool
	window int
}

func (m sstMode) set(tb testing.TB) {
	if m.spill {
		SpillSharedStrings(tb, m.window)
	}
}

// writeSST writes a package holding only a shared string part, and opens it.
func writeSST(tb testing.TB, body []byte) *pkg {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sst.xlsx")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write(body)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	k, err := openPkg(path, limitsOf(Options{}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { k.Close() })
	return k
}

// readOrders reads every string of the table in order, backwards, in a random order and each
// twice, checking them against want.
func readOrders(t *testing.T, s *sharedStrings, want []string) {
	t.Helper()
	if s.Len() != len(want) {
		t.Fatalf("%d strings, want %d", s.Len(), len(want))
	}
	n := len(want)
	orders := map[string][]int{"in order": make([]int, n), "backwards": make([]int, n)}
	for i := range n {
		orders["in order"][i] = i
		orders["backwards"][i] = n - 1 - i
	}
	r := rand.New(rand.NewPCG(1, 2))
	orders["random, twice"] = append(r.Perm(n), r.Perm(n)...)
	for name, order := range orders {
		for _, i := range order {
			got, err := s.get(i)
			if err != nil {
				t.Fatalf("%s: string %d: %v", name, i, err)
			}
			if got != want[i] {
				t.Fatalf("%s: string %d is %q, want %q", name, i, got, want[i])
			}
		}
	}
}

func TestSharedStrings(t *testing.T) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	long := strings.Repeat("long text ", 50)
	var many strings.Builder
	var manyWant []string
	for i := range 300 {
		v := fmt.Sprintf("learner.%d@example.ac.uk", i)
		if i%7 == 0 {
			v = ""
		}
		manyWant = append(manyWant, v)
		fmt.Fprintf(&many, "<si><t>%s</t></si>", v)
	}
	tests := []struct {
		name string
		xml  string
		want []string
	}{
		{"plain", `<sst ` + ns + ` count="2" uniqueCount="2"><si><t>Amira</t></si><si><t>Khan</t></si></sst>`,
			[]string{"Amira", "Khan"}},
		{"rich text runs joined", `<sst ` + ns + `><si><r><rPr><b/></rPr><t>Ami</t></r><r><t>ra</t></r></si><si><t>x</t></si></sst>`,
			[]string{"Amira", "x"}},
		{"phonetic runs left out", `<sst ` + ns + `><si><t>日本</t><rPh sb="0" eb="2"><t>ニホン</t></rPh><phoneticPr fontId="1"/></si><si><r><t>a</t></r><rPh><t>b</t></rPh><r><t>c</t></r></si></sst>`,
			[]string{"日本", "ac"}},
		{"spaces kept", `<sst ` + ns + `><si><t xml:space="preserve">  Ben  </t></si><si><t xml:space="preserve">
</t></si></sst>`, []string{"  Ben  ", "\n"}},
		{"XML escapes", `<sst ` + ns + `><si><t>Tom &amp; Jerry &lt;&quot;x&quot;&gt; &apos;&#10;&#x1F600;</t></si><si><t><![CDATA[a<b]]></t></si></sst>`,
			[]string{"Tom & Jerry <\"x\"> '\n😀", "a<b"}},
		{"_xHHHH_ escapes", `<sst ` + ns + `><si><t>line_x000D_break</t></si><si><t>_x005F_x0041_</t></si><si><t>snake_x_case_x00</t></si><si><r><t>a_x00</t></r><r><t>41_b</t></r></si></sst>`,
			[]string{"line\rbreak", "_x0041_", "snake_x_case_x00", "aAb"}},
		{"empty strings", `<sst ` + ns + `><si/><si><t/></si><si><t>z</t></si><si></si></sst>`,
			[]string{"", "", "z", ""}},
		{"prefixed", `<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:r><x:t>p</x:t></x:r><x:r><x:t>q</x:t></x:r></x:si></x:sst>`,
			[]string{"pq"}},
		{"longer than the window", `<sst ` + ns + `><si><t>a</t></si><si><t>` + long + `</t></si><si><t>b</t></si></sst>`,
			[]string{"a", long, "b"}},
		// Lengths of one, two and three bytes, and strings longer than one read of the file.
		{"lengths", `<sst ` + ns + `><si><t>` + strings.Repeat("x", 127) + `</t></si><si><t>` + strings.Repeat("y", 128) +
			`</t></si><si><t>` + strings.Repeat("z", 5000) + `</t></si><si><t>` + strings.Repeat("w", 20000) + `</t></si><si><t>v</t></si></sst>`,
			[]string{strings.Repeat("x", 127), strings.Repeat("y", 128), strings.Repeat("z", 5000), strings.Repeat("w", 20000), "v"}},
		{"many", `<sst ` + ns + `>` + many.String() + `</sst>`, manyWant},
		{"a false uniqueCount", `<sst ` + ns + ` uniqueCount="99999999"><si><t>only</t></si></sst>`, []string{"only"}},
		{"no strings", `<sst ` + ns + `/>`, nil},
	}
	for _, m := range sstModes {
		t.Run(m.name, func(t *testing.T) {
			m.set(t)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					k := writeSST(t, []byte(tc.xml))
					s, err := k.sharedStrings("xl/sharedStrings.xml")
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					if spilled := s.f != nil; spilled != m.spill {
						t.Errorf("spilled = %v", spilled)
					}
					readOrders(t, s, tc.want)
				})
			}
		})
	}
}

// TestSharedStringsSpillPartWay: a table whose part is not big enough to go to the file at once
// starts in memory and moves there when its text passes the spill size.
func TestSharedStringsSpillPartWay(t *testing.T) {
	var b strings.Builder
	var want []string
	b.WriteString("<sst>")
	for i := range 500 {
		want = append(want, fmt.Sprintf("learner.%d@example.ac.uk", i))
		fmt.Fprintf(&b, "<si><t>%s</t></si>", want[i])
	}
	b.WriteString("</sst>")
	body := b.String()
	textLen := len(strings.Join(want, ""))

	at, w := sstSpillAt, sstWindow
	t.Cleanup(func() { sstSpillAt, sstWindow = at, w })
	sstSpillAt, sstWindow = len(body)/3, 100
	if textLen <= sstSpillAt || len(body) > sstSpillPart*sstSpillAt {
		t.Fatalf("the test's table does not start in memory and pass the spill size: %d bytes of text in %d", textLen, len(body))
	}
	s, err := writeSST(t, []byte(body)).sharedStrings("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.f == nil || s.mem != nil {
		t.Fatal("the table did not move to the file")
	}
	readOrders(t, s, want)
}

// TestSharedStringsLatin1: a part whose XML declaration names another encoding is read as
// text, not as bytes, though the text is then longer in UTF-8 than the part it came from.
func TestSharedStringsLatin1(t *testing.T) {
	body := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><sst><si><t>Zo\xeb \xe9\xe9\xe9\xe9\xe9\xe9</t></si><si><t>ok</t></si></sst>")
	for _, m := range sstModes {
		t.Run(m.name, func(t *testing.T) {
			m.set(t)
			s, err := writeSST(t, body).sharedStrings("xl/sharedStrings.xml")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			readOrders(t, s, []string{"Zoë éééééé", "ok"})
		})
	}
}

// TestSharedStringsTempFile: the temporary file is gone once the workbook is closed (on Unix,
// as soon as it is made), and a temporary folder bulk cannot write to is an error that says
// where and what to do.
func TestSharedStringsTempFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.xlsx")
	writeSheetPackage(t, path, `<sst><si><t>Name</t></si><si><t>Amira</t></si></sst>`,
		`<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c></row><row r="2"><c t="s"><v>1</v></c></row></sheetData></worksheet>`)
	SpillSharedStrings(t, 4)

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("TEMP", tmp)
	t.Setenv("TMP", tmp)
	in, err := OpenXLSX(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := in.NextTable()
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Source().Header; len(got) != 1 || got[0] != "Name" {
		t.Errorf("header %q", got)
	}
	if in.(*xlsxInput).sst.f == nil {
		t.Fatal("the shared strings were not spilled")
	}
	if runtime.GOOS != "windows" {
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("the open temporary file has a name: %v", left)
		}
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}

	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	t.Setenv("TEMP", filepath.Join(tmp, "missing"))
	t.Setenv("TMP", filepath.Join(tmp, "missing"))
	in, err = OpenXLSX(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = in.NextTable()
	if err == nil || !strings.Contains(err.Error(), "w.xlsx") || !strings.Contains(err.Error(), "temporary") || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("error %v", err)
	}
}

// writeSheetPackage writes a one-sheet workbook with a shared string table.
func writeSheetPackage(t *testing.T, path, sst, sheet string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sst.xml"/></Relationships>`,
		"xl/sst.xml":                 sst,
		"xl/worksheets/sheet1.xml":   sheet,
	} {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// refSharedStrings is the table as the reader kept it before it was made compact: a []string,
// built with the encoding/xml tokens the same way. The fuzz test holds the new table to it.
func refSharedStrings(body []byte) ([]string, bool) {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	var (
		out   []string
		b     strings.Builder
		inT   bool
		depth int
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				b.Reset()
			case "t":
				inT = depth == 0
			case "rPh":
				depth++
			}
		case xml.CharData:
			if inT {
				b.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "rPh":
				depth--
			case "si":
				out = append(out, refUnescapeST(b.String()))
			}
		}
	}
}

// refUnescapeST is unescapeST as it was, on strings.
func refUnescapeST(s string) string {
	i := strings.Index(s, "_x")
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		if len(s) >= i+7 && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				s = s[i+7:]
				i = strings.Index(s, "_x")
				continue
			}
		}
		b.WriteString("_x")
		s = s[i+2:]
		i = strings.Index(s, "_x")
	}
	b.WriteString(s)
	return b.String()
}

// FuzzXLSXSharedStrings: whatever the shared string part holds, the table, in memory or spilled
// and read in any order, gives the strings the []string table gave; and unescapeST decodes as
// it did.
func FuzzXLSXSharedStrings(f *testing.F) {
	for _, s := range []string{
		`<sst><si><t>a</t></si><si><r><t>b</t></r><r><t xml:space="preserve"> c</t></r><rPh><t>x</t></rPh></si></sst>`,
		`<sst><si/><si><t>_x000D__x005F_x0041_</t></si><si><t>&amp;&#10;</t></si></sst>`,
		`<x:sst xmlns:x="m"><x:si><x:t>pre</x:t></x:si><x:si><x:t>_x00zz_</x:t></x:si></x:sst>`,
	} {
		f.Add([]byte(s), uint8(0), uint64(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, window uint8, seed uint64) {
		if got, want := unescapeST(string(body)), refUnescapeST(string(body)); got != want {
			t.Fatalf("unescapeST(%q) = %q, was %q", body, got, want)
		}
		want, ok := refSharedStrings(body)
		if !ok || len(body) > 1<<16 {
			return
		}
		for _, spill := range []bool{false, true} {
			if spill {
				SpillSharedStrings(t, int(window))
			}
			s, err := writeSST(t, body).sharedStrings("xl/sharedStrings.xml")
			if err != nil {
				t.Fatalf("spilled %v: %v", spill, err)
			}
			if s.Len() != len(want) {
				t.Fatalf("spilled %v: %d strings, want %d", spill, s.Len(), len(want))
			}
			r := rand.New(rand.NewPCG(seed, 0))
			for range 2 * len(want) {
				i := r.IntN(len(want))
				got, err := s.get(i)
				if err != nil || got != want[i] {
					t.Fatalf("spilled %v: string %d is %q (%v), want %q", spill, i, got, err, want[i])
				}
			}
			s.Close()
		}
	})
}
