package verifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// errStop ends an update without writing.
var errStop = errors.New("no change")

// update applies fn to the document kind/id (decoded into a fresh *T)
// and writes it back with SwapDoc, again from a fresh read until no other
// client changed it in between. fn returns errStop to write nothing; the
// value returned is the document as last read or written.
func update[T any](ctx context.Context, h *Handler, kind, id string, fn func(*T) error) (*T, error) {
	for {
		v := new(T)
		raw, err := h.load(ctx, kind, id, v)
		if err != nil {
			return nil, err
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
