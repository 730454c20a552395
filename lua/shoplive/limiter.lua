--- Client-side request pacing, shared by every request of a client (retries
-- included), and the constructors of the limiters a client can be given:
--
--   shoplive.limiter.new{ qps = 10 }                     -- this process (what qps= builds)
--   shoplive.limiter.shared_dict{ dict =, qps =, key = } -- every worker of one nginx
--   shoplive.limiter.redis{ url =, qps =, key =, peers = } -- every process on every host
--
-- A limiter answers take(now) (seconds to wait, 0: send now), hears
-- on_success() and on_rate_limited(now, observed_rate), and a shared one
-- also keeps the credit budget: reserve(max) before a send, release() when
-- the answer was not billed. The shared ones load lazily, so a user
-- without nginx or Redis needs neither.
--
-- The in-process bucket spaces requests 1/rate apart (a token bucket of
-- capacity 1: a quiet client never earns a burst). How 429s cut the rate
-- and successes win it back is limiter/adapt.lua, the same for all three.
local adapt = require("shoplive.limiter.adapt")

local M = {}
local L = {}
L.__index = L
M.Local = L

local function check_qps(where, qps, level)
  -- the bounds of shoplive.new's qps: the pause between two requests must fit a sleep
  if qps ~= nil and (type(qps) ~= "number" or not (qps >= 0.001 and qps <= 1e6)) then
    error(where .. ": option 'qps' must be a number of requests per second from 0.001 to 1000000, got "
      .. (type(qps) == "number" and tostring(qps) or type(qps)), level + 1)
  end
  return qps
end
M.check_qps = check_qps

--- shoplive.limiter.new{ qps = } (or new(qps), as the client does for its
-- qps option): an in-process bucket; qps nil = no pacing until the server
-- answers 429s to a client sending in earnest.
function M.new(opts)
  local qps = opts
  if type(opts) == "table" then
    for k in pairs(opts) do
      if k ~= "qps" then error("shoplive.limiter.new: unknown option '" .. tostring(k) .. "' (accepted: qps)", 2) end
    end
    qps = opts.qps
  end
  check_qps("shoplive.limiter.new", qps, 2)
  return setmetatable({ max_rate = qps, rate = qps, calm = 0, last = -math.huge,
    next_time = -math.huge, cut_until = -math.huge }, L)
end

function M.shared_dict(opts)
  return require("shoplive.limiter.shared_dict").new(opts, 2)
end

function M.redis(opts)
  return require("shoplive.limiter.redis").new(opts, 2)
end

L.kind = "local"

--- Seconds until a request may be sent at `now` (0: send now and take the
-- token).
function L:take(now)
  if not self.rate then return 0 end
  if now < self.next_time then return self.next_time - now end
  self.last = now
  self.next_time = now + 1 / self.rate
  return 0
end

function L:target()
  return adapt.target(self, self.max_rate)
end

function L:on_success()
  if adapt.success(self, self.max_rate) and self.rate then
    -- a faster rate also shortens the wait already handed out
    self.next_time = math.min(self.next_time, self.last + 1 / self.rate)
  end
end

--- The server said 429 at `now`; observed_rate is what the client sent in
-- the last second (nil when unknown).
function L:on_rate_limited(now, observed_rate)
  if now < self.cut_until then return end
  if adapt.cut(self, observed_rate, self.max_rate) then
    self.cut_until = now + adapt.BURST
    self.next_time = math.max(self.next_time, now + 1 / self.rate)
  end
end

--- What stats().limiter reports.
function L:stats()
  return { kind = "local", rate = self.rate, qps = self.max_rate, ceiling = self.ceiling }
end

return M
