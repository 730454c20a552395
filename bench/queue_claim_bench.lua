-- bench/queue_claim_bench.lua - what a claim, `queue status` and a 20-credit
-- sync cost on a 30-shop queue and on a 1,000,000-shop one (all pending, and
-- 900k done: a long crawl's last tenth), on loopback PostgreSQL 15
-- (tests/support/postgres.lua). The queues are filled in SQL (INSERT ...
-- SELECT generate_series) and VACUUM ANALYZEd, as autovacuum would leave
-- them. "v2" rows run version 2's claim statement on its index (the claim
-- before schema version 3) over the same rows, for comparison.
--   dofile("bench/queue_claim_bench.lua")(h)   from bench/run.lua (section "claims"), or alone:
--   LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;" lua5.4 bench/queue_claim_bench.lua
-- The 20-credit sync runs only with a sandbox (SHOPLIVE_SANDBOX_URL).
package.path = "tests/?.lua;" .. package.path
local core = require("shoplive.core")
local shoplive = require("shoplive")

local SIZES = { 30, tonumber(os.getenv("QUEUE_BENCH_SHOPS") or "") or 1000000 }
local CLAIMS = 200      -- timed claims per queue (v2: V2_CLAIMS; one takes up to a second)
local V2_CLAIMS = 10
local SYNC_CREDITS = 20

-- version 2's claim (store/queue.lua before schema version 3), $-numbered
local NOW = "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"
local V2_STATUS = "SELECT seller_id, state, claimed_by, claimed_at, lease_until, attempts, finished_at, pages, "
  .. "credits, err_kind, err, " .. NOW .. " FROM queue WHERE queue = $1 ORDER BY id"
local V2_CLAIM = "UPDATE queue AS q SET state = 'claimed', claimed_by = $1, claimed_at = " .. NOW .. ", lease_until = "
  .. NOW .. " + $2::text::bigint, attempts = q.attempts + 1 WHERE q.id = (SELECT id FROM queue WHERE queue = $3 AND "
  .. "(state = 'pending' OR (state = 'claimed' AND lease_until < " .. NOW .. ")) ORDER BY id LIMIT 1 "
  .. "FOR UPDATE SKIP LOCKED) RETURNING q.seller_id, q.attempts"

--- Fill queue 'big' of the store's database with n one-page shops (ids
-- ending in 001: one record), the first `done` of them done.
local function fill(pg, db, n, done)
  local st, out = pg:psql(string.format("INSERT INTO queue (queue, seller_id, state, enqueued_at, attempts, pages, "
    .. "credits) SELECT 'big', '7' || lpad(g::text, 9, '0') || '001', CASE WHEN g <= %d THEN 'done' ELSE 'pending' "
    .. "END, 0, 0, CASE WHEN g <= %d THEN 1 END, CASE WHEN g <= %d THEN 1 END FROM generate_series(1, %d) g",
    done, done, done, n), db)
  assert(st == 0, out)
  st, out = pg:psql("VACUUM ANALYZE queue", db)
  assert(st == 0, out)
end

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

--- Median and slowest of k claims (ms), by claim(i).
local function time_claims(k, claim)
  local t = {}
  for i = 1, k do
    local t0 = core.now()
    assert(claim(i))
    t[i] = (core.now() - t0) * 1000
  end
  local slowest = 0
  for i = 1, k do slowest = math.max(slowest, t[i]) end
  return median(t), slowest
end

local function timed(fn)
  local t0 = core.now()
  local a, b = fn()
  return (core.now() - t0) * 1000, a, b
end

--- A client syncing SYNC_CREDITS shops off the queue: seconds.
local function sync_time(s, base)
  local c = shoplive.new{ api_key = os.getenv("KEYAPI_API_KEY") or "bench", base_url = base, store = s }
  local t0 = core.now()
  local r, err = c:sync{ queue = "big", max_credits = SYNC_CREDITS, concurrency = 1 }
  local secs = core.now() - t0
  c:close()
  r = r or err.report
  assert(r.credits == SYNC_CREDITS, "sync spent " .. tostring(r.credits) .. " credits")
  return secs
end

