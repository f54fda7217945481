package peoplefluent

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
)

// What a verified row came to.
const (
	VerifyConfirmed = "confirmed" // the LMS holds the record as the payload sent it
	VerifyMissing   = "missing"   // the LMS has no record for the row's user and module
	VerifyDifferent = "different" // it has one, and some fields differ (Diffs)
	VerifySkipped   = "skipped"   // not looked for (Message says why)
)

// DefaultPerUser is how many users a payload may name and still be read user by user
// (trainingHistoryXml?userId=...); a payload naming more is read in one request for every
// user, filtered by lastUpdatedStart.
const DefaultPerUser = 50

// FieldDiff is one field the LMS holds otherwise than the payload sent it.
type FieldDiff struct {
	Field string `json:"field"` // the payload's column, e.g. STARTDATE
	Sent  string `json:"sent"`  // as the payload has it
	LMS   string `json:"lms"`   // as trainingHistoryXml answered it ("" for none)
}

// VerifyResult is what the LMS holds for one payload row.
type VerifyResult struct {
	File     string
	Row      int // as a spreadsheet shows the payload: header 1, first data row 2
	UserID   string
	Learning string // LEARNINGID, else LOTITLE
	Status   string // VerifyConfirmed, VerifyMissing, VerifyDifferent or VerifySkipped
	Diffs    []FieldDiff
	Message  string
}

// VerifySummary counts a verification. Rows == Confirmed + Missing + Different + Skipped.
type VerifySummary struct {
	Rows, Confirmed, Missing, Different, Skipped int
	Users                                        int // distinct users in the payload's verified rows
	Requests                                     int // reads made
	LMSRecords                                   int // training records the LMS answered, the payload's or not
}

// Problems is how many rows the LMS does not hold as sent.
func (s VerifySummary) Problems() int { return s.Missing + s.Different }

// Verifier reads back from the LMS (trainingHistoryXml, system authentication) what a
// trainingHistoryCsv payload sent, and says per row whether the LMS holds it.
//
// Memory: the payload is read twice as a stream (once to index it, once to report in row
// order) and the LMS's answer is decoded as a stream; what is held is 32 bytes and a key per
// payload row, plus the LMS's values for rows that differ.
type Verifier struct {
	Reader
	// Since, when set, is sent as lastUpdatedStart (to the minute, UTC): only records added or
	// updated since then are read. Set it a little before the push began.
	Since time.Time
	// PerUser: see DefaultPerUser (0 means it; negative: always one request for all users).
	PerUser int
	// Skip, when set, gives the reason a row is not looked for ("" to look): a results.csv's
	// failed rows, which the LMS did not load.
	Skip func(row int) string
	// OnResult receives every row's result, in row order.
	OnResult func(VerifyResult) error
}

// compared fields, as bits of a slot's mask.
const (
	fEnroll = 1 << iota
	fStart
	fEnd
	fStatus
	fScore
)

var comparedColumns = []struct {
	bit  uint8
	name string
}{{fEnroll, "ENROLLDATE"}, {fStart, "STARTDATE"}, {fEnd, "ENDDATE"}, {fStatus, "STUDENTSTATUS"}, {fScore, "SCORE"}}

type slot struct {
	hash, score uint64 // of the normalised compared values (score apart: online modules keep none)
	row         int32
	mask        uint8 // which compared fields the row sets
	state       uint8
	next        int32 // a later row of the payload for the same record (superseded), or 0
}

const (
	stUnseen uint8 = iota
	stConfirmed
	stDifferent
	stSkipped
	stSuperseded
)

// payloadCols are the indexes of the columns verify reads (-1: absent).
type payloadCols struct {
	user, learning, title int
	vals                  [5]int // in comparedColumns order
}

func readPayloadHeader(file string, header []string) (payloadCols, error) {
	c := payloadCols{user: -1, learning: -1, title: -1, vals: [5]int{-1, -1, -1, -1, -1}}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case strings.EqualFold(h, "USERID"):
			c.user = i
		case strings.EqualFold(h, "LEARNINGID"):
			c.learning = i
		case strings.EqualFold(h, "LOTITLE"):
			c.title = i
		}
		for j, cc := range comparedColumns {
			if strings.EqualFold(h, cc.name) {
				c.vals[j] = i
			}
		}
	}
	if c.user < 0 || c.learning < 0 && c.title < 0 {
		return c, fmt.Errorf("%s is not a trainingHistoryCsv payload (it needs USERID and LEARNINGID or LOTITLE): give the payload bulk wrote (payload-training-history.csv in the load's report folder, or bulk export's -o file) or its push's results.csv, not the spreadsheet it was made from. Verify reads training records back; external training and courses have no documented read", file)
	}
	return c, nil
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (v *Verifier) perUser() int {
	if v.PerUser == 0 {
		return DefaultPerUser
	}
	return v.PerUser
}

func hasKey(m map[uint64]struct{}, k uint64) bool {
	_, ok := m[k]
	return ok
}

