package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/store"
)

var (
	base   = testclock.Base().Truncate(time.Millisecond)
	policy = store.Policy{MaxAttempts: 5, Lockout: 10 * time.Minute, ResendAfter: 30 * time.Second, MaxSends: 5, SendWindow: time.Hour}
)

const num = "+12015550141"

func issue(t *testing.T, s *Store, number, code string, now time.Time, ttl time.Duration, p store.Policy) store.IssueResult {
	t.Helper()
	res, err := s.Issue(context.Background(), store.IssueRequest{Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(ttl), Policy: p})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return res
}

func check(t *testing.T, s *Store, number, code string, now time.Time, p store.Policy) store.CheckResult {
	t.Helper()
	res, err := s.Check(context.Background(), store.CheckRequest{Number: number, Hash: hash(code), Now: now, Policy: p})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return res
}

// clients opens n stores on one prefix, each with its own connection pool,
// as n application servers would; every other one uses autopipelining.
func clients(t *testing.T, n int) []*Store {
	prefix := testPrefix(t)
	out := make([]*Store, n)
	for i := range out {
		out[i] = openWith(t, Options{Prefix: prefix, AutoPipeline: i%2 == 1})
	}
	return out
}

// run calls fn from g goroutines on each store at once and waits.
func run(stores []*Store, g int, fn func(s *Store)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range stores {
		for range g {
			wg.Go(func() {
				<-start
				fn(s)
			})
		}
	}
	close(start)
	wg.Wait()
}

func TestCrossClientApproveOnce(t *testing.T) {
	stores := clients(t, 8)
	for round := range 20 {
		now := base.Add(time.Duration(round) * time.Hour) // out of the last round's window
		code := fmt.Sprint(round)
		if res := issue(t, stores[round%8], num, code, now, 10*time.Minute, policy); res.Outcome != store.Issued {
			t.Fatalf("round %d: Issue = %v", round, res.Outcome)
		}
		var mu sync.Mutex
		counts := map[store.CheckOutcome]int{}
		run(stores, 4, func(s *Store) {
			res, err := s.Check(context.Background(), store.CheckRequest{Number: num, Hash: hash(code), Now: now.Add(time.Second), Policy: policy})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			counts[res.Outcome]++
			mu.Unlock()
		})
		if counts[store.Approved] != 1 || counts[store.CodeUsed] != 31 {
			t.Fatalf("round %d: 32 checks of one code from 8 clients: %v; want 1 Approved, 31 CodeUsed", round, counts)
		}
	}
}

func TestCrossClientWrongTriesNoneLost(t *testing.T) {
	stores := clients(t, 8)
	p := policy
	p.MaxAttempts = 12
	issue(t, stores[0], num, "right", base, 10*time.Minute, p)
	var mu sync.Mutex
	lefts := map[int]int{}
	locked := 0
	var lockedUntil time.Time
	run(stores, 8, func(s *Store) {
		res, err := s.Check(context.Background(), store.CheckRequest{Number: num, Hash: hash("wrong"), Now: base.Add(time.Second), Policy: p})
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch res.Outcome {
		case store.WrongCode:
			lefts[res.AttemptsLeft]++
			if res.AttemptsLeft == 0 {
				lockedUntil = res.LockedUntil
			}
		case store.NumberLocked:
			locked++
		default:
			t.Errorf("outcome %v", res.Outcome)
		}
	})
	for left := range p.MaxAttempts {
		if lefts[left] != 1 {
			t.Fatalf("64 wrong tries from 8 clients: attempts left %v; want each of 0..%d exactly once", lefts, p.MaxAttempts-1)
		}
	}
	if locked != 64-p.MaxAttempts {
		t.Fatalf("%d tries refused as locked, want %d", locked, 64-p.MaxAttempts)
	}
	if want := base.Add(time.Second + p.Lockout); !lockedUntil.Equal(want) {
		t.Fatalf("locked until %v, want %v", lockedUntil, want)
	}
	// The lock holds on every client, for checks (even of the right code) and sends.
	for i, s := range stores {
		if res := check(t, s, num, "right", base.Add(time.Minute), p); res.Outcome != store.NumberLocked || !res.LockedUntil.Equal(lockedUntil) {
			t.Fatalf("client %d: Check while locked = %+v", i, res)
		}
		if res := issue(t, s, num, "new", base.Add(time.Minute), 10*time.Minute, p); res.Outcome != store.IssueLocked || !res.RetryAt.Equal(lockedUntil) {
			t.Fatalf("client %d: Issue while locked = %+v", i, res)
		}
	}
}

