package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

const pfTestKey = "pf-cmd-test-KEY-91c0d7"

// startPFSandbox serves a sandbox LMS expecting pfTestKey on a free loopback port.
func startPFSandbox(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	srv := sandbox.New(peoplefluent.NewSecret(pfTestKey), sandbox.DefaultSeed())
	// A push ledger of its own: pushes of one payload in other tests are other pushes.
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the sandbox: %v", err)
		}
	})
	return srv, base
}

// writeFile writes content to name in a fresh temporary directory and returns its path.
func pfWriteFile(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func pfReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pfTrainingPayload: with --chunk-rows 2, chunk 1 (rows 2-3) has a warning, chunk 2 (rows 4-5)
// crashes the LMS (HTTP 500), chunk 3 (rows 6-7) has one row the LMS rejects.
const pfTrainingPayload = "USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\n" +
	"jsmith,HS-101,05-Sep-2026 09:00,Completed,A\r\n" +
	"odd.user,HS-101,05-Sep-2026,Completed,A\r\n" +
	"crash.user,HS-101,05-Sep-2026,Completed,A\r\n" +
	"adoe,HS-101,05-Sep-2026,Completed,A\r\n" +
	"ghost,HS-101,05-Sep-2026,Completed,A\r\n" +
	"mlee,FIRE-01,05-Sep-2026,Completed,A\r\n"

func TestPushPeopleFluentChunkThatFailsAndChunkThatWarns(t *testing.T) {
	srv, base := startPFSandbox(t)
	in := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	rep := filepath.Join(t.TempDir(), "report")
	// A stale answer from an earlier push must not pass for this one's: it is kept in raw-1/.
	os.MkdirAll(filepath.Join(rep, "raw"), 0o755)
	os.WriteFile(filepath.Join(rep, "raw", "chunk-0009.txt"), []byte("old"), 0o644)

	code, stdout, stderr := runBulk(t, map[string]string{app.PFKeyEnv: pfTestKey},
		"push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv", "--chunk-rows", "2", "--report", rep, in)
	if code != ExitRejected {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRejected, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing (progress and summary go to stderr)", stdout)
	}
	const unknown = `"outcome unknown: the LMS did not confirm this chunk (HTTP 500 Internal Server Error: 500 Internal Server Error java.lang.NullPointerException) and may have loaded some of its rows; it has ACTION A (it adds a record), so bulk does not send it again by itself: check this row in the LMS; if it is not there, run the same command again with --resend-unknown"`
	want := "file,row,status,message\r\n" +
		"FILE,2,ok,\r\n" +
		`FILE,3,warning,"WARNING. Simulated warning for user odd.user (fault ""warn"" in the sandbox seed)."` + "\r\n" +
		"FILE,4,unknown," + unknown + "\r\n" +
		"FILE,5,unknown," + unknown + "\r\n" +
		"FILE,6,failed,User ID ghost does not exist.\r\n" +
		"FILE,7,ok,\r\n"
	got := strings.ReplaceAll(reportText(t, filepath.Join(rep, "results.csv")), in, "FILE")
	if got != want {
		t.Errorf("results.csv:\n%s\nwant:\n%s", got, want)
	}

	raws, _ := filepath.Glob(filepath.Join(rep, "raw", "*"))
	if len(raws) != 3 {
		t.Fatalf("raw answers %v, want chunk-0001..3.txt only", raws)
	}
	if old := pfReadFile(t, filepath.Join(rep, "raw-1", "chunk-0009.txt")); old != "old" {
		t.Errorf("the earlier raw answer was not kept in raw-1/: %q", old)
	}
	for name, frag := range map[string]string{
		"chunk-0001.txt": "WARNING. Simulated warning",
		"chunk-0002.txt": "NullPointerException",
		"chunk-0003.txt": `"ghost","HS-101","05-Sep-2026","Completed","A","User ID ghost does not exist."`,
	} {
		if raw := pfReadFile(t, filepath.Join(rep, "raw", name)); !strings.Contains(raw, frag) {
			t.Errorf("%s = %q, want it to contain %q", name, raw, frag)
		}
	}
	for _, frag := range []string{"Pushing 6 rows of " + in, "6 rows, 3 requests answered by trainingHistoryCsv: 2 ok, 1 warning, 1 failed, 2 unknown"} {
		if !strings.Contains(stderr, frag) {
			t.Errorf("stderr does not say %q:\n%s", frag, stderr)
		}
	}
	if st := srv.Stats(); st.Requests["trainingHistoryCsv"] != 3 || st.Statuses[500] != 1 {
		t.Errorf("sandbox saw %v requests and %v statuses, want 3 requests, one 500 (adds are not sent twice)", st.Requests, st.Statuses)
	}
}

func TestPushPeopleFluentAllOKAndCourses(t *testing.T) {
	_, base := startPFSandbox(t)
	tests := []struct {
		name, endpoint, file, payload string
		wantCode                      int
		wantResults                   string
	}{
		{"training with a warning", "trainingHistoryCsv", "t.csv",
			"USERID,LEARNINGID,ENROLLDATE,Training Venue\njsmith,FIRE-01,05-Sep-2026,LON-01\nadoe,HS-101,05-Sep-2026,LON-99\n",
			ExitOK, "FILE,2,ok,\r\nFILE,3,warning,WARNING. Training Venue LON-99 does not exist and was not set.\r\n"},
		{"external training", "externalTrainingCsv", "x.csv",
			"Action,RecordID,UserId,Title\nA,EXT-7,pkhan,Forklift Licence\n",
			ExitOK, "FILE,2,ok,\r\n"},
		{"courses posted whole", "courses", "c.xml",
			`<courses><module><id>NEW-1</id><title>New</title><session><id>S1</id><start>2026-09-05T09:00:00</start><end>2026-09-05T08:00:00</end></session></module></courses>`,
			ExitRejected, "FILE,0,failed,Error: module NEW-1 session S1: start is not before end.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := pfWriteFile(t, tt.file, tt.payload, 0o644)
			rep := filepath.Join(t.TempDir(), "r")
			code, _, stderr := runBulk(t, map[string]string{app.PFKeyEnv: pfTestKey},
				"push", "peoplefluent", "--base", base, "--endpoint", tt.endpoint, "--report", rep, in)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			got := strings.ReplaceAll(reportText(t, filepath.Join(rep, "results.csv")), in, "FILE")
			if want := "file,row,status,message\r\n" + tt.wantResults; got != want {
				t.Errorf("results.csv:\n%q\nwant:\n%q", got, want)
			}
		})
	}
}

