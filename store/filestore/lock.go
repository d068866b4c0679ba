package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrBusy is returned, wrapped, by [Open] when another process kept the
// store open for longer than Options.LockTimeout.
var ErrBusy = errors.New("store is in use by another process")

// errWouldBlock is returned by tryLock when another process holds the lock.
var errWouldBlock = errors.New("lock held by another process")

// lockFile opens (creating, mode 0600, never following a symbolic link) the
// lock file at path and takes an exclusive lock on it, waiting up to
// timeout or until ctx is done. The wait is a blocking lock (flock on Unix,
// LockFileEx on Windows), so the kernel wakes us the moment the holder lets
// go; it runs in a goroutine so the timeout or ctx can end it. If they win,
// that goroutine releases the lock as soon as it gets it.
func lockFile(ctx context.Context, path string, timeout time.Duration) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	switch err := tryLock(f); {
	case err == nil:
		return f, nil
	case !errors.Is(err, errWouldBlock):
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	case timeout < 0:
		f.Close()
		return nil, ErrBusy
	}
	got := make(chan error, 1)
	go func() { got <- waitLock(f) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	giveUp := func() {
		go func() {
			if <-got == nil {
				unlockFile(f)
			} else {
				f.Close()
			}
		}()
	}
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return f, nil
	case <-timer.C:
		giveUp()
		return nil, fmt.Errorf("%w (waited %v)", ErrBusy, timeout)
	case <-ctx.Done():
		giveUp()
		return nil, fmt.Errorf("waiting for the lock: %w", ctx.Err())
	}
}

// unlockFile releases the lock taken by lockFile and closes the file.
func unlockFile(f *os.File) {
	unlock(f)
	f.Close()
}
