package redisstore

import (
	"context"

	"github.com/otpkit/otpkit/store"
	"github.com/redis/go-redis/v9"
)

var _ store.Unlocker = (*Store)(nil)

// unlockLua is Record.Unlock.
// ARGV: now, resend after, send window. Reply: 1 if it lifted anything.
const unlockLua = luaPrelude + `
if not exists then return 0 end
local now, resend, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if l == 0 and a == 0 then return 0 end
l, a = 0, 0
save(now, resend, window)
return 1
`

var unlockScript = redis.NewScript(unlockLua)

// Unlock implements [store.Unlocker].
func (s *Store) Unlock(ctx context.Context, req store.UnlockRequest) (bool, error) {
	if err := s.check(ctx, req.Now); err != nil {
		return false, err
	}
	n, err := unlockScript.Run(ctx, s.ops, []string{s.key(req.Number)},
		msOf(req.Now), durMs(req.Policy.ResendAfter), durMs(req.Policy.SendWindow)).Int()
	if err != nil {
		return false, s.fail("unlock", req.Number, err)
	}
	return n == 1, nil
}