func TestPushPeopleFluentAuthFailure(t *testing.T) {
	srv, base := startPFSandbox(t)
	in := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	rep := filepath.Join(t.TempDir(), "report")
	code, _, stderr := runBulk(t, map[string]string{app.PFKeyEnv: "not-the-" + pfTestKey},
		"push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv", "--chunk-rows", "2", "--report", rep, in)
	if code != ExitCannotRun {
		t.Fatalf("exit %d, want %d\n%s", code, ExitCannotRun, stderr)
	}
	if !strings.Contains(stderr, "the LMS refused the system key (HTTP 401 Unauthorized)") {
		t.Errorf("stderr does not explain the refusal:\n%s", stderr)
	}
	results := reportText(t, filepath.Join(rep, "results.csv"))
	if n := strings.Count(results, ",failed,not sent: the LMS refused the system key (HTTP 401)\r\n"); n != 6 {
		t.Errorf("%d rows reported not sent, want all 6:\n%s", n, results)
	}
	if st := srv.Stats(); st.AuthFails != 1 || st.Requests["trainingHistoryCsv"] != 0 {
		t.Errorf("sandbox saw %d refused and %d accepted requests; the push must stop at the first 401", st.AuthFails, st.Requests["trainingHistoryCsv"])
	}
}

func TestPushPeopleFluentCannotRun(t *testing.T) {
	srv, base := startPFSandbox(t)
	good := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	broken := pfWriteFile(t, "broken.csv", "USERID,LEARNINGID\njsmith,HS-101\n\"adoe,HS-101\n", 0o644)
	external := pfWriteFile(t, "external.csv", "Action,UserId,Title\nA,jsmith,X\n", 0o644)
	keyFile := pfWriteFile(t, "key", pfTestKey+"\n", 0o600)
	env := map[string]string{app.PFKeyEnv: pfTestKey}
	noKey := map[string]string{app.PFKeyEnv: ""}
	args := func(extra ...string) []string {
		return append([]string{"push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv"}, extra...)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no key", noKey, args(good), "the PeopleFluent system key is not set: export BULK_PF_SYSTEM_KEY"},
		{"key file missing", noKey, args("--key-file", keyFile+".nope", good), "does not exist"},
		{"key as a flag value", env, args("--key", pfTestKey, good), "unknown flag: --key"},
		{"key as a flag value with =", env, args("--key="+pfTestKey, good), "unknown flag: --key"},
		{"unknown endpoint", env, []string{"push", "peoplefluent", "--base", base, "--endpoint", "users", good}, `unknown PeopleFluent endpoint "users"`},
		{"credentials in the URL", env, []string{"push", "peoplefluent", "--base", "https://x:" + pfTestKey + "@lms.example.com/ekp/", "--endpoint", "courses", good}, "must not contain a user name or password"},
		{"no base", env, []string{"push", "peoplefluent", "--endpoint", "courses", good}, `"base" not set`},
		{"no file", env, args(), "give exactly one payload file (got 0)"},
		{"two files", env, args(good, good), "give exactly one payload file (got 2)"},
		{"file missing", env, args(good + ".nope"), "no such file"},
		{"broken CSV sends nothing", env, args(broken), "broken.csv: line 3: not valid CSV"},
		{"payload for another endpoint", env, args(external), "use --endpoint externalTrainingCsv"},
		{"chunk rows", env, args("--chunk-rows", "0", good), "--chunk-rows 0"},
		{"retries", env, args("--retries", "-1", good), "--retries -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r")
			code, stdout, stderr := runBulk(t, tt.env, append(tt.args, "--report", rep)...)
			if code != ExitCannotRun || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, ExitCannotRun, tt.want)
			}
			if strings.Contains(stdout+stderr, pfTestKey) {
				t.Errorf("the key is in the output:\n%s%s", stdout, stderr)
			}
		})
	}
	if st := srv.Stats(); st.AuthFails+st.Requests["trainingHistoryCsv"]+st.Requests["courses"] != 0 {
		t.Errorf("the sandbox was sent something: %+v", st)
	}
}

