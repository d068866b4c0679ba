package redisstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"

	"github.com/otpkit/otpkit/store"
)

// model is the reference the Lua scripts are compared with: the Go rules of
// store.Record, plus what the Redis store adds, deleting a record it writes
// when nothing in it is live any more (its TTL would be zero).
type model struct {
	recs map[string]*store.Record
}

// horizonMs is the last millisecond anything in r is live under p, as the
// scripts compute it.
func horizonMs(r *store.Record, p store.Policy) int64 {
	var h int64
	if r.Hash != nil {
		h = msOf(r.ExpiresAt)
	}
	h = max(h, msOf(r.LockedUntil))
	if n := len(r.Sends); n > 0 {
		last := msOf(r.Sends[n-1])
		if w := durMs(p.SendWindow); w > 0 {
			h = max(h, last+w)
		} else if ra := durMs(p.ResendAfter); ra > 0 {
			h = max(h, last+ra)
		}
	}
	return h
}

func clone(r *store.Record) *store.Record {
	c := *r
	c.Hash = bytes.Clone(r.Hash)
	c.Sends = append([]time.Time(nil), r.Sends...)
	return &c
}

// apply runs fn on a copy of the number's record and stores the result as
// the Redis store does: only if it changed or fn says it writes (an issued
// code is always written), and deleted if dead at now.
func (m *model) apply(number string, now time.Time, p store.Policy, fn func(*store.Record) bool) {
	r := &store.Record{}
	if old := m.recs[number]; old != nil {
		r = clone(old)
	}
	before := clone(r)
	if write := fn(r); !write && before.Equal(r) {
		return
	}
	if horizonMs(r, p) <= msOf(now) {
		delete(m.recs, number)
	} else {
		m.recs[number] = r
	}
}

