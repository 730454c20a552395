-- bench/openresty/profile.lua - where one way of the OpenResty bench spends
-- the worker's CPU: LuaJIT's sampling profiler (jit.p) or its trace log
-- (jit.v: which loops compile, which traces abort and why), inside the
-- bench's client nginx against its upstream (setup.lua).
--
--   taskset -c 1 lua5.4 bench/openresty/profile.lua WAY [p:<jit.p options> | v] [pages] [threads] [rounds] [/slow]
--   e.g. ... profile.lua client_co p:Fl 3000      (default p:F, 3000 pages, 1 thread, 1 round)
--        ... profile.lua client_co p:Fi1 1 8 2000 (8 pages at once, 2000 times)
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local sandbox = require("support.sandbox")
local setup = require("bench.openresty.setup")

local way, mode = arg[1] or "client_co", arg[2] or "p:F"
local pages, threads, rounds = tonumber(arg[3] or "3000"), tonumber(arg[4] or "1"), tonumber(arg[5] or "1")
local prefix = arg[6] or "" -- "/slow": the upstream holds each answer 200 ms

local body_path = setup.page_body()
local up = setup.start_upstream(body_path)
local ok, err = pcall(function()
  local srv = setup.start_client()
  local out = os.tmpname()
  local q = string.format("/profile?way=%s&mode=%s&pages=%d&threads=%d&rounds=%d&out=%s&base=%s", way,
    sandbox.urlencode(mode), pages, threads, rounds, sandbox.urlencode(out), sandbox.urlencode(up.url .. prefix))
  local res = sandbox.raw_get(srv.url, q, nil, 600)
  local log = srv.log()
  srv.stop()
  assert(res.status == 200, tostring(res.body) .. log:sub(-2000))
  io.write(setup.read_file(out) or "(no output)\n")
  os.remove(out)
end)
up.stop()
os.remove(body_path)
if not ok then error(err, 0) end
