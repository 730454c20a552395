-- bench/openresty/alloc.lua - the Lua heap bytes each way of the OpenResty
-- bench allocates per page inside the client nginx (ways.lua's /alloc: the
-- collector stopped across the pages), warm, a few rounds each, so the
-- garbage our client makes can be set beside lua-resty-http + cjson's, and
-- split into its parts (ways.lua's part_* ways: the GET, the decode).
-- The upstream serves the same page every time and LuaJIT interns every
-- string: a string equal to one still in the heap (the body, a header) is
-- not allocated again, so these are the tables, closures and cdata a page
-- makes plus its new strings; against a real API each body is new too.
--
--   taskset -c 1 lua5.4 bench/openresty/alloc.lua [pages] [rounds] [way ...]
--   e.g. ... alloc.lua 500 3 client_co resty     (default: the client, its
--   parts and the peer's)
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local sandbox = require("support.sandbox")
local setup = require("bench.openresty.setup")
local measure = require("bench.openresty.measure")

local pages, rounds = tonumber(arg[1] or "500"), tonumber(arg[2] or "3")
local ways = { select(3, ...) }
if #ways == 0 then
  ways = { "client_co", "shoplive", "cosocket", "part_get", "part_decode", "resty", "part_resty_get", "part_cjson" }
end

local function run(srv, up)
  for _, w in ipairs(ways) do measure.batch(srv, up, w, { threads = 1, pages = 300 }) end
  for _, w in ipairs(ways) do
    local got = {}
    for r = 1, rounds do
      local q = string.format("/alloc?way=%s&pages=%d&base=%s", w, pages, sandbox.urlencode(up.url))
      local res = sandbox.raw_get(srv.url, q, nil, 120)
      assert(res.status == 200, w .. ": " .. tostring(res.body))
      got[r] = tonumber(res.body)
    end
    print(string.format("%-10s bytes/page: median %.0f (rounds: %s)", w, measure.quantile(got, 0.5),
      table.concat(got, ", ")))
  end
end

setup.with_nginx(run)
