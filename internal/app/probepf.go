package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/internal/httpx"
)

// ProbePFOptions are the options of ProbePeopleFluent ('bulk probe peoplefluent').
type ProbePFOptions struct {
	Base    string
	KeyFile string // else $BULK_PF_SYSTEM_KEY
	User    string // else $BULK_PF_USER, else peoplefluent.DefaultUser
	Timeout time.Duration
}

// What a PeopleFluent probe came to (ProbePFResult.Result).
const (
	ProbeOK          = "ok"
	ProbeUnreachable = "unreachable" // no connection (name, refused, timeout)
	ProbeTLS         = "tls"         // the certificate is not trusted, or the server does not speak TLS
	ProbeWrongKey    = "wrong-key"   // 401/403: the system key (or, where the LMS does not say, the user name)
	ProbeWrongUser   = "wrong-user"  // 401/403 saying the user name is what is wrong
	ProbeNoRead      = "no-read"     // the server answers, but not the read (404, a redirect, another 4xx/5xx)
	ProbeNotLMS      = "not-lms"     // HTTP 200 with something else than the read's XML (a login page)
)

// ProbePFResult is what a probe of an LMS found.
type ProbePFResult struct {
	Base        string `json:"base"`
	Result      string `json:"result"`
	Reachable   bool   `json:"reachable"`
	KeyAccepted bool   `json:"key_accepted"`
	User        string `json:"user"`
	Read        string `json:"read"`    // the request made, without the key
	Records     int    `json:"records"` // training records the read answered
	Message     string `json:"message"`
}

// ProbePeopleFluent makes one authenticated read, and only reads: trainingHistoryXml for the
// system user itself, for records updated from this minute on (a small answer on any LMS). It
// tells a base that cannot be reached, a TLS problem, a refused key or user name, a read that is
// not there and an answer that is not the LMS's from an LMS that accepts the key. The result
// comes back with the error (CannotRun) when it is not ok, so --format json can show it.
func ProbePeopleFluent(ctx context.Context, d Deps, o ProbePFOptions) (*ProbePFResult, error) {
	if _, err := peoplefluent.ParseBase(o.Base); err != nil {
		return nil, cannotRun(err, "")
	}
	key, err := ReadPFKey(d, o.KeyFile)
	if err != nil {
		return nil, err
	}
	user, err := PFUser(d, o.User)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	q := url.Values{"userId": {user}, "lastUpdatedStart": {d.now().UTC().Format(peoplefluent.LastUpdatedLayout)}}
	read, _ := peoplefluent.ReadURL(o.Base, peoplefluent.ReadTrainingHistory, q)
	res := &ProbePFResult{Base: o.Base, User: user, Read: "GET " + read}
	r := &peoplefluent.Reader{Base: o.Base, Key: key, User: user, Retries: -1, Client: &http.Client{Timeout: timeout}}
	err = r.Get(ctx, peoplefluent.ReadTrainingHistory, q, func(body io.Reader) error {
		n, err := peoplefluent.DecodeTrainingHistory(body, func(*peoplefluent.LMSRecord) error { return nil })
		res.Records = n
		return err
	})
	if errors.Is(err, context.Canceled) {
		return res, err
	}
	hint := ""
	var (
		ce *peoplefluent.ConnectError
		ae *peoplefluent.AuthError
		re *peoplefluent.ReadError
		ee *peoplefluent.EndpointError
		an *peoplefluent.AnswerError
		te *httpx.TLSError
	)
	switch {
	case err == nil:
		res.Result, res.Reachable, res.KeyAccepted = ProbeOK, true, true
		res.Message = fmt.Sprintf("the LMS answers and accepts the system key sent as user %q (%s answered %d %s); nothing was sent",
			user, peoplefluent.ReadTrainingHistory, res.Records, Plural(int64(res.Records), "record", "records"))
		return res, nil
	case errors.As(err, &te):
		res.Result, res.Message = ProbeTLS, "the LMS at "+o.Base+": "+te.Error()
		hint = "Check the URL's scheme and port, or have your organisation's CA certificate installed."
	case errors.As(err, &ce):
		res.Result, res.Message = ProbeUnreachable, err.Error()
		hint = "Check --base, the network and any proxy; nothing was sent."
	case errors.As(err, &ae):
		res.Reachable = true
		res.Result = ProbeWrongKey
		if said := strings.ToLower(ae.Said); strings.Contains(said, "user name") || strings.Contains(said, "user id") {
			res.Result = ProbeWrongUser
			res.Message = fmt.Sprintf("the LMS refused the system user name %q (HTTP %d): %s", user, ae.Status, ae.Said)
			hint = "Give the administrator's user ID the LMS expects with --user or " + PFUserEnv + "."
		} else {
			res.Message = fmt.Sprintf("the LMS refused the system key (HTTP %d) sent as user %q; it does not say whether the key or the user name is wrong (the vendor's reference says the user name is ignored, so the key is the likelier)", ae.Status, user)
			hint = "Check that " + PFKeyEnv + " or --key-file holds the LMS's current system key; ask the LMS administrator which user ID to send (--user)."
		}
	case errors.As(err, &re), errors.As(err, &ee):
		res.Reachable, res.Result, res.Message = true, ProbeNoRead, err.Error()
		hint = "Check --base is the LMS root (e.g. https://host/ekp/)."
	case errors.As(err, &an):
		res.Reachable, res.Result, res.Message = true, ProbeNotLMS, err.Error()
		hint = "Check --base is the LMS root, not a login page or a proxy."
	default:
		res.Result, res.Message = ProbeUnreachable, err.Error()
	}
	return res, cannotRun(errors.New("probe peoplefluent: "+res.Result+": "+res.Message), hint)
}

// WriteText shows a probe's findings for people.
func (r *ProbePFResult) WriteText(w io.Writer) {
	yes := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(w, "PeopleFluent LMS at %s: %s\n", r.Base, r.Result)
	fmt.Fprintf(w, "Reachable: %s; system key accepted: %s (user %q)\n", yes[r.Reachable], yes[r.KeyAccepted], r.User)
	fmt.Fprintf(w, "Read: %s\n", r.Read)
	fmt.Fprintf(w, "%s\n", r.Message)
}
