package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/internal/guardcodec"
	"github.com/redis/go-redis/v9"
)

var (
	_ store.GuardStore    = (*Store)(nil)
	_ store.GuardDeferrer = (*Store)(nil)
	_ store.GuardIssuer   = (*Store)(nil)
)

// IssueGuarded implements [store.GuardIssuer]: the step joins the batch of
// this process's guard calls, and the batch's script issues the codes its
// steps let through, in the same atomic step as the entries' writes. On a
// Redis Cluster, whose records and guard entries live in different slots,
// it does nothing and returns an error wrapping [errors.ErrUnsupported]:
// the caller runs the step and Issue apart.
func (s *Store) IssueGuarded(ctx context.Context, req store.IssueRequest, step store.GuardStep) (store.IssueResult, error) {
	if s.cluster {
		return store.IssueResult{}, fmt.Errorf("redis store: a guarded issue on a Redis Cluster: %w", errors.ErrUnsupported)
	}
	if err := s.check(ctx, req.Now, req.ExpiresAt, step.Now); err != nil {
		return store.IssueResult{}, err
	}
	if len(step.Keys) == 0 {
		proceed, err := step.Fn(nil)
		if err != nil {
			return store.IssueResult{}, err
		}
		if !proceed {
			return store.IssueResult{Outcome: store.IssueRefused}, nil
		}
		return s.Issue(ctx, req)
	}
	r := &guardReq{ctx: ctx, now: step.Now, keys: step.Keys, issue: &req}
	r.fn = func(es []*store.GuardEntry) error {
		var err error
		r.proceed, err = step.Fn(es)
		return err
	}
	if err := s.runGuard(r); err != nil {
		return store.IssueResult{}, err
	}
	return r.res, nil
}

// DeferGuard implements [store.GuardDeferrer]: UpdateGuard without a
// caller waiting for it. It joins the queue of this process's guard calls
// and runs in the next batch, led by whoever leads it (a goroutine of its
// own only when no batch is running).
func (s *Store) DeferGuard(now time.Time, keys []string, fn func([]*store.GuardEntry) error) {
	s.deferMu.RLock()
	defer s.deferMu.RUnlock()
	if s.noDefer || s.check(context.Background(), now) != nil {
		return
	}
	if len(keys) == 0 {
		_ = fn(nil)
		return
	}
	s.deferred.Add(1)
	r := &guardReq{ctx: context.Background(), now: now, keys: keys, fn: fn}
	b := &s.guardBatch
	b.mu.Lock()
	b.queue = append(b.queue, r)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead {
		go s.leadGuard()
	}
}

// The guard's entries are string keys under the prefix with the hash tag
// {guard}, so that one script can change several of them in a Redis
// Cluster (they live in one slot), plus a sorted set indexing them by
// expiry for ScanGuard.
func (s *Store) guardKey(k string) string { return s.prefix + "{guard}:" + k }
func (s *Store) guardIndex() string       { return s.prefix + "{guard}index" }

// guardReq is one UpdateGuard waiting for its batch.
type guardReq struct {
	ctx  context.Context
	now  time.Time
	keys []string
	fn   func([]*store.GuardEntry) error
	err  error
	// wake says, once, false when its batch ran and true when it is to
	// run the next batch; nil for a DeferGuard call, which nobody awaits.
	wake chan bool

	// An IssueGuarded call also has the record's Issue, run by the batch's
	// script if fn lets it through (proceed), and its result.
	issue   *store.IssueRequest
	proceed bool
	res     store.IssueResult
	settled bool // res is final: the record refused the send
}