// verifyRun is one Verify call.
type verifyRun struct {
	v     *Verifier
	file  string
	cols  payloadCols
	seed  maphash.Seed
	slots []slot
	// index finds a row's slot by the 64-bit hash of its record's key (user\x00i:learning or
	// user\x00t:title): a few bytes a row where the keys themselves would take a hundred. Two
	// keys of one payload sharing a hash (odds about n²/2⁶⁵: 3e-8 for a million rows) would be
	// taken for one record.
	index map[uint64]int32
	users map[uint64]struct{}  // hashes of the users of the rows looked for
	names []string             // their IDs, while there are at most perUser()
	lms   map[int32]*LMSRecord // what the LMS holds for rows that differ
	sum   VerifySummary
}

// Verify reads the payload, reads the LMS's records back and reports every row. It returns an
// error only when it could not finish: an unreadable payload, a refused key, an LMS that
// cannot be reached or answers something else than trainingHistoryXml's XML.
func (v *Verifier) Verify(ctx context.Context, file string, payload io.ReadSeeker) (VerifySummary, error) {
	run := &verifyRun{v: v, file: file, seed: maphash.MakeSeed(), index: map[uint64]int32{}, users: map[uint64]struct{}{}, lms: map[int32]*LMSRecord{}}
	if err := run.index1(payload); err != nil {
		return run.sum, err
	}
	if err := run.read(ctx); err != nil {
		return run.sum, err
	}
	if _, err := payload.Seek(0, io.SeekStart); err != nil {
		return run.sum, err
	}
	return run.sum, run.report(payload)
}

func (run *verifyRun) open(payload io.Reader) (*csv.Reader, error) {
	r := csv.NewReader(skipBOM(payload))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is empty", run.file)
		}
		return nil, &PayloadError{File: run.file, Line: 1, Err: err}
	}
	run.cols, err = readPayloadHeader(run.file, header)
	return r, err
}

func (run *verifyRun) key(rec []string) (user, key string) {
	user = strings.ToLower(cell(rec, run.cols.user))
	if id := cell(rec, run.cols.learning); id != "" {
		return user, user + "\x00i:" + strings.ToLower(id)
	}
	return user, user + "\x00t:" + strings.ToLower(cell(rec, run.cols.title))
}

// index1 is the first pass: a slot per row, the records to look for, the users.
func (run *verifyRun) index1(payload io.Reader) error {
	r, err := run.open(payload)
	if err != nil {
		return err
	}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			line, _ := r.FieldPos(0)
			return &PayloadError{File: run.file, Line: line, Err: err}
		}
		s := slot{row: int32(row)}
		user, key := run.key(rec)
		switch {
		case run.v.Skip != nil && run.v.Skip(row) != "":
			s.state = stSkipped
		case user == "":
			s.state = stSkipped
		case cell(rec, run.cols.learning) == "" && cell(rec, run.cols.title) == "":
			s.state = stSkipped
		default:
			s.hash, s.score, s.mask = run.sentHash(rec)
			i := int32(len(run.slots))
			k := maphash.String(run.seed, key)
			if prev, ok := run.index[k]; ok {
				run.slots[prev].state = stSuperseded
				run.slots[prev].next = i
			}
			run.index[k] = i
			if uh := maphash.String(run.seed, user); !hasKey(run.users, uh) {
				run.users[uh] = struct{}{}
				if per := run.v.perUser(); per >= 0 && len(run.users) <= per {
					// A clone: the cell shares the record's line, which would stay in memory.
					run.names = append(run.names, strings.Clone(user))
				}
			}
		}
		run.slots = append(run.slots, s)
	}
}

// sentHash normalises the row's compared values and hashes those it sets.
func (run *verifyRun) sentHash(rec []string) (h, score uint64, mask uint8) {
	var vals [5]string
	for j, cc := range comparedColumns {
		v := cell(rec, run.cols.vals[j])
		if v == "" {
			continue // an empty cell leaves the LMS's value as it was: nothing to compare
		}
		mask |= cc.bit
		vals[j] = normSent(cc.bit, v)
	}
	h, score = run.hashVals(mask, &vals)
	return h, score, mask
}

func (run *verifyRun) hashVals(mask uint8, vals *[5]string) (h, score uint64) {
	var mh maphash.Hash
	mh.SetSeed(run.seed)
	for j, cc := range comparedColumns[:4] {
		if mask&cc.bit != 0 {
			mh.WriteString(vals[j])
		}
		mh.WriteByte(0)
	}
	h = mh.Sum64()
	if mask&fScore != 0 {
		score = maphash.String(run.seed, vals[4])
	}
	return h, score
}

func lmsVals(rec *LMSRecord) [5]string {
	return [5]string{normLMSDate(rec.Enrolled), normLMSDate(rec.Start), normLMSDate(rec.End), normLMSStatus(rec.Status), normScore(rec.Score)}
}