func TestCrossClientSendLimits(t *testing.T) {
	stores := clients(t, 8)
	// 64 sends at one instant from 8 clients: one is issued, the cooldown
	// refuses the rest.
	var mu sync.Mutex
	counts := map[store.IssueOutcome]int{}
	run(stores, 8, func(s *Store) {
		res, err := s.Issue(context.Background(), store.IssueRequest{Number: num, Hash: hash("x"), Now: base, ExpiresAt: base.Add(time.Minute), Policy: policy})
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		counts[res.Outcome]++
		mu.Unlock()
	})
	if counts[store.Issued] != 1 || counts[store.IssueCooldown] != 63 {
		t.Fatalf("64 sends at once from 8 clients: %v; want 1 Issued, 63 IssueCooldown", counts)
	}
	// Brute-force resends, each client one after the cooldown: over an hour
	// no more than MaxSends go out in the window.
	issued := 1
	for i := 1; i <= 20; i++ {
		now := base.Add(time.Duration(i) * 31 * time.Second)
		run(stores, 2, func(s *Store) {
			res, err := s.Issue(context.Background(), store.IssueRequest{Number: num, Hash: hash("x"), Now: now, ExpiresAt: now.Add(time.Minute), Policy: policy})
			if err != nil {
				t.Error(err)
				return
			}
			if res.Outcome == store.Issued {
				mu.Lock()
				issued++
				mu.Unlock()
			}
		})
	}
	if issued != policy.MaxSends {
		t.Fatalf("resends within the window from 8 clients: %d issued, want MaxSends=%d", issued, policy.MaxSends)
	}
}

func TestTTL(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	lockOnly := store.Policy{MaxAttempts: 1, Lockout: 2 * time.Hour}
	tests := []struct {
		name string
		p    store.Policy
		ttl  time.Duration // of the code
		op   func(t *testing.T, s *Store, p store.Policy)
		want time.Duration // the key's TTL after op
	}{
		{"window outlives code", policy, 10 * time.Minute, nil, time.Hour},
		{"limits off: code expiry", store.Policy{}, 10 * time.Minute, nil, 10 * time.Minute},
		{"cooldown without window", store.Policy{ResendAfter: 90 * time.Second}, 20 * time.Second, nil, 90 * time.Second},
		{"lock", lockOnly, 10 * time.Minute, func(t *testing.T, s *Store, p store.Policy) {
			check(t, s, num, "wrong", base, p)
		}, 2 * time.Hour},
		{"used code lives to its expiry", store.Policy{}, 10 * time.Minute, func(t *testing.T, s *Store, p store.Policy) {
			check(t, s, num, "code", base.Add(4*time.Minute), p)
		}, 6 * time.Minute},
		{"cancel keeps the TTL", policy, 10 * time.Minute, func(t *testing.T, s *Store, p store.Policy) {
			res := issue(t, s, num, "second", base.Add(time.Minute), 10*time.Minute, p)
			if err := s.Cancel(ctx, store.CancelRequest{Number: num, Hash: hash("second"), SentAt: res.SentAt}); err != nil {
				t.Fatal(err)
			}
		}, time.Hour}, // set by the second send, relative to base+1m
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, testPrefix(t))
			issue(t, s, num, "code", base, tc.ttl, tc.p)
			if tc.op != nil {
				tc.op(t, s, tc.p)
			}
			pttl, err := s.client.PTTL(ctx, s.key(num)).Result()
			if err != nil {
				t.Fatal(err)
			}
			// Real time passes while the test runs: allow a few seconds.
			if pttl > tc.want || pttl < tc.want-5*time.Second {
				t.Fatalf("PTTL = %v, want %v", pttl, tc.want)
			}
		})
	}
}