// guardBatcher group-commits UpdateGuard calls: the first caller to find no
// batch running becomes the leader and runs every queued call in one
// optimistic transaction; then, if calls queued meanwhile, it hands the
// lead to the first of them and returns, so no caller waits for more than
// the batch before its own and its own.
// The guard's entries are few and hot (a country's counter takes every send
// to it), so one transaction for many calls is what keeps Redis busy with
// work rather than with transactions run again.
type guardBatcher struct {
	mu      sync.Mutex
	queue   []*guardReq
	running bool
	// last is what this process last read or wrote under each key (""
	// for absent), with it decoded, used only by the running leader: a
	// batch starts from it and skips reading and decoding when it has
	// every key, and the compare-and-set proves it still right. Another
	// process's write makes that one try fail; the next reads afresh.
	last map[string]guardMemo
	// arena holds a batch's copies of entries for its calls, and lists
	// their lists, reset for each try (what last keeps is copied out).
	arena guardcodec.Arena
	lists guardcodec.Chunks[*store.GuardEntry]
	args  []any // the script's ARGV, reused
	// scratch is a try's per-key slices, reused (reuse).
	scratch struct {
		read             []string
		state, readState []store.GuardEntry
		lastNow          []time.Time
	}
}

// reuse returns *buf as n zero values, growing it if it is too short: a
// batch's scratch, used again by the next.
func reuse[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	b := (*buf)[:n]
	clear(b)
	return b
}

// guardMemo is a value of guardBatcher.last: the stored string and the
// entry it decodes to (the zero entry for ""). Neither is ever changed;
// a batch copies the entry before a call changes it.
type guardMemo struct {
	val string
	e   store.GuardEntry
}

// maxGuardCache bounds guardBatcher.last; past it, the cache starts again.
const maxGuardCache = 8192

// maxGuardTries bounds the optimistic retries of one batch when other
// clients keep changing the same entries.
const maxGuardTries = 200

// UpdateGuard implements [store.GuardStore]: read the keys, apply fn, and
// write with a script that compares each key with what was read; if
// another client changed one in between, nothing is written and the batch
// is run again. Calls made at the same time in this process share one
// batch.
func (s *Store) UpdateGuard(ctx context.Context, now time.Time, keys []string, fn func([]*store.GuardEntry) error) error {
	if err := s.check(ctx, now); err != nil {
		return err
	}
	if len(keys) == 0 {
		return fn(nil)
	}
	return s.runGuard(&guardReq{ctx: ctx, now: now, keys: keys, fn: fn})
}

// runGuard queues r for a batch and returns when a batch ran it.
func (s *Store) runGuard(r *guardReq) error {
	r.wake = make(chan bool, 1)
	b := &s.guardBatch
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if b.running {
		b.mu.Unlock()
		if lead := <-r.wake; !lead {
			return r.err
		}
		// The last leader handed over: r is first in the queue.
	} else {
		b.running = true
		b.mu.Unlock()
	}
	s.leadGuard()
	return r.err
}

