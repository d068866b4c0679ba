package store

import (
	"context"
	"errors"
	"fmt"
)

// DocStore is implemented by stores that also keep small documents (JSON,
// typically) by kind and id, beside the records, so that several programs
// on one store share state that is not a code: otp serve keeps its Verify
// services and verifications there, and every instance on one store sees
// them. A document is opaque bytes to the store.
//
// Every method takes a context first and is safe for concurrent use; a
// closed store returns [ErrClosed]. Kinds and ids are checked with
// [CheckDocKey], documents with [CheckDoc].
type DocStore interface {
	// GetDoc returns the document, or an error wrapping [ErrNotFound].
	GetDoc(ctx context.Context, kind, id string) ([]byte, error)
	// PutDoc creates or replaces the document.
	PutDoc(ctx context.Context, kind, id string, doc []byte) error
	// SwapDoc replaces the document with doc only if it is now old (nil:
	// only if there is none), atomically, and reports whether it did. A nil
	// doc deletes it. Read, change and SwapDoc again until it reports true
	// to update a document without losing another client's change.
	SwapDoc(ctx context.Context, kind, id string, old, doc []byte) (bool, error)
	// DeleteDoc removes the document, or returns an error wrapping
	// [ErrNotFound] if there is none.
	DeleteDoc(ctx context.Context, kind, id string) error
	// ListDocs returns up to limit documents of kind whose ids sort after
	// after (bytewise; "" for the first), in id order. Fewer than limit
	// means there are no more.
	ListDocs(ctx context.Context, kind, after string, limit int) ([]Doc, error)
}

// Doc is a document returned by [DocStore.ListDocs].
type Doc struct {
	ID   string
	Data []byte
}

// ErrNotFound is returned, wrapped, by [DocStore] for a document that does
// not exist.
var ErrNotFound = errors.New("no such document")

// MaxDocSize is the largest document a [DocStore] keeps, in bytes.
const MaxDocSize = 64 << 10

// MaxDocID is the longest id a [DocStore] takes, in bytes.
const MaxDocID = 256

// CheckDocKey returns an error unless kind is 1 to 32 of a-z, 0-9, '-' and
// '_' and id is 1 to MaxDocID bytes of printable ASCII other than '{' and
// '}' (so that a kind and an id fit any store's key syntax, such as a Redis
// Cluster hash tag).
func CheckDocKey(kind, id string) error {
	if len(kind) == 0 || len(kind) > 32 {
		return fmt.Errorf("document kind %q is not 1 to 32 characters", kind)
	}
	for _, c := range kind {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("document kind %q has a character other than a-z, 0-9, - and _", kind)
		}
	}
	if len(id) == 0 || len(id) > MaxDocID {
		return fmt.Errorf("document id of %d bytes is not 1 to %d", len(id), MaxDocID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < '!' || c > '~' || c == '{' || c == '}' {
			return fmt.Errorf("document id %q has a character other than printable ASCII (and not { or })", id)
		}
	}
	return nil
}

// CheckDoc returns an error if doc is larger than [MaxDocSize].
func CheckDoc(doc []byte) error {
	if len(doc) > MaxDocSize {
		return fmt.Errorf("document of %d bytes is larger than %d", len(doc), MaxDocSize)
	}
	return nil
}

// CheckDocList returns an error unless kind is a valid kind and limit is
// positive; after may be "" or any valid id.
func CheckDocList(kind, after string, limit int) error {
	id := after
	if id == "" {
		id = "x"
	}
	if err := CheckDocKey(kind, id); err != nil {
		return err
	}
	if limit <= 0 {
		return fmt.Errorf("list limit %d is not positive", limit)
	}
	return nil
}
