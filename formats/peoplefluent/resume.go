package peoplefluent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent/pushledger"
	"github.com/bulkload/bulk/internal/target"
	"github.com/bulkload/bulk/lockfile"
)

// StatusUnknown is the status of a row that may or may not be in the LMS: the answer to its
// chunk was lost (the run was killed mid-POST, the connection dropped after sending, a 5xx)
// or could not be read (an HTML page, an empty body), and sending it again could add a
// second record. A person checks it in the LMS; --resend-unknown sends it again.
const StatusUnknown = "unknown"

// LockPush takes the lock of the push of payload (the file named file) to ep at base in led,
// without waiting, and leaves payload at its start. A caller that must touch what a running push
// of the same payload uses (the report folder's results.csv) takes it first and hands it to
// Pusher.Held; Push takes it itself otherwise. When another process holds it, the error says so
// and wraps lockfile.ErrLocked.
func LockPush(led *pushledger.Ledger, base string, ep Endpoint, file string, payload io.ReadSeeker) (*pushledger.Lock, error) {
	fp, err := pushledger.Fingerprint(payload)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if _, err := payload.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	// The LMS as every ledger and lock of bulk names it. Plain http:// was already allowed
	// or refused by ParseBase; here it is only spelled.
	canon, err := target.Canonical(base, target.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	lock, err := led.Lock(pushledger.Key{Base: canon, Endpoint: string(ep), Payload: fp})
	if err != nil {
		if errors.Is(err, lockfile.ErrLocked) {
			url, _ := ep.URL(base)
			return nil, fmt.Errorf("another bulk is pushing the same payload to %s now (%w): wait for it to finish, then run this again to push what is left", url, err)
		}
		return nil, err
	}
	return lock, nil
}

// beginLedger takes the push's lock (unless the caller holds it: Pusher.Held) and finds (or
// starts) the push in the ledger. The returned function releases a lock it took.
func (s *pushRun) beginLedger(ctx context.Context, payload io.Reader) (func(), error) {
	rs, ok := payload.(io.ReadSeeker)
	if !ok {
		return nil, errors.New("a push recorded in a ledger reads its payload twice: give Push a file (io.ReadSeeker)")
	}
	lock, release := s.p.Held, func() {}
	if lock == nil {
		var err error
		if lock, err = LockPush(s.p.Ledger, s.p.Base, s.ep, s.file, rs); err != nil {
			return nil, err
		}
		release = func() { _ = lock.Release() }
	}
	k := lock.Key()
	fp := k.Payload
	requested := s.p.ChunkRows
	if requested <= 0 {
		requested = DefaultChunkRows
	}
	if !s.ep.IsCSV() {
		requested = 0 // posted whole
	}
	// Recorded even when the run is already cancelled: its rows are then reported "not sent".
	push, err := s.p.Ledger.Begin(context.WithoutCancel(ctx), k, requested, s.file, s.p.Again)
	if err != nil {
		release()
		return nil, err
	}
	s.push, s.payload = push, fp
	if push.Resumed {
		s.log.Info("resuming an earlier push of the same file to the same endpoint: chunks the LMS answered are not sent again",
			"file", s.file, "started", push.Started.Format(time.DateTime+" MST"), "ledger", s.p.Ledger.Path())
		if s.ep.IsCSV() && push.ChunkRows != requested {
			s.log.Warn("the earlier push cut this file in chunks of a different size: keeping its size, so its chunks match",
				"chunk_rows", push.ChunkRows, "asked", requested)
		}
	}
	return release, nil
}

// chunkRows is the chunk size: a resumed push keeps the size it started with.
func (s *pushRun) chunkRows() int {
	if s.push.ID != 0 && s.push.ChunkRows > 0 {
		return s.push.ChunkRows
	}
	return s.p.ChunkRows
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunk sends one chunk, or what of it is left to send, and reports every one of its rows.
// With stop set, nothing is sent: the rows are reported as the ledger and stop leave them.
// It returns a fatal error (the push must stop) or nil.
//
// What is sent, by what the ledger holds for the chunk:
//   - nothing: every row.
//   - answered: nothing; the earlier answers are reported.
//   - not loaded (every POST provably refused or never made): the rows without an answer.
//   - sending or unknown (an answer was lost, or could not be read): of the rows without an
//     answer, those a replay cannot duplicate (rowsSafe); the others are reported unknown,
//     unless Pusher.ResendUnknown.
//
// The same resolution applies within a run: when the answer to a chunk with rows of both
// kinds is lost, its safe rows are sent again at once.
func (s *pushRun) chunk(ctx context.Context, client *http.Client, header []string, ch *chunk, stop error) error {
	stopped := stop != nil
	n := len(ch.rows)
	var buf bytes.Buffer
	if err := encodeChunk(&buf, header, ch.rows); err != nil {
		return err
	}
	fp := sha256Hex(buf.Bytes())
	raw := fmt.Sprintf("chunk-%04d.txt", ch.index)
	led := s.p.Ledger
	wctx := context.WithoutCancel(ctx) // an outcome is recorded even after Ctrl-C

	outs := make([]outcome, n) // what results.csv says of each row
	known := make([]bool, n)   // the LMS answered for the row, in this run or an earlier one
	lms := make([]outcome, n)  // the LMS's own words, as the ledger keeps them
	var rec pushledger.Chunk
	var have bool
	if led != nil {
		var err error
		if rec, have, err = led.Chunk(wctx, s.push.ID, ch.index); err != nil {
			return err
		}
		if have && rec.Fingerprint != fp {
			return fmt.Errorf("the PeopleFluent push ledger %s holds other rows as chunk %d of this push (rows %d-%d) than this bulk cuts from the file: check those rows in the LMS, then send the file as a new push with --push-again",
				led.Path(), ch.index, ch.nums[0], ch.nums[n-1])
		}
		when := rec.Updated.UTC().Format("2006-01-02 15:04 MST")
		for _, r := range rec.Results {
			if r.I < 0 || r.I >= n {
				continue
			}
			msg := fmt.Sprintf("answered in an earlier run of this push (chunk %d, %s); not sent again", ch.index, when)
			if r.Message != "" {
				msg += ": " + r.Message
			}
			outs[r.I], known[r.I], lms[r.I] = outcome{r.Status, msg}, true, outcome{r.Status, r.Message}
		}
	}
	pending := func() int {
		c := 0
		for _, k := range known {
			if !k {
				c++
			}
		}
		return c
	}
	safe := rowsSafe(s.ep, header, ch.rows)
	maybe := have && rec.State.MaybeLoaded()
	lostBefore := maybe
	why := ""
	if lostBefore {
		why = fmt.Sprintf("an earlier run sent chunk %d (%s) and its answer was lost: the run was stopped mid-request or the connection dropped",
			ch.index, rec.Updated.UTC().Format("2006-01-02 15:04 MST"))
	}
	if have && pending() == 0 {
		s.sum.Earlier++
		s.log.Info("chunk answered by an earlier run: not sent again", "chunk", ch.index,
			"rows", fmt.Sprintf("%d-%d", ch.nums[0], ch.nums[n-1]))
	} else if lostBefore && stop == nil {
		s.sum.Resumed = append(s.sum.Resumed, ch.index)
	}

	record := func() error {
		if led == nil {
			return nil
		}
		st := pushledger.NotLoaded
		switch {
		case pending() == 0:
			st = pushledger.Answered
		case maybe:
			st = pushledger.Unknown
		}
		var rs []pushledger.RowResult
		for i, k := range known {
			if k {
				rs = append(rs, pushledger.RowResult{I: i, Status: lms[i].status, Message: lms[i].message})
			}
		}
		return led.Record(wctx, s.push.ID, ch.index, fp, st, rs)
	}

	start := time.Now()
	notLoaded := ""
	resend := s.p.ResendUnknown && maybe
	var resent, heldBack, attempts int
	for pass := 0; pass < 2 && stop == nil; pass++ {
		var send []int
		allSafe := true
		for i := range n {
			if !known[i] && (!maybe || safe[i] || resend) {
				send = append(send, i)
				allSafe = allSafe && safe[i]
			}
		}
		if len(send) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			stop = err
			break
		}
		rows := make([][]string, len(send))
		for j, i := range send {
			rows[j] = ch.rows[i]
		}
		if err := encodeChunk(&buf, header, rows); err != nil {
			return err
		}
		if led != nil {
			if err := led.Intend(wctx, s.push.ID, ch.index, fp); err != nil {
				return err
			}
		}
		if lostBefore {
			s.log.Info("resuming a chunk whose answer was lost", "chunk", ch.index, "sending", len(send), "held_back", pending()-len(send))
		}
		res, fatal := s.post(ctx, client, buf.Bytes(), allSafe, raw)
		attempts += res.attempts
		resend = false
		if fatal != nil {
			stop = fatal
			if res.maybeLoaded {
				maybe = true
				why = fmt.Sprintf("the push stopped (%s) while this chunk was being sent, so the LMS may or may not have loaded it", fatalReason(fatal))
			}
			if err := record(); err != nil {
				return err
			}
			break
		}
		s.sum.Chunks++
		unreadable := false
		switch res.outcome {
		case postAnswered:
			got, kind := parseAnswer(res.body, header, rows, s.rawRef(raw))
			if kind == answerEmpty || kind == answerUnrecognised {
				unreadable, maybe = true, true
				why = unreadableWhy(s.ep, kind, res.body, s.rawRef(raw))
				break
			}
			for j, i := range send {
				o := got[j]
				lms[i] = o
				if lostBefore {
					note := fmt.Sprintf("resumed: chunk %d's answer was lost in an earlier run; this row only updates, so it was sent again", ch.index)
					if !safe[i] {
						note = fmt.Sprintf("resumed: chunk %d's answer was lost in an earlier run; sent again because --resend-unknown was given", ch.index)
					}
					if o.message != "" {
						note += ": " + o.message
					}
					o.message = clip(note, maxMessage+200)
					resent++
				}
				outs[i], known[i] = o, true
			}
		case postNotLoaded:
			notLoaded = res.msg
		case postUnknown:
			maybe = true
			why = fmt.Sprintf("the LMS did not confirm this chunk (%s) and may have loaded some of its rows", res.why)
		}
		if err := record(); err != nil {
			return err
		}
		// An answer, or a refusal: done. A lost or unreadable answer: a chunk of safe rows
		// was already retried by post (an unreadable answer would come again), so only a
		// chunk with rows of both kinds has its safe rows sent once more.
		if res.outcome != postUnknown || unreadable || allSafe {
			break
		}
	}

	for i := range n {
		if known[i] {
			continue
		}
		switch {
		case maybe && safe[i] && stop != nil:
			outs[i] = outcome{StatusFailed, fmt.Sprintf("not confirmed: %s; this row only updates or deletes, so sending it again is safe: run the same command again to send the rows not confirmed", why)}
		case maybe && safe[i]:
			outs[i] = outcome{StatusFailed, fmt.Sprintf("not confirmed: %s; this row only updates or deletes, so sending it again is safe: run the same command again and bulk sends only the rows not confirmed", why)}
		case maybe:
			heldBack++
			outs[i] = outcome{StatusUnknown, fmt.Sprintf("outcome unknown: %s; %s, so bulk does not send it again by itself: check this row in the LMS; if it is not there, run the same command again with --resend-unknown",
				why, unsafeReason(s.ep, header, ch.rows[i]))}
		case stop != nil:
			outs[i] = outcome{StatusFailed, "not sent: " + fatalReason(stop)}
		default:
			outs[i] = outcome{StatusFailed, notLoaded}
		}
	}
	before := s.sum
	for i, o := range outs {
		if err := s.emit(Result{File: s.file, Row: ch.nums[i], Status: o.status, Message: o.message}); err != nil {
			return err
		}
	}
	if s.p.AfterChunk != nil {
		if err := s.p.AfterChunk(); err != nil {
			return err
		}
	}
	if attempts > 0 {
		s.log.Info("chunk pushed", "file", s.file, "chunk", ch.index,
			"rows", fmt.Sprintf("%d-%d", ch.nums[0], ch.nums[n-1]),
			"attempts", attempts, "ok", s.sum.OK-before.OK, "warnings", s.sum.Warnings-before.Warnings,
			"failed", s.sum.Failed-before.Failed, "unknown", s.sum.Unknown-before.Unknown,
			"elapsed", time.Since(start).Round(time.Millisecond))
	}
	if lostBefore && stop == nil {
		s.log.Info("chunk resumed", "chunk", ch.index, "sent_again", resent, "unknown", heldBack)
	}
	if stopped {
		return nil // the caller is already stopping
	}
	return stop
}

// unsafeReason says why sending a row again could duplicate something (see rowsSafe).
func unsafeReason(ep Endpoint, header []string, row []string) string {
	get := func(name string) string {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) && i < len(row) {
				return strings.ToUpper(strings.TrimSpace(row[i]))
			}
		}
		return ""
	}
	switch ep {
	case TrainingHistoryCSV:
		switch {
		case get("CREATESESSION") == "TRUE":
			return "it has CREATESESSION true (a new session each time it is sent)"
		case get("USERID") == "":
			return "it has no USERID (a new classroom and session each time it is sent)"
		case get("ACTION") != "":
			return fmt.Sprintf("it has ACTION %s (it adds a record)", get("ACTION"))
		}
	case ExternalTrainingCSV:
		switch a := get("Action"); {
		case a == "AU":
			return "it has Action AU without a RecordID (it adds a record)"
		case a != "":
			return fmt.Sprintf("it has Action %s (it adds a record)", a)
		default:
			return "it has no Action"
		}
	case Courses:
		return "the file may add courses"
	}
	return "sending it again could add a second record"
}

