package read

import "testing"

// SpillSharedStrings makes every workbook's shared string table go to a temporary file, read
// back through a window of window bytes, until the test ends: the path a workbook of a million
// learners takes, on the small workbooks of the tests.
func SpillSharedStrings(tb testing.TB, window int) {
	tb.Helper()
	at, w := sstSpillAt, sstWindow
	sstSpillAt, sstWindow = 0, window
	tb.Cleanup(func() { sstSpillAt, sstWindow = at, w })
}
