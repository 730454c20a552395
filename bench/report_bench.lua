-- report_bench.lua - shoplive.report on 10,000 livestreams over 20 shops
-- (500 each, the sandbox's own records): the document's size and the CPU
-- time to build it, next to shoplive.to_json of the same records in the same
-- process as the baseline (median of RUNS runs each).
--   LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/?.so;;" \
--     lua5.4 bench/report_bench.lua [runs]
-- Prints one line: "report: N livestreams, S shops, B bytes; cpu report R s,
-- to_json J s, ratio X".
local shoplive = require("shoplive")
package.path = "sandbox/lua/?.lua;" .. package.path
local data = require("shoplive_sandbox.data")

local RUNS = tonumber(arg and arg[1]) or 5
local SHOPS, PER_SHOP = 20, 500

local records, ids = {}, {}
for s = 1, SHOPS do
  local id = tostring(100000 + s * 37)
  ids[#ids + 1] = id
  for i = 1, PER_SHOP do records[#records + 1] = data.record(id, i) end
end

local function median(t)
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) / 2] or (t[n / 2] + t[n / 2 + 1]) / 2
end

local function cpu(fn)
  local times, out = {}, nil
  for i = 1, RUNS do
    collectgarbage("collect")
    local t0 = os.clock()
    out = fn()
    times[i] = os.clock() - t0
  end
  return median(times), out
end

local opts = { shops = ids, tz = "+07:00", generated_at = 1700000000 }
local t_json, json = cpu(function() return shoplive.to_json(records) end)
local t_report, doc = cpu(function() return shoplive.report(records, opts) end)
assert(#json > 0 and doc:find("</html>", 1, true))
print(string.format("report: %d livestreams, %d shops, %d bytes; cpu report %.3f s, to_json %.3f s, ratio %.2f",
  #records, SHOPS, #doc, t_report, t_json, t_report / t_json))
