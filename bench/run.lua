-- bench/run.lua - shoplive's benchmarks: streaming memory, decode speed,
-- concurrency and rate limits against the sandbox (with the ways a user
-- would otherwise do the job: Python requests, curl + jq, luasocket +
-- lua-cjson), and poll(0) latency. Prints a table and writes the figures
-- into BENCHMARKS.md (between the "bench:results" markers).
--
--   make bench        (builds, starts a sandbox, runs this; see the Makefile)
--   tools/with-sandbox lua5.4 bench/run.lua [SECTION...] [--no-write]
--     SECTION: memory decode rate speed poll recovery shared store report report_store queue claims floor (default:
--     all of them; floor is bench/floor_bench.lua, which needs `make bench-floor`)
--     with LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;"
--
-- The machine is shared and noisy: every figure that matters is a ratio to
-- a baseline measured in the same run, and cheap runs are repeated (median).
local shoplive = require("shoplive")
local core = require("shoplive.core")
local http = require("socket.http")
local socket = require("socket")
local ltn12 = require("ltn12")
local cjson = require("cjson")

local now = core.now or socket.gettime

-- ---- settings ----------------------------------------------------------

local SHOP = "999"              -- 999 records: pages 1..100, page 100 holds 9
local SHOP_RECORDS = 999
local SHOP_PAGES = 100
local PAGE_SIZE = 10
local RATE = { latency = 0.2, qps = 10 } -- scenario A
local SPEED_RUNS = 5            -- scenario B: median of this many runs per way
local MEM_RUNS = 3              -- streaming memory: median of this many processes
local DECODE_RUNS = 3           -- decode_bench.lua: median ratio of this many runs
local DECODE_ITER = 50000
local POLL_CALLS = 1000
local POLL_LATENCY = 0.5
local UNPACED_CAP = 30          -- seconds: the "no client qps" row of scenario A stops there
local MEM_GOAL_MIB = 10
local RATE_GOAL = 1.10          -- within 10% of pages/qps
local POLL_GOAL_US = 1000

local BASE = os.getenv("SHOPLIVE_SANDBOX_URL") or os.getenv("KEYAPI_BASE_URL")
if not BASE or not os.getenv("KEYAPI_API_KEY") then
  io.stderr:write("bench/run.lua: no sandbox; run it as `make bench` or `tools/with-sandbox lua5.4 bench/run.lua`\n")
  os.exit(2)
end

local SECTIONS = { "memory", "decode", "rate", "speed", "poll", "recovery", "shared", "store", "report", "report_store",
  "queue", "claims", "floor" }
local want, write_md = {}, true
for _, a in ipairs(arg) do
  if a == "--no-write" then
    write_md = false
  else
    local known = false
    for _, s in ipairs(SECTIONS) do known = known or s == a end
    if not known then
      io.stderr:write("bench/run.lua: unknown argument " .. a .. " (sections: " .. table.concat(SECTIONS, " ")
        .. "; --no-write)\n")
      os.exit(2)
    end
    want[a] = true
  end
end
if next(want) == nil then
  for _, s in ipairs(SECTIONS) do want[s] = true end
end

-- The interpreter running this script, for the child processes.
local LUA = "lua5.4"
do
  local i = -1
  while arg[i] do LUA = arg[i]; i = i - 1 end
end