func TestPushPeopleFluentKeyNeverShown(t *testing.T) {
	_, base := startPFSandbox(t)
	// The key as it crosses the wire: a careless log of the request would show this.
	basic := base64.StdEncoding.EncodeToString([]byte("bulk:" + pfTestKey))
	wrong := "wrong-" + pfTestKey
	in := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	keyFile := pfWriteFile(t, "key", pfTestKey+"\n", 0o644) // readable by others: warned about
	rep := t.TempDir()
	var out strings.Builder
	for i, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{map[string]string{app.PFKeyEnv: pfTestKey}, nil},
		{map[string]string{app.PFKeyEnv: ""}, []string{"--key-file", keyFile}},
		{map[string]string{app.PFKeyEnv: wrong}, nil},
		{map[string]string{app.PFKeyEnv: pfTestKey}, []string{"--base", "http://127.0.0.1:1/ekp/"}}, // unreachable
	} {
		args := append([]string{"push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv", "--chunk-rows", "2",
			"--retries", "0", "--report", filepath.Join(rep, string(rune('a'+i))), "--state", filepath.Join(t.TempDir(), "pushes.db"), in}, tc.args...)
		code, stdout, stderr := runBulk(t, tc.env, args...)
		if code == ExitOK {
			t.Errorf("case %d: exit 0; the scenarios are meant to warn, fail or stop", i)
		}
		out.WriteString(stdout + stderr)
	}
	if !strings.Contains(out.String(), "can be read by other users") {
		t.Error("a key file readable by others was not warned about")
	}
	var files strings.Builder
	nfiles := 0
	filepath.WalkDir(rep, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files.WriteString(pfReadFile(t, path))
			nfiles++
		}
		return nil
	})
	if nfiles < 8 {
		t.Fatalf("only %d report files written; the test does not look where it claims", nfiles)
	}
	for where, text := range map[string]string{"stdout/stderr": out.String(), "report files": files.String()} {
		for _, secret := range []string{pfTestKey, basic, wrong} {
			if strings.Contains(text, secret) {
				t.Errorf("a key (%.8s...) appears in the %s", secret, where)
			}
		}
	}
}

