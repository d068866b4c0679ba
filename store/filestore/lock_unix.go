//go:build unix

package filestore

import (
	"errors"
	"os"
	"syscall"
)

// openLockFile opens or creates the lock file without following a symbolic
// link planted in its place.
func openLockFile(path string) (*os.File, error) {
	return openNoFollow(path, os.O_RDWR|os.O_CREATE, fileMode)
}

// tryLock takes the exclusive flock without waiting.
func tryLock(f *os.File) error {
	err := flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errWouldBlock
	}
	return err
}

// waitLock waits for the exclusive flock.
func waitLock(f *os.File) error { return flock(int(f.Fd()), syscall.LOCK_EX) }

func unlock(f *os.File) { flock(int(f.Fd()), syscall.LOCK_UN) }

// flock is syscall.Flock, retried if a signal interrupts it.
func flock(fd, how int) error {
	for {
		if err := syscall.Flock(fd, how); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
