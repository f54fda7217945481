// Package pfbench measures the PeopleFluent export against the bare baseline the project holds it
// to: an encoding/csv read-and-write copy of the same file, in the same run. It generates the
// input, and holds the baseline copy, for the Go benchmark (bench_test.go) and for the
// end-to-end measurement of the built binary (./measure, run by run.sh).
package pfbench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

// TrainingHeader is the header of generated training-history input: the synonyms a data
// officer's export carries, not the canonical names, so header mapping is exercised.
var TrainingHeader = []string{"User ID", "Learning ID", "Course Title", "Enrolment Date", "Start Date",
	"Completion Date", "Student Status", "Session Code", "Score", "LO Type", "Action", "Language",
	"Deadline Days", "Deadline Date", "Performance Grade", "Instructors"}

var (
	statuses = []string{"Completed", "Pass", "Active", "Withdrawn", "EXEMPT", "passed"}
	types    = []string{"R", "O", "Classroom", "W", "M"}
	titles   = []string{"Health and Safety Induction", "Fire Safety, Level 2", "Data Protection Essentials", "Manual Handling", "Leadership \"Essentials\""}
)

// TrainingHistory writes n valid data rows of training history (plus the header) to w. Every
// value varies with the row so nothing is cached by accident.
func TrainingHistory(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(TrainingHeader); err != nil {
		return err
	}
	rec := make([]string, len(TrainingHeader))
	for i := 0; i < n; i++ {
		day, month := i%28+1, i%12+1
		rec[0] = fmt.Sprintf("User%07d", i)
		rec[1] = fmt.Sprintf("MOD-%04d", i%5000)
		rec[2] = titles[i%len(titles)]
		rec[3] = fmt.Sprintf("%02d/%02d/2025 08:%02d", day, month, i%60)
		rec[4] = fmt.Sprintf("%02d/%02d/2025 09:00", day, month)
		rec[5] = fmt.Sprintf("%02d-%s-2025 17:30", day, [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[month-1])
		rec[6] = statuses[i%len(statuses)]
		rec[7] = fmt.Sprintf("S-%05d", i%20000)
		rec[8] = fmt.Sprintf("%d.%d", i%101, i%10)
		rec[9] = types[i%len(types)]
		rec[10] = [...]string{"A", "U", ""}[i%3]
		rec[11] = [...]string{"en", "en_GB", "fr-ca", "English"}[i%4]
		rec[12] = fmt.Sprint(i % 90)
		rec[13] = fmt.Sprintf("2025-%02d-%02d", month, day)
		rec[14] = fmt.Sprint(i%5 + 1)
		rec[15] = fmt.Sprintf("Instr%d|instr%d", i%50, i%7)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteTrainingHistory writes TrainingHistory to a new file at path.
func WriteTrainingHistory(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := TrainingHistory(f, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Copy is the baseline: read every record of the CSV file in with encoding/csv (reusing the
// record, as bulk's reader does) and write it to out with encoding/csv, CRLF line ends. It
// returns the number of data rows.
func Copy(in, out string) (int64, error) {
	f, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	bw := bufio.NewWriterSize(o, 64<<10)
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	var rows int64 = -1 // the header is not a data row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			o.Close()
			return rows, err
		}
		if err := w.Write(rec); err != nil {
			o.Close()
			return rows, err
		}
		rows++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		o.Close()
		return rows, err
	}
	if err := bw.Flush(); err != nil {
		o.Close()
		return rows, err
	}
	return rows, o.Close()
}
