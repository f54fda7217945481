// Package crash reports a panic (a bug in bulk) to the person running it: one line on stderr,
// and the details in a private file, for the exit status the command line gives it.
package crash

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bulkload/bulk/pipeline"
)

// Report tells of a panic: one line on stderr, and the details in a new private file in the
// temporary folder, never on stdout (which a script may be reading). The file holds where bulk
// was, its stack and its version; the panic's value only when it is one of Go's own runtime
// errors, whose text is the runtime's: any other value may carry data (a cell, a URL), and the
// stack says where it came from anyway. Nor are the arguments written, only the command's name.
func Report(stderr io.Writer, args []string, pe *pipeline.PanicError) {
	var b strings.Builder
	fmt.Fprintf(&b, "bulk crashed: an internal error (a panic) while %s.\n", pe.Where)
	fmt.Fprintf(&b, "time: %s\n", time.Now().UTC().Format(time.RFC3339))
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(&b, "command: bulk %s\n", args[0])
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&b, "version: %s", bi.Main.Version)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(&b, " %s=%s", s.Key, s.Value)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if re, ok := pe.Value.(runtime.Error); ok {
		fmt.Fprintf(&b, "panic: %s\n", re.Error())
	} else {
		fmt.Fprintf(&b, "panic: a value of type %T (not written: it may hold data)\n", pe.Value)
	}
	fmt.Fprintf(&b, "\n%s", pe.Stack)
	path, err := writeCrashFile(b.String())
	if err != nil {
		// Nowhere private to put it: the stack (function names and addresses, no data) goes to
		// stderr rather than being lost.
		fmt.Fprintf(stderr, "bulk crashed: an internal error; its details could not be saved (%v), so they follow — please report it\n%s", err, b.String())
		return
	}
	fmt.Fprintf(stderr, "bulk crashed: an internal error; details in %s — please report it\n", path)
}

// writeCrashFile writes text to a new file in the temporary folder, readable by its owner only.
func writeCrashFile(text string) (string, error) {
	f, err := os.CreateTemp("", "bulk-crash-*.txt") // mode 0600
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
