package peoplefluent

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LMSRecord is one training record as trainingHistoryXml answers it. The element names are
// those of the vendor's published read schema for training records (records.xsd in the
// vendor's .NET client, "for reference only": root trainingHistory, trainingRecord elements
// with userId, learningModule/id, title and type, enrollmentDate, startDate, endDate,
// overallStatus, score), since trainingHistory200510.xsd is not public. Seen, not documented.
type LMSRecord struct {
	UserID      string
	ModuleID    string
	ModuleTitle string
	ModuleType  string // e.g. classroom, onlineModule
	Enrolled    string // xs:dateTime as written
	Start       string
	End         string
	Status      string // overallStatus as written
	Score       string
}

// recordField says which LMSRecord field an element inside a trainingRecord fills: by its
// parent's local name ("" for the record itself) and its own.
func (rec *LMSRecord) field(parent, name string) *string {
	switch parent {
	case "":
		switch name {
		case "userId":
			return &rec.UserID
		case "enrollmentDate":
			return &rec.Enrolled
		case "startDate":
			return &rec.Start
		case "endDate":
			return &rec.End
		case "overallStatus":
			return &rec.Status
		case "score":
			return &rec.Score
		}
	case "learningModule":
		switch name {
		case "id":
			return &rec.ModuleID
		case "title":
			return &rec.ModuleTitle
		case "type":
			return &rec.ModuleType
		}
	}
	return nil
}

// DecodeTrainingHistory reads a trainingHistoryXml answer as a stream and calls fn with each
// training record, nested ones (a programme's children) included, each after its own end tag.
// The record passed is reused: fn must copy what it keeps. Memory stays flat whatever the
// answer's size. The root must be trainingHistory: anything else (a login page in XHTML, an
// error document) is an error rather than "no records".
func DecodeTrainingHistory(r io.Reader, fn func(*LMSRecord) error) (int, error) {
	d := xml.NewDecoder(r)
	type frame struct {
		depth int // depth of the trainingRecord element
		rec   LMSRecord
	}
	var (
		stack  []frame // open trainingRecord elements, innermost last
		names  []string
		target *string
		text   strings.Builder
		root   bool
		n      int
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if !root {
				return n, errors.New("the answer is empty")
			}
			if len(names) > 0 {
				return n, errors.New("the answer stops before its end (</trainingHistory> missing)")
			}
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if !root {
				if name != "trainingHistory" {
					return n, fmt.Errorf("its root element is <%s>, not <trainingHistory>", name)
				}
				root = true
			}
			names = append(names, name)
			depth := len(names)
			target = nil
			if name == "trainingRecord" {
				stack = append(stack, frame{depth: depth})
				continue
			}
			if len(stack) > 0 {
				f := &stack[len(stack)-1]
				switch depth - f.depth {
				case 1:
					target = f.rec.field("", name)
				case 2:
					target = f.rec.field(names[depth-2], name)
				}
				text.Reset()
			}
		case xml.CharData:
			if target != nil {
				text.Write(t)
			}
		case xml.EndElement:
			if len(names) == 0 {
				return n, errors.New("not well-formed XML: an end tag without a start")
			}
			if names[len(names)-1] != t.Name.Local {
				return n, fmt.Errorf("not well-formed XML: </%s> closes <%s>", t.Name.Local, names[len(names)-1])
			}
			if target != nil {
				*target = strings.TrimSpace(text.String())
				target = nil
			}
			if t.Name.Local == "trainingRecord" && len(stack) > 0 && stack[len(stack)-1].depth == len(names) {
				n++
				if err := fn(&stack[len(stack)-1].rec); err != nil {
					return n, err
				}
				stack = stack[:len(stack)-1]
			}
			names = names[:len(names)-1]
		}
	}
}
