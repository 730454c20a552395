--- Client-side request pacing, shared by every request of a client (retries
-- included): requests are spaced 1/rate apart, a token bucket of capacity 1,
-- so a quiet client never earns a burst.
--
-- On a 429 the rate halves, once per burst: 429s arriving within a second of
-- the last cut answer requests sent before it, and cutting again for each of
-- them would throttle a client with 8 requests in flight down to nothing.
-- The rate at which the server objected becomes a ceiling; each success wins
-- back 5% of it until the rate reaches 95% of the ceiling (or the configured
-- qps, if lower). A client without a configured qps starts pacing at its
-- first real 429 burst and so settles just under the server's limit.
local M = {}
local L = {}
L.__index = L

local RECOVERY = 0.05 -- share of the target won back per success
local MARGIN = 0.95   -- stay this far under a rate the server refused
local FLOOR = 0.1     -- lowest rate, requests/second
local BURST = 1       -- seconds during which further 429s belong to one burst

function M.new(qps)
  return setmetatable({ max_rate = qps, rate = qps, next_time = -math.huge, cut_until = -math.huge }, L)
end

--- Seconds until a request may be sent at `now` (0: send now and take the
-- token).
function L:take(now)
  if not self.rate then return 0 end
  if now < self.next_time then return self.next_time - now end
  self.next_time = now + 1 / self.rate
  return 0
end

function L:target()
  local t = self.max_rate
  if self.ceiling then
    local c = self.ceiling * MARGIN
    t = t and math.min(t, c) or c
  end
  return t
end

function L:on_success()
  local target = self.rate and self:target()
  if target and self.rate < target then
    self.rate = math.min(target, self.rate + target * RECOVERY)
  end
end

--- The server said 429 at `now`; observed_rate is what the client sent in
-- the last second (used when no rate was configured).
function L:on_rate_limited(now, observed_rate)
  if now < self.cut_until then return end
  local r = self.rate
  if not r then
    -- Unpaced so far: a lone 429 at a low rate is left to Retry-After and
    -- backoff; pacing starts once the client was sending in earnest.
    if not observed_rate or observed_rate < 2 then return end
    r = observed_rate
  end
  self.ceiling = math.min(self.ceiling or math.huge, r)
  self.rate = math.max(FLOOR, r / 2)
  self.cut_until = now + BURST
  self.next_time = math.max(self.next_time, now + 1 / self.rate)
end

return M
