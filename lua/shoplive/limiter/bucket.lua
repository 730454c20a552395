--- The in-process bucket (shoplive.limiter.new, what the `qps` option
-- builds): requests of one client spaced 1/rate apart, a token bucket of
-- capacity 1, so a quiet client never earns a burst. How 429s cut the rate
-- and successes win it back is limiter/adapt.lua, the same for all three
-- limiters. A leaf: limiter.lua and the Redis limiter's fallback both
-- build it, and it needs neither.
local adapt = require("shoplive.limiter.adapt")

local M = {}
local L = {}
L.__index = L
M.Local = L

--- A bucket at qps requests a second (nil: no pacing until 429s); qps
-- already checked (limiter/qps.lua).
function M.new(qps)
  return setmetatable({ max_rate = qps, rate = qps, calm = 0, last = -math.huge,
    next_time = -math.huge, cut_until = -math.huge }, L)
end

L.kind = "local"

--- Seconds until a request may be sent at `now` (0: send now and take the
-- token).
-- @local
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
-- @local
function L:on_rate_limited(now, observed_rate)
  if now < self.cut_until then return end
  if adapt.cut(self, observed_rate, self.max_rate) then
    self.cut_until = now + adapt.BURST
    self.next_time = math.max(self.next_time, now + 1 / self.rate)
  end
end

--- What stats().limiter reports.
-- @local
function L:stats()
  return { kind = "local", rate = self.rate, qps = self.max_rate, ceiling = self.ceiling }
end

return M
