// Command gen writes bulk's sample term-start data: samples/term-start.xlsx (sheets Staff,
// Learners, Assignments) and the same rows as samples/staff.csv (UTF-8 with a byte-order mark,
// as Excel's "CSV UTF-8" writes), samples/learners.csv (Windows-1252, as Excel's plain "CSV"
// writes in the UK) and samples/assignments.csv (';'-delimited, as Excel writes in locales with
// a decimal comma); and samples/learning-aims.xlsx, the same learners put on their standards
// and framework templates (kind onefile-standards), loaded beside term-start.xlsx. The data is
// fixed: the same files come out every time.
//
//	go run ./samples/gen            # rewrites the files in samples/
//	go run ./samples/gen -out DIR
//
// The organisation, classrooms, placements, standards, units and existing staff are those of
// the OneFile sandbox's default seed (formats/onefile/sandbox), so the samples load into
// `bulk sandbox onefile` as they are. samples/README.md lists the deliberate mistakes.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/bulkload/bulk/pipeline/check"
)

// cell is one spreadsheet cell: text, a whole number, or a date (a real Excel date cell).
type cell struct {
	text string
	num  int64
	date time.Time
	kind byte // 't' text, 'n' number, 'd' date, 0 empty
}

func txt(s string) cell {
	if s == "" {
		return cell{}
	}
	return cell{text: s, kind: 't'}
}
func num(n int64) cell { return cell{num: n, kind: 'n'} }
func date(y int, m time.Month, d int) cell {
	return cell{date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), kind: 'd'}
}

// csvText is the cell as Excel writes it into a CSV: dates in the UK short-date form.
func (c cell) csvText() string {
	switch c.kind {
	case 'n':
		return fmt.Sprint(c.num)
	case 'd':
		return c.date.Format("02/01/2006")
	}
	return c.text
}

type sheet struct {
	name   string
	header []string
	rows   [][]cell
	widths []float64
}

// The sandbox's default seed (formats/onefile/sandbox/seed.go).
const (
	classBA = "Business Administration L3"
	classCS = "Customer Service L2"
	stdBA   = "Business Administrator (Level 3)"
	stdCS   = "Customer Service Practitioner (Level 2)"
	acme    = "Acme Logistics Ltd"
	bright  = "Brightside Dental Care"
	cobalt  = "Cobalt Software Ltd"
	river   = "Riverside Borough Council"
	// Staff already on OneFile (seeded): validate cannot see them and says so once each.
	priya = "priya.shah@northfield.example"
	tom   = "tom.evans@northfield.example"
	dana  = "dana.price@acme.example"
)

// New staff for the term, in the Staff sheet.
const (
	aisha  = "aisha.rahman@northfield.example"
	daniel = "daniel.murphy@northfield.example"
	fiona  = "fiona.macleod@northfield.example"
	kwame  = "kwame.mensah@northfield.example"
	chloe  = "chloe.davies@northfield.example"
	gareth = "gareth.jones@brightside.example"
	helen  = "helen.clarke@cobalt.example"
	martin = "martin.obrien@riverside.example"
	sophie = "sophie.turner@riverside.example"
)

func staffSheet() sheet {
	s := sheet{name: "Staff", header: []string{"Role", "Forename", "Surname", "Email", "MIS ID", "Placement", "Mobile"},
		widths: []float64{18, 12, 12, 36, 10, 28, 15}}
	add := func(role, first, last, email, misid, placement string, mobile cell) {
		s.rows = append(s.rows, []cell{txt(role), txt(first), txt(last), txt(email), txt(misid), txt(placement), mobile})
	}
	add("5 Assessor/Tutor", "Aisha", "Rahman", aisha, "STF-010", "", txt("07700 900101"))
	// Mistake: a mobile number typed into a General cell lost its leading 0.
	add("5", "Daniel", "Murphy", daniel, "STF-011", "", num(7700900102))
	add("Assessor", "Fiona", "MacLeod", fiona, "STF-012", "", txt("07700 900103"))
	add("10 IV/IQA", "Kwame", "Mensah", kwame, "STF-013", "", txt(""))
	add("Trainee Assessor", "Chloe", "Davies", chloe, "STF-014", "", txt("07700 900105"))
	add("40", "Gareth", "Jones", gareth, "EMPC-010", bright, txt("07700 900106"))
	add("Employer", "Helen", "Clarke", helen, "EMPC-011", cobalt, txt(""))
	add("40 Employer", "Martin", "O'Brien", martin, "EMPC-012", river, txt("07700 900108"))
	add("Observer", "Sophie", "Turner", sophie, "EMPC-013", river, txt(""))
	// Mistake: a job title where the OneFile role belongs.
	add("Manager", "Linda", "Walsh", "linda.walsh@northfield.example", "STF-015", "", txt("07700 900110"))
	return s
}

