-- bench/openresty/gc_cycles.lua - the collector cycles each way's batch of
-- run.lua's cycles completes (gc_probe.lua, inside the client nginx): with
-- the heap as the previous way left it (run.lua's default) and with a full
-- collection before each batch (OPENRESTY_GC=1). A batch of 300 pages
-- spans only a few cycles, so where the collector stands when it starts
-- moves its share of the collector's work.
--
--   taskset -c 1 lua5.4 bench/openresty/gc_cycles.lua [pages] [cycles]
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local sandbox = require("support.sandbox")
local setup = require("bench.openresty.setup")
local measure = require("bench.openresty.measure")

local pages, cycles = tonumber(arg[1] or "300"), tonumber(arg[2] or "6")
local WAYS = "shoplive,client_co,cosocket,thread,resty" -- run.lua's order

setup.with_nginx(function(srv, up)
  for w in WAYS:gmatch("[^,]+") do measure.batch(srv, up, w, { threads = 1, pages = 300 }) end -- warm, as run.lua
  local q = string.format("/gc_cycles?pages=%d&cycles=%d&ways=%s&base=%s", pages, cycles, WAYS,
    sandbox.urlencode(up.url))
  local res = sandbox.raw_get(srv.url, q, nil, 600)
  assert(res.status == 200, tostring(res.body) .. srv.log():sub(-2000))
  print(string.format("collector cycles completed per batch of %d pages (heap growth, KB), %d cycles:", pages,
    cycles))
  io.write(res.body)
end)
