// Package redisstore is a [store.Store] on Redis (or Valkey), for programs
// that run on several machines and must share pending codes and limits.
//
//	st, err := redisstore.Open(ctx, redisstore.Options{URL: "redis://redis.internal:6379/0"})
//	...
//	svc, err := otp.New(ctx, st, sender, otp.Options{Secret: secret})
//
// # Atomicity
//
// Every state change (issuing, checking and cancelling a code, and purging a
// record) is one Lua script that applies the rules of [store.Record] inside
// Redis: one round trip, atomic across all clients, so two servers verifying
// one code at once can never both succeed and no wrong try is lost. Scripts
// run with EVALSHA and fall back to EVAL when the server does not have them
// cached. Only standard commands (GET, SET, DEL, SCAN, EVAL, EVALSHA) are
// used, so Valkey works as well; Redis must be 6.0 or later (SET KEEPTTL).
//
// As with any Redis data, a write that a master acknowledged but had not yet
// passed to its replicas is lost if a replica takes over.
//
// # Keys and expiry
//
// Each number has one key, the prefix and the number in a Redis Cluster hash
// tag, such as otp:{+12015550123}, so everything one number needs lives in
// one slot. The value is a short printable string; times are kept to the
// millisecond. Every write sets the key's TTL to the last moment anything in
// the record is live (the code's expiry, the end of a lock, the last send
// plus the send window or cooldown) and deletes the key when nothing is, so
// Redis expires records by itself. A record that Redis expired behaves as a
// purged one: a check finds no code.
//
// TTLs are counted from the time of the request (IssueRequest.Now and so on),
// not from the Redis server's clock, so the store keeps working when the
// program's clock is injected or differs from the server's.
//
// # Throughput
//
// Each operation is one round trip. A program that serves many requests at
// once should set [Options].AutoPipeline, which sends the calls made at the
// same moment together; the package benchmarks measure both ways
// (go test -bench SendVerify).
//
// # Secret
//
// The store does not implement [store.SecretKeeper]: every machine must hash
// codes with the same key, so a program that uses this store must set
// otp.Options.Secret (the same on every machine).
package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/store"
)

// DefaultPrefix is the key prefix used when Options.Prefix is empty.
const DefaultPrefix = "otp:"

// DefaultURL is the server used when neither Options.URL nor Options.Client is set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// Options configure [Open]. The zero value connects to [DefaultURL] with
// [DefaultPrefix].
type Options struct {
	// URL is the server to connect to, such as redis://user:pass@host:6379/0
	// or rediss://host:6380 for TLS (see redis.ParseURL for the options it
	// takes). Use Client instead for Redis Cluster or Sentinel.
	URL string
	// Client is an existing client to use instead of URL: a *redis.Client,
	// *redis.ClusterClient or failover client. The store does not close it.
	Client redis.UniversalClient
	// Prefix starts every key the store writes; DefaultPrefix if empty. It
	// must not contain '{' or '}', which would break the hash tag.
	Prefix string
	// AutoPipeline streams the calls that goroutines make at the same time
	// down one held connection, a writer and a reader goroutine moving
	// them both ways at once (go-redis autopipelining in its full-duplex
	// mode, which go-redis marks experimental). Under many concurrent
	// callers this cuts the system calls of both the program and Redis and
	// raises throughput; a lone caller waits longer, since its call passes
	// through the pipelining goroutines. Not for a *redis.Ring client.
	AutoPipeline bool
}

// Store is a [store.Store] on Redis. It is safe for concurrent use. Make one
// with [Open].
type Store struct {
	client     redis.UniversalClient // for Purge's scans and pipelines
	ops        redis.UniversalClient // for single operations: client or its autopipeliner
	owned      bool                  // Open made client from a URL and Close closes it
	prefix     string
	closed     atomic.Bool
	closeMu    sync.Once
	errc       error
	guardBatch guardBatcher // group commit of this process's UpdateGuard calls (guard.go)
	// cluster is set for a Redis Cluster client, whose record keys and
	// guard entries live in different slots: no script can change both,
	// so IssueGuarded declines.
	cluster  bool
	deferMu  sync.RWMutex
	noDefer  bool           // Close began: DeferGuard does nothing
	deferred sync.WaitGroup // DeferGuard's updates still running
}