type learner struct {
	first, last, sex string
	dob              cell
}

var people = []learner{
	{"Amira", "Khan", "F", date(2008, 3, 14)}, {"Oliver", "Bennett", "M", date(2007, 11, 2)},
	{"Zoë", "Richardson", "F", date(2008, 6, 21)}, {"Jack", "Thompson", "M", date(2006, 1, 30)},
	{"Priyanka", "Sharma", "F", date(2005, 9, 9)}, {"Mohammed", "Hussain", "M", date(2008, 7, 17)},
	{"Isla", "Campbell", "F", date(2007, 12, 24)}, {"Noah", "Okonkwo", "M", date(2004, 4, 5)},
	{"Freya", "Mitchell", "F", date(2008, 2, 29)}, {"Seán", "Gallagher", "M", date(2007, 8, 11)},
	{"Aoife", "Byrne", "F", date(2008, 5, 3)}, {"Harry", "Whitfield", "M", date(2006, 10, 19)},
	{"Chloé", "Martin", "F", date(1991, 6, 7)}, {"Kacper", "Nowak", "M", date(2008, 1, 15)},
	{"Ellie", "Robinson", "F", date(2007, 3, 28)}, {"Theo", "Adeyemi", "M", date(2008, 8, 31)},
	{"Siobhán", "Doyle", "F", date(1986, 11, 12)}, {"George", "Fletcher", "M", date(2007, 5, 25)},
	{"Maya", "Patel", "F", date(2008, 4, 16)}, {"Arthur", "Lawson", "M", date(2003, 12, 1)},
	{"Grace", "Edwards", "F", date(2008, 7, 4)}, {"Alfie", "Marsh", "M", date(2007, 2, 13)},
	{"Niamh", "Kelly", "F", date(2008, 9, 20)}, {"Tomasz", "Kowalski", "M", date(1998, 3, 3)},
	{"Lily-Rose", "Hall", "F", date(2008, 1, 9)}, {"Oscar", "Nwachukwu", "M", date(2016, 6, 18)},
	{"Ava", "Sutherland", "F", date(2007, 10, 10)}, {"Leo", "Fernandes", "M", date(2008, 3, 22)},
	{"Renée", "Dubois", "F", date(2006, 7, 29)}, {"Charlie", "Parkinson", "M", date(2008, 5, 14)},
	{"Jasmine", "Begum", "F", date(2007, 12, 6)}, {"Ethan", "Holloway", "M", date(2008, 2, 2)},
	{"Sophia", "Demetriou", "F", date(1979, 8, 8)}, {"Callum", "Fraser", "M", date(2007, 4, 27)},
	{"Hannah", "O'Connor", "F", date(2008, 11, 18)}, {"Rhys", "Pritchard", "M", date(2007, 6, 12)},
	{"Fatima", "Ali", "F", date(2008, 10, 1)}, {"Joshua", "Greenwood", "M", date(2005, 1, 23)},
	{"Imogen", "Stewart", "F", date(2008, 8, 8)}, {"Kieran", "Walsh", "M", date(2007, 9, 17)},
}

// ascii folds the accented letters of the names above for e-mail addresses.
var ascii = strings.NewReplacer("ë", "e", "é", "e", "á", "a", "'", "", " ", "")

func email(first, last string) string {
	return strings.ToLower(ascii.Replace(first) + "." + ascii.Replace(last) + "@learner.example")
}

func misid(i int) string { return fmt.Sprintf("L-%d", 1001+i) }

// uln makes a valid Unique Learner Number from the random source.
func uln(rng *rand.Rand) string {
	for {
		s := fmt.Sprintf("%d%08d", 1+rng.IntN(9), rng.IntN(100_000_000))
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(s[i]-'0') * (10 - i)
		}
		if r := sum % 11; r != 0 {
			if u := s + fmt.Sprint(10-r); check.ULN(u) == "" {
				return u
			}
		}
	}
}

// nino makes a valid National Insurance number, written with spaces as people do.
func nino(rng *rand.Rand) string {
	const letters = "ABCEGHJKLMNPRSTWXYZ"
	for {
		n := fmt.Sprintf("%c%c %02d %02d %02d %c", letters[rng.IntN(len(letters))], letters[rng.IntN(len(letters))],
			rng.IntN(100), rng.IntN(100), rng.IntN(100), "ABCD"[rng.IntN(4)])
		if check.NINO(n) == "" {
			return n
		}
	}
}

