package filestore

import "errors"

// ErrInsecure is returned, wrapped, when a store file (the data file, its
// key or its lock) is a symbolic link, is not owned by the user running
// otp, or can be written by other users (group or others write bits): in
// a directory others can write to, such a file may have been planted.
var ErrInsecure = errors.New("store file is not safe to use")

var errSymlink = errors.New("is a symbolic link or reparse point")