// unreadableWhy says what was wrong with a 2xx answer that is not the endpoint's answer: an
// empty body, a login or proxy error page, anything else. The excerpt is from the answer as
// saved, already scrubbed of the key.
func unreadableWhy(ep Endpoint, kind answerKind, body []byte, raw string) string {
	if kind == answerEmpty {
		return fmt.Sprintf("the LMS answered with an empty body (see %s), which does not say whether the rows were loaded (LMS 10.1 and earlier answer so)", raw)
	}
	hint := ""
	if strings.HasPrefix(strings.TrimSpace(string(body)), "<") {
		hint = ": it looks like a web page (a login page or a proxy's error page?): check that --base is the LMS root (e.g. https://host/ekp/) and that system authentication is enabled"
	}
	return fmt.Sprintf("the LMS's answer cannot be read as a %s answer (it begins %q; see %s)%s", ep, clip(firstBytes(body), 120), raw, hint)
}

// pushWhole posts a payload whose endpoint takes it whole (courses XML), recorded in the
// ledger as chunk 1. A repost is never assumed safe: courses may be added.
func (s *pushRun) pushWhole(ctx context.Context, payload io.Reader) error {
	body, err := io.ReadAll(io.LimitReader(payload, maxWholePayload+1))
	if err != nil {
		return fmt.Errorf("%s: %w", s.file, err)
	}
	if len(body) > maxWholePayload {
		return fmt.Errorf("%s is larger than %d MiB: split the courses into several files", s.file, maxWholePayload>>20)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &PayloadError{File: s.file, Line: 1, Err: errors.New("the file is empty")}
	}
	const raw = "chunk-0001.txt"
	fp := sha256Hex(body)
	led := s.p.Ledger
	wctx := context.WithoutCancel(ctx)
	var rec pushledger.Chunk
	var have bool
	if led != nil {
		if rec, have, err = led.Chunk(wctx, s.push.ID, 1); err != nil {
			return err
		}
	}
	emit := func(status, msg string) error {
		return s.emit(Result{File: s.file, Row: 0, Status: status, Message: msg})
	}
	unknown := func(why string) error {
		return emit(StatusUnknown, fmt.Sprintf("outcome unknown: %s; %s, so bulk does not send it again by itself: check the courses in the LMS; if they are not there, run the same command again with --resend-unknown", why, unsafeReason(Courses, nil, nil)))
	}
	record := func(st pushledger.State, rs []pushledger.RowResult) error {
		if led == nil {
			return nil
		}
		return led.Record(wctx, s.push.ID, 1, fp, st, rs)
	}
	when := rec.Updated.UTC().Format("2006-01-02 15:04 MST")
	if have && rec.State == pushledger.Answered && len(rec.Results) > 0 {
		s.sum.Earlier++
		r := rec.Results[0]
		msg := fmt.Sprintf("answered in an earlier run of this push (%s); not sent again", when)
		if r.Message != "" {
			msg += ": " + r.Message
		}
		return emit(r.Status, msg)
	}
	maybe := have && rec.State.MaybeLoaded()
	if maybe {
		s.sum.Resumed = append(s.sum.Resumed, 1)
	}
	if err := ctx.Err(); err != nil {
		if maybe {
			_ = unknown(fmt.Sprintf("an earlier run sent this file (%s) and its answer was lost", when))
		} else {
			_ = emit(StatusFailed, "not sent: the push was cancelled")
		}
		return err
	}
	if maybe && !s.p.ResendUnknown {
		return unknown(fmt.Sprintf("an earlier run sent this file (%s) and its answer was lost: the run was stopped mid-request or the connection dropped", when))
	}
	if led != nil {
		if err := led.Intend(wctx, s.push.ID, 1, fp); err != nil {
			return err
		}
	}
	res, fatal := s.post(ctx, s.p.client(), body, false, raw)
	maybe = maybe || res.maybeLoaded
	if fatal != nil {
		st := pushledger.NotLoaded
		if maybe {
			st = pushledger.Unknown
		}
		if err := record(st, nil); err != nil {
			return err
		}
		if maybe {
			_ = unknown(fmt.Sprintf("the push stopped (%s) while the file was being sent", fatalReason(fatal)))
		} else {
			_ = emit(StatusFailed, "not sent: "+fatalReason(fatal))
		}
		return fatal
	}
	s.sum.Chunks++
	s.log.Info("file pushed", "file", s.file, "attempts", res.attempts)
	switch res.outcome {
	case postNotLoaded:
		st := pushledger.NotLoaded
		if maybe {
			st = pushledger.Unknown
		}
		if err := record(st, nil); err != nil {
			return err
		}
		return emit(StatusFailed, res.msg)
	case postUnknown:
		if err := record(pushledger.Unknown, nil); err != nil {
			return err
		}
		return unknown(fmt.Sprintf("the LMS did not confirm the file (%s)", res.why))
	}
	o, kind := parseWholeAnswer(res.body, s.rawRef(raw))
	if kind == answerEmpty || kind == answerUnrecognised {
		if err := record(pushledger.Unknown, nil); err != nil {
			return err
		}
		return unknown(unreadableWhy(Courses, kind, res.body, s.rawRef(raw)))
	}
	if err := record(pushledger.Answered, []pushledger.RowResult{{I: 0, Status: o.status, Message: o.message}}); err != nil {
		return err
	}
	return emit(o.status, o.message)
}

// ResumeLine says in a sentence or two what a resumed push did and what to do about rows left
// unknown, for the end of a run; "" when there is nothing to say.
func ResumeLine(s Summary) string {
	var parts []string
	if s.Earlier > 0 {
		parts = append(parts, fmt.Sprintf("%d %s answered by an earlier run of this push (not sent again)", s.Earlier, plural(s.Earlier, "chunk", "chunks")))
	}
	if len(s.Resumed) > 0 {
		nums := make([]string, len(s.Resumed))
		for i, n := range s.Resumed {
			nums[i] = fmt.Sprint(n)
		}
		parts = append(parts, fmt.Sprintf("%s %s resumed after a lost answer", plural(len(s.Resumed), "chunk", "chunks"), strings.Join(nums, ", ")))
	}
	var line string
	if len(parts) > 0 {
		line = "Resumed: " + strings.Join(parts, "; ") + "."
	}
	if s.Unknown > 0 {
		if line != "" {
			line += " "
		}
		line += fmt.Sprintf("%d %s may or may not be in the LMS (status unknown in results.csv): check them in the LMS, then run the same command with --resend-unknown to send those that are not there.", s.Unknown, plural(s.Unknown, "row", "rows"))
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