func learnersSheet(rng *rand.Rand) sheet {
	s := sheet{name: "Learners", header: []string{"Role", "Forename", "Surname", "Email", "MIS ID", "ULN", "NI Number",
		"Date of Birth", "Sex", "Ethnicity", "LLDD", "Start Date", "Planned End Date", "Classroom", "Placement",
		"Assessor Email", "Employer Email", "Mobile", "Notes"},
		widths: []float64{9, 11, 12, 34, 9, 13, 15, 13, 5, 10, 6, 12, 16, 28, 26, 34, 34, 14, 30}}
	placements := []string{acme, bright, cobalt, river}
	employers := map[string]string{acme: dana, bright: gareth, cobalt: helen, river: martin}
	ethnicity := []int64{31, 31, 31, 32, 34, 39, 40, 41, 42, 44, 45, 31, 47, 35, 98, 31, 38, 31, 99, 36}
	for i, p := range people {
		role := txt("Learner")
		if i%4 == 3 {
			role = num(1)
		}
		classroom, assessors, end := classBA, []string{aisha, priya}, date(2028, 2, 29)
		if i >= 22 {
			classroom, assessors, end = classCS, []string{daniel, fiona, tom, chloe}, date(2027, 9, 30)
		}
		start := date(2026, 9, 1)
		if i%7 == 5 {
			start = date(2026, 9, 8)
		}
		if i%3 == 1 { // half the end dates typed as text in dd-mmm-yyyy
			end = txt(end.date.Format("02-Jan-2006"))
		}
		placement := placements[i%len(placements)]
		employer := employers[placement]
		if i%5 == 4 {
			employer = "" // optional
		}
		lldd := int64(2)
		if i%9 == 4 {
			lldd = 1
		} else if i%11 == 7 {
			lldd = 9
		}
		notes := ""
		switch i {
		case 2:
			notes = "Transferred from the Leeds campus"
		case 13:
			notes = "Needs a laptop loan"
		case 24:
			notes = "Starts after induction week"
		}
		row := []cell{role, txt(p.first), txt(p.last), txt(email(p.first, p.last)), txt(misid(i)), txt(uln(rng)), txt(nino(rng)),
			p.dob, txt(p.sex), num(ethnicity[i%len(ethnicity)]), num(lldd), start, end, txt(classroom), txt(placement),
			txt(assessors[i%len(assessors)]), txt(employer), txt(fmt.Sprintf("07700 900%03d", 200+i)), txt(notes)}
		const (
			cEmail, cULN, cNINO, cStart, cEnd, cAssessor = 3, 5, 6, 11, 12, 15
		)
		// The deliberate mistakes (samples/README.md lists them with what validate says).
		switch i + 1 {
		case 5: // a mistyped digit: the ULN check digit fails
			u := row[cULN].text
			row[cULN] = txt(u[:9] + string('0'+(u[9]-'0'+1)%10))
		case 12: // an impossible date, typed as text because Excel would not take it as a date
			row[cStart] = txt("31/02/2026")
		case 15: // copy-paste: Freya's e-mail address again
			row[cEmail] = txt(email("Freya", "Mitchell"))
		case 18: // no default assessor
			row[cAssessor] = cell{}
		case 21: // a ULN that went through a General-format cell
			row[cULN] = txt("1.23457E+09")
		case 26: // 2016 typed for 2006, as text (the other dates of birth are date cells)
			row[7] = txt("18/06/2016")
		case 30: // the planned end a year before the start
			row[cEnd] = txt("31/08/2025")
		case 33: // a temporary "TN" number, which is not a real National Insurance number
			row[cNINO] = txt("TN 12 34 56 A")
		case 36: // the employer's address in the assessor column
			row[cAssessor] = txt(gareth)
		}
		s.rows = append(s.rows, row)
	}
	return s
}

func assignmentsSheet() sheet {
	s := sheet{name: "Assignments", header: []string{"Learner MIS ID", "Assignee Email", "Assignee Role", "Level", "Standard", "Unit ID"},
		widths: []float64{15, 34, 14, 14, 38, 9}}
	add := func(learner, assignee, role string, level cell, standard, unit string) {
		s.rows = append(s.rows, []cell{txt(learner), txt(assignee), txt(role), level, txt(standard), txt(unit)})
	}
	for i := range people {
		assessor, standard := []string{aisha, priya}[i%2], stdBA
		if i >= 22 {
			assessor, standard = []string{daniel, fiona, tom, chloe}[i%4], stdCS
		}
		switch i + 1 {
		case 18:
			assessor = daniel // the learner with no default assessor still gets an aim assessor
		case 7: // mistake: a Learning Aim assignment without its standard
			standard = ""
		}
		level := num(3)
		if i%6 == 2 {
			level = txt("Learning Aim")
		}
		add(misid(i), assessor, "", level, standard, "")
	}
	add(misid(0), kwame, "10", num(3), stdBA, "")
	add(misid(1), kwame, "IQA", num(3), stdBA, "")
	add(misid(22), kwame, "10", num(3), stdCS, "")
	add(misid(2), aisha, "5", num(2), "", "KS_COMM1")
	add(misid(3), martin, "40", txt("Additional"), "", "")
	add(misid(7), martin, "Employer", num(1), "", "")
	add(misid(11), sophie, "45", num(1), "", "")
	// Mistake: an employer given a Unit Summary assignment, which is for assessors and IQAs.
	add(misid(5), gareth, "", num(2), "", "KS_ORG1")
	// Mistake: the first row again.
	add(misid(0), aisha, "", num(3), stdBA, "")
	// Mistake: a MIS ID typed with the letter O for a zero.
	add("L-1O14", daniel, "", num(1), "", "")
	return s
}

