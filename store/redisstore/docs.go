package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/store"
)

// Documents ([store.DocStore]) live beside the records, under the prefix:
// each in a string key <prefix>doc:{<kind>}:<id>, and each kind's ids in a
// sorted set <prefix>docs:{<kind>} (all scores 0, so ZRANGEBYLEX lists them
// in id order). The kind is the hash tag, so a kind's keys share one Redis
// Cluster slot and each change of a document and its index is one script.
// Purge and the record keys never match them (records are <prefix>{...}).

var _ store.DocStore = (*Store)(nil)

// docPutLua sets a document and indexes it.
// KEYS: doc, index. ARGV: id, doc.
const docPutLua = `
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
`

// docSwapLua replaces a document if it is as expected.
// KEYS: doc, index. ARGV: id, "1" if an old document is expected, old,
// "1" to write (else delete), doc. Returns 1 if it swapped.
const docSwapLua = `
local cur = redis.call('GET', KEYS[1])
if ARGV[2] == '1' then
  if cur == false or cur ~= ARGV[3] then return 0 end
elseif cur ~= false then
  return 0
end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[1], ARGV[5])
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
`

// docDeleteLua deletes a document and its index entry.
// KEYS: doc, index. ARGV: id. Returns 1 if there was one.
const docDeleteLua = `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`

var (
	docPutScript    = redis.NewScript(docPutLua)
	docSwapScript   = redis.NewScript(docSwapLua)
	docDeleteScript = redis.NewScript(docDeleteLua)
)

// docKeys returns the keys of a document and of its kind's index.
func (s *Store) docKeys(kind, id string) []string {
	return []string{s.prefix + "doc:{" + kind + "}:" + id, s.prefix + "docs:{" + kind + "}"}
}

// docCheck is check plus the key and size checks of every document call.
func (s *Store) docCheck(ctx context.Context, kind, id string, doc []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := store.CheckDocKey(kind, id); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	if err := store.CheckDoc(doc); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	return nil
}

// docFail wraps an error of a document call.
func (s *Store) docFail(op, kind, id string, err error) error {
	if s.closed.Load() && errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("redis store: %s: %w", op, store.ErrClosed)
	}
	return fmt.Errorf("redis store: %s %s %s: %w", op, kind, id, err)
}

// GetDoc implements [store.DocStore].
func (s *Store) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	if err := s.docCheck(ctx, kind, id, nil); err != nil {
		return nil, err
	}
	v, err := s.ops.Get(ctx, s.docKeys(kind, id)[0]).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("redis store: %s %s: %w", kind, id, store.ErrNotFound)
	case err != nil:
		return nil, s.docFail("get", kind, id, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// PutDoc implements [store.DocStore].
func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	if err := s.docCheck(ctx, kind, id, doc); err != nil {
		return err
	}
	if err := docPutScript.Run(ctx, s.ops, s.docKeys(kind, id), id, doc).Err(); err != nil {
		return s.docFail("put", kind, id, err)
	}
	return nil
}

// SwapDoc implements [store.DocStore]: the comparison and the write are one
// script.
func (s *Store) SwapDoc(ctx context.Context, kind, id string, old, doc []byte) (bool, error) {
	if err := s.docCheck(ctx, kind, id, doc); err != nil {
		return false, err
	}
	flag := func(b []byte) string {
		if b == nil {
			return "0"
		}
		return "1"
	}
	n, err := docSwapScript.Run(ctx, s.ops, s.docKeys(kind, id), id, flag(old), old, flag(doc), doc).Int()
	if err != nil {
		return false, s.docFail("swap", kind, id, err)
	}
	return n == 1, nil
}

// DeleteDoc implements [store.DocStore].
func (s *Store) DeleteDoc(ctx context.Context, kind, id string) error {
	if err := s.docCheck(ctx, kind, id, nil); err != nil {
		return err
	}
	n, err := docDeleteScript.Run(ctx, s.ops, s.docKeys(kind, id), id).Int()
	switch {
	case err != nil:
		return s.docFail("delete", kind, id, err)
	case n == 0:
		return fmt.Errorf("redis store: %s %s: %w", kind, id, store.ErrNotFound)
	}
	return nil
}

// ListDocs implements [store.DocStore]: ZRANGEBYLEX on the kind's index,
// then one MGET of those documents (one slot). A document deleted between
// the two is left out.
func (s *Store) ListDocs(ctx context.Context, kind, after string, limit int) ([]store.Doc, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := store.CheckDocList(kind, after, limit); err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	lo := "-"
	if after != "" {
		lo = "(" + after
	}
	index := s.docKeys(kind, "x")[1]
	ids, err := s.ops.ZRangeByLex(ctx, index, &redis.ZRangeBy{Min: lo, Max: "+", Count: int64(limit)}).Result()
	if err != nil {
		return nil, s.docFail("list", kind, after, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.docKeys(kind, id)[0]
	}
	vals, err := s.ops.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, s.docFail("list", kind, after, err)
	}
	out := make([]store.Doc, 0, len(ids))
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out = append(out, store.Doc{ID: ids[i], Data: []byte(str)})
		}
	}
	return out, nil
}
