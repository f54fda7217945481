package nightly

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

func TestInUseOn(t *testing.T) {
	rename := func(errno syscall.Errno) error {
		return &os.LinkError{Op: "rename", Old: `C:\drops\a.csv`, New: `C:\drops\processing\R-a.csv`, Err: errno}
	}
	for _, tc := range []struct {
		name string
		goos string
		err  error
		want bool
	}{
		{"sharing violation on windows", "windows", rename(32), true},
		{"lock violation on windows", "windows", rename(33), true},
		{"access denied on windows is not 'in use'", "windows", rename(5), false},
		{"errno 32 on linux is EPIPE", "linux", rename(32), false},
		{"not an errno", "windows", errors.New("x"), false},
	} {
		if got := inUseOn(tc.goos, tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
