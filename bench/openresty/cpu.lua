-- bench/openresty/cpu.lua - the client worker's CPU per page of some ways,
-- in batches interleaved over many cycles in one client nginx: run.lua's
-- 3 x 300 sequential pages cannot resolve a few per cent on a shared machine
-- (one run's ratio to resty moves by 0.1 when another suite starts), a
-- ratio taken per cycle and over thousands of pages can.
--
--   taskset -c 1 lua5.4 bench/openresty/cpu.lua [cycles] [pages] [way ...]
--   e.g. ... cpu.lua 40 300 client_co cosocket resty     (the default)
--   PREFIX=/slow: the upstream holds each answer 200 ms; WARM=n: pages per
--   way before the cycles (default 1000)
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local sandbox = require("support.sandbox")
local setup = require("bench.openresty.setup")

local cycles, pages = tonumber(arg[1] or "40"), tonumber(arg[2] or "300")
local ways = { select(3, ...) }
if #ways == 0 then ways = { "client_co", "cosocket", "resty" } end
local prefix, warm = os.getenv("PREFIX") or "", tonumber(os.getenv("WARM") or "1000")

-- the worker's CPU (every thread) in µs, from schedstat
local function cpu_us(pid)
  local ns = 0
  local p = io.popen("cat /proc/" .. pid .. "/task/*/schedstat")
  for line in p:lines() do ns = ns + tonumber(line:match("^(%d+)")) end
  p:close()
  return ns / 1e3
end

local function quantile(xs, q)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  return s[math.max(1, math.ceil(#s * q))]
end

local function measure(srv, up)
  local function run(way, n)
    local q = "/run?way=" .. way .. "&threads=1&pages=" .. n .. "&base=" .. sandbox.urlencode(up.url .. prefix)
    local res = sandbox.raw_get(srv.url, q, nil, 600)
    assert(res.status == 200, way .. ": " .. tostring(res.body))
  end
  for _, w in ipairs(ways) do run(w, warm) end
  local total, ratios = {}, {}
  for _, w in ipairs(ways) do total[w], ratios[w] = 0, {} end
  for c = 1, cycles do
    local us = {}
    for k = 0, #ways - 1 do -- rotate the order: none always runs first
      local w = ways[(k + c - 1) % #ways + 1]
      local c0 = cpu_us(srv.worker)
      run(w, pages)
      us[w] = (cpu_us(srv.worker) - c0) / pages
      total[w] = total[w] + us[w]
    end
    for _, w in ipairs(ways) do ratios[w][c] = us.resty and us[w] / us.resty or 0 end
  end
  for _, w in ipairs(ways) do
    print(string.format("%-10s %7.1f µs/page  ×resty: over all %.3f, per cycle median %.3f (quartiles %.3f–%.3f)",
      w, total[w] / cycles, total.resty and total[w] / total.resty or 0, quantile(ratios[w], 0.5),
      quantile(ratios[w], 0.25), quantile(ratios[w], 0.75)))
  end
end

local body_path = setup.page_body()
local up = setup.start_upstream(body_path)
local ok, err = pcall(function()
  local srv = setup.start_client()
  local mok, merr = pcall(measure, srv, up)
  srv.stop()
  assert(mok, merr)
end)
up.stop()
os.remove(body_path)
if not ok then error(err, 0) end
