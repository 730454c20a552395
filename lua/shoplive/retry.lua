--- Retry timing: Retry-After (seconds or HTTP-date, capped by backoff_max),
-- else exponential backoff with full jitter.
local core = require("shoplive.core")

local M = {}

--- Seconds to wait for a Retry-After header value, or nil when unusable.
function M.retry_after_seconds(value)
  if type(value) ~= "string" then return nil end
  local secs = value:match("^%s*(%d+)%s*$")
  if secs then return tonumber(secs) end
  local t = core.getdate(value)
  if not t then return nil end
  local d = t - os.time()
  return d > 0 and d or 0
end

--- Delay before retry number `n` (1 for the first retry) of err e.
function M.delay(e, n, opts)
  local ra = M.retry_after_seconds(e.retry_after)
  if ra then return math.min(ra, opts.backoff_max) end
  local cap = math.min(opts.backoff_max, opts.backoff_base * 2 ^ (n - 1))
  return math.random() * cap
end

return M
