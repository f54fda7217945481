//go:build unix

// Command scale measures what docs/scale.md claims: N organisations, each a OneFile sandbox of
// its own with its own limit (300 calls a minute, rolling), loaded by W workers that share
// nothing but one PostgreSQL state. Each worker is a state folder of its own (another machine,
// as far as bulk can tell) running up to S `bulk load onefile` processes at once, taking jobs
// from one queue. Every organisation is queued twice, back to back, so two workers go for it at
// once and the organisation's advisory lock must refuse one of them. At the end it checks that
// every user is on its organisation exactly once and prints, per organisation, the calls the
// sandbox accepted a minute while the load ran, against its limit.
//
//	go run ./scripts/scale                      # 20 organisations, 4 workers, a throwaway PostgreSQL
//	go run ./scripts/scale -pg postgres://...   # an existing server (a database is created in it)
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/sandbox"
	"github.com/bulkload/bulk/internal/pgtest"
)

const token = "scale-token"

type job struct{ org int }

type outcome struct {
	worker   int
	refused  bool
	err      error
	started  time.Time
	finished time.Time
	cpu      time.Duration
	maxRSS   int64 // kilobytes
	out      string
}

func main() {
	orgs := flag.Int("orgs", 20, "organisations (each its own sandbox and limit)")
	workers := flag.Int("workers", 4, "workers sharing the PostgreSQL state")
	slots := flag.Int("slots", 5, "loads a worker runs at once")
	users := flag.Int("users", 300, "users loaded into each organisation")
	latency := flag.Duration("latency", 100*time.Millisecond, "latency of every sandbox call (a network's)")
	limit := flag.Int("limit", 300, "each sandbox's calls per rolling minute")
	pgURL := flag.String("pg", os.Getenv(pgtest.Env), "PostgreSQL server URL (default: start a throwaway cluster)")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	if err := run(*orgs, *workers, *slots, *users, *latency, *limit, *pgURL, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(nOrgs, nWorkers, nSlots, nUsers int, latency time.Duration, limit int, pgURL string, keep bool) error {
	work, err := os.MkdirTemp("", "bulk-scale-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "bulk")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/bulk").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	if pgURL == "" {
		c, err := pgtest.StartCluster()
		if err != nil {
			return err
		}
		defer c.Stop()
		pgURL = c.URL
	}
	state, err := newDatabase(pgURL, fmt.Sprintf("bulkscale_%d", time.Now().Unix()))
	if err != nil {
		return err
	}

	// One sandbox per organisation: each its own customer and its own limit.
	boxes := make([]*sandbox.Server, nOrgs)
	roots := make([]string, nOrgs)
	for i := range boxes {
		cfg := sandbox.DefaultConfig()
		cfg.RateLimit, cfg.RateWindow, cfg.Latency, cfg.CustomerToken = limit, time.Minute, latency, token
		// Another customer each: bulk knows an organisation by customer and organisation ID
		// too, and one seed everywhere would be one organisation behind 20 URLs to it.
		cfg.Seed = sandbox.DefaultSeed()
		cfg.Seed.Customer.ID += 1 + i
		boxes[i] = sandbox.New(cfg)
		base, stop, err := boxes[i].Start("127.0.0.1:0")
		if err != nil {
			return err
		}
		defer stop(context.Background())
		roots[i] = base
	}
	inputs := make([]string, nOrgs)
	for i := range inputs {
		var b strings.Builder
		b.WriteString("Role,FirstName,LastName,Email,MISID\n")
		for u := range nUsers {
			fmt.Fprintf(&b, "%d,First%d,Last%d,o%du%d@scale.example,S%02d-%04d\n", []int{5, 10, 4}[u%3], u, u, i, u, i, u)
		}
		inputs[i] = filepath.Join(work, fmt.Sprintf("org%02d.csv", i))
		if err := os.WriteFile(inputs[i], []byte(b.String()), 0o600); err != nil {
			return err
		}
	}

	// One queue; every organisation twice in a row, so two workers race for it.
	queue := make(chan job, 2*nOrgs)
	for i := range nOrgs {
		queue <- job{i}
		queue <- job{i}
	}
	close(queue)
	var mu sync.Mutex
	results := map[int][]outcome{}
	var wg sync.WaitGroup
	peak := make(chan int, 1)
	stopSampling := make(chan struct{})
	go func() { peak <- peakConnections(state, stopSampling) }()
	t0 := time.Now()
	for w := range nWorkers {
		home := filepath.Join(work, fmt.Sprintf("worker%d", w))
		for range nSlots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range queue {
					o := load(bin, home, roots[j.org], inputs[j.org], state, filepath.Join(work, "reports", fmt.Sprintf("org%02d-w%d-%d", j.org, w, time.Now().UnixNano())))
					o.worker = w
					mu.Lock()
					results[j.org] = append(results[j.org], o)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	wall := time.Since(t0)
	close(stopSampling)
	conns := <-peak

	// Per organisation: who loaded it, who was refused, the sandbox's accepted calls a minute.
	fmt.Printf("%d organisations × %d users, %d workers × %d loads at once, one PostgreSQL; sandbox latency %v, limit %d calls/min each\n\n",
		nOrgs, nUsers, nWorkers, nSlots, latency, limit)
	fmt.Println("| org | loaded by | refused | calls | 429s | minutes | calls/min | of limit | users once |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	var cpu time.Duration
	var rss int64
	minShare, failures := 2.0, 0
	keys := make([]int, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, i := range keys {
		snap := boxes[i].Snapshot()
		winner, refused := "-", 0
		for _, o := range results[i] {
			cpu += o.cpu
			rss = max(rss, o.maxRSS)
			switch {
			case o.refused:
				refused++
			case o.err != nil:
				failures++
				fmt.Fprintf(os.Stderr, "org %d, worker %d: %v\n%s\n", i, o.worker, o.err, o.out)
			default:
				winner = fmt.Sprintf("worker %d", o.worker)
			}
		}
		span := snap.LastCall.Sub(snap.FirstCall)
		perMin := snap.Throughput(time.Minute)
		share := perMin / float64(limit)
		minShare = min(minShare, share)
		once, err := usersOnce(roots[i], i, nUsers)
		if err != nil {
			return err
		}
		if !once {
			failures++
		}
		fmt.Printf("| %d | %s | %d | %d | %d | %.2f | %.1f | %.3f | %v |\n", i, winner, refused, snap.Total, snap.TooMany(), span.Minutes(), perMin, share, once)
	}
	fmt.Printf("\nwall %v; bulk processes' CPU %v in all (%.1f%% of one core over the run)\n", wall.Round(time.Second), cpu.Round(time.Millisecond),
		100*cpu.Seconds()/wall.Seconds())
	fmt.Printf("largest bulk process: %d MB resident; most connections to the state database at once: %d\n", rss/1024, conns)
	fmt.Printf("lowest share of an organisation's limit: %.3f; failures: %d\n", minShare, failures)
	if failures > 0 || minShare < 0.95 {
		return fmt.Errorf("below the claim: lowest share %.3f, %d failures", minShare, failures)
	}
	return nil
}

// load runs one `bulk load onefile` as a worker: its own state folder, the shared database.
func load(bin, home, root, input, state, report string) outcome {
	cmd := exec.Command(bin, "load", "onefile", "--url", root, "--org", "5740", "--state", state, "--report", report, "--quiet", input)
	cmd.Env = append(os.Environ(), "BULK_ONEFILE_TOKEN="+token, "XDG_STATE_HOME="+home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	o := outcome{started: time.Now()}
	o.err = cmd.Run()
	o.finished = time.Now()
	if cmd.ProcessState != nil {
		o.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			o.maxRSS = ru.Maxrss
		}
	}
	o.out = out.String()
	if o.err != nil && strings.Contains(o.out, "another load into OneFile organisation") {
		o.refused, o.err = true, nil
	}
	return o
}

// usersOnce checks that every user of organisation i is on its sandbox exactly once.
func usersOnce(root string, i, n int) (bool, error) {
	c, err := api.New(api.Config{BaseURL: root, CustomerToken: token, RatePerMinute: -1})
	if err != nil {
		return false, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	us, err := c.FindUsers(ctx, api.UserFilter{OrganisationID: 5740})
	if err != nil {
		return false, err
	}
	seen := map[string]int{}
	for _, u := range us {
		if strings.HasPrefix(u.MISID, fmt.Sprintf("S%02d-", i)) {
			seen[u.MISID]++
		}
	}
	if len(seen) != n {
		return false, nil
	}
	for _, c := range seen {
		if c != 1 {
			return false, nil
		}
	}
	return true, nil
}

// newDatabase creates a database for the run in the server at admin and returns its URL.
func newDatabase(admin, name string) (string, error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("cannot create the database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// peakConnections samples, twice a second until stop, how many sessions the state database
// has, and returns the most.
func peakConnections(state string, stop <-chan struct{}) int {
	db, err := sql.Open("pgx", state)
	if err != nil {
		return -1
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	most := 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(&n) == nil {
			most = max(most, n-1) // not this sampler's own
		}
		select {
		case <-stop:
			return most
		case <-tick.C:
		}
	}
}
