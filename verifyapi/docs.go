package verifyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The kinds of documents the handler keeps in the store.
const (
	kindService      = "verify-service"      // id: VA sid
	kindVerification = "verify-verification" // id: VE sid
	kindPending      = "verify-pending"      // id: VA sid + ":" + E.164 To; holds the VE sid of its latest verification
)

// load reads the document kind/id into v, returning the raw bytes for a
// later swap; an absent document is an error wrapping store.ErrNotFound.
func (h *Handler) load(ctx context.Context, kind, id string, v any) ([]byte, error) {
	raw, err := h.cfg.Docs.GetDoc(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return raw, nil
}

// docCache keeps decoded documents by id with the bytes they were decoded
// from: a read whose bytes are the same skips the decoding. It is bounded.
type docCache[T any] struct {
	mu sync.Mutex
	m  map[string]cachedDoc[T]
}

type cachedDoc[T any] struct {
	raw []byte
	v   T
	at  time.Time // when it was read
}

// maxCached bounds a docCache; past it, the cache starts again empty.
const maxCached = 1024

func (c *docCache[T]) get(id string, raw []byte) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[id]
	if !ok || !bytes.Equal(d.raw, raw) {
		var zero T
		return zero, false
	}
	return d.v, true
}

// recent returns the document if it was read within maxAge of now.
func (c *docCache[T]) recent(id string, now time.Time, maxAge time.Duration) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[id]
	if !ok || maxAge <= 0 || now.Before(d.at) || now.Sub(d.at) >= maxAge {
		var zero T
		return zero, false
	}
	return d.v, true
}

// put keeps v, decoded from raw, as read at now.
func (c *docCache[T]) put(id string, raw []byte, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]cachedDoc[T])
	}
	c.m[id] = cachedDoc[T]{raw: raw, v: v, at: now}
}

// drop forgets the document: it changed, or is gone.
func (c *docCache[T]) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// loadIndex reads a pending index ({"sid":"VE..."}) and returns its sid.
// The index is what json.Marshal writes; other spellings are decoded.
func (h *Handler) loadIndex(ctx context.Context, id string) (raw []byte, sid string, err error) {
	raw, err = h.cfg.Docs.GetDoc(ctx, kindPending, id)
	if err != nil {
		return nil, "", err
	}
	const pre, suf = `{"sid":"`, `"}`
	if n := len(raw) - len(pre) - len(suf); n == 34 && string(raw[:len(pre)]) == pre && string(raw[len(raw)-len(suf):]) == suf {
		if s := string(raw[len(pre) : len(pre)+n]); ValidSid("VE", s) {
			return raw, s, nil
		}
	}
	var idx struct {
		Sid string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", kindPending, id, err)
	}
	return raw, idx.Sid, nil
}

// errStop ends an update without writing.
var errStop = errors.New("no change")

// update applies fn to the document kind/id (decoded into a fresh *T)
// and writes it back with SwapDoc, again from a fresh read until no other
// client changed it in between. fn returns errStop to write nothing; the
// value returned is the document as last read or written.
func update[T any](ctx context.Context, h *Handler, kind, id string, fn func(*T) error) (*T, error) {
	return updateFrom(ctx, h, kind, id, nil, nil, fn)
}

// updateFrom is update whose first try starts from raw, the document as
// the caller read it, and first, raw decoded (a copy is changed), rather
// than from a fresh read: a read saved when nobody changed it since.
func updateFrom[T any](ctx context.Context, h *Handler, kind, id string, raw []byte, first *T, fn func(*T) error) (*T, error) {
	for {
		v := new(T)
		if first != nil {
			*v, first = *first, nil
		} else {
			var err error
			if raw, err = h.load(ctx, kind, id, v); err != nil {
				return nil, err
			}
		}
		if err := fn(v); err != nil {
			return v, err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		ok, err := h.cfg.Docs.SwapDoc(ctx, kind, id, raw, out)
		if err != nil {
			return nil, err
		}
		if ok {
			return v, nil
		}
	}
}

// put writes v as the document kind/id.
func (h *Handler) put(ctx context.Context, kind, id string, v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return h.cfg.Docs.PutDoc(ctx, kind, id, out)
}

// sidSet is a small, bounded map from a key (a verification sid, or a
// service sid and To) to a sid, safe for concurrent use.
type sidSet struct {
	mu sync.Mutex
	m  map[string]string
}

// get returns the value kept for key.
func (s *sidSet) get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

// set keeps v for key; past maxCached keys, the set starts again empty.
func (s *sidSet) set(key, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxCached {
		s.m = make(map[string]string)
	}
	s.m[key] = v
}

// drop forgets key.
func (s *sidSet) drop(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
