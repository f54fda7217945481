package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkload/bulk/formats/peoplefluent"
	"github.com/bulkload/bulk/formats/peoplefluent/sandbox"
	"github.com/bulkload/bulk/internal/app"
)

// resumePayload is n training rows in which every fourth row updates (ACTION U) the record the
// add (ACTION A) three rows before it made, so chunks hold both kinds.
func resumePayload(n int) (text string, adds, updates []string) {
	var b strings.Builder
	b.WriteString("USERID,LEARNINGID,ENROLLDATE,STUDENTSTATUS,ACTION\r\n")
	for i := range n {
		var row string
		if i%4 == 3 {
			row = fmt.Sprintf("learner%04d,HS-101,06-Sep-2026 09:00,Completed,U", i-3)
			updates = append(updates, row)
		} else {
			row = fmt.Sprintf("learner%04d,HS-101,05-Sep-2026 09:00,Completed,A", i)
			adds = append(adds, row)
		}
		b.WriteString(row + "\r\n")
	}
	return b.String(), adds, updates
}

// TestPushKilledAndRunAgain SIGKILLs `bulk push peoplefluent` while the LMS holds a chunk it
// has loaded but not yet answered, then runs the same command again: the LMS received every
// ACTION A row exactly once, the lost chunk's updates were sent again, its adds are reported
// unknown for a person to check, the second run says which chunks it resumed, and the first
// run's results file is kept.
func TestPushKilledAndRunAgain(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	bin := buildBulk(t)
	seed := sandbox.DefaultSeed()
	seed.AnyUser = true
	srv := sandbox.New(peoplefluent.NewSecret(pfTestKey), seed)
	srv.Latency = 150 * time.Millisecond // a slow LMS: the answer comes well after the load
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	const rows, chunkRows, killAt = 1000, 50, 7
	text, adds, updates := resumePayload(rows)
	dir := t.TempDir()
	in := filepath.Join(dir, "training.csv")
	if err := os.WriteFile(in, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, state := filepath.Join(dir, "report"), filepath.Join(dir, "state", "pushes.db")
	push := func() *exec.Cmd {
		cmd := exec.Command(bin, "push", "peoplefluent", "--base", base, "--endpoint", "trainingHistoryCsv",
			"--chunk-rows", fmt.Sprint(chunkRows), "--report", rep, "--state", state, in)
		cmd.Env = append(os.Environ(), app.PFKeyEnv+"="+pfTestKey)
		return cmd
	}

	// Run 1: killed while chunk 7 is loaded and its answer not yet sent.
	first := push()
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for srv.Stats().Requests["trainingHistoryCsv"] < killAt {
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("the push never sent chunk %d:\n%s", killAt, firstErr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	werr := first.Wait()
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run 1 was not killed (%v); kill earlier:\n%s", werr, firstErr.String())
	}
	if n := srv.Stats().Requests["trainingHistoryCsv"]; n != killAt {
		t.Fatalf("the sandbox got %d requests before the kill, want %d", n, killAt)
	}
	firstResults, err := os.ReadFile(filepath.Join(rep, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}

	// Run 2: the same command.
	second := push()
	var secondErr bytes.Buffer
	second.Stderr = &secondErr
	err = second.Run()
	if code := second.ProcessState.ExitCode(); code != ExitRejected {
		t.Fatalf("run 2: exit %d (%v), want %d: the lost chunk's adds are unknown\n%s", code, err, ExitRejected, secondErr.String())
	}

	// The LMS received every add exactly once, and chunk 7's updates twice (sent again).
	got := srv.Received(peoplefluent.TrainingHistoryCSV)
	for _, r := range adds {
		if got[r] != 1 {
			t.Errorf("the LMS received %q %d times, want exactly once", r, got[r])
		}
	}
	lost := map[int]bool{} // spreadsheet rows of chunk 7
	for i := (killAt - 1) * chunkRows; i < killAt*chunkRows; i++ {
		lost[i+2] = true
	}
	resent := 0
	for i, r := range updates {
		row := 4*i + 3 + 2 // updates are every fourth data row
		want := 1
		if lost[row] {
			want = 2
		}
		if got[r] != want {
			t.Errorf("the LMS received update %q (row %d) %d times, want %d", r, row, got[r], want)
		}
		if want == 2 {
			resent++
		}
	}
	if srv.TrainingRecords() != len(adds) {
		t.Errorf("the LMS holds %d training records, want %d", srv.TrainingRecords(), len(adds))
	}

	// Run 2's results: every row once; chunks 1-6 answered earlier, chunk 7 resumed.
	f, err := os.Open(filepath.Join(rep, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != rows+1 {
		t.Fatalf("results.csv: %d lines (%v), want %d", len(recs), err, rows+1)
	}
	var earlier, resumedOK, unknown int
	for _, r := range recs[1:] { // file,row,status,message
		var row int
		fmt.Sscan(r[1], &row)
		switch {
		case row < (killAt-1)*chunkRows+2:
			if r[2] != "ok" || !strings.HasPrefix(r[3], "answered in an earlier run of this push (chunk ") {
				t.Errorf("row %d: %s %q, want ok answered in an earlier run", row, r[2], r[3])
			}
			earlier++
		case lost[row] && r[2] == "unknown":
			if !strings.Contains(r[3], "ACTION A") || !strings.Contains(r[3], "--resend-unknown") {
				t.Errorf("row %d: unknown with %q", row, r[3])
			}
			unknown++
		case lost[row]:
			if r[2] != "ok" || !strings.HasPrefix(r[3], fmt.Sprintf("resumed: chunk %d's answer was lost", killAt)) {
				t.Errorf("row %d: %s %q, want ok resumed", row, r[2], r[3])
			}
			resumedOK++
		case r[2] != "ok" || r[3] != "":
			t.Errorf("row %d: %s %q, want ok", row, r[2], r[3])
		}
	}
	if earlier != (killAt-1)*chunkRows || unknown+resumedOK != chunkRows || resumedOK != resent {
		t.Errorf("%d rows answered earlier, %d resumed ok, %d unknown; want %d, %d, %d", earlier, resumedOK, unknown,
			(killAt-1)*chunkRows, resent, chunkRows-resent)
	}
	for _, frag := range []string{
		fmt.Sprintf("Resumed: %d chunks answered by an earlier run of this push (not sent again); chunk %d resumed after a lost answer.", killAt-1, killAt),
		fmt.Sprintf("%d rows may or may not be in the LMS", chunkRows-resent),
		"The results of an earlier push in " + rep + " were kept: " + filepath.Join(rep, "results-1.csv"),
	} {
		if !strings.Contains(secondErr.String(), frag) {
			t.Errorf("run 2's stderr does not say %q:\n%s", frag, secondErr.String())
		}
	}

	// Run 1's results file is kept as it was, holding what the LMS answered before the kill.
	kept, err := os.ReadFile(filepath.Join(rep, "results-1.csv"))
	if err != nil || !bytes.Equal(kept, firstResults) {
		t.Fatalf("results-1.csv (%v) is not run 1's results.csv", err)
	}
	if n := bytes.Count(kept, []byte(",ok,\r\n")); n != (killAt-1)*chunkRows {
		t.Errorf("run 1's results hold %d ok rows, want %d (every chunk answered before the kill)", n, (killAt-1)*chunkRows)
	}
	if strings.Contains(firstErr.String()+secondErr.String(), pfTestKey) {
		t.Error("the key appears in the output")
	}
}
