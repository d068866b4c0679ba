package filestore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrBusy is returned, wrapped, by [Open] when another process kept the
// store open for longer than Options.LockTimeout.
var ErrBusy = errors.New("store is in use by another process")

// lockFile opens (creating, mode 0600) the lock file at path and takes an
// exclusive flock on it, waiting up to timeout. The wait is a blocking
// flock, so the kernel wakes us the moment the holder lets go; it runs in a
// goroutine so the timeout can end it. If the timeout wins, that goroutine
// releases the lock as soon as it gets it.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	switch err := flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == nil:
		return f, nil
	case !errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	case timeout < 0:
		f.Close()
		return nil, ErrBusy
	}
	got := make(chan error, 1)
	go func() { got <- flock(fd, syscall.LOCK_EX) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return f, nil
	case <-timer.C:
		go func() {
			if <-got == nil {
				unlockFile(f)
			} else {
				f.Close()
			}
		}()
		return nil, fmt.Errorf("%w (waited %v)", ErrBusy, timeout)
	}
}

// flock is syscall.Flock, retried if a signal interrupts it.
func flock(fd, how int) error {
	for {
		if err := syscall.Flock(fd, how); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// unlockFile releases the lock taken by lockFile and closes the file.
func unlockFile(f *os.File) {
	flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}
