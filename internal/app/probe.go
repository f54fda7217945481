package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/ledger"
	"github.com/bulkload/bulk/formats/onefile/profile"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/internal/sqlstore"
)

// ProbeOnefileOptions are the options of ProbeOnefile ('bulk probe onefile').
type ProbeOnefileOptions struct {
	URL, Env          string
	Org               int
	TokenFile         string // else $BULK_ONEFILE_TOKEN
	State             string // the ledger whose folder holds profiles/; "" for Deps.LedgerPath
	AllowInsecureHTTP bool
	// WriteTest creates a throwaway assessor and learner and settles the assignment path
	// (refused for live).
	WriteTest bool
}

// ProbeOrg is an organisation the token sees.
type ProbeOrg struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	KeychainOn bool   `json:"keychain_on"`
}

// ProbeResult is what a probe found. It settles, for one target, what the vendor documents
// leave open (docs/onefile-api.md, "Guesses").
type ProbeResult struct {
	APIRoot       string     `json:"api_root"`
	Authenticated bool       `json:"authenticated"`
	CustomerID    int        `json:"customer_id"`
	Customer      string     `json:"customer"`
	Organisations []ProbeOrg `json:"organisations"`
	Organisation  int        `json:"organisation"`
	// KeychainOn: creates in the organisation answer no user ID and no password.
	KeychainOn bool `json:"keychain_on"`
	// RateLimitHeaders are the rate-limit headers seen on the answers (OneFile documents none).
	RateLimitHeaders map[string]string `json:"rate_limit_headers"`
	// SearchFields are the fields a user search answers; GetUserFields those GET /User/{id}
	// answers; GetUserReturnsMore says the read carries fields the search does not.
	SearchFields       []string `json:"search_fields"`
	GetUserFields      []string `json:"get_user_fields"`
	GetUserReturnsMore bool     `json:"get_user_returns_more"`
	// Counts of the organisation's classrooms, placements, standards and units.
	Counts map[string]int `json:"counts"`
	// AssignPath is whose ID POST /User/{id}/Assign takes: assignee, learner, or unknown when
	// no probe with a write test has settled it.
	AssignPath string `json:"assign_path"`
	// Roles are the role guesses the target profile settles (docs/guesses.md G20-G22): what a
	// person wrote there or a write test found; a guess not listed keeps bulk's default.
	Roles map[string]bool `json:"roles,omitempty"`
	// WriteTest is what --write-test did (nil without it).
	WriteTest *ProbeWriteTest `json:"write_test,omitempty"`
	// Profile is the target profile written, which loads into this target read.
	Profile string `json:"profile"`
	Calls   int64  `json:"api_calls"`
}