func TestKeyGoesWhenNothingIsLive(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	off := store.Policy{MaxAttempts: 1}
	tests := []struct {
		name string
		op   func(t *testing.T, s *Store)
	}{
		{"burned code without lockout or limits", func(t *testing.T, s *Store) {
			issue(t, s, num, "code", base, time.Minute, off)
			if res := check(t, s, num, "wrong", base, off); res.Outcome != store.WrongCode || res.AttemptsLeft != 0 {
				t.Fatalf("Check = %+v", res)
			}
		}},
		{"cancelled only send", func(t *testing.T, s *Store) {
			res := issue(t, s, num, "code", base, time.Minute, policy)
			if err := s.Cancel(ctx, store.CancelRequest{Number: num, Hash: hash("code"), SentAt: res.SentAt}); err != nil {
				t.Fatal(err)
			}
		}},
		{"code already expired when issued", func(t *testing.T, s *Store) {
			if res := issue(t, s, num, "code", base, 0, off); res.Outcome != store.Issued {
				t.Fatalf("Issue = %+v", res)
			}
		}},
		{"purged after the window", func(t *testing.T, s *Store) {
			issue(t, s, num, "code", base, time.Minute, policy)
			if n, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(time.Hour), Policy: policy}); err != nil || n != 1 {
				t.Fatalf("Purge = %d, %v", n, err)
			}
		}},
		{"expired by Redis", func(t *testing.T, s *Store) {
			// TTLs are counted from the request's time, so a record issued
			// on the test clock lives 20 real milliseconds in Redis.
			now := testclock.Base()
			if _, err := s.Issue(ctx, store.IssueRequest{Number: num, Hash: hash("code"), Now: now, ExpiresAt: now.Add(20 * time.Millisecond), Policy: off}); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				n, err := s.client.Exists(ctx, s.key(num)).Result()
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the key is still there 10 s after its TTL")
				}
			}
			if res := check(t, s, num, "code", now.Add(time.Second), off); res.Outcome != store.NoCode {
				t.Fatalf("Check after Redis expired the key = %+v, want NoCode", res)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, testPrefix(t))
			tc.op(t, s)
			if n, err := s.client.Exists(ctx, s.key(num)).Result(); err != nil || n != 0 {
				t.Fatalf("EXISTS = %d, %v; want the key gone", n, err)
			}
			if _, ok, err := s.Get(ctx, num); ok || err != nil {
				t.Fatalf("Get = ok %v, err %v; want no record", ok, err)
			}
		})
	}
}

func TestKeyHasHashTag(t *testing.T) {
	prefix := testPrefix(t)
	s := openTest(t, prefix)
	issue(t, s, num, "code", base, time.Minute, policy)
	keys := keysLike(t, s.client, prefix+"*")
	if want := prefix + "{" + num + "}"; len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys = %q, want [%q]", keys, want)
	}
}

// keysLike lists the keys that match pattern.
func keysLike(t *testing.T, c redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestPattern(t *testing.T) {
	for prefix, want := range map[string]string{
		"otp:":         "otp:{*}",
		`a*b?c[d]e\f^`: `a\*b\?c\[d\]e\\f\^{*}`,
	} {
		if got := (&Store{prefix: prefix}).pattern(); got != want {
			t.Errorf("pattern of %q = %q, want %q", prefix, got, want)
		}
	}
}

// TestDamagedValue writes values the store did not write under a number's
// key: every operation fails with ErrCorrupt and leaves the value alone.
func TestDamagedValue(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	good := "v1|1795426800000|0|1|0|1795426200000,1795426230000|00ff"
	tests := []struct {
		name string
		set  func(c *redis.Client, key string) error
	}{
		{"garbage", setString("garbage")},
		{"empty", setString("")},
		{"other version", setString(strings.Replace(good, "v1", "v2", 1))},
		{"missing field", setString(good[:strings.LastIndex(good, "|")])},
		{"extra field", setString(good + "|x")},
		{"bad number", setString(strings.Replace(good, "|1|", "|x|", 1))},
		{"negative time", setString(strings.Replace(good, "|1795426800000|", "|-1795426800000|", 1))},
		{"huge number", setString(strings.Replace(good, "|1|", "|1234567890123456789|", 1))},
		{"huge send time", setString(strings.Replace(good, ",1795426230000|", ",1795426230000000|", 1))},
		{"huge first send time", setString(strings.Replace(good, "|1795426200000,", "|1795426200000000,", 1))},
		{"bad used flag", setString(strings.Replace(good, "|0|1|", "|2|1|", 1))},
		{"empty send", setString(strings.Replace(good, ",", ",,", 1))},
		{"trailing comma", setString(strings.Replace(good, "230000|", "230000,|", 1))},
		{"odd hash", setString(good + "0")},
		{"not hex", setString(strings.Replace(good, "00ff", "zz", 1))},
		{"uppercase hex", setString(strings.Replace(good, "00ff", "00FF", 1))},
		{"binary", setString("v1|\x00\xff")},
		{"list", func(c *redis.Client, key string) error { return c.RPush(ctx, key, "a", "b").Err() }},
		{"hash", func(c *redis.Client, key string) error { return c.HSet(ctx, key, "h", "x").Err() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, testPrefix(t))
			key := s.key(num)
			if err := tc.set(s.client.(*redis.Client), key); err != nil {
				t.Fatal(err)
			}
			before, err := s.client.Dump(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]func() error{
				"Issue": func() error {
					_, err := s.Issue(ctx, store.IssueRequest{Number: num, Hash: hash("c"), Now: base, ExpiresAt: base.Add(time.Minute), Policy: policy})
					return err
				},
				"IssueGuarded": func() error {
					_, err := s.IssueGuarded(ctx, store.IssueRequest{Number: num, Hash: hash("c"), Now: base, ExpiresAt: base.Add(time.Minute), Policy: policy}, countOn(base, "p:damaged"))
					return err
				},
				"Check": func() error {
					_, err := s.Check(ctx, store.CheckRequest{Number: num, Hash: hash("c"), Now: base, Policy: policy})
					return err
				},
				"Cancel": func() error {
					return s.Cancel(ctx, store.CancelRequest{Number: num, Hash: hash("c"), SentAt: base})
				},
				"Get": func() error {
					_, _, err := s.Get(ctx, num)
					return err
				},
				"Purge": func() error {
					_, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(24 * time.Hour), Policy: policy})
					return err
				},
			}
			for name, op := range ops {
				err := op()
				if !errors.Is(err, store.ErrCorrupt) {
					t.Fatalf("%s: err %v, want ErrCorrupt", name, err)
				}
				if !strings.Contains(err.Error(), key) {
					t.Errorf("%s: error %q does not name the key", name, err)
				}
			}
			after, err := s.client.Dump(ctx, key).Result()
			if err != nil || after != before {
				t.Fatalf("the damaged value was changed (err %v)", err)
			}
			if ttl, err := s.client.PTTL(ctx, key).Result(); err != nil || ttl != -1 {
				t.Fatalf("PTTL of the damaged value = %v, %v; want no TTL set", ttl, err)
			}
		})
	}
}

