-- bench/queue_bench.lua - a crawl split across workers: 500 one-page shops
-- in a PostgreSQL queue, synced by 1, 2 and 4 worker processes
-- (tests/support/queue_worker.lua, 2 shops at once each) sharing one Redis
-- limiter at the sandbox's own limit (20 QPS, 200 ms latency). The wall time
-- is compared with pages/qps, the least any number of workers can take.
-- PostgreSQL 15 (tests/support/postgres.lua) and redis-server are started
-- here on loopback. Run by bench/run.lua (section "queue"):
--   dofile("bench/queue_bench.lua")(h)   (h: base, control, lua, section, emit_table, note, goal, log)
package.path = "tests/?.lua;" .. package.path
local core = require("shoplive.core")

local SHOPS = 500
local QPS = 20   -- the sandbox's limit: the key's
-- the shared limiter's rate: 5 % under the key's. At exactly 20 the requests
-- leave Redis 50 ms apart but reach the server with loopback jitter, and the
-- server's sliding 1-second window saw 21 once in 500 (one 429, retried).
local LIMIT_QPS = 19
local LATENCY = 0.2
local CONC = 2 -- shops in flight per worker: one worker alone reaches 2 / LATENCY = 10 QPS
local WORKERS = { 1, 2, 4 }
local GOAL = 1.15

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function shops()
  local out = {}
  -- the last 3 digits are the record count: 1..9, one page each
  for i = 1, SHOPS do out[i] = string.format("8%06d%03d", i, 1 + i % 9) end
  return out
end

local function run(h, pg, redis_url, n, round)
  local name = "qbench" .. round
  local url = pg:database(name)
  local s = require("shoplive").store.open(url)
  assert(s:enqueue("daily", shops()) == SHOPS)
  s:close()
  h.control("reset")
  h.control(string.format("config?latency=%s&qps=%d", LATENCY, QPS))
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. sh_quote(dir))
  local parts = {}
  for i = 1, n do
    parts[i] = string.format("%s tests/support/queue_worker.lua %s %s daily 120 %d 0 %s %d %s > %s/w%d 2>&1 &",
      sh_quote(h.lua), sh_quote(h.base), sh_quote(url), CONC, sh_quote(redis_url), LIMIT_QPS, "bench" .. round, dir, i)
  end
  local t0 = core.now()
  os.execute(table.concat(parts, "\n") .. "\nwait")
  local wall = core.now() - t0
  local st = h.control("stats")
  local by = st.by_status or {}
  local shops_done, failed = 0, 0
  for i = 1, n do
    local f = io.open(dir .. "/w" .. i)
    local out = f and f:read("*a") or ""
    if f then f:close() end
    shops_done = shops_done + (tonumber(out:match("shops=(%d+)")) or 0)
    failed = failed + (tonumber(out:match("failed=(%d+)")) or 1)
  end
  os.execute("rm -rf " .. sh_quote(dir))
  local function int(v) return math.floor(tonumber(v) or 0) end
  return { workers = n, wall = wall, pages = int(by["200"]), r429 = int(by["429"]), requests = int(st.requests),
    shops = shops_done, failed = failed }
end

return function(h)
  local title = string.format("Queue: %d one-page shops through a PostgreSQL queue, 1, 2 and 4 worker processes "
    .. "(%d shops at once each), one Redis limiter at %d QPS; sandbox latency %.1f s, limit %d QPS "
    .. "(bench/queue_bench.lua)", SHOPS, CONC, LIMIT_QPS, LATENCY, QPS)
  if os.execute("command -v redis-server >/dev/null 2>&1") ~= true then
    h.section(title)
    h.note("skipped: redis-server not installed")
    return
  end
  local pg, why = require("support.postgres").start()
  if not pg then
    h.section(title)
    h.note("skipped: " .. tostring(why))
    return
  end
  local redis = require("support.redis_server")
  local ok, rs = pcall(redis.start)
  if not ok then
    pg:stop()
    error(rs, 0)
  end
  local results = {}
  local rok, err = pcall(function()
    for i, n in ipairs(WORKERS) do
      h.log("queue: %d shops, %d worker(s) at %d QPS, %.1f s latency...", SHOPS, n, QPS, LATENCY)
      results[i] = run(h, pg, rs.url, n, i)
    end
  end)
  rs.stop()
  pg:stop()
  h.control("reset")
  if not rok then error(err, 0) end
  local floor = SHOPS / QPS
  h.section(title)
  local rows = { { "workers", "wall time", "pages served", "pages / qps", "wall / (pages / qps)", "429s",
    "requests", "shops done", "failed" } }
  for _, r in ipairs(results) do
    rows[#rows + 1] = { tostring(r.workers), string.format("%.1f s", r.wall), tostring(r.pages),
      string.format("%.1f s", r.pages / QPS), string.format("%.2f", r.wall / (r.pages / QPS)), tostring(r.r429),
      tostring(r.requests), tostring(r.shops), tostring(r.failed) }
  end
  h.emit_table(rows)
  h.note(string.format("One worker with %d shops in flight is held by the latency (%d / %.1f s = %d QPS at best); "
    .. "with more workers the shared limiter holds them all at %d QPS, just under the key's %d, so the wall time "
    .. "stays near pages / qps = %.0f s (qps = the key's limit). Each worker's time includes starting a Lua process "
    .. "and connecting to PostgreSQL and Redis.", CONC, CONC, LATENCY, math.floor(CONC / LATENCY), LIMIT_QPS, QPS,
    floor))
  local best = results[#results]
  h.goal(string.format("queue: %d workers finish within %.2f x pages/qps, 0 429s, every shop done once",
    best.workers, GOAL), best.wall <= GOAL * (best.pages / QPS) and best.r429 == 0 and best.pages == SHOPS
    and best.shops == SHOPS and best.failed == 0,
    string.format("%.2f x, %d 429s, %d pages, %d shops", best.wall / (best.pages / QPS), best.r429, best.pages,
      best.shops))
end
