package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/formats/onefile/schema"
	"github.com/bulkload/bulk/formats/peoplefluent"
	pfsandbox "github.com/bulkload/bulk/formats/peoplefluent/sandbox"
)

// ServeOneFileSandbox serves an in-memory OneFile API on addr until ctx is done (bulk sandbox
// onefile), with cfg's limits and faults and the seed in seedFile (the built-in organisation when
// empty). It prints its API root and token to Stdout, and what it holds when it stops.
func ServeOneFileSandbox(ctx context.Context, d Deps, cfg sandbox.Config, addr, seedFile string) error {
	if seedFile != "" {
		file, err := os.Open(seedFile)
		if err != nil {
			return cannotRun(err, "Give --seed a readable YAML or JSON file, or leave it out for the built-in data.")
		}
		cfg.Seed, err = sandbox.LoadSeed(file)
		file.Close()
		if err != nil {
			return cannotRun(fmt.Errorf("%s: %w", seedFile, err), "Fix the seed file; docs/onefile-api.md shows its format.")
		}
	}
	cfg.CustomerToken = strings.TrimSpace(d.Env("BULK_ONEFILE_TOKEN"))
	srv := sandbox.New(cfg)
	base, shutdown, err := srv.Start(addr)
	if err != nil {
		return cannotRun(err, "Another program may be using the port: try --addr 127.0.0.1:0 for a free one.")
	}
	limit := "no rate limit"
	if cfg.RateLimit > 0 {
		limit = fmt.Sprintf("%d calls per %v", cfg.RateLimit, cfg.RateWindow)
	}
	roles := ""
	for _, g := range schema.RoleGuesses {
		if on, set := cfg.Roles[g.Name]; set {
			roles += fmt.Sprintf(", %s %s", g.Name, map[bool]string{true: "on", false: "off"}[on])
		}
	}
	fmt.Fprintf(d.stderr(), "sandbox: %s, latency %v, faults %s, keychain %s, sessions last %v, user search answers %s%s\n",
		limit, cfg.Latency, cfg.Faults, map[bool]string{true: "on", false: "off"}[cfg.Keychain], cfg.SessionTTL, cfg.SearchMode, roles)
	// The token is printed on purpose: it opens this local sandbox and nothing else.
	fmt.Fprintf(d.Stdout, "OneFile sandbox serving at %s\n", base)
	fmt.Fprintf(d.Stdout, "customer token (this sandbox only): %s\n", srv.CustomerToken())
	// The token sees every organisation of the seed; a load must then name one with --org,
	// so the command shown has to say it or it fails as shown.
	seed := cfg.Seed
	if seed == nil {
		seed = sandbox.DefaultSeed()
	}
	org := ""
	if len(seed.Organisations) > 1 {
		org = fmt.Sprintf(" --org %d", seed.Organisations[0].ID)
	}
	if d.Env("BULK_ONEFILE_TOKEN") == "" {
		fmt.Fprintf(d.Stdout, "To load into it from another terminal:\n  export BULK_ONEFILE_TOKEN=%s\n  bulk load onefile --url %s%s FILE\n", srv.CustomerToken(), base, org)
	} else {
		fmt.Fprintf(d.Stdout, "It accepts the BULK_ONEFILE_TOKEN of this environment. To load into it:\n  bulk load onefile --url %s%s FILE\n", base, org)
	}
	if org != "" {
		var names []string
		for _, o := range seed.Organisations {
			names = append(names, fmt.Sprintf("%d (%s)", o.ID, o.Name))
		}
		fmt.Fprintf(d.Stdout, "Organisations: %s.\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(d.Stdout, "Ctrl-C stops it and prints what it holds.")

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(d.stderr(), "sandbox: stopping: %v\n", err)
	}
	return srv.Snapshot().WriteSummary(d.Stdout)
}

// PFSandboxOptions are the options of ServePeopleFluentSandbox (bulk sandbox peoplefluent).
type PFSandboxOptions struct {
	Addr         string
	KeyFile      string
	SeedFile     string
	ContextPath  string
	AdminUser    string // the system user name pushes must send; "" any
	XSD          string // check courses bodies with xmllint against this schema instead of the built-in one
	ErrorShare   float64
	EmptyAnswers bool
	EchoAll      bool
	Latency      time.Duration // each answer comes this long after the rows are loaded
}

// ServePeopleFluentSandbox serves a local PeopleFluent LMS contentHandler until ctx is done. It
// prints its base URL alone on Stdout, how to push to it on Stderr, and what it took when it
// stops.
func ServePeopleFluentSandbox(ctx context.Context, d Deps, o PFSandboxOptions) error {
	key, keyHow, cleanup, err := pfSandboxKey(d, o.KeyFile)
	if err != nil {
		return err
	}
	defer cleanup()
	seed := pfsandbox.DefaultSeed()
	if o.SeedFile != "" {
		if seed, err = pfsandbox.LoadSeed(o.SeedFile); err != nil {
			return cannotRun(err, "")
		}
	}
	if o.ErrorShare < 0 || o.ErrorShare > 1 {
		return cannotRun(fmt.Errorf("--error-share %v: give a share between 0 and 1", o.ErrorShare), "")
	}
	if o.Latency < 0 {
		return cannotRun(fmt.Errorf("--latency %v: give a duration of 0 or more, such as 2s", o.Latency), "")
	}
	srv := pfsandbox.New(key, seed)
	srv.ContextPath = o.ContextPath
	if o.XSD != "" {
		check, done, err := xsdCoursesCheck(o.XSD)
		if err != nil {
			return err
		}
		defer done()
		srv.CheckCourses = check
	}
	if o.AdminUser != "" {
		if err := peoplefluent.CheckUser(o.AdminUser); err != nil {
			return cannotRun(fmt.Errorf("--admin-user: %w", err), "")
		}
		srv.AdminUser = o.AdminUser
		keyHow.flag += " --user " + o.AdminUser
	}
	srv.ErrorShare = o.ErrorShare
	srv.EmptyAnswers = o.EmptyAnswers
	srv.EchoAll = o.EchoAll
	srv.Latency = o.Latency
	base, stop, err := srv.Start(o.Addr)
	if err != nil {
		return cannotRun(err, "Choose another --addr, or port 0 for any free port.")
	}
	// The base URL alone on stdout, so a script can capture it; the rest is for people.
	fmt.Fprintln(d.Stdout, base)
	if u, err := url.Parse(base); err == nil && !pfLoopbackHost(u.Hostname()) {
		fmt.Fprintf(d.stderr(), "bulk: warning: the sandbox listens on %s, beyond this machine; it is meant for rehearsals on loopback\n", u.Hostname())
	}
	fmt.Fprintf(d.stderr(), "PeopleFluent sandbox at %s (Ctrl-C to stop).\n%s\nPush with:\n  bulk push peoplefluent --base %s --endpoint trainingHistoryCsv%s FILE\n",
		base, keyHow.explain, base, keyHow.flag)
	<-ctx.Done()
	if err := stop(); err != nil {
		return cannotRun(err, "")
	}
	st := srv.Stats()
	var reqs, rows, loaded, rejected int
	for _, n := range st.Requests {
		reqs += n
	}
	for ep, n := range st.Rows {
		rows += n
		loaded += st.Loaded[ep]
		rejected += st.Rejected[ep]
	}
	fmt.Fprintf(d.stderr(), "Sandbox stopped: %d requests (%d refused for authentication), %d rows: %d loaded, %d rejected.\n", reqs, st.AuthFails, rows, loaded, rejected)
	return nil
}

// pfSandboxKeyHow tells the user how to give a push the key the sandbox expects.
type pfSandboxKeyHow struct {
	explain string // a sentence for stderr
	flag    string // " --key-file PATH" to add to the push example, or ""
}

// pfSandboxKey is the key the sandbox expects: from --key-file, from the
// environment, or, when neither is set, a fresh random rehearsal key written
// to a file only the user can read (removed by cleanup when the sandbox
// stops). The key itself is never printed: the user is told where it is.
func pfSandboxKey(d Deps, keyFile string) (peoplefluent.Secret, pfSandboxKeyHow, func(), error) {
	none := func() {}
	if keyFile != "" || d.Env(PFKeyEnv) != "" {
		key, err := ReadPFKey(d, keyFile)
		if err != nil {
			return key, pfSandboxKeyHow{}, none, err
		}
		if keyFile != "" {
			return key, pfSandboxKeyHow{
				explain: fmt.Sprintf("It expects the system key in %s: push with --key-file %s (or export %s=\"$(cat %s)\").", keyFile, keyFile, PFKeyEnv, keyFile),
				flag:    " --key-file " + keyFile,
			}, none, nil
		}
		return key, pfSandboxKeyHow{
			explain: fmt.Sprintf("It expects the system key that is in %s in this shell: push from a shell with the same %s.", PFKeyEnv, PFKeyEnv),
		}, none, nil
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(err, "")
	}
	f, err := os.CreateTemp("", "bulk-pf-sandbox-key-*")
	if err != nil {
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(fmt.Errorf("cannot write a rehearsal key: %w", err), "Give a key with --key-file or "+PFKeyEnv+".")
	}
	path := f.Name()
	cleanup := func() { _ = os.Remove(path) }
	// CreateTemp makes the file 0600: only this user can read the key.
	_, werr := fmt.Fprintln(f, "sandbox-"+base64.RawURLEncoding.EncodeToString(raw[:]))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		cleanup()
		return peoplefluent.Secret{}, pfSandboxKeyHow{}, none, cannotRun(fmt.Errorf("cannot write a rehearsal key: %w", werr), "Give a key with --key-file or "+PFKeyEnv+".")
	}
	key, _, err := peoplefluent.KeyFromFile(path)
	if err != nil {
		cleanup()
		return key, pfSandboxKeyHow{}, none, cannotRun(err, "")
	}
	return key, pfSandboxKeyHow{
		explain: fmt.Sprintf("Neither --key-file nor %s was given, so it made a rehearsal key in %s (removed when the sandbox stops): push with --key-file %s (or export %s=\"$(cat %s)\").", PFKeyEnv, path, path, PFKeyEnv, path),
		flag:    " --key-file " + path,
	}, cleanup, nil
}

