package redisstore

import (
	"strings"

	"github.com/redis/go-redis/v9"
)

// The Lua scripts below are the rules of store/record.go ([store.Record]
// Issue, Check, Cancel and Purge), rewritten for Redis so that each state
// change is one atomic script run by the server: one round trip, and no other
// client can see or change the record in between. They must behave exactly
// as the Go rules; the tests compare them step by step with the Go rules.
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
//
// The scripts run tens of thousands of times a second on one Redis thread, so
// they are written for speed: the record lives in local variables, not a
// table, and the send times are parsed only by the scripts that change them
// (a check keeps the stored list as it is).

// luaPrelude loads the record into locals and defines save. It returns early
// with an OTPCORRUPT error if the value is not a record the scripts wrote.
const luaPrelude = `
local key = KEYS[1]
local v = redis.pcall('GET', key)
if type(v) == 'table' then
  return redis.error_reply('OTPCORRUPT the key holds another type of value')
end
local exists = v ~= false
-- h: hash (hex, '' for none), x: expires at, u: used (0/1), a: attempts,
-- l: locked until, s: send times as stored (comma-separated), S: the same
-- as a list of numbers once parsed.
local h, x, u, a, l, s, S = '', 0, 0, 0, 0, '', nil
if exists then
  local x1, u1, a1, l1, s1, h1 = string.match(v, '^v1|(%d+)|([01])|(%d+)|(%d+)|([%d,]*)|([0-9a-f]*)$')
  -- Each send time is 1 to 15 digits. (The last pattern starts with a comma
  -- so that the search only tries the places after a comma: it is fast.)
  if not x1 or #x1 > 15 or #a1 > 15 or #l1 > 15 or #h1 % 2 == 1 or (s1 ~= '' and (
      string.find(s1, '^,') or string.find(s1, ',$') or string.find(s1, ',,', 1, true) or
      string.find(',' .. s1, ',%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d'))) then
    return redis.error_reply('OTPCORRUPT not an otpkit record')
  end
  h, x, u, a, l, s = h1, tonumber(x1), tonumber(u1), tonumber(a1), tonumber(l1), s1
end

local function parseSends()
  S = {}
  for t in string.gmatch(s, '%d+') do S[#S + 1] = tonumber(t) end
end

-- clamp is Record.clamp: send times after now become now, a lock ending
-- after now+lockout ends then, and a pending code issued after now is
-- withdrawn. It returns whether it changed the record and whether it
-- withdrew a code (0/1).
local function clamp(now, lockout)
  local changed, cleared = false, 0
  local last
  if S then last = S[#S] elseif s ~= '' then last = tonumber(string.match(s, '(%d+)$')) end
  if last and last > now then
    if h ~= '' and u == 0 then
      h, x = '', 0
      cleared = 1
    end
    if not S then parseSends() end
    for i = 1, #S do
      if S[i] > now then S[i] = now end
    end
    changed = true
  end
  if lockout > 0 and l > now + lockout then
    l, changed = now + lockout, true
  end
  return changed, cleared
end

-- save writes the record with a TTL up to its horizon, the last time anything
-- in it is live under the policy: the code's expiry, the end of a lock, and
-- the last send plus the window (or, without a window, plus the cooldown),
-- after which pruning forgets it. It deletes the key when nothing is live.
local function save(now, resend, window)
  local hz = 0
  if h ~= '' then hz = x end
  if l > hz then hz = l end
  local last
  if S then last = S[#S] elseif s ~= '' then last = tonumber(string.match(s, '(%d+)$')) end
  if last then
    if window > 0 then last = last + window elseif resend > 0 then last = last + resend else last = 0 end
    if last > hz then hz = last end
  end
  if hz <= now then
    if exists then redis.call('DEL', key) end
    return
  end
  if S then
    local t = {}
    for i = 1, #S do t[i] = string.format('%d', S[i]) end
    s = table.concat(t, ',')
  end
  redis.call('SET', key, string.format('v1|%d|%d|%d|%d|%s|%s', x, u, a, l, s, h), 'PX', string.format('%d', hz - now))
end
`

// luaPrune is Record.pruneSends on S (which it parses); it sets pruned when
// it dropped anything (a send, or the wrong tries with the last send).
const luaPrune = `
if not S then parseSends() end
local n, pruned = #S, false
if window <= 0 then
  if n > 1 then S = {S[n]} end
  if #S == 1 and (resend <= 0 or not (now < S[1] + resend)) then S = {} end
else
  local cut, i = now - window, 1
  while i <= n and not (S[i] > cut) do i = i + 1 end
  if i > 1 then
    local t = {}
    for j = i, n do t[#t + 1] = S[j] end
    S = t
  end
end
pruned = #S ~= n
-- Wrong tries are counted while a send is in the window.
if #S == 0 and a ~= 0 then a, pruned = 0, true end
`