// waitFor polls until f returns a non-empty string.
func pfWaitFor(t *testing.T, what string, f func() string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := f(); s != "" {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return ""
}

var pfKeyFileRE = regexp.MustCompile(`--key-file (\S+) FILE`)

func TestSandboxPeopleFluentRehearsalKey(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the rehearsal key file goes
	var stdout, stderr syncBuffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	root := newRoot(a)
	root.SetArgs([]string{"sandbox", "peoplefluent", "--addr", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	base := strings.TrimSpace(pfWaitFor(t, "the base URL on stdout", stdout.String))
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/ekp/$`).MatchString(base) {
		t.Fatalf("stdout %q, want only the base URL", base)
	}
	m := pfKeyFileRE.FindStringSubmatch(pfWaitFor(t, "the push hint", func() string {
		if s := stderr.String(); pfKeyFileRE.MatchString(s) {
			return s
		}
		return ""
	}))
	keyFile := m[1]
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("rehearsal key file %s: %v, mode %v; want 0600", keyFile, err, info.Mode())
	}
	key := strings.TrimSpace(pfReadFile(t, keyFile))
	if strings.Contains(stdout.String()+stderr.String(), key) {
		t.Error("the sandbox printed its key")
	}

	in := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	rep := filepath.Join(t.TempDir(), "r")
	code, _, perr := runBulk(t, map[string]string{app.PFKeyEnv: ""}, "push", "peoplefluent", "--base", base,
		"--endpoint", "trainingHistoryCsv", "--key-file", keyFile, "--report", rep, in)
	if code != ExitRejected || !strings.Contains(perr, "6 rows, 1 request answered") {
		t.Errorf("push to the sandbox command: exit %d\n%s", code, perr)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not stop when its context was cancelled")
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("the rehearsal key file was left behind: %v", err)
	}
	// crash.user is in the only chunk (default --chunk-rows): answered 500, nothing loaded.
	if s := stderr.String(); !strings.Contains(s, "Sandbox stopped: 1 requests (0 refused for authentication)") {
		t.Errorf("stop summary missing:\n%s", s)
	}
}

// TestPushPeopleFluentBinary runs the built binary: the sandbox in one process, stopped by SIGINT
// as a user's Ctrl-C would, and a push from another.
func TestPushPeopleFluentBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBulk(t)
	keyFile := pfWriteFile(t, "key", pfTestKey, 0o600)
	env := append(os.Environ(), app.PFKeyEnv+"=")

	sb := exec.Command(bin, "sandbox", "peoplefluent", "--addr", "127.0.0.1:0", "--key-file", keyFile)
	sb.Env = env
	var sbErr syncBuffer
	sb.Stderr = &sbErr
	pipe, err := sb.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer sb.Process.Kill()
	base, err := bufio.NewReader(pipe).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the base URL: %v\n%s", err, sbErr.String())
	}
	base = strings.TrimSpace(base)

	in := pfWriteFile(t, "training.csv", strings.ReplaceAll(pfTrainingPayload, "crash.user", "pkhan"), 0o644)
	rep := filepath.Join(dir, "report")
	push := exec.Command(bin, "push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv",
		"--key-file", keyFile, "--report", rep, in)
	push.Env = env
	out, err := push.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitRejected {
		t.Fatalf("push: %v, want exit %d\n%s", err, ExitRejected, out)
	}
	results := reportText(t, filepath.Join(rep, "results.csv"))
	if strings.Count(results, ",ok,") != 4 || strings.Count(results, ",warning,") != 1 || strings.Count(results, ",failed,") != 1 {
		t.Errorf("results.csv:\n%s", results)
	}

	if err := sb.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := sb.Wait(); err != nil {
		t.Fatalf("sandbox after Ctrl-C: %v, want exit 0\n%s", err, sbErr.String())
	}
	if s := sbErr.String(); !strings.Contains(s, "Sandbox stopped: 1 requests (0 refused for authentication), 6 rows: 5 loaded, 1 rejected.") {
		t.Errorf("sandbox stderr:\n%s", s)
	}
	if strings.Contains(string(out)+sbErr.String(), pfTestKey) {
		t.Error("the key appears in the output of the binary")
	}
}

func TestPushPeopleFluentInterrupted(t *testing.T) {
	srv, base := startPFSandbox(t)
	t.Setenv(app.PFKeyEnv, pfTestKey)
	in := pfWriteFile(t, "training.csv", pfTrainingPayload, 0o644)
	rep := filepath.Join(t.TempDir(), "r")
	var stdout, stderr syncBuffer
	root := newRoot(&App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv})
	root.SetArgs([]string{"push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv", "--report", rep, in})
	// Ctrl-C before the first chunk went: run maps context.Canceled to exit 130.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := root.ExecuteContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled\n%s", err, stderr.String())
	}
	results := reportText(t, filepath.Join(rep, "results.csv"))
	if n := strings.Count(results, ",failed,not sent: the push was cancelled\r\n"); n != 6 {
		t.Errorf("%d rows reported not sent, want 6:\n%s", n, results)
	}
	if n := srv.Stats().Requests["trainingHistoryCsv"]; n != 0 {
		t.Errorf("%d chunks sent after the interrupt", n)
	}
}
