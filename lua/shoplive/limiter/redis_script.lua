-- luacheck: globals redis KEYS ARGV adapt
-- The Redis side of shoplive.limiter.redis: one script, run atomically by
-- Redis (EVALSHA), for every operation of the limiter. limiter/redis.lua
-- prepends the source of limiter/adapt.lua (as `adapt`), so a 429 cuts and a
-- success recovers by the same rules as in a single process.
--
-- KEYS[1]: the key's prefix. ARGV[1]: the operation; ARGV[2]: the
-- configured qps. Times come from Redis's own clock (TIME), so hosts with
-- skewed clocks still share one schedule.
--   take            -> "0" (send now) or the seconds to wait, as a string
--   ok              -> 1: one success
--   cut OBSERVED    -> 1 when this call made the cut of the burst, else 0
--   reserve MAX     -> the credits now counted (>= 1), or 0 when MAX are
--                      already spent
--   release         -> the credits now counted
--   restore SEEN N  -> a client back from an outage spent N credits on its
--                      own and last saw SEEN counted: the count becomes at
--                      least SEEN, plus N; returns it
--   state           -> { rate, ceiling, credits } as strings
if redis.replicate_commands then pcall(redis.replicate_commands) end
local prefix, op, max_rate = KEYS[1], ARGV[1], tonumber(ARGV[2])
local state_key, tat_key = prefix .. ":state", prefix .. ":tat"

local function now()
  local t = redis.call("TIME")
  return tonumber(t[1]) + tonumber(t[2]) / 1e6
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

if op == "take" then
  -- GCRA with a burst of one: the theoretical arrival time of the next
  -- request; a request may go when it has come
  local rate = tonumber(redis.call("HGET", state_key, "rate")) or max_rate
  local t = now()
  local tat = tonumber(redis.call("GET", tat_key)) or t
  if tat > t then return tostring(tat - t) end
  redis.call("SET", tat_key, tostring(t + 1 / rate), "PX", math.ceil(2000 / rate) + 1000)
  local sent_key = prefix .. ":sent:" .. adapt.slot(t)
  redis.call("INCR", sent_key)
  redis.call("EXPIRE", sent_key, 2)
  return "0"
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
  local observed = tonumber(ARGV[3])
  if all > (observed or 0) then observed = all end
  local s = load()
  if not adapt.cut(s, observed, max_rate) then return 0 end
  save(s)
  redis.call("SET", prefix .. ":burst", "1", "PX", math.floor(adapt.BURST * 1000))
  -- the next send waits a whole interval of the new rate
  local tat = tonumber(redis.call("GET", tat_key)) or t
  redis.call("SET", tat_key, tostring(math.max(tat, t + 1 / s.rate)), "PX", math.ceil(2000 / s.rate) + 1000)
  return 1
elseif op == "reserve" then
  local n = redis.call("INCR", prefix .. ":credits")
  if n > tonumber(ARGV[3]) then
    redis.call("DECR", prefix .. ":credits")
    return 0
  end
  return n
elseif op == "restore" then
  local n = math.max(tonumber(redis.call("GET", prefix .. ":credits")) or 0, tonumber(ARGV[3]) or 0)
    + (tonumber(ARGV[4]) or 0)
  redis.call("SET", prefix .. ":credits", n)
  return n
elseif op == "release" then
  return redis.call("DECR", prefix .. ":credits")
elseif op == "state" then
  local s = load()
  return { tostring(s.rate), s.ceiling and tostring(s.ceiling) or "", redis.call("GET", prefix .. ":credits") or "0" }
end
return redis.error_reply("shoplive limiter: unknown operation " .. tostring(op))