// ProbeOnefile reads, and only reads, what a OneFile target answers and writes its target
// profile beside the ledger.
func ProbeOnefile(ctx context.Context, d Deps, o ProbeOnefileOptions) (*ProbeResult, error) {
	lo := LoadOnefileOptions{URL: o.URL, Env: o.Env, TokenFile: o.TokenFile, AllowInsecureHTTP: o.AllowInsecureHTTP}
	t, err := lo.target(&d)
	if err != nil {
		return nil, err
	}
	if o.WriteTest && t.live {
		return nil, cannotRun(errors.New("--write-test creates users: it is refused for OneFile live"), "Probe beta or practice with --write-test; their answer holds for live. Without --write-test the probe only reads.")
	}
	c, err := api.New(api.Config{BaseURL: t.url, CustomerToken: t.token, AllowInsecureHTTP: o.AllowInsecureHTTP, Patience: -1})
	if err != nil {
		return nil, cannotRun(err, "")
	}
	defer c.Close()
	res := &ProbeResult{APIRoot: t.url, AssignPath: "unknown", Counts: map[string]int{}}
	cu, err := c.Customer(ctx)
	if err != nil {
		if errors.Is(err, api.ErrAuth) {
			return res, cannotRun(fmt.Errorf("the token was refused: %w", err), "Check the customer token ("+TokenEnv+" or --token-file) is for this environment and has not been revoked.")
		}
		return res, cannotRun(fmt.Errorf("GET /Customer: %w", err), "Check the URL is a OneFile API root and the server answers.")
	}
	res.Authenticated, res.CustomerID, res.Customer = true, cu.ID, cu.Name
	orgs, err := c.Organisations(ctx, cu.ID)
	if err != nil {
		return res, cannotRun(fmt.Errorf("organisation search: %w", err), "")
	}
	var chosen *ProbeOrg
	for _, og := range orgs {
		res.Organisations = append(res.Organisations, ProbeOrg{ID: og.ID, Name: og.Name, KeychainOn: og.KeychainCreationForNewUserActive})
	}
	for i := range res.Organisations {
		if res.Organisations[i].ID == o.Org || o.Org == 0 && len(res.Organisations) == 1 {
			chosen = &res.Organisations[i]
		}
	}
	if chosen == nil {
		var ids []string
		for _, og := range res.Organisations {
			ids = append(ids, fmt.Sprintf("%d (%s)", og.ID, og.Name))
		}
		what := "give --org ID"
		if o.Org != 0 {
			what = fmt.Sprintf("organisation %d is not among them", o.Org)
		}
		return res, cannotRun(fmt.Errorf("the token sees %d organisations: %s; %s", len(ids), strings.Join(ids, ", "), what), "Name the organisation to probe with --org.")
	}
	res.Organisation, res.KeychainOn = chosen.ID, chosen.KeychainOn
	org := chosen.ID
	if res.SearchFields, res.GetUserFields, err = c.UserFieldNames(ctx, org); err != nil {
		return res, cannotRun(fmt.Errorf("user search: %w", err), "")
	}
	for _, f := range res.GetUserFields {
		if !slices.Contains(res.SearchFields, f) {
			res.GetUserReturnsMore = true
		}
	}
	if res.SearchFields == nil {
		res.SearchFields = []string{} // no user to look at: say so as an empty list, not null
	}
	count := func(name string, n int, err error) error {
		if err != nil {
			return cannotRun(fmt.Errorf("%s search: %w", name, err), "")
		}
		res.Counts[name] = n
		return nil
	}
	cls, err := c.SearchClassrooms(ctx, api.NameFilter{OrganisationID: org})
	if err := count("classrooms", len(cls), err); err != nil {
		return res, err
	}
	pls, err := c.SearchPlacements(ctx, api.NameFilter{OrganisationID: org})
	if err := count("placements", len(pls), err); err != nil {
		return res, err
	}
	sts, err := c.SearchStandards(ctx, api.StandardFilter{OrganisationID: org})
	if err := count("standards", len(sts), err); err != nil {
		return res, err
	}
	uns, err := c.SearchUnits(ctx, api.UnitFilter{OrganisationID: org})
	if err := count("units", len(uns), err); err != nil {
		return res, err
	}
	if o.WriteTest {
		first := func(n int, id func(int) int) int {
			if n == 0 {
				return 0
			}
			return id(0)
		}
		cl := first(len(cls), func(i int) int { return cls[i].ID })
		pl := first(len(pls), func(i int) int { return pls[i].ID })
		var werr error
		st := first(len(sts), func(i int) int { return sts[i].ID })
		res.AssignPath, res.WriteTest, werr = writeTest(ctx, c, org, cl, pl, st, d.now().UTC().Format("20060102-150405"))
		if werr != nil {
			hint := ""
			if res.WriteTest != nil && res.WriteTest.Cleanup != "" {
				hint = "Test users were made: " + res.WriteTest.Cleanup + "."
			}
			return res, cannotRun(fmt.Errorf("write test: %w", werr), hint)
		}
	}
	res.RateLimitHeaders = c.RateLimitHeaders()
	res.Calls = c.Stats().Calls

	dir, err := profileDir(&d, o.State)
	if err != nil {
		return res, err
	}
	// A probe that only reads cannot settle the assignment path: keep what an earlier one settled;
	// nor the role guesses, which a person or a write test settles: keep them, with what this
	// write test settled over them.
	old, _ := profile.Read(dir, t.url, org)
	if !o.WriteTest && old != nil && old.AssignPath != "" {
		res.AssignPath = old.AssignPath
	}
	p := &profile.Profile{APIRoot: t.url, Organisation: org, ProbedAt: d.now().UTC(), KeychainOn: res.KeychainOn,
		SearchFields: res.SearchFields, GetUserFields: res.GetUserFields, AssignPath: res.AssignPath, RateLimitHeaders: res.RateLimitHeaders}
	if old != nil && len(old.Roles) > 0 {
		p.Roles = maps.Clone(old.Roles)
	}
	if res.WriteTest != nil && len(res.WriteTest.Roles) > 0 {
		if p.Roles == nil {
			p.Roles = map[string]bool{}
		}
		maps.Copy(p.Roles, res.WriteTest.Roles)
	}
	res.Roles = p.Roles
	if res.Profile, err = profile.Write(dir, p); err != nil {
		return res, cannotRun(fmt.Errorf("cannot write the target profile: %w", err), "Give a writable ledger place with --state PATH.")
	}
	return res, nil
}

