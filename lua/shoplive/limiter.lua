--- Client-side request pacing, shared by every request of a client
-- (retries included): the constructors of the limiters a client can be
-- given with `shoplive.new{ limiter = }` (not together with `qps`). Every
-- limiter also adapts: a 429 halves the rate the client was sending at and
-- successes win it back (see options.md). A shared limiter also counts
-- `max_credits` in its backend, for every worker or host using its key.
-- `client:stats().limiter` reports its state.
-- @usage shoplive.new{ limiter = shoplive.limiter.new{ qps = 10 } }            -- this process (what qps= builds)
-- shoplive.new{ limiter = shoplive.limiter.shared_dict{ dict = "shoplive", qps = 10, key = "acct" } } -- every nginx worker
-- shoplive.new{ limiter = shoplive.limiter.redis{ url = "redis://127.0.0.1:6379/0", qps = 10, key = "acct" } } -- every host

-- (Internally:) a limiter answers take(now) (seconds to wait, 0: send now), hears
-- on_success() and on_rate_limited(now, observed_rate), and a shared one
-- also keeps the credit budget: reserve(max) before a send, release() when
-- the answer was not billed; with 0 it hands a grant number, and hears
-- sent(n, ago) when that request's transfer ends (it left ago seconds ago). The shared ones load lazily, so a user
-- without nginx or Redis needs neither.
--
-- The in-process bucket is limiter/bucket.lua; each constructor checks
-- qps through limiter/qps.lua, so no child requires this file.
local argcheck = require("shoplive.argcheck")
local bucket = require("shoplive.limiter.bucket")
local check_qps = require("shoplive.limiter.qps").check

local M = {}
M.Local = bucket.Local

--- An in-process bucket (what the `qps` option builds): requests of the
-- client are spaced 1/qps apart, with no burst. qps nil: no pacing until the
-- server answers 429s to a client sending in earnest. Bad options raise.
-- @tparam table opts `{ qps = n }`: requests per second, 0.001 to 1000000, or nil
-- (also `new(qps)`, a number)
-- @treturn table a limiter for `shoplive.new{ limiter = }`
-- @usage local client = shoplive.new{ limiter = shoplive.limiter.new{ qps = 5 } }
function M.new(opts)
  local qps = opts
  if type(opts) == "table" then
    for k in pairs(opts) do
      if k ~= "qps" then argcheck.raise("shoplive.limiter.new: unknown option '" .. tostring(k) .. "' (accepted: qps)") end
    end
    qps = opts.qps
  end
  return bucket.new(check_qps("shoplive.limiter.new", qps))
end

--- A limiter shared by every worker of one nginx (OpenResty, or nginx with
-- the Lua module), through a `lua_shared_dict`: any sliding second holds at
-- most `qps` requests whichever worker sends them, as a server counts them
-- (at most floor(qps) in any 1.04 s by the time each request left, which
-- the client reports when its transfer ends, and more behind a send whose
-- transfer took longer than its worker's recent least: up to 1.50 s; about
-- 0.95 x qps on a quiet machine), one worker's 429 slows
-- every worker, and `max_credits` counts the credits of all of them. Only
-- atomic dict operations: a worker never blocks on another. Outside nginx,
-- or with a dict nginx.conf does not declare, it raises.
-- @tparam table opts `dict` (required: the name of a `lua_shared_dict`),
-- `qps` (required: requests per second for every worker together, 0.001 to
-- 1000000), `key` (default `"shoplive"`: limiters with the same key share
-- the rate and the credits)
-- @treturn table a limiter for `shoplive.new{ limiter = }`
-- @usage -- nginx.conf: lua_shared_dict shoplive 1m;
-- local client = shoplive.new{ wait = ngx.sleep,
--   limiter = shoplive.limiter.shared_dict{ dict = "shoplive", qps = 10, key = "acct" } }
function M.shared_dict(opts)
  return require("shoplive.limiter.shared_dict").new(opts)
end

--- A limiter shared by every process on every host, through Redis: Redis
-- keeps the log of sends (any sliding second holds at most `qps`, as for
-- `shared_dict`, on Redis's clock; each process tells the time its
-- requests left with its next call), the adaptive state and the credit
-- count, each operation one atomic script. Inside OpenResty it talks over cosockets
-- (lua-resty-redis), elsewhere over luasocket (redis-lua). Redis unreachable
-- or slower than `timeout`: it falls back to a local bucket at qps / peers
-- (and a peers-th of the credits left when Redis last answered), says so
-- once through the client's `debug` hook and in `stats().limiter`, and tries
-- Redis again `retry` seconds later. When Redis answers again it says so
-- once, goes back to the shared bucket and adds the credits it spent
-- meanwhile to Redis's count before anything else (a Redis that came back
-- empty is rebuilt from the highest count its clients saw); the first
-- process back holds the shares of the other peers until they are back too
-- (`retry` + `timeout` + 1 s at most), and a client closing while it falls
-- back tries Redis once more to hand it its credits. So the key spends at
-- most max_credits plus the requests in flight, and Redis never counts
-- fewer than were spent while its clients reach it. A password in the URL never shows in an
-- error, a debug line, `stats()` or `tostring`; a wrong one is an outage
-- (`error` says "authentication refused"). Bad options raise.
-- @tparam table opts `url` (required:
-- `redis://[[USER]:PASSWORD@]host[:port][/db]`, port 6379 and db 0 by
-- default; USER for a Redis 6+ ACL user; %-escape reserved characters),
-- `qps` (required: requests per second for every process together, 0.001 to
-- 1000000), `key` (default `"shoplive"`), `peers` (processes sharing the
-- key, for the fallback; default 1), `timeout` (seconds to wait for Redis,
-- default 0.5, at most the client's `timeout`), `retry` (seconds before
-- an unreachable Redis is tried again, default 5)
-- @treturn table a limiter for `shoplive.new{ limiter = }`
-- @usage local client = shoplive.new{
--   limiter = shoplive.limiter.redis{ url = "redis://127.0.0.1:6379/0", qps = 10, key = "acct", peers = 4 } }
function M.redis(opts)
  return require("shoplive.limiter.redis").new(opts)
end

return M
