-- luacheck: globals redis KEYS ARGV adapt
-- The Redis side of shoplive.limiter.redis: one script, run atomically by
-- Redis (EVALSHA), for every operation of the limiter. limiter/redis.lua
-- prepends the source of limiter/adapt.lua (as `adapt`), so a 429 cuts and a
-- success recovers by the same rules as in a single process.
--
-- KEYS[1]: the key's prefix. ARGV[1]: the operation; ARGV[2]: the
-- configured qps; ARGV[3]: the sends reported (below); the operation's
-- arguments follow. Times come from Redis's own clock (TIME), so hosts with
-- skewed clocks still share one schedule.
--   take            -> "0 N" (send now, grant number N) or the seconds to
--                      wait, as a string
--   ok              -> 1: one success
--   cut OBSERVED    -> 1 when this call made the cut of the burst, else 0
--   reserve MAX     -> the credits now counted (>= 1), or 0 when MAX are
--                      already spent
--   release         -> the credits now counted (never below 0)
--   restore SEEN N SHARE OTHERS HOLD
--                   -> a client back from an outage spent N credits on its
--                      own and last saw SEEN counted: the count becomes at
--                      least SEEN, plus N (and shares held for the OTHERS,
--                      see restore below); returns it
--   state           -> { rate, ceiling, credits } as strings
if redis.replicate_commands then pcall(redis.replicate_commands) end
local prefix, op, max_rate = KEYS[1], ARGV[1], tonumber(ARGV[2])
local state_key, tat_key, seq_key = prefix .. ":state", prefix .. ":tat", prefix .. ":seq"
local settled_key = prefix .. ":settled"

local function now()
  local t = redis.call("TIME")
  return tonumber(t[1]) + tonumber(t[2]) / 1e6
end

