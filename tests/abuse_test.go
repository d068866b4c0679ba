package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
)

// TestAbuseProcesses: concurrent otp processes brute-forcing one number
// and flooding others with resends.
func TestAbuseProcesses(t *testing.T) {
	t.Parallel()
	workers, tries := 20, 6
	if long {
		workers, tries = 50, 20
	}
	for _, sc := range abuseScenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := newCLI(t, t.TempDir(), sc.limits)
			sc.run(t, c, func(int) client { return c }, workers, tries)
			s, err := filestore.Open(c.store, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sc.check(t, s)
		})
	}
}

// TestAbuseGoroutines: the same from 64 goroutines through one Service.
func TestAbuseGoroutines(t *testing.T) {
	t.Parallel()
	workers, tries := 64, 20
	if long {
		workers, tries = 64, 200
	}
	for _, sc := range abuseScenarios {
		t.Run(sc.name, func(t *testing.T) {
			s, err := filestore.Open(filepath.Join(t.TempDir(), "otp.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := newLib(t, s, sc.limits)
			sc.run(t, c, func(int) client { return c }, workers, tries)
			sc.check(t, s)
		})
	}
}

const target = "+12012000042" // the number under attack

type abuseScenario struct {
	name   string
	limits limits
	// run attacks through clients (setup runs through clientFor(0)).
	run func(t *testing.T, setup client, clientFor func(worker int) client, workers, tries int)
	// check looks at the store afterwards.
	check func(t *testing.T, s store.Store)
}

var abuseScenarios = []abuseScenario{
	{
		// Wrong codes and resends at once: exactly MaxAttempts-1 wrong tries
		// are answered "wrong code", exactly one more locks the number, and
		// nothing is sent or accepted after that, not even the right code.
		name:   "brute force",
		limits: defaults,
		run: func(t *testing.T, setup client, clientFor func(int) client, workers, tries int) {
			first := setup.send(target)
			if first.out != ok {
				t.Fatalf("first send: %v %s", first.out, first.detail)
			}
			right := setup.delivered()[first.id]
			guess := func(w, i int) string {
				// Distinct wrong codes, none the right one.
				n, _ := strconv.Atoi(right)
				return fmt.Sprintf("%06d", (n+1+w*tries+i)%1_000_000)
			}
			var mu sync.Mutex
			tally := map[string]int{}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					c := clientFor(w)
					for i := range tries {
						var op string
						var r reply
						if (i+w)%2 == 0 { // half the workers start with a send
							op, r = "verify", c.verify(target, guess(w, i))
						} else {
							op, r = "send", c.send(target)
						}
						key := op + ": " + r.out.String()
						if r.out == locked && op == "verify" && strings.Contains(r.detail, "no tries left") {
							key = "verify: locked by this try"
						}
						mu.Lock()
						tally[key]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			t.Logf("outcomes: %v", tally)
			want := defaults.maxAttempts - 1
			if tally["verify: wrong code"] != want || tally["verify: locked by this try"] != 1 {
				t.Errorf("%d tries answered wrong code and %d locked the number, want %d and 1",
					tally["verify: wrong code"], tally["verify: locked by this try"], want)
			}
			for k, n := range tally {
				switch k {
				case "verify: wrong code", "verify: locked by this try", "verify: locked", "send: locked", "send: rate limited":
				default:
					t.Errorf("%d times %q", n, k)
				}
			}
			if r := setup.verify(target, right); r.out != locked {
				t.Errorf("the right code after the lockout: %v %s, want locked", r.out, r.detail)
			}
			if r := setup.send(target); r.out != locked {
				t.Errorf("a send after the lockout: %v %s, want locked", r.out, r.detail)
			}
			if n := len(setup.delivered()); n != 1 {
				t.Errorf("%d messages delivered, want only the first", n)
			}
		},
		check: func(t *testing.T, s store.Store) {
			rec, _, err := s.Get(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Hash != nil || !rec.Locked(testclock.Base()) || len(rec.Sends) != 1 {
				t.Errorf("record after the attack: code kept %v, locked %v, %d sends; want the code burned, the number locked, 1 send",
					rec.Hash != nil, rec.Locked(testclock.Base()), len(rec.Sends))
			}
		},
	},
	{
		// Resends at once to one number: the cooldown lets exactly one through.
		name:   "resend flood, cooldown",
		limits: defaults,
		run: func(t *testing.T, setup client, clientFor func(int) client, workers, tries int) {
			sendFlood(t, setup, clientFor, workers, max(tries/4, 2), 1)
		},
		check: func(t *testing.T, s store.Store) { checkSends(t, s, 1) },
	},
	{
		// Without a cooldown, the window lets exactly MaxSends through.
		name:   "resend flood, sends per window",
		limits: limits{maxAttempts: 5, lockout: 10 * time.Minute, maxSends: 5, sendWindow: time.Hour},
		run: func(t *testing.T, setup client, clientFor func(int) client, workers, tries int) {
			sendFlood(t, setup, clientFor, workers, max(tries/4, 2), 5)
		},
		check: func(t *testing.T, s store.Store) { checkSends(t, s, 5) },
	},
}

// sendFlood has every worker send to target tries times at once, and
// checks that exactly want sends went out and the rest were rate limited.
func sendFlood(t *testing.T, setup client, clientFor func(int) client, workers, tries, want int) {
	var mu sync.Mutex
	tally := map[outcome]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := clientFor(w)
			for range tries {
				r := c.send(target)
				mu.Lock()
				tally[r.out]++
				mu.Unlock()
				if r.out != ok && r.out != rateLimited {
					t.Errorf("send: %v %s", r.out, r.detail)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("outcomes: %v", tally)
	if tally[ok] != want || tally[rateLimited] != workers*tries-want {
		t.Errorf("%d sends went out and %d were rate limited, want %d and %d", tally[ok], tally[rateLimited], want, workers*tries-want)
	}
	if n := len(setup.delivered()); n != want {
		t.Errorf("%d messages delivered, want %d", n, want)
	}
}

func checkSends(t *testing.T, s store.Store, want int) {
	rec, _, err := s.Get(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Sends) != want {
		t.Errorf("%d sends recorded, want %d", len(rec.Sends), want)
	}
}