// pfLoopbackHost reports whether host (an IP or name) stays on this machine.
func pfLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// xsdCoursesCheck checks courses bodies against the schema file xsd with xmllint (a customer's
// own courses.xsd), each body written to its own file in a private temporary folder that done
// removes. A body xmllint takes gives no problems; otherwise its messages, one per line, with
// the temporary file's name shown as courses.xml.
func xsdCoursesCheck(xsd string) (check func([]byte) []string, done func(), err error) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		return nil, nil, cannotRun(errors.New("--xsd needs the xmllint program, which is not installed"),
			"Install libxml2 (Debian/Ubuntu: apt-get install libxml2-utils), or leave out --xsd for the built-in schema.")
	}
	if _, err := os.Stat(xsd); err != nil {
		return nil, nil, cannotRun(fmt.Errorf("--xsd: %w", err), "")
	}
	dir, err := os.MkdirTemp("", "bulk-pf-sandbox-xsd-")
	if err != nil {
		return nil, nil, cannotRun(err, "")
	}
	check = func(body []byte) []string {
		f, err := os.CreateTemp(dir, "courses-*.xml")
		if err != nil {
			return []string{"the sandbox could not keep the body for xmllint: " + err.Error()}
		}
		defer os.Remove(f.Name())
		_, werr := f.Write(body)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return []string{"the sandbox could not keep the body for xmllint: " + werr.Error()}
		}
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, f.Name()).CombinedOutput()
		if err == nil {
			return nil
		}
		var problems []string
		for _, line := range strings.Split(strings.ReplaceAll(string(out), f.Name(), "courses.xml"), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasSuffix(line, "fails to validate") {
				problems = append(problems, line)
			}
		}
		if len(problems) == 0 {
			problems = []string{"xmllint: " + err.Error()}
		}
		return problems
	}
	return check, func() { _ = os.RemoveAll(dir) }, nil
}