// leadGuard runs the next batch of the queue, then hands the lead to the
// first call that queued meanwhile, if any (running stays true), or ends
// it. The caller set running, and its call, if any, is first in the queue.
func (s *Store) leadGuard() {
	b := &s.guardBatch
	b.mu.Lock()
	batch, rest := takeBatch(b.queue)
	b.queue = rest
	b.mu.Unlock()
	s.runGuardBatch(batch)
	for _, q := range batch {
		if q.wake != nil {
			q.wake <- false
		} else {
			s.deferred.Done()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case len(b.queue) == 0:
		b.running = false
	case b.queue[0].wake != nil:
		b.queue[0].wake <- true
	default: // a DeferGuard call: nobody waits to lead
		go s.leadGuard()
	}
}

// takeBatch splits queue into the next batch and what waits for the one
// after: a batch issues at most one code per number, so that each record's
// Issue in the script answers as it would alone. The first of queue is
// always in the batch.
func takeBatch(queue []*guardReq) (batch, rest []*guardReq) {
	var numbers map[string]bool
	for _, r := range queue {
		if r.issue != nil {
			if numbers[r.issue.Number] {
				rest = append(rest, r)
				continue
			}
			if numbers == nil {
				numbers = map[string]bool{}
			}
			numbers[r.issue.Number] = true
		}
		batch = append(batch, r)
	}
	return batch, rest
}

// runGuardBatch applies batch in one transaction, each call's fn on the
// entries as the calls before it left them. A call whose fn fails changes
// nothing; an error of the transaction fails every call. The codes of the
// IssueGuarded calls that fn lets through are issued by the same script;
// if a record refuses one, that call is settled with the record's answer
// and the batch is run again without it, so it counts nowhere.
func (s *Store) runGuardBatch(batch []*guardReq) {
	ctx := context.WithoutCancel(batch[0].ctx)
	var rkeys []string
	index := map[string]int{}
	for _, r := range batch {
		for _, k := range r.keys {
			if _, ok := index[k]; !ok {
				index[k] = len(rkeys)
				rkeys = append(rkeys, s.guardKey(k))
			}
		}
	}
	names := make([]string, len(rkeys))
	for k, i := range index {
		names[i] = k
	}
	// One try: read every key (from the cache of the last batch when it
	// has them all), apply the calls in order, and write with
	// casGuardScript (or casIssueScript, with codes to issue), which writes
	// only if no key changed since the read. One round trip, or two when a
	// key must be read, where WATCH, GET, MULTI/EXEC and UNWATCH took four.
	cache := &s.guardBatch.last
	forget := func() { // what it holds of these keys may be wrong
		for _, rk := range rkeys {
			delete(*cache, rk)
		}
	}
	// remember keeps vals and their entries es; changed says which of es
	// a call changed (those are in the step's arena: they are copied).
	remember := func(vals []string, es []store.GuardEntry, changed []time.Time) {
		if *cache == nil || len(*cache) > maxGuardCache {
			*cache = make(map[string]guardMemo)
		}
		for i, rk := range rkeys {
			m := guardMemo{val: vals[i]}
			switch {
			case m.val == "":
			case changed != nil && !changed[i].IsZero():
				m.e = es[i].Clone() // out of the step's arena
			default:
				m.e = es[i] // the last memo's, or decoded just now: its own
			}
			(*cache)[rk] = m
		}
	}
	step := func(fresh bool) (stepOutcome, error) {
		sc := &s.guardBatch.scratch
		read := reuse(&sc.read, len(rkeys))
		state := reuse(&sc.state, len(rkeys))
		var missing []int
		for i, rk := range rkeys {
			m, ok := (*cache)[rk]
			if fresh || !ok {
				missing = append(missing, i)
				continue
			}
			read[i], state[i] = m.val, m.e
		}
		cached := len(missing) < len(rkeys)
		if len(missing) > 0 {
			mk := make([]string, len(missing))
			for j, i := range missing {
				mk[j] = rkeys[i]
			}
			vals, err := s.ops.MGet(ctx, mk...).Result()
			if err != nil {
				return stepFailed, err
			}
			for j, v := range vals {
				str, _ := v.(string)
				i := missing[j]
				read[i] = str
				if str == "" {
					continue
				}
				d, err := guardcodec.Decode([]byte(str))
				if err != nil {
					delete(*cache, rkeys[i])
					return stepFailed, fmt.Errorf("guard entry %q: %w", names[i], err)
				}
				state[i] = d
			}
		}
		// What was read, decoded: the calls below replace state's entries
		// (never change them), so a copy of the slice keeps it.
		readState := reuse(&sc.readState, len(rkeys))
		copy(readState, state)
		lastNow := reuse(&sc.lastNow, len(rkeys))
		arena, lists := &s.guardBatch.arena, &s.guardBatch.lists
		arena.Reset()
		lists.Reset()
		var issues []*guardReq // the calls whose code the script issues
		for _, r := range batch {
			if r.settled {
				continue
			}
			r.err = r.ctx.Err()
			if r.err != nil {
				continue
			}
			entries := lists.Take(len(r.keys))
			for j, k := range r.keys {
				if e := &state[index[k]]; r.now.Before(e.Expires) {
					entries[j] = arena.Clone(e)
				} else {
					entries[j] = arena.Clone(&store.GuardEntry{})
				}
			}
			if r.err = r.fn(entries); r.err != nil {
				continue
			}
			for j, k := range r.keys {
				state[index[k]] = *entries[j]
				lastNow[index[k]] = r.now
			}
			if r.issue != nil {
				if r.proceed {
					issues = append(issues, r)
				} else {
					r.res = store.IssueResult{Outcome: store.IssueRefused}
				}
			}
		}
		// ARGV per key: what was read ("" if absent), then the action:
		// "k" keep, "d" delete, or "s" set to the value with the TTL in
		// ms, indexed under name at score; score 0 when the index has it
		// there already (the entry existed, with the same expiry), which
		// saves the script a ZADD for most writes: an entry's expiry moves
		// once a slot, not once a send.
		args := s.guardBatch.args[:0]
		defer func() { s.guardBatch.args = args[:0] }() // the next try's, once sent
		if len(issues) > 0 {
			args = append(args, len(rkeys), len(issues))
		}
		after := make([]string, len(rkeys)) // each key's value once written
		writes := 0
		for i, e := range state {
			action, val, ttl, score := "k", "", int64(0), int64(0)
			if now := lastNow[i]; !now.IsZero() {
				switch {
				case !now.Before(e.Expires):
					if read[i] != "" {
						action = "d"
					}
				default:
					if v := guardcodec.Encode(&e); string(v) != read[i] {
						action, val = "s", string(v)
						ttl, score = max(e.Expires.Sub(now).Milliseconds(), 1), e.Expires.UnixMilli()
						if read[i] != "" && readState[i].Expires.UnixMilli() == score {
							score = 0
						}
					}
				}
			}
			if action != "k" {
				writes++
			}
			after[i] = read[i]
			if action != "k" {
				after[i] = val
			}
			args = append(args, read[i], action, val, ttl, score, names[i])
		}
		if len(issues) == 0 {
			if writes == 0 && !cached {
				return stepDone, nil // read just now, nothing to write
			}
			// With nothing to write, the script only proves the cache right.
			ok, err := casGuardScript.Run(ctx, s.ops, append(rkeys, s.guardIndex()), args...).Int()
			if err != nil || ok != 1 {
				forget()
				if err != nil {
					return stepFailed, err
				}
				return stepConflict, nil
			}
			remember(after, state, lastNow)
			return stepDone, nil
		}
		keys := append(append(make([]string, 0, len(rkeys)+1+len(issues)), rkeys...), s.guardIndex())
		for _, r := range issues {
			req := r.issue
			p := req.Policy
			keys = append(keys, s.key(req.Number))
			args = append(args, msOf(req.Now), hex.EncodeToString(req.Hash), msOf(req.ExpiresAt),
				durMs(p.ResendAfter), max(p.MaxSends, 0), durMs(p.SendWindow), durMs(p.Lockout))
		}
		reply, err := casIssueScript.Run(ctx, s.ops, keys, args...).Result()
		if err != nil {
			forget()
			return stepFailed, err
		}
		vals, _ := reply.([]any)
		num := func(i int) int64 {
			if i < len(vals) {
				n, _ := vals[i].(int64)
				return n
			}
			return 0
		}
		switch {
		case len(vals) == 0: // 0: an entry changed
			forget()
			return stepConflict, nil
		case num(0) == 2: // records refused: settle them, and again without
			for i := 1; i+2 < len(vals); i += 3 {
				j := int(num(i)) - 1
				if j < 0 || j >= len(issues) {
					return stepFailed, fmt.Errorf("guarded issue script replied with record %d of %d", j+1, len(issues))
				}
				r := issues[j]
				r.settled = true
				if num(i+1) < 0 { // a damaged record: its call fails, the others go on
					msg, _ := vals[i+2].(string)
					r.err = fmt.Errorf("redis store: issue %s: %w: %s", s.key(r.issue.Number), store.ErrCorrupt, strings.TrimPrefix(msg, "OTPCORRUPT "))
					continue
				}
				r.res = store.IssueResult{Outcome: store.IssueOutcome(num(i + 1)), RetryAt: timeOf(num(i + 2))}
			}
			remember(read, readState, nil) // the script proved what was read
			return stepAgain, nil
		case num(0) == 1 && len(vals) == 1+5*len(issues):
			for j, r := range issues {
				at := 1 + 5*j
				r.res = store.IssueResult{
					Outcome: store.IssueOutcome(num(at)), SentAt: timeOf(num(at + 1)), RetryAt: timeOf(num(at + 2)),
					NextAt: timeOf(num(at + 3)), SendsLeft: int(num(at + 4)),
				}
			}
			remember(after, state, lastNow)
			return stepDone, nil
		default:
			return stepFailed, fmt.Errorf("guarded issue script replied %v", reply)
		}
	}
	for try := 0; ; {
		out, err := step(try > 0)
		switch {
		case out == stepDone:
			return
		case out == stepAgain:
			continue // not a conflict: from the cache, at once
		case out == stepConflict && try < maxGuardTries:
			// Another client won the race: back off a little, at random.
			try++
			time.Sleep(time.Duration(rand.IntN(1000*(min(try-1, 20)+1))) * time.Microsecond)
			continue
		case out == stepConflict:
			err = errors.New("too many conflicting writers")
		}
		for _, r := range batch {
			if !r.settled {
				r.err = fmt.Errorf("redis store: guard: %w", err)
			}
		}
		return
	}
}

// stepOutcome is what one try of a guard batch came to.
type stepOutcome int

const (
	stepDone     stepOutcome = iota // written (or nothing to write)
	stepConflict                    // another client changed an entry: try again from a fresh read
	stepAgain                       // records refused their codes: try again without them
	stepFailed                      // an error
)

// casGuardScript writes a batch of guard entries if none changed since it
// read them: KEYS are the entries, then the index; ARGV six per entry (see
// runGuardBatch). It answers 1 if it wrote, 0 if an entry had changed.
var casGuardScript = redis.NewScript(`
local n = #KEYS - 1
for i = 1, n do
	local cur = redis.call('GET', KEYS[i]) or ''
	if cur ~= ARGV[6*i-5] then return 0 end
end
for i = 1, n do
	local a = ARGV[6*i-4]
	if a == 'd' then
		redis.call('DEL', KEYS[i])
		redis.call('ZREM', KEYS[#KEYS], ARGV[6*i])
	elseif a == 's' then
		redis.call('SET', KEYS[i], ARGV[6*i-3], 'PX', ARGV[6*i-2])
		if ARGV[6*i-1] ~= '0' then redis.call('ZADD', KEYS[#KEYS], ARGV[6*i-1], ARGV[6*i]) end
	end
end
return 1
`)

// ScanGuard implements [store.GuardStore]: the index lists the live keys.
func (s *Store) ScanGuard(ctx context.Context, now time.Time, fn func(string, store.GuardEntry) error) error {
	if err := s.check(ctx, now); err != nil {
		return err
	}
	s.client.ZRemRangeByScore(ctx, s.guardIndex(), "-inf", fmt.Sprint(now.UnixMilli()))
	keys, err := s.client.ZRangeByScore(ctx, s.guardIndex(), &redis.ZRangeBy{Min: fmt.Sprint(now.UnixMilli() + 1), Max: "+inf"}).Result()
	if err != nil {
		return fmt.Errorf("redis store: guard index: %w", err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		batch := keys[:n]
		keys = keys[n:]
		rkeys := make([]string, n)
		for i, k := range batch {
			rkeys[i] = s.guardKey(k)
		}
		vals, err := s.client.MGet(ctx, rkeys...).Result()
		if err != nil {
			return fmt.Errorf("redis store: guard scan: %w", err)
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired since the index was read
			}
			e, err := guardcodec.Decode([]byte(str))
			if err != nil {
				return fmt.Errorf("redis store: guard entry %q: %w", batch[i], err)
			}
			if !now.Before(e.Expires) {
				continue
			}
			if err := fn(batch[i], e); err != nil {
				return err
			}
		}
	}
	return nil
}