// read asks the LMS for the payload's users' records and matches each answer to its slot.
func (run *verifyRun) read(ctx context.Context) error {
	q := url.Values{}
	if !run.v.Since.IsZero() {
		q.Set("lastUpdatedStart", run.v.Since.UTC().Truncate(time.Minute).Format(LastUpdatedLayout))
	}
	run.sum.Users = len(run.users)
	if len(run.users) == 0 {
		return nil
	}
	if len(run.names) < len(run.users) {
		return run.get(ctx, q)
	}
	slices.Sort(run.names)
	for _, u := range run.names {
		q.Set("userId", u)
		if err := run.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (run *verifyRun) get(ctx context.Context, q url.Values) error {
	run.sum.Requests++
	return run.v.Get(ctx, ReadTrainingHistory, q, func(body io.Reader) error {
		n, err := DecodeTrainingHistory(body, run.match)
		run.sum.LMSRecords += n
		return err
	})
}

// match finds the payload row of one LMS record, by module ID, else by title.
func (run *verifyRun) match(rec *LMSRecord) error {
	user := strings.ToLower(rec.UserID)
	i, ok := run.index[maphash.String(run.seed, user+"\x00i:"+strings.ToLower(rec.ModuleID))]
	if !ok {
		if i, ok = run.index[maphash.String(run.seed, user+"\x00t:"+strings.ToLower(rec.ModuleTitle))]; !ok {
			return nil
		}
	}
	s := &run.slots[i]
	if s.state == stConfirmed {
		return nil
	}
	vals := lmsVals(rec)
	h, score := run.hashVals(s.mask, &vals)
	online := strings.EqualFold(rec.ModuleType, "onlineModule")
	if h == s.hash && (s.mask&fScore == 0 || online || score == s.score) {
		s.state = stConfirmed
		delete(run.lms, i)
		return nil
	}
	s.state = stDifferent
	c := *rec
	run.lms[i] = &c
	return nil
}

// report is the second pass: every row's result, in row order.
func (run *verifyRun) report(payload io.Reader) error {
	r, err := run.open(payload)
	if err != nil {
		return err
	}
	for i := range run.slots {
		rec, err := r.Read()
		if err != nil {
			return fmt.Errorf("%s changed while it was verified: read it again", run.file)
		}
		s := &run.slots[i]
		res := VerifyResult{File: run.file, Row: int(s.row), UserID: cell(rec, run.cols.user), Learning: cell(rec, run.cols.learning)}
		if res.Learning == "" {
			res.Learning = cell(rec, run.cols.title)
		}
		st := s.state
		if st == stSuperseded {
			// A later row sets the same record: the LMS holds what the last one sent.
			last := s
			for last.state == stSuperseded && last.next != 0 {
				last = &run.slots[last.next]
			}
			res.Status, res.Message = VerifySkipped, fmt.Sprintf("row %d of the payload sets the same record later; it is verified there", last.row)
			if err := run.emit(res); err != nil {
				return err
			}
			continue
		}
		switch st {
		case stSkipped:
			res.Status = VerifySkipped
			switch {
			case run.v.Skip != nil && run.v.Skip(int(s.row)) != "":
				res.Message = run.v.Skip(int(s.row))
			case res.UserID == "":
				res.Message = "no USERID: the row makes a session, not a training record"
			default:
				res.Message = "no LEARNINGID or LOTITLE"
			}
		case stConfirmed:
			res.Status = VerifyConfirmed
		case stUnseen:
			res.Status = VerifyMissing
			res.Message = fmt.Sprintf("the LMS has no training record for %s on %s", res.UserID, res.Learning)
			if !run.v.Since.IsZero() {
				res.Message += " added or updated since " + run.v.Since.UTC().Truncate(time.Minute).Format(LastUpdatedLayout)
			}
		case stDifferent:
			res.Status = VerifyDifferent
			res.Diffs = run.diffs(rec, s.mask, run.lms[int32(i)])
			var parts []string
			for _, d := range res.Diffs {
				lms := d.LMS
				if lms == "" {
					lms = "none"
				}
				parts = append(parts, fmt.Sprintf("%s sent %s, the LMS has %s", d.Field, d.Sent, lms))
			}
			res.Message = strings.Join(parts, "; ")
		}
		if err := run.emit(res); err != nil {
			return err
		}
	}
	return nil
}

// diffs names the fields of a differing row: its compared values one by one.
func (run *verifyRun) diffs(rec []string, mask uint8, lms *LMSRecord) []FieldDiff {
	if lms == nil {
		return nil
	}
	got := lmsVals(lms)
	raw := [5]string{lms.Enrolled, lms.Start, lms.End, lms.Status, lms.Score}
	var out []FieldDiff
	for j, cc := range comparedColumns {
		if mask&cc.bit == 0 || cc.bit == fScore && strings.EqualFold(lms.ModuleType, "onlineModule") {
			continue
		}
		sent := cell(rec, run.cols.vals[j])
		if normSent(cc.bit, sent) != got[j] {
			out = append(out, FieldDiff{Field: cc.name, Sent: sent, LMS: raw[j]})
		}
	}
	return out
}

func (run *verifyRun) emit(res VerifyResult) error {
	run.sum.Rows++
	switch res.Status {
	case VerifyConfirmed:
		run.sum.Confirmed++
	case VerifyMissing:
		run.sum.Missing++
	case VerifyDifferent:
		run.sum.Different++
	default:
		run.sum.Skipped++
	}
	if run.v.OnResult != nil {
		return run.v.OnResult(res)
	}
	return nil
}
