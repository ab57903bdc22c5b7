import Crypto

/// The Lua script that takes one rate-limit decision atomically in Redis: the same sliding-window
/// counters as the in-process store (`SlidingWindowCounter`, one hash per window: fixed-window
/// number, current and previous counts), every window of the rule checked and counted only if all
/// allow, and the rule's penalty (violations, bans growing while remembered). Time is Redis's own
/// clock (`TIME`, microseconds), so instances with skewed clocks still share one window.
///
///     KEYS[1…n]   one hash per window               {rule:key}:60000 (the length in ms)
///     KEYS[n+1]   the penalty hash, only with a penalty  {rule:key}:p
///                 (a key that may not exist would make a slot migration answer TRYAGAIN)
///     ARGV[1]     the number of windows n
///     ARGV[2i, 2i+1]  window i's limit and length (µs)
///     ARGV[2n+2…] penalty: after_violations (0: none), within, ban, growth, max_ban, forget_after (µs)
///
/// Returns `{verdict (0 allowed, 1 limited, 2 banned), window (0-based), remaining, reset µs,
/// ban started µs, ban level}`. Every key gets a TTL: a window's hash lives until it weighs
/// nothing (two windows), the penalty hash while the violations or the ban are remembered.
enum RedisRateLimitScript {
    static let source = #"""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local p = 2 * n + 2
local after = tonumber(ARGV[p])

local function nextAllowed(w, c, pr, len, limit)
  local start = w * len
  local elapsed = now - start
  if pr * (len - elapsed) + c * len + len <= limit * len then return now end
  if c + 1 <= limit and pr > 0 then
    local room = math.floor((limit - c - 1) * len / pr)
    local earliest = math.max(elapsed, len - math.min(room, len))
    if earliest < len then return start + earliest end
  end
  if c == 0 then return start + len end
  local room = math.floor((limit - 1) * len / c)
  local earliest = len - math.min(room, len)
  if earliest < len then return start + len + earliest end
  return start + 2 * len
end

if after > 0 then
  local bannedUntil = tonumber(redis.call('HGET', KEYS[n + 1], 'b') or '0')
  if bannedUntil > now then return {2, 0, 0, bannedUntil - now, 0, 0} end
end

local state = {}
local verdict = 0
local window = 0
local retryAt = now
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local len = tonumber(ARGV[2 * i + 1])
  local v = redis.call('HMGET', KEYS[i], 'w', 'c', 'p')
  local w = tonumber(v[1] or '-1')
  local c = tonumber(v[2] or '0')
  local pr = tonumber(v[3] or '0')
  local index = math.floor(now / len)
  local rolled = index ~= w
  if rolled then
    if index == w + 1 then pr = c else pr = 0 end
    c = 0
    w = index
  end
  state[i] = {w, c, pr, limit, len, rolled}
  if pr * (len - (now - w * len)) + c * len + len > limit * len then
    local at = nextAllowed(w, c, pr, len, limit)
    if verdict == 0 or at > retryAt then
      window = i - 1
      retryAt = at
    end
    verdict = 1
  end
end

if verdict == 0 then
  local remaining = -1
  local reset = 0
  for i = 1, n do
    local s = state[i]
    local w, c, pr, limit, len = s[1], s[2] + 1, s[3], s[4], s[5]
    if s[6] then
      redis.call('HSET', KEYS[i], 'w', w, 'c', c, 'p', pr)
      redis.call('PEXPIREAT', KEYS[i], math.ceil((w + 2) * len / 1000))
    else
      -- The same window: only the count moves (its expiry was set when the window began).
      redis.call('HINCRBY', KEYS[i], 'c', 1)
    end
    local used = pr * (len - (now - w * len)) + c * len
    local left = 0
    if limit * len > used then left = math.floor((limit * len - used) / len) end
    if remaining < 0 or left < remaining then
      window = i - 1
      remaining = left
      if left == 0 then reset = nextAllowed(w, c, pr, len, limit) - now else reset = (w + 2) * len - now end
    end
  end
  return {0, window, remaining, reset, 0, 0}
end

if after == 0 then return {1, window, 0, retryAt - now, 0, 0} end

-- The penalty, as RateLimitShard.punish: violations within `within` begin a ban that grows
-- while the key is remembered.
local within, ban, growth = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3])
local maxBan, forget = tonumber(ARGV[p + 4]), tonumber(ARGV[p + 5])
local pen = KEYS[n + 1]
local h = redis.call('HMGET', pen, 'v', 's', 'n', 'e')
local violations = tonumber(h[1] or '0')
local since = tonumber(h[2] or '0')
local bans = tonumber(h[3] or '0')
local lastEnd = tonumber(h[4] or '0')
if violations == 0 or now - since >= within then
  violations = 0
  since = now
end
violations = violations + 1
local keep = since + within
if violations < after then
  redis.call('HSET', pen, 'v', violations, 's', since)
  redis.call('PEXPIREAT', pen, math.ceil(math.max(keep, lastEnd + forget) / 1000))
  return {1, window, 0, retryAt - now, 0, 0}
end
if bans > 0 and now - lastEnd >= forget then bans = 0 end
local duration = ban
for _ = 1, bans do
  duration = duration * growth
  if duration >= maxBan then break end
end
duration = math.min(duration, maxBan)
local bannedUntil = math.max(now + duration, retryAt)
redis.call('HSET', pen, 'v', 0, 's', since, 'b', bannedUntil, 'n', bans + 1, 'e', bannedUntil)
redis.call('PEXPIREAT', pen, math.ceil(math.max(keep, bannedUntil + forget) / 1000))
return {2, window, 0, bannedUntil - now, bannedUntil - now, bans}
"""#

    /// The script's SHA-1, which `EVALSHA` names it by.
    static let sha1: String = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
        let digits = Array("0123456789abcdef")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }.joined()
}