// profileDir is profiles/ beside the ledger (--state, else the default ledger).
func profileDir(d *Deps, state string) (string, error) {
	if state == "" {
		var err error
		if state, err = d.ledgerPath(); err != nil {
			return "", cannotRun(err, "")
		}
	}
	if sqlstore.IsURL(state) {
		// A ledger in a database: profiles stay in files on this machine, in the default folder.
		var err error
		if state, err = ledger.DefaultPath(d.Env); err != nil {
			return "", cannotRun(err, "")
		}
	}
	return profile.Dir(state), nil
}

// WriteText shows a probe's findings for people.
func (r *ProbeResult) WriteText(w io.Writer) {
	onOff := map[bool]string{true: "on (creates answer no user ID and no password: new users are found by search)", false: "off (creates answer the new user's ID and login)"}
	fmt.Fprintf(w, "OneFile at %s: token accepted; customer %d (%s)\n", r.APIRoot, r.CustomerID, r.Customer)
	for _, og := range r.Organisations {
		mark := " "
		if og.ID == r.Organisation {
			mark = "*"
		}
		fmt.Fprintf(w, " %s organisation %d: %s\n", mark, og.ID, og.Name)
	}
	fmt.Fprintf(w, "Keychain: %s\n", onOff[r.KeychainOn])
	if len(r.SearchFields) == 0 {
		fmt.Fprintln(w, "User search: the organisation has no user, so which fields a search answers is not known yet")
	} else {
		fmt.Fprintf(w, "User search answers: %s\n", strings.Join(r.SearchFields, ", "))
		more := "no more than the search"
		if r.GetUserReturnsMore {
			more = "more: " + strings.Join(slices.DeleteFunc(slices.Clone(r.GetUserFields), func(f string) bool { return slices.Contains(r.SearchFields, f) }), ", ")
		}
		fmt.Fprintf(w, "GET /User/{id} answers %s\n", more)
	}
	fmt.Fprintf(w, "Classrooms %d, placements %d, standards %d, units %d\n", r.Counts["classrooms"], r.Counts["placements"], r.Counts["standards"], r.Counts["units"])
	if len(r.RateLimitHeaders) == 0 {
		fmt.Fprintln(w, "Rate-limit headers: none (bulk paces itself at 300 calls a minute)")
	} else {
		var hs []string
		for k, v := range r.RateLimitHeaders {
			hs = append(hs, k+": "+v)
		}
		slices.Sort(hs)
		fmt.Fprintf(w, "Rate-limit headers: %s\n", strings.Join(hs, "; "))
	}
	fmt.Fprintf(w, "Assignment path: %s\n", r.AssignPath)
	if wt := r.WriteTest; wt != nil {
		for _, a := range wt.Tried {
			fmt.Fprintf(w, "  tried the %s in the path: %s\n", a.Reading, a.Answer)
		}
		for _, a := range wt.RolesTried {
			fmt.Fprintf(w, "  %s: %s\n", a.Reading, a.Answer)
		}
		fmt.Fprintf(w, "Test users left: %s\n", wt.Cleanup)
	}
	if len(r.Roles) > 0 {
		var rs []string
		for _, g := range schema.RoleGuesses {
			if on, set := r.Roles[g.Name]; set {
				rs = append(rs, fmt.Sprintf("%s %v", g.Name, on))
			}
		}
		fmt.Fprintf(w, "Role settings: %s\n", strings.Join(rs, ", "))
	}
	reads := ", all reads"
	if r.WriteTest != nil {
		reads = ", with the write test's"
	}
	fmt.Fprintf(w, "Target profile: %s (%d API calls%s)\n", r.Profile, r.Calls, reads)
}
