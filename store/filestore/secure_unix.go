//go:build unix

package filestore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openNoFollow is os.OpenFile that refuses a symbolic link as the last
// path element and checks the file's owner and mode (see [checkOwner]).
func openNoFollow(path string, flag int, mode os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, mode)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s %w: %w", path, errSymlink, ErrInsecure)
	}
	if err != nil {
		return nil, err
	}
	if err := checkOwner(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkOwner refuses a file owned by another user or writable by group or
// others.
func checkOwner(f *os.File, path string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by this user (uid %d): %w", path, st.Uid, os.Geteuid(), ErrInsecure)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s has mode %04o, writable by other users (want 0600): %w", path, perm, ErrInsecure)
	}
	return nil
}