// TestValueFormat: the control for TestDamagedValue, a value written by
// hand in the documented format is read by Get and by the scripts alike.
func TestValueFormat(t *testing.T) {
	s := openTest(t, testPrefix(t))
	ctx := context.Background()
	// Code sent at base, expiring at base+10m, one wrong try so far.
	v := fmt.Sprintf("v1|%d|0|1|0|%d|%x", msOf(base.Add(10*time.Minute)), msOf(base), hash("right"))
	if err := s.client.Set(ctx, s.key(num), v, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	rec, ok, err := s.Get(ctx, num)
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if string(rec.Hash) != string(hash("right")) || !rec.ExpiresAt.Equal(base.Add(10*time.Minute)) || rec.Attempts != 1 ||
		rec.Used || !rec.LockedUntil.IsZero() || len(rec.Sends) != 1 || !rec.Sends[0].Equal(base) {
		t.Fatalf("Get = %+v", rec)
	}
	if res := check(t, s, num, "wrong", base.Add(time.Minute), policy); res.Outcome != store.WrongCode || res.AttemptsLeft != 3 {
		t.Fatalf("Check = %+v, want WrongCode with 3 left", res)
	}
	if res := check(t, s, num, "right", base.Add(time.Minute), policy); res.Outcome != store.Approved {
		t.Fatalf("Check = %+v, want Approved", res)
	}
}

func setString(v string) func(c *redis.Client, key string) error {
	return func(c *redis.Client, key string) error { return c.Set(context.Background(), key, v, 0).Err() }
}

// TestPurgeGoesOnPastDamage: a damaged key does not stop Purge from
// cleaning the others.
func TestPurgeGoesOnPastDamage(t *testing.T) {
	s := openTest(t, testPrefix(t))
	ctx := context.Background()
	for i := range 5 {
		issue(t, s, fmt.Sprintf("+1201555015%d", i), "c", base, time.Minute, policy)
	}
	if err := s.client.Set(ctx, s.key("+12015550160"), "garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(2 * time.Hour), Policy: policy})
	if n != 5 || !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "1 damaged") {
		t.Fatalf("Purge = %d, %v; want 5 and ErrCorrupt for 1 damaged key", n, err)
	}
	if keys := keysLike(t, s.client, s.pattern()); len(keys) != 1 || keys[0] != s.key("+12015550160") {
		t.Fatalf("keys left = %q, want only the damaged one", keys)
	}
}

// TestPurgeMany checks a purge that spans several SCAN batches and pipelines.
func TestPurgeMany(t *testing.T) {
	s := openTest(t, testPrefix(t))
	ctx := context.Background()
	const n = 2500
	for i := range n {
		// Half the codes are expired at purge time (base+15m), half are live.
		ttl := 10 * time.Minute
		if i%2 == 1 {
			ttl = 20 * time.Minute
		}
		issue(t, s, fmt.Sprintf("+1201555%04d", i), "c", base, ttl, store.Policy{})
	}
	got, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(15 * time.Minute)})
	if err != nil || got != n/2 {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n/2)
	}
	if keys := keysLike(t, s.client, s.pattern()); len(keys) != n/2 {
		t.Fatalf("%d keys left, want %d", len(keys), n/2)
	}
}