-- ---- helpers -----------------------------------------------------------

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Run a shell command; returns its stdout (trailing newline removed) and
-- whether it exited 0.
local function sh(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("a")
  local ok = f:close()
  return (out:gsub("\n+$", "")), ok == true
end

local function log(fmt, ...)
  io.stderr:write(string.format(fmt, ...), "\n")
end

local function control(path)
  local chunks = {}
  local ok, code = http.request{ url = BASE .. "/_sandbox/" .. path, sink = ltn12.sink.table(chunks) }
  assert(ok and code == 200, "sandbox control " .. path .. " failed: " .. tostring(code))
  return cjson.decode(table.concat(chunks))
end

local function sandbox_settings(latency, qps)
  control("reset")
  control(string.format("config?latency=%s&qps=%s", latency, qps))
end

local function server_stats()
  local st = control("stats")
  local by = st.by_status or {}
  return {
    requests = st.requests or 0,
    ok = by["200"] or 0,
    r429 = by["429"] or 0,
    connections = st.connections or 0,
    other = (st.requests or 0) - (by["200"] or 0) - (by["429"] or 0),
  }
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  if n == 0 then return nil end
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

local function percentile(sorted, p)
  local i = math.max(1, math.ceil(#sorted * p))
  return sorted[i]
end

local function pass(ok) return ok and "PASS" or "FAIL" end

--- Fixed-width table from rows of strings; the first row is the header.
-- Returns the text lines and the Markdown lines.
local function table_lines(rows)
  local w = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do w[i] = math.max(w[i] or 0, #c) end
  end
  local txt, md = {}, {}
  for ri, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(r) do cells[i] = c .. string.rep(" ", w[i] - #c) end
    txt[#txt + 1] = table.concat(cells, "  ")
    md[#md + 1] = "| " .. table.concat(r, " | ") .. " |"
    if ri == 1 then
      local seps = {}
      for i = 1, #r do seps[i] = "---" end
      md[#md + 1] = "| " .. table.concat(seps, " | ") .. " |"
    end
  end
  return txt, md
end

local report_txt, report_md, goals = {}, {}, {}

local function section(title)
  report_txt[#report_txt + 1] = ""
  report_txt[#report_txt + 1] = "== " .. title
  report_md[#report_md + 1] = ""
  report_md[#report_md + 1] = "### " .. title
  report_md[#report_md + 1] = ""
end

local function emit_table(rows)
  local txt, md = table_lines(rows)
  for _, l in ipairs(txt) do report_txt[#report_txt + 1] = l end
  for _, l in ipairs(md) do report_md[#report_md + 1] = l end
end

local function note(s)
  report_txt[#report_txt + 1] = s
  report_md[#report_md + 1] = ""
  report_md[#report_md + 1] = s
end

local function goal(name, ok, detail)
  goals[#goals + 1] = { name = name, ok = ok, detail = detail }
end

-- Every run of every way in sections 3A, 3A' and 3B: all records, no failed page.
local complete = { runs = 0, bad = 0 }
local function check_complete(r, want_recs)
  complete.runs = complete.runs + 1
  if r.records ~= want_recs or r.failed ~= 0 then complete.bad = complete.bad + 1 end
end

-- ---- the ways to fetch a shop ------------------------------------------

--- Which python3 to use: Debian's (with python3-requests) first.
local PYTHON
for _, py in ipairs{ "/usr/bin/python3", "python3" } do
  local _, ok = sh(py .. " -c 'import requests' 2>/dev/null")
  if ok then PYTHON = py; break end
end
local HAVE_JQ = select(2, sh("command -v jq >/dev/null 2>&1"))
local HAVE_CURL = select(2, sh("command -v curl >/dev/null 2>&1"))

--- A shoplive way: returns a function that fetches SHOP and returns
-- { records=, pages=, failed=, seconds=, requests= (client-side) }.
local function shoplive_way(opts, q)
  return function()
    local client = shoplive.new(opts)
    local t0 = now()
    local recs, err = client:all_livestreams(q)
    local dt = now() - t0
    local st = client:stats()
    client:close()
    local n = recs and #recs or #(err.records or {})
    local pages = math.ceil(n / PAGE_SIZE)
    local expect = q.max_pages or SHOP_PAGES
    return { records = n, pages = pages, failed = recs and 0 or (expect - pages), seconds = dt,
      requests = st.requests, retries = st.retries, err = err and tostring(err) or nil }
  end
end

--- A shoplive way that stops iterating after `cap` seconds (for a way that
-- may take minutes): pages and records are what it got by then, and
-- `expect_pages` tells the table how many pages that time is measured for.
local function capped_way(opts, q, cap)
  return function()
    local client = shoplive.new(opts)
    local t0 = now()
    local pages, records, err = 0, 0, nil
    local ok, e = pcall(function()
      for page in client:pages(q) do
        pages, records = pages + 1, records + #page.records
        if now() - t0 >= cap then break end
      end
    end)
    if not ok then err = tostring(e) end
    local dt = now() - t0
    local st = client:stats()
    client:close()
    local whole = records == SHOP_RECORDS
    return { records = records, pages = pages, failed = err and 1 or 0, seconds = dt, requests = st.requests,
      err = err, expect_pages = (not whole) and pages or nil,
      expect_records = (not whole) and pages * PAGE_SIZE or nil }
  end
end

--- A comparator: a child process that prints "pages records seconds 429s failed".
local function command_way(cmd)
  return function()
    local out, ok = sh(cmd .. " " .. SHOP)
    local p, r, s, rl, f = out:match("^(%d+) (%d+) ([%d.]+) (%d+) (%d+)$")
    if not ok or not p then
      return { records = 0, pages = 0, failed = SHOP_PAGES, seconds = 0/0, err = "bad output: " .. out }
    end
    return { pages = tonumber(p), records = tonumber(r), seconds = tonumber(s), client_429 = tonumber(rl),
      failed = tonumber(f) }
  end
end

local comparators = {
  { name = "Python requests.Session",
    run = PYTHON and command_way(PYTHON .. " bench/compare/python_requests.py"),
    missing = "python3 with requests (apt-get install python3-requests)" },
  { name = "curl + jq (bash loop)",
    run = HAVE_CURL and HAVE_JQ and command_way("bash bench/compare/curl_jq.sh"),
    missing = "curl and jq" },
  { name = "luasocket + lua-cjson",
    run = command_way(sh_quote(LUA) .. " bench/compare/luasocket_cjson.lua"),
    missing = "lua-socket, lua-cjson" },
}

-- ---- 1. streaming memory -------------------------------------------------

local function bench_memory()
  log("memory: each_livestream over shops 1000 and 100000 (%d processes each), 999999 (once)...", MEM_RUNS)
  local cases = {
    { seller = "1000", mode = "dedup" },
    { seller = "100000", mode = "dedup" },
    { seller = "1000", mode = "nodedup" },
    { seller = "100000", mode = "nodedup" },
    -- Beyond the goal, once each (~20 s apiece): where the room_id set goes.
    { seller = "999999", mode = "dedup", runs = 1 },
    { seller = "999999", mode = "nodedup", runs = 1 },
  }
  local res = {}
  for run = 1, MEM_RUNS do
    for _, c in ipairs(cases) do
      if run > (c.runs or MEM_RUNS) then goto next_case end
      sandbox_settings(0, 0)
      local out, ok = sh(sh_quote(LUA) .. " bench/stream_rss.lua " .. c.seller .. " " .. c.mode .. " 2>&1")
      local hwm, recs, pages, secs, lkb = out:match("vmhwm_kb=(%d+) records=(%d+) pages=(%d+) seconds=([%d.]+) lua_kb=(%-?%d+)")
      assert(ok and hwm, "stream_rss.lua failed: " .. out)
      local key = c.seller .. "/" .. c.mode
      local r = res[key] or { hwm = {}, secs = {}, lua = {}, seller = c.seller, mode = c.mode }
      res[key] = r
      r.hwm[#r.hwm + 1] = tonumber(hwm)
      r.secs[#r.secs + 1] = tonumber(secs)
      r.lua[#r.lua + 1] = tonumber(lkb)
      r.records, r.pages = tonumber(recs), tonumber(pages)
      assert(r.records == tonumber(c.seller), "stream_rss: " .. key .. " counted " .. recs .. " records")
      ::next_case::
    end
  end
  section("1. Streaming memory: each_livestream, peak RSS (VmHWM)")
  local rows = { { "shop (records)", "room_id dedup", "pages fetched", "peak RSS MiB (median)",
    "runs (kB)", "live Lua heap at last record, MiB", "seconds" } }
  for _, c in ipairs(cases) do
    local r = res[c.seller .. "/" .. c.mode]
    local hw = {}
    for i, v in ipairs(r.hwm) do hw[i] = tostring(v) end
    rows[#rows + 1] = { c.seller, c.mode == "dedup" and "on (default)" or "off (dedup=false)", tostring(r.pages),
      string.format("%.2f", median(r.hwm) / 1024), table.concat(hw, ", "),
      string.format("%.2f", median(r.lua) / 1024), string.format("%.2f", median(r.secs)) }
  end
  emit_table(rows)
  local d = (median(res["100000/dedup"].hwm) - median(res["1000/dedup"].hwm)) / 1024
  local dn = (median(res["100000/nodedup"].hwm) - median(res["1000/nodedup"].hwm)) / 1024
  local set_rss = (median(res["100000/dedup"].hwm) - median(res["100000/nodedup"].hwm)) / 1024
  local set_heap = (median(res["100000/dedup"].lua) - median(res["100000/nodedup"].lua)) / 1024
  note(string.format("Peak RSS, 100,000 records minus 1,000 records: %.2f MiB with dedup (goal <= %d MiB: %s); "
    .. "%.2f MiB with dedup=false.", d, MEM_GOAL_MIB, pass(d <= MEM_GOAL_MIB), dn))
  note(string.format("The room_id set's share at 100,000 records: %.2f MiB of peak RSS (dedup minus dedup=false), "
    .. "%.2f MiB of live Lua heap (%.0f bytes per id). It grows linearly with the shop: everything else is flat.",
    set_rss, set_heap, set_heap * 1048576 / 100000))
  local big, bign = res["999999/dedup"], res["999999/nodedup"]
  note(string.format("Beyond the goal, 999,999 records (one run each): peak RSS %.2f MiB with dedup (+%.2f MiB over "
    .. "1,000 records; live Lua heap %.2f MiB), %.2f MiB with dedup=false (+%.2f MiB).",
    median(big.hwm) / 1024, (median(big.hwm) - median(res["1000/dedup"].hwm)) / 1024, median(big.lua) / 1024,
    median(bign.hwm) / 1024, (median(bign.hwm) - median(res["1000/nodedup"].hwm)) / 1024))
  goal("streaming memory: peak RSS 100,000 records within 10 MiB of 1,000", d <= MEM_GOAL_MIB,
    string.format("%.2f MiB apart (%.2f vs %.2f MiB); room_id set %.2f MiB of it", d,
      median(res["100000/dedup"].hwm) / 1024, median(res["1000/dedup"].hwm) / 1024, set_rss))
end

-- ---- 2. decode -------------------------------------------------------------

local function bench_decode()
  log("decode: bench/decode_bench.lua %d iterations x %d runs...", DECODE_ITER, DECODE_RUNS)
  local ratios, last = {}, nil
  for _ = 1, DECODE_RUNS do
    local out, ok = sh(sh_quote(LUA) .. " bench/decode_bench.lua " .. DECODE_ITER .. " 2>&1")
    assert(ok, "decode_bench.lua failed: " .. out)
    last = out
    for name, resp, gen in out:gmatch("([^\n]+): decode_response/cjson = ([%d.]+), json_decode/cjson = ([%d.]+)") do
      ratios[name] = ratios[name] or { resp = {}, gen = {} }
      table.insert(ratios[name].resp, tonumber(resp))
      table.insert(ratios[name].gen, tonumber(gen))
    end
  end
  section("2. Decode: a 10-record page (8 kB), shoplive's C decoder vs lua-cjson (bench/decode_bench.lua)")
  if not next(ratios) then
    note("lua-cjson not found: no comparison. decode_bench.lua said:\n" .. (last or ""))
    return
  end
  -- The us/page lines of the last run, for scale.
  local us = {}
  for line in last:gmatch("[^\n]+") do
    local name, usv = line:match("^(%S+%s+%S+)%s+[%d.]+ s%s+([%d.]+) us/page")
    if name then us[#us + 1] = { name:gsub("%s+", " "), usv } end
  end
  local rows = { { "body", "decode_response / cjson.decode (time, median of " .. DECODE_RUNS .. ")",
    "json_decode / cjson.decode" } }
  local label = { pretty = "pretty-printed", ["compact+\\/"] = "compact, slashes escaped" }
  for _, name in ipairs{ "pretty", "compact+\\/" } do
    local r = ratios[name]
    if r then
      local m = median(r.resp)
      rows[#rows + 1] = { label[name], string.format("%.2f", m), string.format("%.2f", median(r.gen)) }
      goal("decode: decode_response faster than lua-cjson (" .. label[name] .. ")", m < 1,
        string.format("%.2fx cjson's time", m))
    end
  end
  emit_table(rows)
  local parts = {}
  for _, u in ipairs(us) do parts[#parts + 1] = u[1]:gsub("compact%+\\/", "compact") .. " " .. u[2] .. " us" end
  note("Per page in the last run (absolute, noisy): " .. table.concat(parts, "; ") .. ". A ratio < 1 means faster than "
    .. "lua-cjson, while producing exact int64 integers and the page table.")
end

-- ---- 3. concurrency and rate limits ----------------------------------------

local function fmt_ms(s) return string.format("%.2f", s * 1000) end

--- One rate-limited scenario: every way against the sandbox at `latency`
-- seconds and a `qps` limit, the sandbox reset before each way.
local function rate_scenario(title, latency, qps, ways, closing)
  local ideal = SHOP_PAGES / qps
  log("rate: sandbox latency %.1f s, qps %d...", latency, qps)
  section(string.format("%s: sandbox latency %.1f s, %d QPS; shop %s (%d pages, %d records); "
    .. "ideal = pages / qps = %.0f s", title, latency, qps, SHOP, SHOP_PAGES, SHOP_RECORDS, ideal))
  local rows = { { "way", "wall s", "ms/page", "x ideal", "429s (server)", "requests (server)", "failed pages", "records" } }
  for _, w in ipairs(ways) do
    if not w.run then
      rows[#rows + 1] = { w.name, "skipped: needs " .. w.missing, "", "", "", "", "", "" }
    else
      log("  %s", w.name)
      sandbox_settings(latency, qps)
      local r = w.run()
      local st = server_stats()
      -- A capped way that did not finish is measured on the pages it got.
      local pages = r.expect_pages or SHOP_PAGES
      local want_recs = r.expect_records or SHOP_RECORDS
      local label = w.name
      if r.expect_pages then label = label .. ": " .. pages .. " pages by then" end
      local ratio = r.seconds / (pages / qps)
      rows[#rows + 1] = { label, string.format("%.2f", r.seconds), fmt_ms(r.seconds / pages),
        string.format("%.2f", ratio), string.format("%d", st.r429), string.format("%d", st.requests), tostring(r.failed),
        tostring(r.records) .. (r.records == want_recs and "" or " (WRONG)") }
      if r.err then log("    error: %s", r.err) end
      check_complete(r, want_recs)
      if w.goal then
        goal(string.format("%.1f s latency, %d QPS: %s within 10%% of pages/qps, no 429, no failed page",
          latency, qps, w.name),
          ratio <= RATE_GOAL and st.r429 == 0 and r.failed == 0 and r.records == SHOP_RECORDS,
          string.format("%.2f s = %.3f x ideal, %d 429s, %d failed pages", r.seconds, ratio, st.r429, r.failed))
      end
      if r.records ~= want_recs or r.failed ~= 0 then
        goal("every way gets all records: " .. w.name, false, r.records .. " records, " .. r.failed .. " failed pages")
      end
    end
  end
  emit_table(rows)
  note(closing)
end

local function bench_rate()
  local ways = {
    { name = "shoplive sequential", run = shoplive_way({}, { seller_id = SHOP }) },
    { name = "shoplive qps=10, concurrency=4", goal = true,
      run = shoplive_way({ qps = RATE.qps }, { seller_id = SHOP, concurrency = 4 }) },
    { name = "shoplive qps=10, concurrency=8", goal = true,
      run = shoplive_way({ qps = RATE.qps }, { seller_id = SHOP, concurrency = 8 }) },
  }
  for _, c in ipairs(comparators) do ways[#ways + 1] = c end
  ways[#ways + 1] = { name = string.format("shoplive concurrency=8, no qps option (stopped at %d s)", UNPACED_CAP),
    run = capped_way({}, { seller_id = SHOP, concurrency = 8 }, UNPACED_CAP) }
  rate_scenario("3A. At the rate limit", RATE.latency, RATE.qps, ways, string.format(
    "Sequential ways are bound by latency (%d x %.1f s = %.0f s), not by the limit; only a concurrent "
    .. "client can reach pages/qps. 429s and requests are counted by the sandbox (/_sandbox/stats, reset before each "
    .. "way); requests above %d are retries after a 429 or pages prefetched past the short page (a prefetch the "
    .. "client cancelled in flight included). The comparators sleep Retry-After on a 429 and ask again. The last "
    .. "row is a user who asks for concurrency without telling the client the limit; it stops after %d s, and "
    .. "unless it finished by then its ms/page and x ideal are for the pages it got.",
    SHOP_PAGES, RATE.latency, SHOP_PAGES * RATE.latency, SHOP_PAGES, UNPACED_CAP))

  -- No latency: a sequential loop is now faster than the limit, so the ways
  -- that do not pace run into 429s.
  ways = {
    { name = "shoplive sequential, no qps option", run = shoplive_way({}, { seller_id = SHOP }) },
    { name = "shoplive sequential, qps=10", goal = true, run = shoplive_way({ qps = RATE.qps }, { seller_id = SHOP }) },
  }
  for _, c in ipairs(comparators) do ways[#ways + 1] = c end
  rate_scenario("3A'. At the rate limit with no latency", 0, RATE.qps, ways,
    "With no latency every sequential way outruns the limit. The sandbox allows 10 requests in any sliding "
    .. "1-second window, so a client that bursts 10 and then sleeps Retry-After (1 s) gets 100 pages in about 9 s "
    .. "plus its 429s; a paced client (requests 1/qps apart) takes 9.9 s with none.")
end

local function bench_speed()
  log("speed: no latency, no qps; %d runs of each way...", SPEED_RUNS)
  local ways = {
    { name = "shoplive sequential", run = shoplive_way({}, { seller_id = SHOP }) },
    { name = "shoplive concurrency=4", run = shoplive_way({}, { seller_id = SHOP, concurrency = 4 }) },
    { name = "shoplive concurrency=8", run = shoplive_way({}, { seller_id = SHOP, concurrency = 8 }) },
  }
  for _, c in ipairs(comparators) do ways[#ways + 1] = c end
  local res = {}
  for _ = 1, SPEED_RUNS do
    for i, w in ipairs(ways) do
      if w.run then
        sandbox_settings(0, 0)
        local r = w.run()
        local st = server_stats()
        local x = res[i] or { t = {}, bad = 0, r429 = 0, requests = {}, conns = {} }
        res[i] = x
        x.t[#x.t + 1] = r.seconds / SHOP_PAGES
        if r.records ~= SHOP_RECORDS or r.failed ~= 0 then x.bad = x.bad + 1 end
        check_complete(r, SHOP_RECORDS)
        x.r429 = x.r429 + st.r429
        x.requests[#x.requests + 1] = st.requests
        x.conns[#x.conns + 1] = st.connections
      end
    end
  end
  section(string.format("3B. No latency, no QPS limit: shop %s, %d pages (median of %d runs)", SHOP, SHOP_PAGES, SPEED_RUNS))
  local base = res[1] and median(res[1].t)
  local rows = { { "way", "ms/page", "x shoplive sequential", "min..max ms/page", "requests (server)",
    "connections", "runs with wrong records/failures", "429s" } }
  for i, w in ipairs(ways) do
    local x = res[i]
    if not x then
      rows[#rows + 1] = { w.name, "skipped: needs " .. w.missing, "", "", "", "", "", "" }
    else
      local s = {}
      for k, v in ipairs(x.t) do s[k] = v end
      table.sort(s)
      local m = median(x.t)
      rows[#rows + 1] = { w.name, fmt_ms(m), string.format("%.2f", m / base),
        fmt_ms(s[1]) .. ".." .. fmt_ms(s[#s]), string.format("%d", median(x.requests)), string.format("%d", median(x.conns)),
        tostring(x.bad), tostring(x.r429) }
      if i > 3 then
        goal("no latency: shoplive sequential faster per page than " .. w.name, base < m,
          string.format("%s vs %s ms/page (%.2fx)", fmt_ms(base), fmt_ms(m), m / base))
      end
      if x.bad > 0 then goal("every way gets all records: " .. w.name, false, x.bad .. " bad runs") end
    end
  end
  emit_table(rows)
  note("Times are measured inside each way around its fetch loop (interpreter start-up excluded). "
    .. "\"x shoplive sequential\" > 1 means slower than shoplive sequential.")
end

-- ---- 4. poll(0) latency ----------------------------------------------------

local function bench_poll()
  log("poll: %d x client:poll(0) with requests in flight (latency %.1f s)...", POLL_CALLS, POLL_LATENCY)
  section(string.format("4. client:poll(0) while requests are in flight (sandbox latency %.1f s)", POLL_LATENCY))
  local rows = { { "requests in flight", "calls", "median us", "p99 us", "max us", "calls with all still in flight" } }
  for _, inflight in ipairs{ 1, 8 } do
    sandbox_settings(POLL_LATENCY, 0)
    local client = shoplive.new{}
    local reqs = {}
    for i = 1, inflight do reqs[i] = client:start{ seller_id = SHOP, page = i } end
    local times, busy = {}, 0
    for i = 1, POLL_CALLS do
      local t0 = now()
      client:poll(0)
      times[i] = (now() - t0) * 1e6
      local all = true
      for _, r in ipairs(reqs) do all = all and not r:done() end
      if all then busy = busy + 1 end
    end
    local deadline = now() + 10
    while client:poll(0.05) > 0 and now() < deadline do end
    for _, r in ipairs(reqs) do assert(r:done() and r:result(), "poll bench: a request failed") end
    client:close()
    table.sort(times)
    local mx = times[#times]
    rows[#rows + 1] = { tostring(inflight), tostring(POLL_CALLS), string.format("%.1f", median(times)),
      string.format("%.1f", percentile(times, 0.99)), string.format("%.1f", mx), tostring(busy) }
    goal(string.format("poll(0) under 1 ms with %d request(s) in flight", inflight), mx < POLL_GOAL_US,
      string.format("max %.1f us, p99 %.1f us", mx, percentile(times, 0.99)))
  end
  emit_table(rows)
end

-- ---- 6. the HTML report -----------------------------------------------------

local function bench_report()
  log("report: bench/report_bench.lua...")
  local out, ok = sh(sh_quote(LUA) .. " bench/report_bench.lua 5 2>&1")
  assert(ok, "report_bench.lua failed: " .. out)
  local n, shops, bytes, rep, json, ratio = out:match(
    "report: (%d+) livestreams, (%d+) shops, (%d+) bytes; cpu report ([%d.]+) s, to_json ([%d.]+) s, ratio ([%d.]+)")
  assert(n, "report_bench.lua said: " .. out)
  section(string.format("6. shoplive.report: %s livestreams over %s shops (bench/report_bench.lua, median of 5)", n, shops))
  emit_table({ { "document", "CPU to build", "shoplive.to_json of the same records", "report / to_json" },
    { string.format("%.2f MB", bytes / 1048576), rep .. " s", json .. " s", ratio } })
  goal("report: 10,000 livestreams give a document under 3 MB", tonumber(bytes) < 3 * 1048576,
    string.format("%.2f MB", bytes / 1048576))
  goal("report: built in under 1 s of CPU", tonumber(rep) < 1, rep .. " s (" .. ratio .. "x to_json)")
end

-- The report of a store of 1,000,000 livestreams (bench/report_store_bench.lua;
-- the store is generated once under build/bench and reused).
local function bench_report_store()
  log("report_store: bench/report_store_bench.lua (generates build/bench/report_1m.db once)...")
  local out, ok = sh(sh_quote(LUA) .. " bench/report_store_bench.lua 2>&1")
  assert(ok, "report_store_bench.lua failed: " .. out)
  local n, shops, bytes, cpu, rss = out:match(
    "report_store: (%d+) livestreams, (%d+) shops, (%d+) bytes; cpu ([%d.]+) s, peak rss (%d+) MB")
  assert(n, "report_store_bench.lua said: " .. out)
  section(string.format("6b. shoplive.report(store): %s livestreams over %s shops in SQLite "
    .. "(bench/report_store_bench.lua)", n, shops))
  emit_table({ { "document", "CPU (the process: SQLite included)", "peak RSS" },
    { string.format("%.2f MB", bytes / 1048576), cpu .. " s", rss .. " MB" } })
  goal("report_store: 1,000,000 stored livestreams in <= 5 s of CPU", tonumber(cpu) <= 5, cpu .. " s")
  goal("report_store: peak RSS <= 300 MB", tonumber(rss) <= 300, rss .. " MB")
end

-- ---- run -------------------------------------------------------------------

-- ---- the store (bench/store_bench.lua) ------------------------------------

local function bench_store()
  log("store: bench/store_bench.lua (sync with/without a store, cached pages, 100,000 records read back)...")
  control("reset")
  local out, ok = sh(sh_quote(LUA) .. " bench/store_bench.lua 2>&1")
  section("5. Store: the page cache and sync into SQLite (bench/store_bench.lua, sandbox without latency)")
  if not ok then
    note("store_bench.lua failed:\n" .. out)
    goal("store: bench ran", false, "failed")
    return
  end
  local f = {}
  for k, v in out:gmatch("(%w[%w_]*)=(%S+)") do f[k] = tonumber(v) end
  emit_table{
    { "figure", "without / fetched", "with / from the store", "ratio" },
    { "sync of 4 shops, 404 pages (median of 5)", string.format("%.3f s", f.sync_without_s),
      string.format("%.3f s", f.sync_with_s), string.format("%.2fx the time", f.sync_ratio) },
    { "per page: a page / saving it (of which COMMIT)", string.format("%.0f us", f.sync_page_us),
      string.format("%.0f us (%.0f us)", f.sync_save_us, f.sync_commit_us), "" },
    { "one page (median of 5 rounds of 200)", string.format("%.3f ms", f.fetch_page_ms),
      string.format("%.3f ms", f.cached_page_ms), string.format("%.1fx faster", f.cached_ratio) },
    { "100,000 records as Lua tables", string.format("%.2f s", f.fetch_100k_s),
      string.format("%.2f s", f.read_100k_s), string.format("%.1fx faster", f.read_ratio) },
  }
  goal("store: sync with a store <= 1.25x without", f.sync_ratio <= 1.25, string.format("%.2fx", f.sync_ratio))
  goal("store: cached page >= 10x faster than fetching", f.cached_ratio >= 10, string.format("%.1fx", f.cached_ratio))
  goal("store: 100,000 stored records read >= 5x faster than fetched", f.read_ratio >= 5,
    string.format("%.1fx", f.read_ratio))
end

local started = os.date("!%Y-%m-%d %H:%M UTC")
local t_start = now()
if want.memory then bench_memory() end
if want.decode then bench_decode() end
if want.rate then bench_rate() end
if want.speed then bench_speed() end
if want.poll then bench_poll() end
if want.recovery then
  dofile("bench/limiter_recovery_bench.lua"){ base = BASE, control = control, section = section,
    emit_table = emit_table, note = note, goal = goal, log = log }
end
if want.shared then
  dofile("bench/limiter_shared_bench.lua"){ base = BASE, control = control, section = section,
    emit_table = emit_table, note = note, goal = goal, log = log }
end
if want.store then bench_store() end
if want.report then bench_report() end
if want.report_store then bench_report_store() end
if want.queue then
  dofile("bench/queue_bench.lua"){ base = BASE, control = control, section = section, lua = LUA,
    emit_table = emit_table, note = note, goal = goal, log = log }
end
if want.claims then
  dofile("bench/queue_claim_bench.lua"){ section = section, emit_table = emit_table, note = note, goal = goal, log = log }
end
if want.floor then
  dofile("bench/floor_bench.lua"){ sh = sh, sh_quote = sh_quote, log = log, median = median, lua = LUA, python = PYTHON,
    section = section, emit_table = emit_table, note = note, goal = goal }
end
control("reset")

if complete.runs > 0 then
  goal("every way, every run got all its records (999, or 10 per page for a capped row) with no failed page",
    complete.bad == 0, string.format("%d of %d runs complete", complete.runs - complete.bad, complete.runs))
end

-- Goals
section("Goals")
local grows = { { "goal", "result", "measured" } }
for _, g in ipairs(goals) do grows[#grows + 1] = { g.name, pass(g.ok), g.detail } end
emit_table(grows)

local function first_line(cmd)
  local out = sh(cmd .. " 2>&1")
  return (out:match("[^\n]*"))
end
local machine = {
  nproc = first_line("nproc"),
  cpu = first_line("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1"),
  kernel = first_line("uname -sr"),
  lua = first_line(sh_quote(LUA) .. " -v"):match("^Lua %S+") or "?",
  curl = "libcurl " .. tostring(core.curl_version),
  python = PYTHON and (first_line(PYTHON .. " --version") .. ", requests "
    .. first_line(PYTHON .. " -c 'import requests; print(requests.__version__)'")) or "not found",
  jq = HAVE_JQ and first_line("jq --version") or "not found",
  curl_cli = HAVE_CURL and first_line("curl --version"):match("^curl %S+") or "not found",
  nginx = first_line("nginx -v"):match("nginx/%S+") or "?",
}
local elapsed = now() - t_start

local header = {
  string.format("Measured %s on %s CPU(s) (%s, %s); %s; %s (shoplive %s); %s; %s; curl CLI: %s; sandbox %s. "
    .. "Whole run: %.0f s.",
    started, machine.nproc, machine.cpu, machine.kernel, machine.lua, machine.curl, shoplive.VERSION or "?",
    machine.python, machine.jq, machine.curl_cli, machine.nginx, elapsed),
}

print("shoplive benchmarks - " .. header[1])
for _, l in ipairs(report_txt) do print(l) end
local met = 0
for _, g in ipairs(goals) do if g.ok then met = met + 1 end end
print(string.format("\ngoals: %d met, %d missed", met, #goals - met))

if write_md then
  local path = "BENCHMARKS.md"
  local BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
  local body = { BEGIN, "", "## Results of the last `make bench`", "", header[1] }
  local only = {}
  for _, s in ipairs(SECTIONS) do if want[s] then only[#only + 1] = s end end
  if #only < #SECTIONS then
    body[#body + 1] = ""
    body[#body + 1] = "(Partial run: sections " .. table.concat(only, ", ") .. " only.)"
  end
  for _, l in ipairs(report_md) do body[#body + 1] = l end
  body[#body + 1] = ""
  body[#body + 1] = END
  local block = table.concat(body, "\n")
  local f = io.open(path, "r")
  local old = f and f:read("a") or nil
  if f then f:close() end
  local new
  if old and old:find(BEGIN, 1, true) and old:find(END, 1, true) then
    local a = old:find(BEGIN, 1, true)
    local _, b = old:find(END, 1, true)
    new = old:sub(1, a - 1) .. block .. old:sub(b + 1)
  else
    new = "# shoplive benchmarks\n\nReproduce: `make bench` (see bench/run.lua).\n\n" .. block .. "\n" .. (old or "")
  end
  f = assert(io.open(path, "w"))
  f:write(new)
  f:close()
  log("wrote %s", path)
end
