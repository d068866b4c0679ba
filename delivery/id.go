package delivery

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random message id with the given prefix, for providers
// that do not assign their own.
func NewID(prefix string) string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b[:])
}