var _ store.Store = (*Store)(nil)

// Open connects to Redis and checks the connection with PING.
func Open(ctx context.Context, opts Options) (*Store, error) {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis store: the key prefix %q contains a brace", prefix)
	}
	s := &Store{client: opts.Client, prefix: prefix}
	where := "the given client"
	if s.client == nil {
		url := opts.URL
		if url == "" {
			url = DefaultURL
		}
		o, err := redis.ParseURL(url)
		if err != nil {
			return nil, badURL(url, err)
		}
		s.client, s.owned = redis.NewClient(o), true
		where = o.Addr
	} else if opts.URL != "" {
		return nil, errors.New("redis store: set URL or Client, not both")
	}
	fail := func(err error) (*Store, error) {
		if s.owned {
			s.client.Close()
		}
		return nil, err
	}
	s.ops = s.client
	_, s.cluster = s.client.(*redis.ClusterClient)
	if opts.AutoPipeline {
		// Full duplex rather than go-redis's default of one batch per round
		// trip: otp serve's create+check pairs on loopback went from about
		// 4,000 to 5,000 a second with it (bench/serve.sh), as a request's
		// calls no longer wait for the batch ahead of them to come back.
		ap, err := s.client.AutoPipelineWithOptions(&redis.AutoPipelineOptions{FullDuplex: true})
		if err != nil {
			return fail(fmt.Errorf("redis store: autopipelining: %w", err))
		}
		s.ops = ap
	}
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fail(fmt.Errorf("redis store: connect to %s: %w", where, err))
	}
	return s, nil
}

// key is the number's key, with the number as its hash tag.
func (s *Store) key(number string) string { return s.prefix + "{" + number + "}" }

// check returns the error that stops an operation before it starts: a
// closed store, a done context, or a time the record format cannot hold.
func (s *Store) check(ctx context.Context, times ...time.Time) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	for _, t := range times {
		if ms := msOf(t); ms < 0 || ms > maxMs {
			return fmt.Errorf("redis store: the time %s is outside the years 1970 to 9999", t.UTC().Format(time.RFC3339))
		}
	}
	return ctx.Err()
}

// fail wraps an error of operation op on number's key, mapping the scripts'
// report of a damaged value to [store.ErrCorrupt].
func (s *Store) fail(op, number string, err error) error {
	if redis.HasErrorPrefix(err, "OTPCORRUPT") {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "ERR "), "OTPCORRUPT ")
		return fmt.Errorf("redis store: %s %s: %w: %s", op, s.key(number), store.ErrCorrupt, msg)
	}
	if s.closed.Load() && errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("redis store: %s: %w", op, store.ErrClosed)
	}
	if number == "" {
		return fmt.Errorf("redis store: %s: %w", op, err)
	}
	return fmt.Errorf("redis store: %s %s: %w", op, number, err)
}

// ints reads a script's integer array reply of length n.
func ints(cmd *redis.Cmd, n int) ([]int64, error) {
	v, err := cmd.Int64Slice()
	if err != nil {
		return nil, err
	}
	if len(v) != n {
		return nil, fmt.Errorf("script replied with %d values, want %d", len(v), n)
	}
	return v, nil
}

// Issue implements [store.Store].
func (s *Store) Issue(ctx context.Context, req store.IssueRequest) (store.IssueResult, error) {
	if err := s.check(ctx, req.Now, req.ExpiresAt); err != nil {
		return store.IssueResult{}, err
	}
	p := req.Policy
	v, err := ints(issueScript.Run(ctx, s.ops, []string{s.key(req.Number)},
		msOf(req.Now), hex.EncodeToString(req.Hash), msOf(req.ExpiresAt),
		durMs(p.ResendAfter), max(p.MaxSends, 0), durMs(p.SendWindow), durMs(p.Lockout)), 5)
	if err != nil {
		return store.IssueResult{}, s.fail("issue", req.Number, err)
	}
	return store.IssueResult{
		Outcome:   store.IssueOutcome(v[0]),
		SentAt:    timeOf(v[1]),
		RetryAt:   timeOf(v[2]),
		NextAt:    timeOf(v[3]),
		SendsLeft: int(v[4]),
	}, nil
}