// issueLua is Record.Issue.
// ARGV: now, hash (hex), expires at, resend after, max sends, send window,
// lockout. Reply: outcome, sent at, retry at, next at, sends left.
const issueLua = luaPrelude + `
local now, hash, exp = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local resend, maxSends, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local clamped = clamp(now, tonumber(ARGV[7]))
` + luaPrune + `
local outcome, retry = 0, 0
if now < l then
  outcome, retry = 1, l
else
  n = #S
  if n > 0 and resend > 0 and now < S[n] + resend then
    outcome, retry = 2, S[n] + resend
  end
  if maxSends > 0 and n >= maxSends and window > 0 then
    -- The send that frees a place is the (n-maxSends+1)th oldest.
    local t = S[n - maxSends + 1] + window
    if t > retry then outcome, retry = 3, t end
  end
end
if outcome ~= 0 then
  if pruned or clamped then save(now, resend, window) end
  return {outcome, 0, retry, 0, 0}
end
h, x, u, l = hash, exp, 0, 0
S[#S + 1] = now
local keep = maxSends
if keep < 1 then keep = 1 end
if #S > keep then
  local t = {}
  for j = #S - keep + 1, #S do t[#t + 1] = S[j] end
  S = t
end
local nextAt, left = 0, -1
if resend > 0 then nextAt = now + resend end
if maxSends > 0 and window > 0 then
  left = maxSends - #S
  if left <= 0 then
    local t = S[#S - maxSends + 1] + window
    if t > nextAt then nextAt = t end
  end
end
save(now, resend, window)
return {0, now, 0, nextAt, left}
`

// checkLua is Record.Check.
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
const checkLua = luaPrelude + `
local now, hash = tonumber(ARGV[1]), ARGV[2]
local maxAttempts, lockout = tonumber(ARGV[3]), tonumber(ARGV[4])
local resend, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local clamped = clamp(now, lockout)
local function done(reply)
  if clamped then save(now, resend, window) end
  return reply
end
if now < l then return done({5, 0, l}) end
local left = -1
if maxAttempts > 0 then
  left = maxAttempts - a
  if left < 0 then left = 0 end
end
if h == '' then return done({4, left, 0}) end
if u == 1 then return done({3, left, 0}) end
if not (now < x) then return done({2, left, 0}) end
if h == hash then
  u, a = 1, 0
  save(now, resend, window)
  return {0, left, 0}
end
a = a + 1
local locked = 0
if maxAttempts > 0 then
  left = maxAttempts - a
  if left < 0 then left = 0 end
  if left == 0 then
    h, a = '', 0
    if lockout > 0 then
      l = now + lockout
      locked = l
    end
  end
end
save(now, resend, window)
return {1, left, locked}
`

// cancelLua is Record.Cancel. A cancel request carries no policy, so the key
// keeps the TTL of the send it withdraws (never too short: cancelling only
// removes things), and is deleted when nothing at all is left.
//
// ARGV: hash (hex), sent at. Reply: 1 if the record changed, else 0.
const cancelLua = luaPrelude + `
local hash, sentAt = ARGV[1], tonumber(ARGV[2])
if h == '' or u == 1 or h ~= hash then return 0 end
h, x = '', 0
parseSends()
for i = #S, 1, -1 do
  if S[i] == sentAt then
    table.remove(S, i)
    break
  end
end
if #S == 0 then a = 0 end
if l == 0 and #S == 0 then
  redis.call('DEL', key)
  return 1
end
local t = {}
for i = 1, #S do t[i] = string.format('%d', S[i]) end
redis.call('SET', key, string.format('v1|%d|%d|%d|%d|%s|%s', x, u, a, l, table.concat(t, ','), h), 'KEEPTTL')
return 1
`

// purgeLua is Record.Purge for one key.
// ARGV: now, resend after, send window, lockout. Reply: cleared, emptied (0 or 1).
const purgeLua = luaPrelude + `
if not exists then return {0, 0} end
local now, resend, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local dirty, cleared = clamp(now, tonumber(ARGV[4]))
if h ~= '' and (u == 1 or not (now < x)) then
  h, u, x = '', 0, 0
  cleared, dirty = 1, true
end
` + luaPrune + `
if pruned then dirty = true end
if not (now < l) and l ~= 0 then
  l, dirty = 0, true
end
if h == '' and l == 0 and #S == 0 then
  redis.call('DEL', key)
  return {cleared, 1}
end
if dirty then save(now, resend, window) end
return {cleared, 0}
`

