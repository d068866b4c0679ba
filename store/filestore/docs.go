package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/otpkit/otpkit/store"
	bolt "go.etcd.io/bbolt"
)

// docsBucket holds the documents of [store.DocStore]: one nested bucket per
// kind, mapping each id to its document. It is made by the first write, so
// a store that never kept a document has none (and older otpkit versions
// open the file as before).
var docsBucket = []byte("docs")

var (
	_ store.DocStore = (*Store)(nil)
	_ store.DocStore = (*PerCall)(nil)
)

// docView runs fn in a read-only transaction on the kind's bucket (nil if
// there is none), with the checks and guards of every operation.
func (s *Store) docView(ctx context.Context, kind string, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			var b *bolt.Bucket
			if docs := tx.Bucket(docsBucket); docs != nil {
				b = docs.Bucket([]byte(kind))
			}
			return fn(b)
		})
	})
}

// docUpdate runs fn in a write transaction on the kind's bucket, made if
// needed, through the committer: the same group commit as the records, so
// documents written at once by many requests share one fsync. fn reports
// whether it changed anything; it may run more than once (a batch whose
// transaction failed is run again one operation at a time). An error of fn
// wrapping store.ErrNotFound is the operation's own; any other fails the
// transaction.
func (s *Store) docUpdate(ctx context.Context, kind string, fn func(b *bolt.Bucket) (bool, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.submit(&op{ctx: ctx, doc: &docOp{kind: kind, fn: fn}})
}

// docOp is one docUpdate, run by the committer.
type docOp struct {
	kind string
	fn   func(b *bolt.Bucket) (bool, error)
}

// applyDoc runs a doc op inside tx.
func applyDoc(tx *bolt.Tx, o *op) (changed bool, err error) {
	docs, err := tx.CreateBucketIfNotExists(docsBucket)
	if err != nil {
		return false, err
	}
	b, err := docs.CreateBucketIfNotExists([]byte(o.doc.kind))
	if err != nil {
		return false, err
	}
	changed, err = o.doc.fn(b)
	if errors.Is(err, store.ErrNotFound) {
		o.err = err
		return false, nil
	}
	return changed, err
}

func (s *Store) docErr(kind, id string, err error) error {
	if err == nil {
		return nil
	}
	if err == store.ErrClosed {
		return err
	}
	return fmt.Errorf("%s: %s %s: %w", s.path, kind, id, err)
}

// GetDoc implements [store.DocStore]; a read-only transaction.
func (s *Store) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	if err := store.CheckDocKey(kind, id); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	var doc []byte
	err := s.docView(ctx, kind, func(b *bolt.Bucket) error {
		var v []byte
		if b != nil {
			v = b.Get([]byte(id))
		}
		if v == nil {
			return store.ErrNotFound
		}
		doc = append([]byte{}, v...) // v lives only as long as the transaction
		return nil
	})
	return doc, s.docErr(kind, id, err)
}

// PutDoc implements [store.DocStore].
func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	if err := s.checkDoc(kind, id, doc); err != nil {
		return err
	}
	return s.docErr(kind, id, s.docUpdate(ctx, kind, func(b *bolt.Bucket) (bool, error) {
		if v := b.Get([]byte(id)); v != nil && bytes.Equal(v, doc) {
			return false, nil
		}
		return true, b.Put([]byte(id), append([]byte{}, doc...))
	}))
}

// SwapDoc implements [store.DocStore]: the comparison and the write are one
// transaction, which bbolt runs alone among writers.
func (s *Store) SwapDoc(ctx context.Context, kind, id string, old, doc []byte) (bool, error) {
	if err := s.checkDoc(kind, id, doc); err != nil {
		return false, err
	}
	swapped := false
	err := s.docUpdate(ctx, kind, func(b *bolt.Bucket) (bool, error) {
		swapped = false
		cur := b.Get([]byte(id))
		if (cur != nil) != (old != nil) || cur != nil && !bytes.Equal(cur, old) {
			return false, nil
		}
		swapped = true
		if doc == nil {
			return true, b.Delete([]byte(id))
		}
		return true, b.Put([]byte(id), append([]byte{}, doc...))
	})
	if err != nil {
		return false, s.docErr(kind, id, err)
	}
	return swapped, nil
}

// DeleteDoc implements [store.DocStore].
func (s *Store) DeleteDoc(ctx context.Context, kind, id string) error {
	if err := store.CheckDocKey(kind, id); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return s.docErr(kind, id, s.docUpdate(ctx, kind, func(b *bolt.Bucket) (bool, error) {
		if b.Get([]byte(id)) == nil {
			return false, store.ErrNotFound
		}
		return true, b.Delete([]byte(id))
	}))
}

// ListDocs implements [store.DocStore]: a cursor over the kind's bucket,
// whose keys bbolt keeps in byte order.
func (s *Store) ListDocs(ctx context.Context, kind, after string, limit int) ([]store.Doc, error) {
	if err := store.CheckDocList(kind, after, limit); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	var out []store.Doc
	err := s.docView(ctx, kind, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != "" {
			if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, store.Doc{ID: string(k), Data: append([]byte{}, v...)})
		}
		return nil
	})
	if err != nil {
		return nil, s.docErr(kind, after, err)
	}
	return out, nil
}

func (s *Store) checkDoc(kind, id string, doc []byte) error {
	if err := store.CheckDocKey(kind, id); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := store.CheckDoc(doc); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// GetDoc implements [store.DocStore].
func (p *PerCall) GetDoc(ctx context.Context, kind, id string) (doc []byte, err error) {
	err = p.with(ctx, func(s *Store) (err error) { doc, err = s.GetDoc(ctx, kind, id); return err })
	return doc, err
}

// PutDoc implements [store.DocStore].
func (p *PerCall) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	return p.with(ctx, func(s *Store) error { return s.PutDoc(ctx, kind, id, doc) })
}

// SwapDoc implements [store.DocStore]; the file is locked for the whole
// comparison and write.
func (p *PerCall) SwapDoc(ctx context.Context, kind, id string, old, doc []byte) (ok bool, err error) {
	err = p.with(ctx, func(s *Store) (err error) { ok, err = s.SwapDoc(ctx, kind, id, old, doc); return err })
	return ok, err
}

// DeleteDoc implements [store.DocStore].
func (p *PerCall) DeleteDoc(ctx context.Context, kind, id string) error {
	return p.with(ctx, func(s *Store) error { return s.DeleteDoc(ctx, kind, id) })
}

// ListDocs implements [store.DocStore].
func (p *PerCall) ListDocs(ctx context.Context, kind, after string, limit int) (l []store.Doc, err error) {
	err = p.with(ctx, func(s *Store) (err error) { l, err = s.ListDocs(ctx, kind, after, limit); return err })
	return l, err
}
