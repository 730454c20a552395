--- Client-side request pacing: a token bucket of capacity 1 (requests are
-- spaced 1/rate apart, no bursts), shared by every request of a client,
-- retries included. On 429 the rate halves; each success wins back a little
-- until the configured rate is reached again.
local M = {}
local L = {}
L.__index = L

--- Rate recovers by this fraction of the configured rate per success.
local RECOVERY = 0.05
--- Lowest rate the adaptive back-off goes down to, requests/second.
local FLOOR = 0.1

function M.new(qps)
  return setmetatable({ max_rate = qps, rate = qps, next_time = -math.huge }, L)
end

--- Seconds until a request may be sent at `now` (0: send now and take the
-- token).
function L:take(now)
  if not self.rate then return 0 end
  if now < self.next_time then return self.next_time - now end
  -- Never bank unused time: a quiet client does not earn a burst.
  self.next_time = now + 1 / self.rate
  return 0
end

function L:on_success()
  if not self.rate then return end
  if self.max_rate then
    if self.rate < self.max_rate then
      self.rate = math.min(self.max_rate, self.rate + self.max_rate * RECOVERY)
    end
  else
    -- No configured limit: pacing began at a 429; relax it geometrically
    -- and stop pacing once it no longer binds.
    self.rate = self.rate * (1 + RECOVERY)
    if self.rate > 1000 then self.rate = nil end
  end
end

--- The server said 429: halve the rate (and start pacing if none was set,
-- from the rate observed so far).
function L:on_rate_limited(now, observed_rate)
  local r = self.rate
  if not r then
    -- Unpaced so far: a lone 429 at a low rate is left to Retry-After and
    -- backoff; pacing starts once the client was sending in earnest.
    if not observed_rate or observed_rate < 2 then return end
    r = observed_rate
  end
  self.rate = math.max(FLOOR, r / 2)
  self.next_time = math.max(self.next_time, now + 1 / self.rate)
end

return M
