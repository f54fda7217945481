package nightly

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/app"
	"github.com/bulkload/bulk/internal/pgtest"
	"github.com/bulkload/bulk/internal/sqlstore"
)

// A job's state: may be a postgres:// URL (or come from BULK_STATE_URL): it is kept as it is,
// not taken for a path beside the job file, and what the job keeps in files (new users'
// logins) goes to the local state folder, not to a folder named after the URL.
func TestJobStateURL(t *testing.T) {
	local := t.TempDir()
	t.Setenv("BULK_STATE_DIR", local)
	t.Setenv("BULK_STATE_URL", "")
	const shared = "postgres://bulk:pw@db.example:5432/bulk?sslmode=require"
	tests := []struct {
		name, state, env, want string
	}{
		{"state: in the job file", shared, "", shared},
		{"BULK_STATE_URL", "", "postgresql://db.example/bulk", "postgresql://db.example/bulk"},
		{"a file beside the job", "state.db", "postgresql://db.example/bulk", "state.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BULK_STATE_URL", tt.env)
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
				t.Fatal(err)
			}
			job := "name: training\ninputs: {folder: in, settle: 1s}\nkind: training-history\ntarget: {type: export, folder: out}\n"
			if tt.state != "" {
				job += "state: " + tt.state + "\n"
			}
			path := filepath.Join(dir, "job.yaml")
			if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
				t.Fatal(err)
			}
			j, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want, creds := tt.want, filepath.Join(local, "credentials", "training")
			if tt.want == "state.db" {
				want, creds = filepath.Join(dir, "state.db"), filepath.Join(dir, "credentials", "training")
			}
			if j.State != want || j.Credentials.Folder != creds {
				t.Errorf("state %q, credentials %q; want %q, %q", j.State, j.Credentials.Folder, want, creds)
			}
		})
	}
}

// TestJobLockShared: with the job's state in PostgreSQL the job's lock is an advisory lock
// there, keyed by the job's name and canonical target, not a file in each machine's archive:
// the same job installed on two machines (each its own folders, one database) runs on one at a
// time, the refusal naming the holder; another job, or the same name sending elsewhere, is not
// held up; once released, the other machine runs.
func TestJobLockShared(t *testing.T) {
	state := pgtest.URL(t)
	shared := t.TempDir() // the export folder both machines send to
	job := func(name, out, urlSpelling string) *Job {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("name: %s\ninputs: {folder: in, settle: 1s}\nkind: training-history\nstate: %s\ntarget: {type: export, folder: %s}\n", name, state, out)
		if urlSpelling != "" {
			text = fmt.Sprintf("name: %s\ninputs: {folder: in, settle: 1s}\nkind: training-history\nstate: %s\ntarget: {type: peoplefluent, base: %s, endpoint: trainingHistoryCsv, key_env: PF_KEY, folder: out}\n", name, state, urlSpelling)
		}
		path := filepath.Join(dir, "job.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		j, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := app.Deps{}
	for _, tc := range []struct {
		name   string
		a, b   *Job
		shared bool // b is refused while a runs
	}{
		{"same job on two machines", job("nightly", shared, ""), job("nightly", shared, ""), true},
		{"two spellings of one LMS", job("pf", "", "https://LMS.example/ekp/"), job("pf", "", "https://lms.example:443/ekp"), true},
		{"another job", job("nightly", shared, ""), job("other", shared, ""), false},
		{"same name, another target", job("nightly", shared, ""), job("nightly", t.TempDir(), ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, releaseA, err := open(d, log, tc.a)
			if err != nil {
				t.Fatal(err)
			}
			_, releaseB, err := open(d, log, tc.b)
			if !tc.shared {
				if err != nil {
					t.Fatalf("held up by an unrelated job: %v", err)
				}
				releaseB()
				releaseA()
				return
			}
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
				t.Fatalf("the second machine's run: %v, want ErrLocked naming the holder", err)
			}
			for _, j := range []*Job{tc.a, tc.b} {
				if locks, _ := filepath.Glob(filepath.Join(j.Archive, "*.lock")); len(locks) != 0 {
					t.Errorf("a lock file in the archive with a shared state: %v", locks)
				}
			}
			releaseA()
			_, releaseB, err = open(d, log, tc.b)
			if err != nil {
				t.Fatalf("after the first run ended: %v", err)
			}
			releaseB()
		})
	}
}

// TestJobStopsWhenSharedLockLost: a watching job whose shared lock's session is ended under it
// (pg_terminate_backend; a database restart does the same) stops as an interrupted run, saying
// the shared lock was lost, instead of going on without it.
func TestJobStopsWhenSharedLockLost(t *testing.T) {
	defer func(d time.Duration) { sqlstore.LockCheckEvery = d }(sqlstore.LockCheckEvery)
	sqlstore.LockCheckEvery = 50 * time.Millisecond
	state := pgtest.URL(t)
	f := newRunnerFixtureIn(t, "", state)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- RunJob(ctx, f.deps(), f.log(), f.job, RunOptions{Watch: true, Interval: 20 * time.Millisecond})
	}()
	admin, err := sql.Open("pgx", state)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	j, err := Load(f.job)
	if err != nil {
		t.Fatal(err)
	}
	key := sqlstore.LockKey(jobLockName(j)) // the job's lock only, not a migration's
	for ended := 0; ended == 0; {
		select {
		case err := <-done:
			t.Fatalf("the job ended before its lock was cut: %v\n%s", err, f.logbuf.String())
		case <-ctx.Done():
			t.Fatal("the job never took its lock")
		case <-time.After(10 * time.Millisecond):
		}
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objid::bigint = $2) t`,
			int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&ended); err != nil {
			t.Fatal(err)
		}
	}
	var err2 error
	select {
	case err2 = <-done:
	case <-ctx.Done():
		t.Fatal("the job went on watching after losing its lock")
	}
	var lle *app.LockLostError
	if app.KindOf(err2) != app.Interrupted || !errors.As(err2, &lle) || !strings.Contains(err2.Error(), "the shared lock was lost") {
		t.Errorf("the job ended with %v (kind %v), want interrupted because the shared lock was lost", err2, app.KindOf(err2))
	}
}