local function one(h, pg, n, done, round, base)
  local name = "claims" .. round
  local url = pg:database(name)
  local s = shoplive.store.open(url)
  h.log("claims: filling %d shops (%d done)...", n, done)
  local fill_ms = timed(function() fill(pg, name, n, done) end)
  local k = math.min(CLAIMS, n - done)
  local med, max = time_claims(k, function() return s:claim("big", "bench:1", 600) end)
  local status_ms = timed(function() return assert(s:queue_status("big")) end)
  local row = { n = n, done = done, fill = fill_ms / 1000, claim = med, claim_max = max, status = status_ms, k = k }
  -- the shops claimed (and synced) back to pending: each measure below
  -- starts from the same queue (fill() sets no claimed_by)
  local function unclaim()
    assert(s.db:exec("UPDATE queue SET state = 'pending', claimed_by = NULL, claimed_at = NULL, lease_until = NULL, "
      .. "finished_at = NULL, pages = NULL, credits = NULL, attempts = 0 WHERE claimed_by IS NOT NULL"))
  end
  unclaim()
  if base then
    row.sync = sync_time(s, base)
    unclaim()
  end
  -- version 2: its index, its claim statement, on the same rows
  assert(s.db:exec("CREATE INDEX queue_next ON queue (queue, state, id)"))
  assert(s.db:exec("ANALYZE queue"))
  local stmt = assert(s.db:prepare(V2_CLAIM))
  local vk = math.min(V2_CLAIMS, n - done)
  row.v2_claim, row.v2_max = time_claims(vk, function()
    local r = stmt:rows("bench:2", 600, "big")
    return r and r[1]
  end)
  row.v2_k = vk
  stmt:finalize()
  -- version 2's queue status: every row into Lua, counted there
  stmt = assert(s.db:prepare(V2_STATUS))
  collectgarbage()
  local kb0 = collectgarbage("count")
  local rows
  local by_state
  row.v2_status, by_state = timed(function()
    rows = assert(stmt:rows("big"))
    local by = {}
    for _, r in ipairs(rows) do by[r[2]] = (by[r[2]] or 0) + 1 end
    return by
  end)
  assert((by_state.done or 0) == done)
  row.v2_status_mib = (collectgarbage("count") - kb0) / 1024
  rows = nil -- luacheck: ignore 311
  stmt:finalize()
  if done == 0 then
    -- the same shops through the API, onto a second queue
    local ids = {}
    for i = 1, n do ids[i] = string.format("7%09d001", i) end
    local queued
    row.enqueue, queued = timed(function() return assert(s:enqueue("enq", ids)) end)
    assert(queued == n)
  end
  s:close()
  return row
end

local function run(h)
  local title = "Queue claims at 30 and 1,000,000 shops: one claim, `queue status`, a 20-credit sync "
    .. "(bench/queue_claim_bench.lua)"
  local pg, why = require("support.postgres").start()
  if not pg then
    h.section(title)
    h.note("skipped: " .. tostring(why))
    return
  end
  local base = os.getenv("SHOPLIVE_SANDBOX_URL")
  local rows, round = {}, 0
  local ok, err = pcall(function()
    for _, n in ipairs(SIZES) do
      for _, done in ipairs(n > 30 and { 0, math.floor(n * 0.9) } or { 0 }) do
        round = round + 1
        rows[#rows + 1] = one(h, pg, n, done, round, base)
      end
    end
  end)
  pg:stop()
  if not ok then error(err, 0) end
  h.section(title)
  local t = { { "shops", "done", "fill (SQL)", "claim, median", "claim, slowest", "queue status", "20-credit sync",
    "v2 claim, median", "v2 claim, slowest", "v2 queue status", "store:enqueue (all shops)" } }
  for _, r in ipairs(rows) do
    t[#t + 1] = { tostring(r.n), tostring(r.done), string.format("%.1f s", r.fill),
      string.format("%.2f ms (%d)", r.claim, r.k), string.format("%.2f ms", r.claim_max),
      string.format("%.0f ms", r.status), r.sync and string.format("%.2f s", r.sync) or "-",
      string.format("%.2f ms (%d)", r.v2_claim, r.v2_k), string.format("%.2f ms", r.v2_max),
      string.format("%.0f ms, %.0f MiB in Lua", r.v2_status, r.v2_status_mib),
      r.enqueue and string.format("%.1f s", r.enqueue / 1000) or "-" }
  end
  h.emit_table(t)
  h.note("Claim: store:claim on the store's connection, timed in Lua (a round trip on loopback). The 20-credit "
    .. "sync: client:sync{ queue =, max_credits = 20 } of one-page shops against the sandbox at its defaults.")
  local worst = 0
  for _, r in ipairs(rows) do worst = math.max(worst, r.claim) end
  h.goal("queue: a claim costs <= 5 ms (median) at 1,000,000 shops as at 30", worst <= 5,
    string.format("worst median %.2f ms", worst))
end

if arg and arg[0] and arg[0]:find("queue_claim_bench%.lua$") then
  -- run alone: print what bench/run.lua would put in BENCHMARKS.md
  local function printer(...) print(...) end
  run{ section = function(s) printer("== " .. s) end, note = printer,
    log = function(fmt, ...) io.stderr:write(string.format(fmt, ...), "\n") end,
    emit_table = function(t) for _, r in ipairs(t) do printer(table.concat(r, " | ")) end end,
    goal = function(name, ok, detail) printer((ok and "PASS " or "FAIL ") .. name .. ": " .. detail) end }
end
return run
