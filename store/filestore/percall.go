package filestore

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/otpkit/otpkit/store"
)

// PerCall is a [store.Store] on the file at a path that opens the store for
// each call and closes it after, so the file is locked only while one
// operation runs. It is for command-line programs, whose operations are
// separated by network calls (a provider delivering the code, waiting for
// the delivery report): other processes need not wait for those. A program
// that runs for long and makes many calls should use [Open], which keeps
// the file open and groups concurrent calls into one commit.
//
// Calls in one process take turns like calls from separate processes.
type PerCall struct {
	path string
	opts Options

	mu     sync.Mutex
	closed bool
}

var (
	_ store.Store        = (*PerCall)(nil)
	_ store.SecretKeeper = (*PerCall)(nil)
)

// NewPerCall returns a PerCall store for the file at path, with the
// options of [Open] (nil: the defaults). It opens nothing yet.
func NewPerCall(path string, opts *Options) *PerCall {
	p := &PerCall{path: path}
	if opts != nil {
		p.opts = *opts
	}
	return p
}

// Path returns the store's file.
func (p *PerCall) Path() string { return p.path }

// with opens the store, runs fn on it and closes it.
func (p *PerCall) with(ctx context.Context, fn func(*Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return store.ErrClosed
	}
	s, err := OpenContext(ctx, p.path, &p.opts)
	if err != nil {
		return err
	}
	err = fn(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Issue implements [store.Store].
func (p *PerCall) Issue(ctx context.Context, req store.IssueRequest) (res store.IssueResult, err error) {
	err = p.with(ctx, func(s *Store) (err error) { res, err = s.Issue(ctx, req); return err })
	return res, err
}

// Check implements [store.Store].
func (p *PerCall) Check(ctx context.Context, req store.CheckRequest) (res store.CheckResult, err error) {
	err = p.with(ctx, func(s *Store) (err error) { res, err = s.Check(ctx, req); return err })
	return res, err
}

// Cancel implements [store.Store].
func (p *PerCall) Cancel(ctx context.Context, req store.CancelRequest) error {
	return p.with(ctx, func(s *Store) error { return s.Cancel(ctx, req) })
}

// Get implements [store.Store].
func (p *PerCall) Get(ctx context.Context, number string) (rec store.Record, ok bool, err error) {
	err = p.with(ctx, func(s *Store) (err error) { rec, ok, err = s.Get(ctx, number); return err })
	return rec, ok, err
}

// Purge implements [store.Store].
func (p *PerCall) Purge(ctx context.Context, req store.PurgeRequest) (n int, err error) {
	err = p.with(ctx, func(s *Store) (err error) { n, err = s.Purge(ctx, req); return err })
	return n, err
}

// Secret implements [store.SecretKeeper] with the key file beside the store
// (see [Store.Secret]); it does not open the store.
func (p *PerCall) Secret(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), directoryMode); err != nil {
		return nil, err
	}
	return loadKey(p.path + ".key")
}

// Close implements [store.Store]: later calls return [store.ErrClosed].
func (p *PerCall) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
