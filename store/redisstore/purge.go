package redisstore

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/store"
)

// purgeBatch is how many keys one SCAN step asks for and one pipeline of
// purge scripts carries.
const purgeBatch = 1000

// Purge implements [store.Store]. Redis TTLs already remove records once
// nothing in them is live, so Purge is rarely needed; it scans the keys under
// the prefix (on every master of a Redis Cluster) and applies the purge rule
// to each key atomically with one script, in pipelined batches. It counts
// the records it cleared a code from or removed.
//
// A damaged value under the prefix is left as it is: Purge goes on with the
// other keys and then returns its count with an error wrapping
// [store.ErrCorrupt].
func (s *Store) Purge(ctx context.Context, req store.PurgeRequest) (int, error) {
	if err := s.check(ctx, req.Now); err != nil {
		return 0, err
	}
	p := &purger{
		s:    s,
		args: []any{msOf(req.Now), durMs(req.Policy.ResendAfter), durMs(req.Policy.SendWindow), durMs(req.Policy.Lockout)},
	}
	if err := purgeScript.Load(ctx, s.client).Err(); err != nil {
		return 0, s.fail("purge", "", err)
	}
	var err error
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return p.scan(ctx, node) })
	case *redis.Ring:
		err = c.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error { return p.scan(ctx, node) })
	default:
		err = p.scan(ctx, s.client)
	}
	if err != nil {
		return p.n, s.fail("purge", "", err)
	}
	if p.damaged > 0 {
		return p.n, fmt.Errorf("redis store: purge: %w: %d damaged keys left as they are, such as %s: %s",
			store.ErrCorrupt, p.damaged, p.badKey, p.badWhy)
	}
	return p.n, nil
}

// purger is one Purge run; scan may run on several cluster nodes at once.
type purger struct {
	s    *Store
	args []any

	mu      sync.Mutex
	n       int
	damaged int
	badKey  string
	badWhy  string
}

// pattern is the SCAN pattern of the store's keys: the prefix, with glob
// characters escaped, and a hash tag.
func (s *Store) pattern() string {
	var b strings.Builder
	for _, r := range s.prefix {
		if strings.ContainsRune(`\*?[]^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteString("{*}")
	return b.String()
}

// scan purges the keys that node holds.
func (p *purger) scan(ctx context.Context, node redis.Cmdable) error {
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, p.s.pattern(), purgeBatch).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := p.batch(ctx, keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// batch runs the purge script on keys in one pipeline through the store's
// client, which routes each key to its node.
func (p *purger) batch(ctx context.Context, keys []string) error {
	pipe := p.s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		cmds[i] = purgeScript.EvalSha(ctx, pipe, []string{k}, p.args...)
	}
	pipe.Exec(ctx) // errors are read per command below
	n := 0
	for i, cmd := range cmds {
		err := cmd.Err()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// The server dropped its script cache since Purge loaded it.
			cmd = purgeScript.Run(ctx, p.s.client, []string{keys[i]}, p.args...)
			err = cmd.Err()
		}
		if err != nil && redis.HasErrorPrefix(err, "OTPCORRUPT") {
			p.mu.Lock()
			if p.damaged == 0 {
				p.badKey, p.badWhy = keys[i], strings.TrimPrefix(err.Error(), "OTPCORRUPT ")
			}
			p.damaged++
			p.mu.Unlock()
			continue
		}
		v, err := ints(cmd, 2)
		if err != nil {
			return err
		}
		if v[0] == 1 || v[1] == 1 {
			n++
		}
	}
	p.mu.Lock()
	p.n += n
	p.mu.Unlock()
	return nil
}
