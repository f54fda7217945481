package peoplefluent

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// RuleReference is the rule code of a row whose user the LMS does not have (--check-users):
// the same code bulk's other reference checks use.
const RuleReference = "reference"

// NoUserMessage is the reason a row with an unknown USERID is rejected for.
func NoUserMessage(id string) string { return "no LMS user " + id }

// DecodeUsers reads a users200510Xml answer as a stream and calls fn with each user's ID. What
// is known of the layout is seen, not documented: a public client reads the IDs as the id
// child of each user element, under a root in a namespace (matched here by local names). A
// root named html is a login or error page, not an answer.
func DecodeUsers(r io.Reader, fn func(id string) error) (int, error) {
	d := xml.NewDecoder(r)
	var (
		names []string
		inID  bool
		text  strings.Builder
		n     int
		root  bool
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			switch {
			case !root: // an LMS with no user answers a root with no user; an empty body is no answer
				return n, errors.New("the answer is empty")
			case len(names) > 0:
				return n, errors.New("the answer stops before its end")
			}
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(names) == 0 && strings.EqualFold(t.Name.Local, "html") {
				return n, errors.New("it is an HTML page (a login or error page?), not a list of users")
			}
			root = true
			names = append(names, t.Name.Local)
			inID = t.Name.Local == "id" && len(names) >= 2 && names[len(names)-2] == "user"
			text.Reset()
		case xml.CharData:
			if inID {
				text.Write(t)
			}
		case xml.EndElement:
			if len(names) == 0 || names[len(names)-1] != t.Name.Local {
				return n, fmt.Errorf("not well-formed XML at </%s>", t.Name.Local)
			}
			if inID {
				inID = false
				n++
				if err := fn(strings.TrimSpace(text.String())); err != nil {
					return n, err
				}
			}
			names = names[:len(names)-1]
		}
	}
}

// ActiveUsers reads the LMS's active users (users200510Xml, status Active) and returns their
// IDs lower-cased (the LMS stores user IDs lower-case, doc): one request, decoded as a stream,
// memory the size of the set.
func (r *Reader) ActiveUsers(ctx context.Context) (map[string]struct{}, error) {
	users := map[string]struct{}{}
	err := r.Get(ctx, ReadUsers, url.Values{"status": {UsersStatusActive}}, func(body io.Reader) error {
		_, err := DecodeUsers(body, func(id string) error {
			if id != "" {
				users[strings.ToLower(id)] = struct{}{}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}
