-- bench/openresty/run.lua - shoplive inside OpenResty (Debian's nginx +
-- lua-nginx-module, LuaJIT), five ways to fetch a page, in one client nginx
-- (1 worker, pinned to CPU 0) against an upstream nginx serving a fixed
-- 10-record page (pinned to CPU 1, as is this driver):
--   shoplive  the client with transport = "curl" (libcurl multi, wait = ngx.sleep)
--   client_co the client with transport = "cosocket" (the default inside nginx)
--   cosocket  a bare cosocket GET (shoplive.transport.cosocket.get) + shoplive.decode
--   thread    shoplive.transport.worker_thread (libcurl in nginx's thread pool)
--   resty     lua-resty-http 0.17.2 request_uri (keepalive pool) + cjson
-- Worker CPU is the worker process's (all its threads, thread pool included)
-- from /proc/<pid>/task/*/schedstat (ns) and, as a cross-check at 10 ms
-- resolution, /proc/<pid>/stat utime+stime.
--
-- How: every way is warmed, then each case runs in cycles: a cycle is one
-- batch per way, the order rotated per cycle; a way's CPU per page is taken
-- as a ratio to resty's in the same cycle, and the table gives the median
-- and quartiles of those ratios. The machine is shared: the load moves
-- every way's CPU per page within minutes, so batches of all ways side by
-- side, many times, are what can be compared (a few long runs per way
-- measured the load as much as the ways).
--
--   make bench-openresty            (OPENRESTY_CYCLES=n, default 20)
--   taskset -c 1 lua5.4 bench/openresty/run.lua [cycles]
--   OPENRESTY_WAYS=client_co,cosocket: only these ways, and resty (the yardstick)
--   OPENRESTY_CASES=1,4: only these cases (numbers in CASES below); no RSS pass
--   OPENRESTY_GC=1: a full collection before every batch, outside its CPU
--   (biased towards the way making less garbage: gc_cycles.lua)
--   bench/openresty/profile.lua: jit.p / jit.v of one way; alloc.lua: bytes
--   per page per way
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local setup = require("bench.openresty.setup")
local measure = require("bench.openresty.measure")
local report = require("bench.openresty.report")

local CYCLES = tonumber(arg[1] or "20")
local WAYS = { "shoplive", "client_co", "cosocket", "thread", "resty" }
if os.getenv("OPENRESTY_WAYS") then
  WAYS = {}
  for w in os.getenv("OPENRESTY_WAYS"):gmatch("[^,]+") do
    if w ~= "resty" then WAYS[#WAYS + 1] = w end
  end
  WAYS[#WAYS + 1] = "resty"
end
-- name, light threads, pages per thread, upstream path prefix (/slow holds
-- 200 ms), batches per batch (repeats), cycles (default: every cycle; the
-- held case's batch takes 4 s a way, so it runs in 10 cycles spread out:
-- with 3, its median of 20-page batches moved 0.80-1.09 between runs)
local CASES = {
  { name = "sequential, concurrency 1", threads = 1, pages = 300, prefix = "" },
  { name = "sequential, concurrency 4", threads = 4, pages = 75, prefix = "" },
  { name = "8 pages at once", threads = 8, pages = 1, prefix = "", repeats = 40 },
  { name = "API holds 200 ms, concurrency 1", threads = 1, pages = 20, prefix = "/slow", cycles = 10 },
}
if os.getenv("OPENRESTY_CASES") then
  local keep = {}
  for i in os.getenv("OPENRESTY_CASES"):gmatch("%d+") do keep[#keep + 1] = CASES[tonumber(i)] end
  CASES = keep
end
local SLOW_WARM = 60 -- held pages per way before the cycles (12 s each)

-- whether case runs in cycle c (of CYCLES): every cycle, or case.cycles of
-- them spread evenly
local function due(case, c)
  if not case.cycles or case.cycles >= CYCLES then return true end
  local step = CYCLES // case.cycles
  return (c - 1) % step == 0 and (c - 1) // step < case.cycles
end

-- RSS: a fresh client nginx per way, every case once (the held one with 5
-- pages: its peak does not grow with the count), then its peak RSS.
local function rss_pass(up)
  local out = {}
  for _, way in ipairs(WAYS) do
    local srv = setup.start_client()
    for _, case in ipairs(CASES) do
      local once = setmetatable({ pages = case.prefix == "/slow" and 5 or case.pages }, { __index = case })
      measure.batch(srv, up, way, once)
    end
    out[way] = tonumber(setup.read_file("/proc/" .. srv.worker .. "/status"):match("VmHWM:%s*(%d+)")) / 1024
    srv.stop()
  end
  return out
end

local function cycles(srv, up)
  local results = {}
  for ci = 1, #CASES do results[ci] = {} end
  for c = 1, CYCLES do
    for ci, case in ipairs(CASES) do
      if due(case, c) then
        local cyc = {}
        for k = 0, #WAYS - 1 do -- rotated: no way always runs first, or after the same one
          local way = WAYS[(k + c - 1) % #WAYS + 1]
          cyc[way] = measure.batch(srv, up, way, case)
        end
        results[ci][#results[ci] + 1] = cyc
      end
    end
  end
  return results
end

local function main()
  local body_path, body_len = setup.page_body()
  local up = setup.start_upstream(body_path)
  local ok, err = pcall(function()
    local load0 = measure.load()
    local srv = setup.start_client()
    -- warm every way: its pool, its client for each upstream path, and
    -- LuaJIT's traces of a held answer's path (the case's 20 pages a batch
    -- are too few: it measured the JIT compiler more than the pages)
    for _, way in ipairs(WAYS) do
      measure.batch(srv, up, way, { threads = 1, pages = 300 })
      measure.batch(srv, up, way, { threads = 1, pages = SLOW_WARM, prefix = "/slow" })
    end
    local results = cycles(srv, up)
    srv.stop()
    local rss = not os.getenv("OPENRESTY_CASES") and rss_pass(up) or nil
    report.print{ results = results, cases = CASES, ways = WAYS, rss = rss, body = body_len,
      load = load0 .. " → " .. measure.load() }
  end)
  up.stop()
  os.remove(body_path)
  if not ok then error(err, 0) end
end

main()
