// Command mkworkbook writes samples/peoplefluent/courses.xlsx: a modules sheet and a sessions
// sheet, the second layout the courses kind reads. Run from the repository root:
//
//	go run ./formats/coursesxml/testdata/mkworkbook
package main

// Dates are text cells, as many exports write them: how date-formatted cells read is the XLSX
// reader's business, tested with it.
import (
	"log"

	"github.com/xuri/excelize/v2"
)

func main() {
	f := excelize.NewFile()
	defer f.Close()
	modules := [][]any{
		{"ModuleID", "ModuleTitle", "ModuleType", "Subject", "Language", "Description", "Cost", "Currency"},
		{"LEAD-3", "Leading Teams", "Workshop/Seminar", "Leadership", "en", "Two days on leading a team through change.", 480, "GBP"},
		{"VC-9", "Safeguarding Refresher", "virtualClassroom", "Safeguarding", "en", nil, nil, nil},
		{"BAD-1", "Broken Module", "Lecture", nil, "english", nil, 120.555, "UKP"},
	}
	sessions := [][]any{
		{"ModuleID", "SessionCode", "SessionStart", "SessionEnd", "Instructors", "Location", "Facility", "Seats", "SessionStatus", "EnrollmentDeadline"},
		{"LEAD-3", "LEAD3-A", "2026-10-06 09:00", "2026-10-07 17:00", "coach1|Coach2", "Board Room", "Head Office", 10, "active", "29/09/2026"},
		{"LEAD-3", "LEAD3-B", "03/11/2026 09:00", "04/11/2026 17:00", "coach1", "Board Room", "Head Office", 10.5, "active", nil},
		{"VC-9", "VC9-1", "14/10/2026 10:00", "14/10/2026 11:30", "trainer7", nil, nil, 50, "active", nil},
		{"BAD-1", "BAD1-1", "01/12/2026 09:00", "01/12/2026 12:00", "trainer7", nil, nil, 5, "active", nil},
		{"NEW-4", "NEW4-1", "02/12/2026 09:00", "02/12/2026 12:00", "trainer7", nil, nil, 8, "active", nil},
	}
	write := func(sheet string, rows [][]any) {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				log.Fatal(err)
			}
		}
	}
	f.SetSheetName("Sheet1", "Modules")
	write("Modules", modules)
	if _, err := f.NewSheet("Sessions"); err != nil {
		log.Fatal(err)
	}
	write("Sessions", sessions)
	if err := f.SaveAs("samples/peoplefluent/courses.xlsx"); err != nil {
		log.Fatal(err)
	}
}
