package app

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/bulkload/bulk/internal/fileperm"
)

// warnedFolders are the report folders this process has warned about (warnOpenFolder).
var warnedFolders sync.Map

// warnOpenFolder prints fileperm.FolderWarning for dir, an existing report folder, to stderr:
// once per folder per process, since one load writes its report, payload, results and
// verify.csv there through several use cases, and a watching nightly job reuses it.
func (d *Deps) warnOpenFolder(dir string) {
	if dir == "" {
		return
	}
	w := fileperm.FolderWarning(dir)
	if w == "" {
		return
	}
	key := dir
	if abs, err := filepath.Abs(dir); err == nil {
		key = abs
	}
	if _, seen := warnedFolders.LoadOrStore(key, true); !seen {
		fmt.Fprintf(d.stderr(), "bulk: warning: %s\n", w)
	}
}