func TestOpen(t *testing.T) {
	needRedis(t)
	ctx := context.Background()
	t.Run("bad options", func(t *testing.T) {
		for _, opts := range []Options{
			{URL: "http://user:hunter2@localhost/"},
			{URL: "redis://user:hunter2@localhost:6379/notanumber"},
			{URL: testURL(), Prefix: "otp:{x}:"},
			{URL: testURL(), Client: testClient(t)},
		} {
			s, err := Open(ctx, opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%+v) succeeded", opts)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Open error %q shows the password or is not one line", err)
			}
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := Open(ctx, Options{URL: "redis://:hunter2@127.0.0.1:1/0"})
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("Open of a closed port: %v", err)
		}
	})
	t.Run("client is the caller's", func(t *testing.T) {
		c := testClient(t)
		prefix := testPrefix(t)
		s, err := Open(ctx, Options{Client: c, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		issue(t, s, num, "c", base, time.Minute, policy)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, num); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Get after Close: %v", err)
		}
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("the caller's client was closed with the store: %v", err)
		}
		if n, _ := c.Exists(ctx, prefix+"{"+num+"}").Result(); n != 1 {
			t.Fatal("the record is not under the given prefix")
		}
	})
	t.Run("default prefix", func(t *testing.T) {
		s := openTest(t, "")
		if s.prefix != DefaultPrefix || s.key(num) != "otp:{"+num+"}" {
			t.Fatalf("key = %q", s.key(num))
		}
	})
}

// TestScriptCacheFlushed: after SCRIPT FLUSH (a restart, a failover to a
// replica without the scripts) every operation loads its script again.
func TestScriptCacheFlushed(t *testing.T) {
	s := openTest(t, testPrefix(t))
	ctx := context.Background()
	flush := func() {
		t.Helper()
		if err := s.client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	res := issue(t, s, num, "c", base, time.Minute, policy)
	flush()
	if err := s.Cancel(ctx, store.CancelRequest{Number: num, Hash: hash("c"), SentAt: res.SentAt}); err != nil {
		t.Fatal(err)
	}
	flush()
	issue(t, s, num, "d", base.Add(time.Second), time.Minute, policy)
	flush()
	if got := check(t, s, num, "d", base.Add(2*time.Second), policy); got.Outcome != store.Approved {
		t.Fatalf("Check = %+v", got)
	}
	flush()
	if n, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(2 * time.Hour), Policy: policy}); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
}

// TestTimesOutOfRange: times the record format cannot hold are refused
// before anything is written.
func TestTimesOutOfRange(t *testing.T) {
	s := openTest(t, testPrefix(t))
	ctx := context.Background()
	for _, at := range []time.Time{time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := s.Issue(ctx, store.IssueRequest{Number: num, Hash: hash("c"), Now: at, ExpiresAt: base, Policy: policy}); err == nil || !strings.Contains(err.Error(), "1970 to 9999") {
			t.Errorf("Issue at %v: err %v", at, err)
		}
		if _, err := s.Issue(ctx, store.IssueRequest{Number: num, Hash: hash("c"), Now: base, ExpiresAt: at, Policy: policy}); err == nil {
			t.Errorf("Issue expiring at %v: no error", at)
		}
		if _, err := s.Check(ctx, store.CheckRequest{Number: num, Hash: hash("c"), Now: at, Policy: policy}); err == nil {
			t.Errorf("Check at %v: no error", at)
		}
		if err := s.Cancel(ctx, store.CancelRequest{Number: num, Hash: hash("c"), SentAt: at}); err == nil {
			t.Errorf("Cancel of a send at %v: no error", at)
		}
		if _, err := s.Purge(ctx, store.PurgeRequest{Now: at, Policy: policy}); err == nil {
			t.Errorf("Purge at %v: no error", at)
		}
	}
	if _, ok, err := s.Get(ctx, num); ok || err != nil {
		t.Fatalf("Get = %v, %v; want nothing written", ok, err)
	}
	// The last millisecond of 9999 works.
	last := time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)
	if res := issue(t, s, num, "c", last.Add(-time.Hour), time.Hour, policy); res.Outcome != store.Issued {
		t.Fatalf("Issue expiring at the end of 9999 = %+v", res)
	}
	if res := check(t, s, num, "c", last.Add(-time.Minute), policy); res.Outcome != store.Approved {
		t.Fatalf("Check near the end of 9999 = %+v", res)
	}
}
