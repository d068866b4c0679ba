//go:build windows

package outbox

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockAppend takes an exclusive LockFileEx lock on f, released when f is
// closed, so concurrent appends from several processes do not interleave.
func lockAppend(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}