// The sandbox seed's framework templates, one per programme.
const (
	tplBA = 401 // Business Administrator L3 - standard delivery
	tplCS = 402 // Customer Service L2 - standard delivery
)

// learningAimsSheet puts learners of the Learners sheet whose rows are valid on their
// programme's standard, most also on its framework template. It is a file of its own, so that
// term-start.xlsx and the figures documented for it stay as they are.
func learningAimsSheet() sheet {
	s := sheet{name: "Learning aims", header: []string{"Learner MIS ID", "Standard", "Framework Template ID"},
		widths: []float64{15, 40, 22}}
	add := func(i int, standard string, template int64) {
		tpl := cell{}
		if template != 0 {
			tpl = num(template)
		}
		s.rows = append(s.rows, []cell{txt(misid(i)), txt(standard), tpl})
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 7, 8, 9} {
		tpl := int64(tplBA)
		if i == 9 {
			tpl = 0 // the template is optional
		}
		add(i, stdBA, tpl)
	}
	for _, i := range []int{22, 23, 24, 26, 27, 28} {
		add(i, stdCS, tplCS)
	}
	// Mistake: the standard's title as people say it, not as OneFile holds it. validate cannot
	// see OneFile; the load rejects the row and names the nearest standard.
	add(10, "Business Administrator Level 3", tplBA)
	// Mistake: the first row again.
	add(0, stdBA, tplBA)
	return s
}

func main() {
	out := flag.String("out", "samples", "folder to write the samples into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	rng := rand.New(rand.NewPCG(2026, 9))
	sheets := []sheet{staffSheet(), learnersSheet(rng), assignmentsSheet()}
	if err := writeXLSX(filepath.Join(dir, "term-start.xlsx"), sheets); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "staff.csv"), sheets[0], ',', "utf-8-bom"); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "learners.csv"), sheets[1], ',', "windows-1252"); err != nil {
		return err
	}
	if err := writeXLSX(filepath.Join(dir, "learning-aims.xlsx"), []sheet{learningAimsSheet()}); err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, "assignments.csv"), sheets[2], ';', "utf-8")
}

func writeXLSX(path string, sheets []sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return err
	}
	ukDate := "dd/mm/yyyy"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &ukDate})
	if err != nil {
		return err
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": what a careful data officer sets for IDs
	if err != nil {
		return err
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		for c, h := range s.header {
			ref, _ := excelize.CoordinatesToCellName(c+1, 1)
			if err := f.SetCellStr(s.name, ref, h); err != nil {
				return err
			}
			col, _ := excelize.ColumnNumberToName(c + 1)
			if c < len(s.widths) {
				f.SetColWidth(s.name, col, col, s.widths[c])
			}
		}
		last, _ := excelize.CoordinatesToCellName(len(s.header), 1)
		f.SetCellStyle(s.name, "A1", last, bold)
		f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		for r, row := range s.rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+2)
				switch v.kind {
				case 't':
					err = f.SetCellStr(s.name, ref, v.text)
					if err == nil {
						err = f.SetCellStyle(s.name, ref, ref, textStyle)
					}
				case 'n':
					err = f.SetCellInt(s.name, ref, v.num)
				case 'd':
					err = f.SetCellValue(s.name, ref, v.date)
					if err == nil {
						err = f.SetCellStyle(s.name, ref, ref, dateStyle)
					}
				}
				if err != nil {
					return err
				}
			}
		}
	}
	f.SetActiveSheet(0)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeCSV(path string, s sheet, delim rune, encoding string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = delim
	w.UseCRLF = true // as Excel writes
	w.Write(s.header)
	for _, row := range s.rows {
		rec := make([]string, len(s.header))
		for c := range rec {
			if c < len(row) {
				rec[c] = row[c].csvText()
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	data := buf.Bytes()
	switch encoding {
	case "utf-8-bom":
		data = append([]byte("\ufeff"), data...)
	case "windows-1252":
		enc, err := charmap.Windows1252.NewEncoder().Bytes(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		data = enc
	}
	return os.WriteFile(path, data, 0o644)
}
