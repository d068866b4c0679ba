package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/otpkit/otpkit/store"
)

var _ store.DocStore = (*Store)(nil)

// docKey is a document's key in Store.docs.
type docKey struct{ kind, id string }

// docOp runs fn under the lock after the checks every document call makes.
func (s *Store) docOp(ctx context.Context, kind, id string, fn func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckDocKey(kind, id); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if s.docs == nil {
		s.docs = map[docKey][]byte{}
	}
	fn()
	return nil
}

// GetDoc implements [store.DocStore].
func (s *Store) GetDoc(ctx context.Context, kind, id string) (doc []byte, err error) {
	err = s.docOp(ctx, kind, id, func() {
		if d, ok := s.docs[docKey{kind, id}]; ok {
			doc = bytes.Clone(d)
			if doc == nil {
				doc = []byte{}
			}
		}
	})
	if err == nil && doc == nil {
		err = fmt.Errorf("memstore: %s %s: %w", kind, id, store.ErrNotFound)
	}
	return doc, err
}

// PutDoc implements [store.DocStore].
func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	if err := store.CheckDoc(doc); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return s.docOp(ctx, kind, id, func() { s.docs[docKey{kind, id}] = append([]byte{}, doc...) })
}

// SwapDoc implements [store.DocStore].
func (s *Store) SwapDoc(ctx context.Context, kind, id string, old, doc []byte) (swapped bool, err error) {
	if err := store.CheckDoc(doc); err != nil {
		return false, fmt.Errorf("memstore: %w", err)
	}
	err = s.docOp(ctx, kind, id, func() {
		k := docKey{kind, id}
		cur, ok := s.docs[k]
		if ok != (old != nil) || ok && !bytes.Equal(cur, old) {
			return
		}
		if doc == nil {
			delete(s.docs, k)
		} else {
			s.docs[k] = append([]byte{}, doc...)
		}
		swapped = true
	})
	return swapped, err
}

// DeleteDoc implements [store.DocStore].
func (s *Store) DeleteDoc(ctx context.Context, kind, id string) error {
	found := false
	err := s.docOp(ctx, kind, id, func() {
		k := docKey{kind, id}
		_, found = s.docs[k]
		delete(s.docs, k)
	})
	if err == nil && !found {
		err = fmt.Errorf("memstore: %s %s: %w", kind, id, store.ErrNotFound)
	}
	return err
}

// ListDocs implements [store.DocStore]. It sorts the kind's ids on each
// call: the memory store is for tests and small programs.
func (s *Store) ListDocs(ctx context.Context, kind, after string, limit int) ([]store.Doc, error) {
	if err := store.CheckDocList(kind, after, limit); err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	var out []store.Doc
	err := s.docOp(ctx, kind, "x", func() {
		for k, d := range s.docs {
			if k.kind == kind && k.id > after {
				out = append(out, store.Doc{ID: k.id, Data: append([]byte{}, d...)})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
