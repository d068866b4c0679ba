//go:build windows

package filestore

import (
	"fmt"
	"os"
)

// openNoFollow is os.OpenFile that refuses a symbolic link or other
// reparse point at path. Windows ACLs are not inspected.
func openNoFollow(path string, flag int, mode os.FileMode) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil && info.Mode()&(os.ModeSymlink|os.ModeIrregular) != 0 {
		return nil, fmt.Errorf("%s %w: %w", path, errSymlink, ErrInsecure)
	}
	return os.OpenFile(path, flag, mode)
}
