package filestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/otpkit/otpkit/store"
)

const keySize = 32

// Secret implements [store.SecretKeeper]. The key lives in the file
// "<path>.key" beside the store: 32 random bytes as 64 hex digits and a
// newline, mode 0600. It is created on first use, atomically, so concurrent
// first uses agree on one key. A key file with other content is an error
// wrapping [store.ErrCorrupt] and is left alone: replacing it would
// invalidate every pending code.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key == nil {
		key, err := loadKey(s.path + ".key")
		if err != nil {
			return nil, err
		}
		s.key = key
	}
	return bytes.Clone(s.key), nil
}

// loadKey reads the key file at path, creating it if it does not exist.
func loadKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	return key, err
}

func readKey(path string) ([]byte, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4*keySize))
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(string(bytes.TrimSuffix(b, []byte("\n"))))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("filestore: key file %s: not %d hex digits: %w", path, 2*keySize, store.ErrCorrupt)
	}
	return key, nil
}

// createKey writes a new key to a temporary file, syncs it, and links it
// into place. The link fails if the key file exists, so a key another
// process created meanwhile is never overwritten: that key is read instead.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	rand.Read(key) // never fails (crypto/rand)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("filestore: create key: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return readKey(path)
	case err != nil:
		return nil, fmt.Errorf("filestore: create key: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("filestore: create key: %w", err)
	}
	return key, nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
