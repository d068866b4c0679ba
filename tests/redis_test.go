package tests

import (
	"context"
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/otpkit/otpkit/store/redisstore"
)

// The load and abuse scenarios on Redis, as an application on two machines
// runs them: two Services, each on a Redis client of its own, sharing the
// records; the workers take turns between them.

func TestLoadRedisClients(t *testing.T) {
	t.Parallel()
	rounds := 20
	if long {
		rounds = 200
	}
	prefix := redistest.Prefix(t)
	a, b := openRedis(t, prefix), openRedis(t, prefix)
	ca, cb := newLib(t, a, unlimited), newLib(t, b, unlimited)
	tally := load(t, 64, rounds, func(w int) client { return []client{ca, cb}[w%2] })
	tally.check(t, a, both{ca, cb}.delivered())
}

func TestAbuseRedisClients(t *testing.T) {
	t.Parallel()
	workers, tries := 64, 20
	if long {
		tries = 200
	}
	for _, sc := range abuseScenarios {
		t.Run(sc.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			a, b := openRedis(t, prefix), openRedis(t, prefix)
			ca, cb := newLib(t, a, sc.limits), newLib(t, b, sc.limits)
			sc.run(t, both{ca, cb}, func(w int) client { return []client{ca, cb}[w%2] }, workers, tries)
			sc.check(t, b)
		})
	}
}

// both is the first client, except that delivered counts what either
// client's sender delivered.
type both struct{ a, b *libClient }

func (c both) send(to string) reply         { return c.a.send(to) }
func (c both) verify(to, code string) reply { return c.a.verify(to, code) }

func (c both) delivered() map[string]string {
	codes := c.a.delivered()
	for id, code := range c.b.delivered() {
		codes[id] = code
	}
	return codes
}

// openRedis returns a store on a Redis client of its own under prefix,
// closed when t ends: stores opened with one prefix share their records, as
// the servers of one application do.
func openRedis(t *testing.T, prefix string) *redisstore.Store {
	s, err := redisstore.Open(context.Background(), redisstore.Options{Client: redistest.Client(t), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