-- ARGV[3]: the sends this process reported since its last call, "N:AGO"
-- each (grant N's request left AGO seconds before the call, on the
-- process's clock): stamped on Redis's clock, whatever the hosts' clocks
-- say. Each rides on the next call instead of one of its own.
if ARGV[3] and ARGV[3] ~= "" then
  local t = now()
  for n, ago in ARGV[3]:gmatch("(%d+):([^ ]+)") do
    local granted = tonumber(redis.call("GET", prefix .. ":at:" .. n))
    local ms = tonumber(redis.call("PTTL", prefix .. ":at:" .. n))
    -- never before its grant, whatever the process's clock did
    if granted and ms and ms > 0 then
      redis.call("SET", prefix .. ":out:" .. n, tostring(math.max(granted, t - (tonumber(ago) or 0))), "PX", ms)
    end
  end
end

local function load()
  local v = redis.call("HMGET", state_key, "rate", "ceiling", "calm")
  return { rate = tonumber(v[1]) or max_rate, ceiling = tonumber(v[2]), calm = tonumber(v[3]) or 0 }
end

local function save(s)
  -- a rate that is back at the configured qps with no ceiling needs no state
  if s.rate == max_rate and not s.ceiling then
    redis.call("DEL", state_key)
    return
  end
  redis.call("HSET", state_key, "rate", tostring(s.rate), "calm", tostring(s.calm))
  if s.ceiling then redis.call("HSET", state_key, "ceiling", tostring(s.ceiling))
  else redis.call("HDEL", state_key, "ceiling") end
  redis.call("EXPIRE", state_key, 3600)
end

local credits_key, held_key, rebuilt_key = prefix .. ":credits", prefix .. ":held", prefix .. ":rebuilt"

--- The shares of the budget held for the processes still without Redis
-- (restore below) go back to the budget once they had time to come back.
local function release_held()
  local h = redis.call("HMGET", held_key, "until", "credits")
  local till, n = tonumber(h[1]), tonumber(h[2])
  if not till or now() < till then return end
  redis.call("DEL", held_key)
  if n and n > 0 then redis.call("DECRBY", credits_key, n) end
end

--- The count a process back from an outage adds to, given the count it
-- last saw. A Redis that kept its count already holds every credit any of
-- them saw. One that came back empty is rebuilt from its clients: the
-- highest count any of them saw is added once (in `rebuilt`, kept while
-- the others come back), whichever of them comes back first; taking the
-- larger of the count and `seen` instead lost the credits the first one
-- back had not seen.
local function base_count(seen, hold)
  local cur = tonumber(redis.call("GET", credits_key))
  local top = tonumber(redis.call("GET", rebuilt_key))
  if cur and not top then return math.max(cur, seen) end
  cur, top = cur or 0, top or 0
  if seen > top then
    cur = cur + seen - top
    top = seen
  end
  redis.call("SET", rebuilt_key, top, "PX", math.ceil(hold * 1000))
  return cur
end

--- A process back from an outage spent `spent` credits on its own and last
-- saw `seen` counted; `share` was its part of what was left then, and
-- `others` processes may still be spending theirs without Redis. The first
-- one back counts its credits and holds a share for each of the others for
-- `hold` seconds (they come back within their retry time): without that it
-- could spend, through Redis, the credits they are spending on their own.
-- Each of them, back, swaps the share held for it with what it spent.
local function restore(seen, spent, share, others, hold)
  local n = base_count(seen, hold)
  local h = redis.call("HMGET", held_key, "left", "share", "credits")
  local left, held_share, held = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
  if left and left > 0 and held >= held_share then
    n = n + spent - held_share
    if left == 1 then redis.call("DEL", held_key)
    else redis.call("HSET", held_key, "left", left - 1, "credits", held - held_share) end
  else
    n = n + spent
    if others > 0 and share > 0 then
      n = n + others * share
      redis.call("DEL", held_key)
      redis.call("HSET", held_key, "left", others, "share", share, "credits", others * share, "until", tostring(now() + hold))
    end
  end
  redis.call("SET", credits_key, n)
  return n
end

if op == "take" then
  -- a log of the grants (adapt.log_wait): "seq" is the last grant's number,
  -- "at:N" its time, "out:N" the time its request left (reports above),
  -- "settled" the log's settled prefix (adapt.settle), "tat" the last
  -- grant's time (which a cut pushes back)
  local rate = tonumber(redis.call("HGET", state_key, "rate")) or max_rate
  local t = now()
  local n = tonumber(redis.call("GET", seq_key))
  if not n then -- a new log (or an expired one): no prefix of an old one
    n = 0
    redis.call("DEL", settled_key)
  end
  local p0, m0 = adapt.settled_parse(redis.call("GET", settled_key))
  local p, latest, again = adapt.settle(p0, m0, adapt.bound(rate, n + 1), t, function(i)
    local v = redis.call("MGET", prefix .. ":at:" .. i, prefix .. ":out:" .. i)
    return tonumber(v[1]), tonumber(v[2])
  end, max_rate)
  if p ~= p0 then redis.call("SET", settled_key, adapt.settled_text(p, latest), "EX", 3600) end
  if again then return tostring(again - t) end
  local w = adapt.log_wait(rate, t, tonumber(redis.call("GET", tat_key)), latest)
  if w > 0 then return tostring(w) end
  local ttl = math.ceil(1000 * adapt.log_ttl(rate))
  redis.call("SET", tat_key, tostring(t), "PX", ttl)
  redis.call("SET", prefix .. ":at:" .. (n + 1), tostring(t), "PX", ttl)
  redis.call("SET", seq_key, n + 1, "EX", 3600)
  local sent_key = prefix .. ":sent:" .. adapt.slot(t)
  redis.call("INCR", sent_key)
  redis.call("EXPIRE", sent_key, 2)
  return "0 " .. (n + 1)
elseif op == "ok" then
  local s = load()
  if adapt.success(s, max_rate) then save(s) end
  return 1
elseif op == "cut" then
  if redis.call("EXISTS", prefix .. ":burst") == 1 then return 0 end
  -- the key's rate is what every process sent in the last second, not one
  -- process's share
  local t = now()
  local all = adapt.sent_last_second(function(i) return tonumber(redis.call("GET", prefix .. ":sent:" .. i)) end, t)
  local observed = tonumber(ARGV[4])
  if all > (observed or 0) then observed = all end
  local s = load()
  if not adapt.cut(s, observed, max_rate) then return 0 end
  save(s)
  redis.call("SET", prefix .. ":burst", "1", "PX", math.floor(adapt.BURST * 1000))
  -- the next send waits a whole interval of the new rate, as if one had
  -- just been sent
  local tat = tonumber(redis.call("GET", tat_key)) or t
  local gap = adapt.interval(s.rate)
  redis.call("SET", tat_key, tostring(math.max(tat, t)), "PX", math.ceil(1000 * (adapt.WINDOW + gap)) + 1000)
  return 1
elseif op == "reserve" then
  release_held()
  local n = redis.call("INCR", credits_key)
  if n < 1 then
    -- a count below zero (releases after a FLUSHALL): this credit is the first
    n = 1
    redis.call("SET", credits_key, n)
  end
  if n > tonumber(ARGV[4]) then
    redis.call("DECR", credits_key)
    return 0
  end
  return n
elseif op == "restore" then
  return restore(tonumber(ARGV[4]) or 0, tonumber(ARGV[5]) or 0, tonumber(ARGV[6]) or 0, tonumber(ARGV[7]) or 0,
    tonumber(ARGV[8]) or 0)
elseif op == "release" then
  -- never below zero: a count that a FLUSHALL emptied under a request in
  -- flight has nothing to give back
  local n = tonumber(redis.call("GET", credits_key)) or 0
  if n <= 0 then return 0 end
  return redis.call("DECR", credits_key)
elseif op == "state" then
  local s = load()
  return { tostring(s.rate), s.ceiling and tostring(s.ceiling) or "", redis.call("GET", prefix .. ":credits") or "0" }
end
return redis.error_reply("shoplive limiter: unknown operation " .. tostring(op))
