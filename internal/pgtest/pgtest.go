// Package pgtest gives tests a real PostgreSQL: the server BULK_TEST_POSTGRES names (a URL),
// else a throwaway cluster it starts itself, once per test binary, in a temporary folder on a
// free loopback port with the initdb and pg_ctl of Debian's postgresql package
// (/usr/lib/postgresql/*/bin) or of $PATH. initdb refuses to run as root: as root the cluster
// is made and run by the postgres user (runuser). Tests skip, saying why, only when there is no
// PostgreSQL to use. Each test gets a database of its own.
//
// A package whose tests use it calls Main from its TestMain, which stops the cluster after the
// tests.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Env names the variable that points the tests at an existing server (a URL of a user that may
// create databases).
const Env = "BULK_TEST_POSTGRES"

var (
	once    sync.Once
	admin   string // URL of a database to create the tests' databases from
	skip    string // why there is no PostgreSQL, when there is none
	cluster *Cluster
	seq     atomic.Int64
)

// Cluster is a throwaway PostgreSQL cluster this process started (StartCluster).
type Cluster struct {
	// URL is the cluster's postgres database, as user bulk (trusted on loopback).
	URL              string
	dir, data, pgctl string
	asUser           string // run pg_ctl as this user (we are root), or ""
}

// URL returns the URL of a new, empty database for this test, dropped when the test ends. It
// skips the test when there is no PostgreSQL, and fails it when starting one failed.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if skip != "" {
		t.Skip(skip)
	}
	if admin == "" {
		t.Fatal("no PostgreSQL for the tests (see the earlier error)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("bulktest_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("cannot create a test database in %s: %v", redacted(admin), err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a killed bulk's session may linger for a moment.
		db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// Main runs the tests and then stops the cluster they started, if they started one; it
// returns the exit status for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the cluster the tests of this process started, if any.
func Stop() {
	if cluster != nil {
		cluster.Stop()
		cluster = nil
	}
}

// Stop stops the cluster and removes its folder.
func (c *Cluster) Stop() {
	c.run(c.pgctl, "-D", c.data, "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

func setup() {
	if u := os.Getenv(Env); u != "" {
		admin = u
		return
	}
	c, err := StartCluster()
	if errors.Is(err, ErrNoPostgres) {
		skip = err.Error()
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return
	}
	cluster, admin = c, c.URL
}

// ErrNoPostgres means there are no PostgreSQL programs to start a cluster with.
var ErrNoPostgres = errors.New("no PostgreSQL: set " + Env + " to a server's URL, or install PostgreSQL (Debian: apt-get install postgresql) so the tests can start their own")

// StartCluster starts a throwaway cluster in a new temporary folder on a free loopback port,
// fast and unsafe for anything but tests (no fsync), and returns it: Stop it when done.
func StartCluster() (*Cluster, error) {
	bin := binDir()
	if bin == "" {
		return nil, ErrNoPostgres
	}
	c, err := start(bin)
	if err != nil {
		if c != nil {
			c.Stop()
		}
		return nil, fmt.Errorf("cannot start a PostgreSQL cluster with %s: %w", bin, err)
	}
	return c, nil
}

// binDir finds initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin, else $PATH.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if ok(filepath.Join(d, "initdb")) && ok(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func ok(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

func start(bin string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "bulk-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, data: filepath.Join(dir, "data"), pgctl: filepath.Join(bin, "pg_ctl")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return c, fmt.Errorf("running as root, and initdb refuses root: there is no postgres user to run it as (%v)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return c, err
		}
		c.asUser = "postgres"
	}
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", c.data, "-U", "bulk", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		return c, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	var lastErr error
	for range 3 { // a free port can be taken by another process before the server binds it
		port, err := freePort()
		if err != nil {
			return c, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, dir)
		out, err := c.run(c.pgctl, "-D", c.data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			c.URL = fmt.Sprintf("postgres://bulk@127.0.0.1:%d/postgres?sslmode=disable", port)
			return c, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return c, lastErr
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	if c.asUser != "" {
		args = append([]string{"-u", c.asUser, "--", prog}, args...)
		prog = "runuser"
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func redacted(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the server"
	}
	p.User = nil
	return p.String()
}

// Backends are the stores' places a table-driven store test runs over: a SQLite file in dir,
// and a PostgreSQL database (skipping that case when there is none).
type Backend struct {
	Name  string
	Place func(t testing.TB, file string) string
}

// Backends lists SQLite and PostgreSQL.
var Backends = []Backend{
	{"sqlite", func(t testing.TB, file string) string { return filepath.Join(t.TempDir(), file) }},
	{"postgres", func(t testing.TB, _ string) string { return URL(t) }},
}
