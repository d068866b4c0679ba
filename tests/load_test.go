package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
)

// TestLoadProcesses: 100 otp processes at once, each worker running a few
// in turn, send and verify on 1,000 numbers sharing one store file.
func TestLoadProcesses(t *testing.T) {
	t.Parallel()
	rounds := 2
	if long {
		rounds = 10
	}
	dir := t.TempDir()
	c := newCLI(t, dir, unlimited)
	tally := load(t, 100, rounds, func(int) client { return c })
	s, err := filestore.Open(c.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	tally.check(t, s, c.delivered())
	s.Close()
	checkBolt(t, c.store)
}

// TestLoadGoroutines: the same through the library, 64 goroutines sharing
// one Service on a file store, as a server does.
func TestLoadGoroutines(t *testing.T) {
	t.Parallel()
	rounds := 20
	if long {
		rounds = 200
	}
	path := filepath.Join(t.TempDir(), "otp.db")
	s, err := filestore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newLib(t, s, unlimited)
	load(t, 64, rounds, func(int) client { return c }).check(t, s, c.delivered())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkBolt(t, path)
}

// The numbers of the load: ten codes that every worker tries to verify,
// ten numbers that get only wrong tries, and the rest for sends and
// verifications, several workers on each.
const (
	loadNumbers = 1000
	sharedCodes = 10
	wrongOnly   = 10
	firstFree   = sharedCodes + wrongOnly
)

// loadTally is what the workers did, to check against the store.
type loadTally struct {
	mu        sync.Mutex
	sends     map[string]int // successful sends by number
	wrong     map[string]int // wrong tries that returned wrongCode, by number
	approved  map[string]int // approvals by message id
	shared    map[string]int // approvals of the shared codes, by number
	outcomes  map[string]int // "op: outcome" counts, for the log
	delivered int            // sends the clients reported, setup included
}

func (l *loadTally) add(f func()) { l.mu.Lock(); f(); l.mu.Unlock() }

// load runs workers workers at once; each verifies one shared code, makes
// one wrong try on a wrong-only number, and then rounds times sends a code
// to a number it shares with other workers, verifies it, and verifies it
// again (which must fail). Unexpected outcomes fail t.
func load(t *testing.T, workers, rounds int, clientFor func(worker int) client) *loadTally {
	l := &loadTally{sends: map[string]int{}, wrong: map[string]int{}, approved: map[string]int{}, shared: map[string]int{}, outcomes: map[string]int{}}
	seed := rand.Uint64()
	t.Logf("seed %d: %d workers, %d rounds", seed, workers, rounds)

	// Setup: one code to each shared and wrong-only number.
	setup := clientFor(0)
	ids := make([]string, firstFree)
	for i := range ids {
		r := setup.send(number(i))
		if r.out != ok {
			t.Fatalf("setup send to %s: %v %s", number(i), r.out, r.detail)
		}
		ids[i] = r.id
		l.sends[number(i)]++
		l.delivered++
	}
	codes := setup.delivered()

	unexpected := func(w int, op string, r reply) {
		t.Errorf("worker %d: %s: unexpected %v: %s", w, op, r.out, r.detail)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := clientFor(w)
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			count := func(op string, r reply) { l.add(func() { l.outcomes[op+": "+r.out.String()]++ }) }

			shared := number(w % sharedCodes)
			r := c.verify(shared, codes[ids[w%sharedCodes]])
			count("verify shared code", r)
			switch r.out {
			case ok:
				l.add(func() { l.shared[shared]++ })
			case noCode: // another worker's verification used it
			default:
				unexpected(w, "verify shared code", r)
			}

			wrongNum := number(sharedCodes + w%wrongOnly)
			r = c.verify(wrongNum, "0000000") // 7 digits: never a 6-digit code
			count("wrong try", r)
			if r.out != wrongCode {
				unexpected(w, "wrong try", r)
			} else {
				l.add(func() { l.wrong[wrongNum]++ })
			}

			for range rounds {
				to := number(firstFree + rng.IntN(loadNumbers-firstFree))
				r := c.send(to)
				count("send", r)
				if r.out != ok {
					unexpected(w, "send to "+to, r)
					continue
				}
				l.add(func() { l.sends[to]++; l.delivered++ })
				code := c.delivered()[r.id]
				if code == "" {
					t.Errorf("worker %d: send to %s returned message %q, which was not delivered", w, to, r.id)
					continue
				}
				for i := range 2 {
					v := c.verify(to, code)
					count(fmt.Sprintf("verify own code (%d)", i+1), v)
					switch v.out {
					case ok:
						l.add(func() { l.approved[r.id]++ })
					case wrongCode, noCode: // another worker's send replaced it, or its code was used
					default:
						unexpected(w, "verify "+to, v)
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("outcomes: %v", l.outcomes)
	return l
}

// check compares the tally with the store and with what was delivered.
func (l *loadTally) check(t *testing.T, s store.Store, delivered map[string]string) {
	t.Helper()
	ctx := context.Background()
	if len(delivered) != l.delivered {
		t.Errorf("%d messages delivered for %d successful sends", len(delivered), l.delivered)
	}
	for i := range sharedCodes {
		if n := l.shared[number(i)]; n != 1 {
			t.Errorf("shared code of %s approved %d times, want exactly once", number(i), n)
		}
	}
	for id, n := range l.approved {
		if n > 1 {
			t.Errorf("code of message %s approved %d times", id, n)
		}
	}
	sends, records := 0, 0
	for i := range loadNumbers {
		to := number(i)
		rec, found, err := s.Get(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			records++
		}
		sends += len(rec.Sends)
		if len(rec.Sends) != l.sends[to] {
			t.Errorf("%s: %d sends recorded, %d succeeded: lost updates", to, len(rec.Sends), l.sends[to])
		}
		if i >= sharedCodes && i < firstFree && rec.Attempts != l.wrong[to] {
			t.Errorf("%s: %d wrong tries recorded, %d made", to, rec.Attempts, l.wrong[to])
		}
	}
	t.Logf("%d records, %d sends, %d approvals of own codes", records, sends, len(l.approved))
}
