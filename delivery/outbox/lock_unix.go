//go:build unix

package outbox

import (
	"errors"
	"os"
	"syscall"
)

// lockAppend takes an exclusive flock on f, released when f is closed, so
// concurrent appends from several processes do not interleave.
func lockAppend(f *os.File) error {
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