// TestScriptsFollowRecordRules runs random sequences of operations with
// random policies against the store and against the Go rules, and compares
// every result and, after every step, every record.
//
// Times move on a grid of whole minutes, so a key's TTL is either zero (the
// script deletes it at once) or at least a minute of real time: nothing
// expires in Redis while a sequence runs, and the comparison is exact.
func TestScriptsFollowRecordRules(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	numbers := []string{"+12015550131", "+12015550132", "+12015550133"}
	codes := [][]byte{hash("a"), hash("b"), hash("c"), nil}
	durs := []time.Duration{-time.Minute, 0, time.Minute, 2 * time.Minute, 10 * time.Minute, time.Hour, 90 * time.Minute}
	steps := []time.Duration{0, 0, time.Minute, time.Minute, 2 * time.Minute, 5 * time.Minute, 30 * time.Minute, 61 * time.Minute, -time.Minute}
	seeds := 24
	if testing.Short() {
		seeds = 4
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			pick := func(d []time.Duration) time.Duration { return d[rng.IntN(len(d))] }
			s := openTest(t, testPrefix(t))
			m := &model{recs: map[string]*store.Record{}}
			policies := make([]store.Policy, 3)
			for i := range policies {
				policies[i] = store.Policy{
					MaxAttempts: rng.IntN(5) - 1,
					Lockout:     pick(durs),
					ResendAfter: pick(durs),
					MaxSends:    rng.IntN(5) - 1,
					SendWindow:  pick(durs),
				}
			}
			now := testclock.Base().Truncate(time.Millisecond)
			lastSent := map[string]time.Time{}
			for step := range 300 {
				now = now.Add(pick(steps))
				if rng.IntN(20) == 0 { // now and then the clock steps back
					now = now.Add(-pick(durs) - time.Hour)
				}
				if rng.IntN(3) == 0 {
					// Jump to a boundary: a code's expiry, a lock's end, a
					// send leaving the window or the cooldown.
					if b := m.boundaries(now, policies[0]); len(b) > 0 {
						now = b[rng.IntN(len(b))]
					}
				}
				p := policies[0]
				if rng.IntN(8) == 0 { // now and then the limits change
					p = policies[1+rng.IntN(2)]
				}
				number := numbers[rng.IntN(len(numbers))]
				code := codes[rng.IntN(len(codes))]
				where := fmt.Sprintf("step %d at +%v, %s, policy %+v", step, now.Sub(testclock.Base().Truncate(time.Millisecond)), number, p)
				op := rng.IntN(12)
				where += fmt.Sprintf(", op %d", op)
				switch {
				case op < 4:
					req := store.IssueRequest{Number: number, Hash: code, Now: now, ExpiresAt: now.Add(pick(durs)), Policy: p}
					// Every other step's send is guarded: the guard's script
					// (casIssueLua) must follow the same rules as Issue's.
					call, issue := "Issue", s.Issue
					if step%2 == 1 {
						call, issue = "IssueGuarded", func(ctx context.Context, req store.IssueRequest) (store.IssueResult, error) {
							return s.IssueGuarded(ctx, req, countOn(now, "n:"+number))
						}
					}
					got, err := issue(ctx, req)
					if err != nil {
						t.Fatalf("%s: %s: %v", where, call, err)
					}
					var want store.IssueResult
					m.apply(number, now, p, func(r *store.Record) bool {
						want = r.Issue(req)
						return want.Outcome == store.Issued
					})
					if !sameIssue(got, want) {
						t.Fatalf("%s: %s = %+v, rules say %+v", where, call, got, want)
					}
					if got.Outcome == store.Issued {
						lastSent[number] = got.SentAt
					}
				case op < 8:
					req := store.CheckRequest{Number: number, Hash: code, Now: now, Policy: p}
					got, err := s.Check(ctx, req)
					if err != nil {
						t.Fatalf("%s: Check: %v", where, err)
					}
					var want store.CheckResult
					m.apply(number, now, p, func(r *store.Record) bool {
						want = r.Check(req)
						return false
					})
					if got.Outcome != want.Outcome || got.AttemptsLeft != want.AttemptsLeft || !got.LockedUntil.Equal(want.LockedUntil) {
						t.Fatalf("%s: Check = %+v, rules say %+v", where, got, want)
					}
				case op < 9:
					req := store.CancelRequest{Number: number, Hash: code, SentAt: lastSent[number]}
					if rng.IntN(3) == 0 {
						req.SentAt = now
					}
					if err := s.Cancel(ctx, req); err != nil {
						t.Fatalf("%s: Cancel: %v", where, err)
					}
					if old := m.recs[number]; old != nil {
						r := clone(old)
						if r.Cancel(req) {
							if r.Hash == nil && r.LockedUntil.IsZero() && len(r.Sends) == 0 {
								delete(m.recs, number)
							} else {
								m.recs[number] = r
							}
						}
					}
				default:
					req := store.PurgeRequest{Now: now, Policy: p}
					got, err := s.Purge(ctx, req)
					if err != nil {
						t.Fatalf("%s: Purge: %v", where, err)
					}
					want := 0
					for k, r := range m.recs {
						r = clone(r)
						before := clone(r)
						cleared, empty := r.Purge(req)
						switch {
						case empty:
							delete(m.recs, k)
						case !before.Equal(r):
							m.recs[k] = r
						}
						if cleared || empty {
							want++
						}
					}
					if got != want {
						t.Fatalf("%s: Purge = %d, rules say %d", where, got, want)
					}
				}
				for _, n := range numbers {
					got, ok, err := s.Get(ctx, n)
					if err != nil {
						t.Fatalf("%s: Get(%s): %v", where, n, err)
					}
					want := m.recs[n]
					if ok != (want != nil) {
						t.Fatalf("%s: Get(%s) ok = %v, rules say %v (%+v)", where, n, ok, want != nil, want)
					}
					if ok && !got.Equal(want) {
						t.Fatalf("%s: Get(%s) = %+v, rules say %+v", where, n, got, *want)
					}
				}
			}
		})
	}
}

// boundaries lists the times at or after now when something in a record
// lapses under p.
func (m *model) boundaries(now time.Time, p store.Policy) []time.Time {
	var b []time.Time
	add := func(t time.Time) {
		if !t.Before(now) {
			b = append(b, t)
		}
	}
	for _, r := range m.recs {
		add(r.ExpiresAt)
		add(r.LockedUntil)
		for _, s := range r.Sends {
			add(s.Add(p.SendWindow))
			add(s.Add(p.ResendAfter))
		}
	}
	return b
}

func sameIssue(a, b store.IssueResult) bool {
	return a.Outcome == b.Outcome && a.SentAt.Equal(b.SentAt) && a.RetryAt.Equal(b.RetryAt) &&
		a.NextAt.Equal(b.NextAt) && a.SendsLeft == b.SendsLeft
}

// hash is a stand-in for a code's keyed hash: 32 bytes.
func hash(code string) []byte {
	return []byte(fmt.Sprintf("%-32s", "hash-of-"+code))[:32]
}
