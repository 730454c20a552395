-- bench/openresty/measure.lua - one batch of pages of one way in the
-- bench's client nginx and the worker CPU it took, and the statistics run.lua
-- and cpu.lua take over many batches.
local sandbox = require("support.sandbox")
local cjson = require("cjson")
local read_file = require("bench.openresty.setup").read_file

local M = {}

--- The worker process's CPU seconds: precise (schedstat, every thread, the
-- thread pool's included) and as /proc/<pid>/stat counts it (10 ms ticks).
function M.cpu(pid)
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

--- One batch: `case.repeats` (default 1) times `case.threads` light threads
-- of `case.pages` pages each, through `way`, against up.url .. case.prefix.
-- Returns pages, elapsed seconds, worker CPU seconds (schedstat, stat
-- ticks), every page's latency (seconds), ngx.sleep calls.
function M.batch(srv, up, way, case)
  local q = string.format("/run?way=%s&threads=%d&pages=%d&base=%s", way, case.threads, case.pages,
    sandbox.urlencode(up.url .. (case.prefix or "")))
  -- OPENRESTY_GC=1: every batch starts from a collected heap, the collection
  -- outside the measured CPU (ways.lua's /gc). Off by default: it biases
  -- the ratios towards the way making less garbage (gc_cycles.lua counts
  -- why; docs/openresty-transport.md, branch perf20)
  if os.getenv("OPENRESTY_GC") == "1" then assert(sandbox.raw_get(srv.url, "/gc").status == 200) end
  local c0, t0 = M.cpu(srv.worker)
  local b = { pages = 0, elapsed = 0, sleeps = 0, lat = {} }
  for _ = 1, case.repeats or 1 do
    local res = sandbox.raw_get(srv.url, q, nil, 120)
    assert(res.status == 200, way .. ": " .. tostring(res.body) .. srv.log():sub(-2000))
    local r = cjson.decode(res.body)
    b.elapsed, b.sleeps = b.elapsed + r.elapsed, b.sleeps + r.sleeps
    for _, l in ipairs(r.lat) do b.lat[#b.lat + 1] = l end
    b.pages = b.pages + #r.lat
  end
  local c1, t1 = M.cpu(srv.worker)
  b.cpu, b.ticks = c1 - c0, t1 - t0
  return b
end

function M.quantile(xs, q)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  return s[math.max(1, math.ceil(#s * q))]
end

--- The machine's load average over 1, 5 and 15 minutes, as text.
function M.load()
  return (read_file("/proc/loadavg") or ""):match("^(%S+ %S+ %S+)") or "?"
end

return M