// Check implements [store.Store].
func (s *Store) Check(ctx context.Context, req store.CheckRequest) (store.CheckResult, error) {
	if err := s.check(ctx, req.Now); err != nil {
		return store.CheckResult{}, err
	}
	p := req.Policy
	v, err := ints(checkScript.Run(ctx, s.ops, []string{s.key(req.Number)},
		msOf(req.Now), hex.EncodeToString(req.Hash), max(p.MaxAttempts, 0), durMs(p.Lockout),
		durMs(p.ResendAfter), durMs(p.SendWindow)), 3)
	if err != nil {
		return store.CheckResult{}, s.fail("check", req.Number, err)
	}
	return store.CheckResult{
		Outcome:      store.CheckOutcome(v[0]),
		AttemptsLeft: int(v[1]),
		LockedUntil:  timeOf(v[2]),
	}, nil
}

// Cancel implements [store.Store].
func (s *Store) Cancel(ctx context.Context, req store.CancelRequest) error {
	if err := s.check(ctx, req.SentAt); err != nil {
		return err
	}
	err := cancelScript.Run(ctx, s.ops, []string{s.key(req.Number)},
		hex.EncodeToString(req.Hash), msOf(req.SentAt)).Err()
	if err != nil {
		return s.fail("cancel", req.Number, err)
	}
	return nil
}

// Get implements [store.Store].
func (s *Store) Get(ctx context.Context, number string) (store.Record, bool, error) {
	if err := s.check(ctx); err != nil {
		return store.Record{}, false, err
	}
	v, err := s.ops.Get(ctx, s.key(number)).Result()
	if errors.Is(err, redis.Nil) {
		return store.Record{}, false, nil
	}
	if err != nil {
		if redis.HasErrorPrefix(err, "WRONGTYPE") {
			err = fmt.Errorf("%w: the key holds another type of value", store.ErrCorrupt)
		}
		return store.Record{}, false, fmt.Errorf("redis store: get %s: %w", s.key(number), err)
	}
	rec, err := decodeRecord(v)
	if err != nil {
		return store.Record{}, false, fmt.Errorf("redis store: get %s: %w", s.key(number), err)
	}
	return rec, true, nil
}

// Close implements [store.Store]. It closes the connection if [Open] made
// it from a URL, and leaves a client given in Options open.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		s.deferMu.Lock()
		s.noDefer = true
		s.deferMu.Unlock()
		s.deferred.Wait()
		s.closed.Store(true)
		if s.owned {
			s.errc = s.client.Close()
		}
	})
	return s.errc
}

// badURL reports a URL that cannot be used without repeating it: it may
// hold a password, and the parser's errors quote the whole URL (and, for a
// bad %-escape, part of it). Only the kind of mistake is said.
func badURL(raw string, err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		what := "it cannot be parsed"
		var esc neturl.EscapeError
		var host neturl.InvalidHostError
		switch {
		case errors.As(ue.Err, &esc):
			what = "it has a bad %-escape"
		case errors.As(ue.Err, &host):
			what = "its host is not valid"
		case strings.Contains(ue.Err.Error(), "port"):
			what = "its port is not valid"
		}
		return fmt.Errorf("redis store: bad url (not shown, it may hold a password): %s", what)
	}
	msg := err.Error()
	if u, perr := neturl.Parse(raw); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "[redacted]")
		}
	}
	return fmt.Errorf("redis store: bad url (not shown, it may hold a password): %s", strings.ReplaceAll(msg, raw, "[url]"))
}