// issueFuncLua is issueLua as a function of a record's key and its ARGV,
// for casIssueLua: it writes nothing, and appends the writes it would make
// to writes ({key} to delete, {key, value, ttl in ms} to set), so that the
// script can apply them once it knows every record of the batch issues.
var issueFuncLua = "local function issueOne(KEYS, ARGV, writes)\n" +
	mustReplace(mustReplace(issueLua,
		"if exists then redis.call('DEL', key) end",
		"if exists then writes[#writes + 1] = {key} end"),
		"redis.call('SET', key, string.format('v1|%d|%d|%d|%d|%s|%s', x, u, a, l, s, h), 'PX', string.format('%d', hz - now))",
		"writes[#writes + 1] = {key, string.format('v1|%d|%d|%d|%d|%s|%s', x, u, a, l, s, h), string.format('%d', hz - now)}") +
	"\nend\n"

// mustReplace replaces the one old in s with new, or panics: a script
// built from another must not silently keep what it was to change.
func mustReplace(s, old, new string) string {
	if strings.Count(s, old) != 1 {
		panic("redisstore: script text to replace not found once: " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// casIssueLua is casGuardScript and Issue for several records in one
// script (IssueGuarded on a Redis that is not a cluster). KEYS: the guard
// entries (n), the guard index, the records (m). ARGV: n, m, six per entry
// (as casGuardScript), seven per record (issueLua's ARGV). It replies 0 if
// an entry changed since it was read, and writes nothing; {2, j, outcome,
// retry at, ...} for the records j (1-based) that Issue refuses (outcome
// -1 and the error for a damaged one), and writes only what Issue writes
// of those (a refusal still prunes and clamps, as issueLua does), since
// their answer is final; else it issues every record, writes the entries,
// and replies {1, then issueLua's five values per record}. Each record is
// read and judged once: its writes wait in a list until the batch's
// outcome is known.
var casIssueLua = issueFuncLua + `
local n, m = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, n do
	local cur = redis.call('GET', KEYS[i]) or ''
	if cur ~= ARGV[2+6*i-5] then return 0 end
end
local g = 2 + 6*n
local function args(j)
	local a = {}
	for k = 1, 7 do a[k] = ARGV[g + 7*(j-1) + k] end
	return a
end
local function write(w)
	if w[2] then
		redis.call('SET', w[1], w[2], 'PX', w[3])
	else
		redis.call('DEL', w[1])
	end
end
local refused, results, writes, final = {2}, {}, {}, {}
for j = 1, m do
	local w = {}
	local r = issueOne({KEYS[n+1+j]}, args(j), w)
	if r.err then
		refused[#refused+1] = j
		refused[#refused+1] = -1
		refused[#refused+1] = r.err
	elseif r[1] ~= 0 then
		refused[#refused+1] = j
		refused[#refused+1] = r[1]
		refused[#refused+1] = r[3]
		for _, x in ipairs(w) do final[#final+1] = x end
	else
		for _, x in ipairs(w) do writes[#writes+1] = x end
	end
	results[j] = r
end
if #refused > 1 then
	for _, x in ipairs(final) do write(x) end
	return refused
end
for _, x in ipairs(writes) do write(x) end
local out = {1}
for j = 1, m do
	for k = 1, 5 do out[#out+1] = results[j][k] end
end
local idx = KEYS[n+1]
for i = 1, n do
	local a = ARGV[2+6*i-4]
	if a == 'd' then
		redis.call('DEL', KEYS[i])
		redis.call('ZREM', idx, ARGV[2+6*i])
	elseif a == 's' then
		redis.call('SET', KEYS[i], ARGV[2+6*i-3], 'PX', ARGV[2+6*i-2])
		if ARGV[2+6*i-1] ~= '0' then redis.call('ZADD', idx, ARGV[2+6*i-1], ARGV[2+6*i]) end
	end
end
return out
`

var (
	casIssueScript = redis.NewScript(casIssueLua)
	issueScript    = redis.NewScript(issueLua)
	checkScript    = redis.NewScript(checkLua)
	cancelScript   = redis.NewScript(cancelLua)
	purgeScript    = redis.NewScript(purgeLua)
)
