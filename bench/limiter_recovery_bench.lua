-- bench/limiter_recovery_bench.lua - a storm of 429s, then a healthy server:
-- how long the adaptive limiter takes to return to the configured qps.
-- Run by bench/run.lua (section "recovery"), which passes its helpers:
--   dofile("bench/limiter_recovery_bench.lua")(h)
-- h: base (sandbox URL), control(path), section(title), emit_table(rows),
--    note(text), goal(name, ok, detail), log(fmt, ...).
local shoplive = require("shoplive")
local core = require("shoplive.core")

local QPS = 20
local STORM = 15        -- 429s (Retry-After: 1) before the server heals
local PAGES = 80
local SHOP = "999"

--- Fetch PAGES pages at QPS with concurrency 4; returns wall seconds and,
-- after the first success, the successes and seconds until the limiter's
-- rate was back at QPS.
local function run(h, storm)
  h.control("reset")
  if storm > 0 then h.control("fault?type=status&status=429&retry_after=1&count=" .. storm) end
  local c = shoplive.new{ base_url = h.base, qps = QPS, max_retries = storm + 2, backoff_max = 1, timeout = 10 }
  local lim = c._limiter
  local t0 = core.now()
  local first, back, successes, min_rate = nil, nil, 0, QPS
  local on_success = lim.on_success
  lim.on_success = function(self)
    on_success(self)
    successes = successes + 1
    first = first or core.now()
    min_rate = math.min(min_rate, self.rate or QPS)
    if not back and self.rate == QPS then back = { n = successes, t = core.now() - first } end
  end
  local on_429 = lim.on_rate_limited
  lim.on_rate_limited = function(self, ...)
    on_429(self, ...)
    min_rate = math.min(min_rate, self.rate or QPS)
  end
  local qs = {}
  for i = 1, PAGES do qs[i] = { seller_id = SHOP, page = i } end
  local pages, errs = c:livestreams_many(qs, { concurrency = 4 })
  local wall = core.now() - t0
  local st = h.control("stats")
  c:close()
  return { wall = wall, back = back, min_rate = min_rate, failed = errs and PAGES - #pages or 0,
    requests = st.requests, r429 = (st.by_status or {})["429"] or 0,
    from_first = first and (t0 + wall - first) or wall }
end

return function(h)
  h.log("recovery: %d pages at %d qps, without and after a storm of %d 429s...", PAGES, QPS, STORM)
  local base = run(h, 0)
  local r = run(h, STORM)
  h.section(string.format("Limiter recovery: a storm of %d 429s (Retry-After: 1), then a healthy server; "
    .. "%d pages at qps = %d, concurrency 4 (bench/limiter_recovery_bench.lua)", STORM, PAGES, QPS))
  h.emit_table{
    { "run", "wall s", "lowest rate during the storm", "successes until back at qps", "s from first success to qps",
      "s from first success to the end / baseline", "requests (server)", "429s", "failed pages" },
    { "healthy server", string.format("%.2f", base.wall), "-", "-", "-", "1.00", string.format("%d", base.requests),
      string.format("%d", base.r429), tostring(base.failed) },
    { "storm, then healthy", string.format("%.2f", r.wall), string.format("%.2f req/s", r.min_rate),
      r.back and tostring(r.back.n) or "never", r.back and string.format("%.2f", r.back.t) or "never",
      string.format("%.2f", r.from_first / base.wall), string.format("%d", r.requests), string.format("%d", r.r429), tostring(r.failed) },
  }
  h.note("After the storm the limiter doubles its rate with each success up to 95% of the rate the server refused, "
    .. "then forgets that ceiling after 20 successes in a row and goes back to the configured qps. Before this fix "
    .. "it never came back: each burst lowered a ceiling that successes could not raise, down to 0.1 request/s.")
  h.goal("recovery: back at the configured qps after a 429 storm, within 25 successes",
    r.back ~= nil and r.back.n <= 25 and r.failed == 0,
    r.back and string.format("%d successes, %.2f s", r.back.n, r.back.t) or "never")
end
