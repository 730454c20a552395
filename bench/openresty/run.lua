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
-- resolution, /proc/<pid>/stat utime+stime. The machine is shared: every
-- figure is also given as a ratio to resty measured in the same run.
--
--   make bench-openresty            (OPENRESTY_RUNS=n, default 3)
--   taskset -c 1 lua5.4 bench/openresty/run.lua [runs]
--   bench/openresty/profile.lua: jit.p / jit.v of one way
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local sandbox = require("support.sandbox")
local setup = require("bench.openresty.setup")
local cjson = require("cjson")
local report = require("bench.openresty.report")

local RUNS = tonumber(arg[1] or "3")
local WAYS = { "shoplive", "client_co", "cosocket", "thread", "resty" }
-- OPENRESTY_WAYS=client_co,cosocket: only these ways, and resty (the yardstick)
if os.getenv("OPENRESTY_WAYS") then
  WAYS = {}
  for w in os.getenv("OPENRESTY_WAYS"):gmatch("[^,]+") do
    if w ~= "resty" then WAYS[#WAYS + 1] = w end
  end
  WAYS[#WAYS + 1] = "resty"
end
-- name, light threads, pages per thread, upstream path prefix (/slow holds 200 ms)
local CASES = {
  { name = "sequential, concurrency 1", threads = 1, pages = 300, prefix = "" },
  { name = "sequential, concurrency 4", threads = 4, pages = 75, prefix = "" },
  { name = "8 pages at once", threads = 8, pages = 1, prefix = "", repeats = 40 },
  { name = "API holds 200 ms, concurrency 1", threads = 1, pages = 20, prefix = "/slow" },
}
local SLOW_WARM = 60 -- held pages per way before the runs (12 s each)
local read_file, start_client = setup.read_file, setup.start_client

-- The worker process's CPU seconds: precise (schedstat, every thread) and
-- as /proc/<pid>/stat counts it (clock ticks).
local function cpu(pid)
  local ns = 0
  local p = io.popen("cat /proc/" .. pid .. "/task/*/schedstat")
  for line in p:lines() do ns = ns + tonumber(line:match("^(%d+)")) end
  p:close()
  local stat = read_file("/proc/" .. pid .. "/stat"):match("^%d+ %b() (.*)$")
  local f = {}
  for w in stat:gmatch("%S+") do f[#f + 1] = w end
  -- fields 14 and 15 of the line are utime, stime; f starts at field 3
  return ns / 1e9, (tonumber(f[12]) + tonumber(f[13])) / 100
end

local function rss_peak_mb(pid)
  return tonumber(read_file("/proc/" .. pid .. "/status"):match("VmHWM:%s*(%d+)")) / 1024
end

-- One case for one way: pages/s, CPU per page, latencies, sleeps per page.
local function measure(srv, up, way, case)
  local q = string.format("/run?way=%s&threads=%d&pages=%d&base=%s", way, case.threads, case.pages,
    sandbox.urlencode(up.url .. case.prefix))
  local c0, t0 = cpu(srv.worker)
  local pages, elapsed, sleeps, lat = 0, 0, 0, {}
  for _ = 1, case.repeats or 1 do
    local res = sandbox.raw_get(srv.url, q, nil, 120)
    assert(res.status == 200, way .. ": " .. tostring(res.body) .. srv.log():sub(-2000))
    local r = cjson.decode(res.body)
    elapsed, sleeps = elapsed + r.elapsed, sleeps + r.sleeps
    for _, l in ipairs(r.lat) do lat[#lat + 1] = l end
    pages = pages + #r.lat
  end
  local c1, t1 = cpu(srv.worker)
  table.sort(lat)
  return { pps = pages / elapsed, cpu_us = (c1 - c0) / pages * 1e6, tick_us = (t1 - t0) / pages * 1e6,
    p50 = lat[math.ceil(#lat * 0.5)] * 1000, p99 = lat[math.ceil(#lat * 0.99)] * 1000, sleeps = sleeps / pages }
end

-- RSS: a fresh client nginx per way, every case once, then its peak RSS.
local function rss_pass(up)
  local out = {}
  for _, way in ipairs(WAYS) do
    local srv = start_client()
    for _, case in ipairs(CASES) do measure(srv, up, way, case) end
    out[way] = rss_peak_mb(srv.worker)
    srv.stop()
  end
  return out
end

local function main()
  local body_path, body_len = setup.page_body()
  local up = setup.start_upstream(body_path)
  local ok, err = pcall(function()
    local srv = start_client()
    -- warm every way: its pool, its client for each upstream path, and
    -- LuaJIT's traces of a held answer's path (the case's 20 pages a run
    -- are too few: it measured the JIT compiler more than the pages)
    for _, way in ipairs(WAYS) do
      measure(srv, up, way, CASES[1])
      measure(srv, up, way, { threads = 1, pages = SLOW_WARM, prefix = "/slow" })
    end
    local runs = {}
    for r = 1, RUNS do
      runs[r] = {}
      for ci, case in ipairs(CASES) do
        runs[r][ci] = {}
        -- rotate the order of the ways so none always runs first
        for k = 0, #WAYS - 1 do
          local way = WAYS[(k + r - 1) % #WAYS + 1]
          runs[r][ci][way] = measure(srv, up, way, case)
        end
      end
    end
    srv.stop()
    report.print{ runs = runs, cases = CASES, ways = WAYS, rss = rss_pass(up), body = body_len }
  end)
  up.stop()
  os.remove(body_path)
  if not ok then error(err, 0) end
end

main()
