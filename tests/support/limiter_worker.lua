-- One of the "hosts" of tests/limiter_redis_spec.lua: a separate Lua process
-- with its own client and a Redis limiter, fetching pages of one shop.
--   lua limiter_worker.lua BASE_URL REDIS_URL QPS FIRST_PAGE PAGES [MAX_CREDITS [CONCURRENCY [RETRY]]]
-- (MAX_CREDITS "-": none). Prints "credits=N budget=N failed=N".
local shoplive = require("shoplive")
local base, url, qps, first, n, max = arg[1], arg[2], tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]),
  tonumber(arg[6])
local concurrency, retry = tonumber(arg[7]) or 4, tonumber(arg[8])
local c = shoplive.new{ base_url = base, max_retries = 0, timeout = 10, max_credits = max,
  limiter = shoplive.limiter.redis{ url = url, qps = qps, key = "acct", peers = 3, retry = retry },
  -- the limiter's own lines (outage, return) for the spec's report
  debug = function(l) if l:find("shoplive limiter", 1, true) then io.stderr:write(l, "\n") end end }
local qs = {}
for i = 1, n do qs[i] = { seller_id = "999", page = first + i - 1 } end
local _, errs = c:livestreams_many(qs, { concurrency = concurrency })
local budget, failed = 0, 0
for _, e in pairs(errs or {}) do
  if e.kind == "budget" then budget = budget + 1 else failed = failed + 1; io.stderr:write(tostring(e), "\n") end
end
print(string.format("credits=%d budget=%d failed=%d", c:stats().credits, budget, failed))
c:close()
