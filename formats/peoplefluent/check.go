package peoplefluent

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CheckPayload reads a whole payload once, without sending anything, and
// returns how many rows Push will send (data records for CSV, 1 for courses
// XML). It fails with a *PayloadError when the file is not well-formed CSV or
// XML, or when its header does not belong to the endpoint (an
// externalTrainingCsv file about to go to trainingHistoryCsv). Running it
// before Push means a broken file sends nothing rather than its first chunks.
func CheckPayload(ep Endpoint, file string, r io.Reader) (int, error) {
	if !ep.IsCSV() {
		return 1, checkXML(file, r)
	}
	c, err := newChunker(file, r, DefaultChunkRows)
	if err != nil {
		return 0, err
	}
	if err := checkHeader(ep, file, c.header); err != nil {
		return 0, err
	}
	rows := 0
	for {
		ch, err := c.Next(file)
		if ch != nil {
			rows += len(ch.rows)
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
	}
}

// checkHeader makes sure the header belongs to the endpoint. Every
// training-history row needs a LEARNINGID or LOTITLE, every external training
// row an Action; the two tables share names that differ only in case (USERID
// and UserId, ACTION and Action), so a file is training history when it has
// LEARNINGID or LOTITLE, external training when it has Action and neither.
func checkHeader(ep Endpoint, file string, header []string) error {
	has := func(name string) bool {
		for _, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return true
			}
		}
		return false
	}
	training := has("LEARNINGID") || has("LOTITLE")
	external := has("Action") && !training
	var err error
	switch {
	case ep == TrainingHistoryCSV && external:
		err = errors.New("the header is that of an externalTrainingCsv payload (Action, no LEARNINGID or LOTITLE): use --endpoint externalTrainingCsv")
	case ep == TrainingHistoryCSV && !training:
		err = errors.New("the header has neither LEARNINGID nor LOTITLE, and every trainingHistoryCsv row needs one of them")
	case ep == ExternalTrainingCSV && training:
		err = errors.New("the header is that of a trainingHistoryCsv payload (it has LEARNINGID or LOTITLE): use --endpoint trainingHistoryCsv")
	case ep == ExternalTrainingCSV && !external:
		err = errors.New("the header has no Action column, and every externalTrainingCsv row needs one")
	}
	if err != nil {
		return &PayloadError{File: file, Line: 1, Err: err}
	}
	return nil
}

func checkXML(file string, r io.Reader) error {
	dec := xml.NewDecoder(r)
	elements := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return &PayloadError{File: file, Line: line, Err: fmt.Errorf("not well-formed XML: %w", err)}
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
		// A DOCTYPE can declare entities (billion laughs, external files) that the LMS's
		// parser might expand: a courses payload needs none, so it is never forwarded.
		if d, ok := tok.(xml.Directive); ok && bytes.HasPrefix(bytes.TrimSpace(bytes.ToUpper(d)), []byte("DOCTYPE")) {
			line, _ := dec.InputPos()
			return &PayloadError{File: file, Line: line, Err: errors.New("the XML has a DOCTYPE declaration, which a courses payload never needs and which can make a parser read other files or expand without bound: remove it (bulk export courses writes none)")}
		}
	}
	if elements == 0 {
		return &PayloadError{File: file, Line: 1, Err: errors.New("no XML element: a courses payload has a root element with modules")}
	}
	return nil
}
