package peoplefluent

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// Endpoint names a contentHandler endpoint of the LMS.
type Endpoint string

// The contentHandler endpoints bulk pushes to (vendor API reference,
// "contentHandler/...", all with system authentication).
const (
	TrainingHistoryCSV  Endpoint = "trainingHistoryCsv"
	ExternalTrainingCSV Endpoint = "externalTrainingCsv"
	Courses             Endpoint = "courses"
)

// Endpoints lists every endpoint, in the order the help text shows them.
var Endpoints = []Endpoint{TrainingHistoryCSV, ExternalTrainingCSV, Courses}

// ParseEndpoint accepts an endpoint name as the vendor spells it
// (case-insensitive, so "traininghistorycsv" works too).
func ParseEndpoint(name string) (Endpoint, error) {
	for _, e := range Endpoints {
		if strings.EqualFold(name, string(e)) {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown PeopleFluent endpoint %q: use one of trainingHistoryCsv, externalTrainingCsv, courses", name)
}

// IsCSV reports whether payloads for e are CSV (chunked) rather than XML (posted whole).
func (e Endpoint) IsCSV() bool { return e == TrainingHistoryCSV || e == ExternalTrainingCSV }

// MediaType is the media type the vendor's API reference gives for e's request body ("Request
// Body schema"): text/plain for the CSV endpoints, application/xml for courses.
func (e Endpoint) MediaType() string {
	if e.IsCSV() {
		return "text/plain"
	}
	return "application/xml"
}

// ContentType is the Content-Type header a payload for e is posted with: MediaType, in UTF-8.
// guess G34 (docs/guesses.md).
func (e Endpoint) ContentType() string { return e.MediaType() + "; charset=utf-8" }

// CheckContentType says what is wrong with a request's Content-Type header for e, or "" when it
// is e's MediaType with no charset or UTF-8: what bulk sends and what the sandbox accepts.
func (e Endpoint) CheckContentType(header string) string {
	if header == "" {
		return fmt.Sprintf("no Content-Type: %s takes %s", e, e.MediaType())
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil {
		return fmt.Sprintf("Content-Type %q cannot be read: %s takes %s", header, e, e.MediaType())
	}
	if mt != e.MediaType() {
		return fmt.Sprintf("Content-Type %s is not what %s takes: send %s", mt, e, e.MediaType())
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Sprintf("charset %s: %s takes UTF-8", cs, e)
	}
	return ""
}

// URL joins the LMS base URL (e.g. https://host/ekp/ or https://host/ekp) and
// the endpoint into {base}/contentHandler/{name}. The base must be an http(s)
// URL with a host and must not carry credentials, a query or a fragment: the
// key goes in the Authorization header only, and a query would be silently
// dropped or misplaced by the join.
func (e Endpoint) URL(base string) (string, error) {
	u, err := ParseBase(base)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/contentHandler/" + string(e)
	u.RawPath = ""
	return u.String(), nil
}

// ParseBase checks an LMS base URL; see Endpoint.URL.
func ParseBase(base string) (*url.URL, error) {
	if strings.TrimSpace(base) == "" {
		return nil, errors.New("the LMS base URL is empty: pass --base https://host/ekp/")
	}
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return nil, fmt.Errorf("the LMS base URL is not a URL: %w", err)
	}
	if u.User != nil {
		// Do not echo the URL: the part before @ may be a key.
		return nil, errors.New("the LMS base URL must not contain a user name or password: give the key through BULK_PF_SYSTEM_KEY or --key-file")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the LMS base URL %q must start with https:// (or http:// for a local sandbox)", base)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("the LMS base URL %q has no host name", base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the LMS base URL %q must not have a query (?) or fragment (#): give the LMS root, e.g. https://host/ekp/", base)
	}
	return u, nil
}
