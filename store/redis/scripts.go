package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts below are the rules of store/record.go ([store.Record]
// Issue, Check, Cancel and Purge), rewritten for Redis so that each state
// change is one atomic script run by the server: one round trip, and no other
// client can see or change the record in between. They must behave exactly
// as the Go rules; the tests compare them step by step with memstore.
//
// A record is one string value (see record.go for the format). Times are
// integer Unix milliseconds (Lua numbers are doubles, exact to 2^53) and 0
// means none; durations are milliseconds, and zero or negative turns a limit
// off. Every write sets the key's TTL to the time the record stops holding
// anything live, counted from the request's clock (see [Store]), and deletes
// the key when nothing is live.
//
// A damaged value is reported as an error reply starting with OTPCORRUPT and
// left as it is.

// luaPrelude is shared by all scripts: loading, saving and the shared rules.
const luaPrelude = `
local key = KEYS[1]

local function int(s)
  if #s > 15 then return nil end
  return tonumber(s)
end

-- load returns the record (a fresh one if the key is absent) and whether the
-- key exists, or nil and the reason when the value is damaged.
local function load()
  local v = redis.pcall('GET', key)
  if type(v) == 'table' then
    return nil, 'the key holds another type of value'
  end
  if not v then
    return {h = '', x = 0, u = 0, a = 0, l = 0, s = {}}, false
  end
  local x, u, a, l, s, h = string.match(v, '^v1|(%d+)|([01])|(%d+)|(%d+)|([%d,]*)|([0-9a-f]*)$')
  if not x then return nil, 'not an otpkit record' end
  local r = {h = h, x = int(x), u = tonumber(u), a = int(a), l = int(l), s = {}}
  if not r.x or not r.a or not r.l or #h % 2 ~= 0 then return nil, 'bad field' end
  if s ~= '' then
    for part in string.gmatch(s .. ',', '([^,]*),') do
      local t = part ~= '' and int(part)
      if not t then return nil, 'bad send time' end
      r.s[#r.s + 1] = t
    end
  end
  return r, true
end

local function damaged(why)
  return redis.error_reply('OTPCORRUPT ' .. why)
end

local function encode(r)
  local s = {}
  for i = 1, #r.s do s[i] = string.format('%d', r.s[i]) end
  return string.format('v1|%d|%d|%d|%d|%s|%s', r.x, r.u, r.a, r.l, table.concat(s, ','), r.h)
end

-- horizon is the last time anything in the record is live under the policy:
-- the code's expiry, the end of a lock, and the last send plus the window
-- (or, without a window, plus the cooldown), after which pruning forgets it.
local function horizon(r, resend, window)
  local h = 0
  if r.h ~= '' then h = r.x end
  if r.l > h then h = r.l end
  local n = #r.s
  if n > 0 then
    local t = 0
    if window > 0 then t = r.s[n] + window elseif resend > 0 then t = r.s[n] + resend end
    if t > h then h = t end
  end
  return h
end

-- save writes the record with a TTL up to its horizon, or deletes the key
-- when nothing in it is live any more.
local function save(r, exists, now, resend, window)
  local h = horizon(r, resend, window)
  if h <= now then
    if exists then redis.call('DEL', key) end
  else
    redis.call('SET', key, encode(r), 'PX', string.format('%d', h - now))
  end
end

-- prune is Record.pruneSends; it reports whether it dropped anything.
local function prune(r, now, resend, window)
  local s, n = r.s, #r.s
  if window <= 0 then
    if n > 1 then s = {s[n]} end
    if #s == 1 and (resend <= 0 or not (now < s[1] + resend)) then s = {} end
  else
    local cut, i = now - window, 1
    while i <= n and not (s[i] > cut) do i = i + 1 end
    if i > 1 then
      local t = {}
      for j = i, n do t[#t + 1] = s[j] end
      s = t
    end
  end
  r.s = s
  return #s ~= n
end
`

// issueScript is Record.Issue.
// ARGV: now, hash (hex), expires at, resend after, max sends, send window.
// Reply: outcome, sent at, retry at, next at, sends left.
var issueScript = redis.NewScript(luaPrelude + `
local now, hash, exp = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local resend, maxSends, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local r, exists = load()
if not r then return damaged(exists) end
local dirty = prune(r, now, resend, window)
local outcome, retry = 0, 0
if now < r.l then
  outcome, retry = 1, r.l
else
  local n = #r.s
  if n > 0 and resend > 0 and now < r.s[n] + resend then
    outcome, retry = 2, r.s[n] + resend
  end
  if maxSends > 0 and n >= maxSends and window > 0 then
    -- The send that frees a place is the (n-maxSends+1)th oldest.
    local t = r.s[n - maxSends + 1] + window
    if t > retry then outcome, retry = 3, t end
  end
end
if outcome ~= 0 then
  if dirty then save(r, exists, now, resend, window) end
  return {outcome, 0, retry, 0, 0}
end
r.h, r.x, r.u, r.a, r.l = hash, exp, 0, 0, 0
r.s[#r.s + 1] = now
if maxSends > 0 and #r.s > maxSends then
  local t = {}
  for j = #r.s - maxSends + 1, #r.s do t[#t + 1] = r.s[j] end
  r.s = t
end
local nextAt, left = 0, -1
if resend > 0 then nextAt = now + resend end
if maxSends > 0 and window > 0 then
  left = maxSends - #r.s
  if left <= 0 then
    local t = r.s[#r.s - maxSends + 1] + window
    if t > nextAt then nextAt = t end
  end
end
save(r, exists, now, resend, window)
return {0, now, 0, nextAt, left}
`)

// checkScript is Record.Check.
//
// The hashes are compared with Lua's ==. Lua interns strings, so == on two
// strings is a pointer compare; the bytes are compared (memcmp) only when
// the argument is interned and its Lua string hash and length collide with a
// string already held. Either way, both sides are keyed hashes (HMACs with
// the application's secret) that a caller cannot choose byte by byte, so the
// time a compare takes tells an attacker nothing about the stored hash, the
// same argument that makes comparing HMACs of both sides safe.
//
// ARGV: now, hash (hex), max attempts, lockout, resend after, send window.
// Reply: outcome, attempts left, locked until.
var checkScript = redis.NewScript(luaPrelude + `
local now, hash = tonumber(ARGV[1]), ARGV[2]
local maxAttempts, lockout = tonumber(ARGV[3]), tonumber(ARGV[4])
local resend, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local r, exists = load()
if not r then return damaged(exists) end
local function left()
  if maxAttempts <= 0 then return -1 end
  local n = maxAttempts - r.a
  if n < 0 then n = 0 end
  return n
end
if now < r.l then return {5, 0, r.l} end
if r.h == '' then return {4, left(), 0} end
if r.u == 1 then return {3, left(), 0} end
if not (now < r.x) then return {2, left(), 0} end
if r.h == hash then
  r.u = 1
  save(r, exists, now, resend, window)
  return {0, left(), 0}
end
r.a = r.a + 1
local n, locked = left(), 0
if n == 0 then
  r.h, r.a = '', 0
  if lockout > 0 then
    r.l = now + lockout
    locked = r.l
  end
end
save(r, exists, now, resend, window)
return {1, n, locked}
`)

// cancelScript is Record.Cancel. A cancel request carries no policy, so the
// key keeps the TTL of the send it withdraws (never too short: cancelling
// only removes things), and is deleted when nothing at all is left.
//
// ARGV: hash (hex), sent at. Reply: 1 if the record changed, else 0.
var cancelScript = redis.NewScript(luaPrelude + `
local hash, sentAt = ARGV[1], tonumber(ARGV[2])
local r, exists = load()
if not r then return damaged(exists) end
if r.h == '' or r.u == 1 or r.h ~= hash then return 0 end
r.h, r.a, r.x = '', 0, 0
for i = #r.s, 1, -1 do
  if r.s[i] == sentAt then
    table.remove(r.s, i)
    break
  end
end
if r.l == 0 and #r.s == 0 then
  redis.call('DEL', key)
else
  redis.call('SET', key, encode(r), 'KEEPTTL')
end
return 1
`)

// purgeScript is Record.Purge for one key.
// ARGV: now, resend after, send window. Reply: cleared, emptied (0 or 1).
var purgeScript = redis.NewScript(luaPrelude + `
local now, resend, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local r, exists = load()
if not r then return damaged(exists) end
if not exists then return {0, 0} end
local cleared, dirty = 0, false
if r.h ~= '' and (r.u == 1 or not (now < r.x)) then
  r.h, r.u, r.a, r.x = '', 0, 0, 0
  cleared, dirty = 1, true
end
if prune(r, now, resend, window) then dirty = true end
if not (now < r.l) and r.l ~= 0 then
  r.l, dirty = 0, true
end
if r.h == '' and r.l == 0 and #r.s == 0 then
  redis.call('DEL', key)
  return {cleared, 1}
end
if dirty then save(r, exists, now, resend, window) end
return {cleared, 0}
`)
