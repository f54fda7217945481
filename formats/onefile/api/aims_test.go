package api

import (
	"context"
	"errors"
	"testing"

	"github.com/bulkload/bulk/formats/onefile/sandbox"
)

// The learning aim ID is read from the shapes an undocumented answer may take.
func TestParseAimID(t *testing.T) {
	for _, tt := range []struct {
		body string
		want int
	}{
		{"500001", 500001}, {" 500001\n", 500001}, {`"500001"`, 500001},
		{`{"ID":77}`, 77}, {`{"LearningAimID":"78"}`, 78}, {`{"id":79}`, 79},
		{"", 0}, {"null", 0}, {`{"Name":"x"}`, 0}, {"-3", 0}, {"<html>", 0},
	} {
		if got := parseAimID([]byte(tt.body)); got != tt.want {
			t.Errorf("parseAimID(%q) = %d, want %d", tt.body, got, tt.want)
		}
	}
}

// Against the sandbox: a new aim answers its ID; a repeat matches ErrAlreadyAssigned (not by
// this call: AssignedByUs false); an unknown standard is ErrNotFound; the template call and
// the archive call succeed; bad IDs are refused without a call.
func TestAimsAndArchiveCalls(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, Config{})
	ctx := context.Background()
	id, err := e.c.AssignStandard(ctx, 301, 1010)
	if err != nil || id == 0 || e.sb.LearningAims()[0].ID != id {
		t.Fatalf("AssignStandard: %d, %v", id, err)
	}
	_, err = e.c.AssignStandard(ctx, 301, 1010)
	if !errors.Is(err, ErrAlreadyAssigned) || AssignedByUs(err) {
		t.Errorf("repeat: %v (AssignedByUs %v), want ErrAlreadyAssigned not by us", err, AssignedByUs(err))
	}
	if _, err := e.c.AssignStandard(ctx, 999, 1010); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown standard: %v, want ErrNotFound", err)
	}
	if err := e.c.AssignFrameworkTemplate(ctx, 401, 1010, false); err != nil {
		t.Errorf("template: %v", err)
	}
	if err := e.c.AssignFrameworkTemplate(ctx, 401, 1010, false); !errors.Is(err, ErrAlreadyAssigned) {
		t.Errorf("template repeat: %v", err)
	}
	if err := e.c.ArchiveUser(ctx, 1010); err != nil {
		t.Errorf("archive: %v", err)
	}
	if got := e.sb.Archived(); len(got) != 1 || got[0] != 1010 {
		t.Errorf("archived %v", got)
	}
	before := e.sb.Snapshot().Total
	for _, err := range []error{
		func() error { _, err := e.c.AssignStandard(ctx, 0, 1010); return err }(),
		e.c.AssignFrameworkTemplate(ctx, 401, -1, false),
		e.c.ArchiveUser(ctx, 0),
	} {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("bad IDs: %v, want ErrInvalidRequest", err)
		}
	}
	if after := e.sb.Snapshot().Total; after != before {
		t.Errorf("bad IDs made %d calls", after-before)
	}
}
