// Package msgid makes message ids for the senders that do not get one from
// a provider (console, outbox, webhook).
package msgid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random message id with the given prefix.
func New(prefix string) string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + hex.EncodeToString(b[:])
}
