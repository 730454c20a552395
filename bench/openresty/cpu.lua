-- bench/openresty/cpu.lua - the client worker's CPU per page of some ways,
-- sequential (one light thread), in batches interleaved over many cycles in
-- one client nginx; a ratio to resty per cycle. make bench-openresty
-- measures its cases the same way; this is the quick look at one case.
--
--   taskset -c 1 lua5.4 bench/openresty/cpu.lua [cycles] [pages] [way ...]
--   e.g. ... cpu.lua 40 300 client_co cosocket resty     (the default)
--   PREFIX=/slow: the upstream holds each answer 200 ms; WARM=n: pages per
--   way before the cycles (default 1000)
package.path = "tests/?.lua;lua/?.lua;lua/?/init.lua;" .. package.path
local setup = require("bench.openresty.setup")
local measure = require("bench.openresty.measure")

local cycles, pages = tonumber(arg[1] or "40"), tonumber(arg[2] or "300")
local ways = { select(3, ...) }
if #ways == 0 then ways = { "client_co", "cosocket", "resty" } end
local prefix, warm = os.getenv("PREFIX") or "", tonumber(os.getenv("WARM") or "1000")

local function run(srv, up)
  for _, w in ipairs(ways) do measure.batch(srv, up, w, { threads = 1, pages = warm, prefix = prefix }) end
  local total, ratios = {}, {}
  for _, w in ipairs(ways) do total[w], ratios[w] = 0, {} end
  local case = { threads = 1, pages = pages, prefix = prefix }
  for c = 1, cycles do
    local us = {}
    for k = 0, #ways - 1 do -- rotate the order: none always runs first
      local w = ways[(k + c - 1) % #ways + 1]
      local b = measure.batch(srv, up, w, case)
      us[w] = b.cpu / b.pages * 1e6
      total[w] = total[w] + us[w]
    end
    for _, w in ipairs(ways) do ratios[w][c] = us.resty and us[w] / us.resty or 0 end
  end
  for _, w in ipairs(ways) do
    print(string.format("%-10s %7.1f µs/page  ×resty: over all %.3f, per cycle median %.3f (quartiles %.3f–%.3f)",
      w, total[w] / cycles, total.resty and total[w] / total.resty or 0, measure.quantile(ratios[w], 0.5),
      measure.quantile(ratios[w], 0.25), measure.quantile(ratios[w], 0.75)))
  end
end

local load0 = measure.load()
setup.with_nginx(run)
print("load average " .. load0 .. " → " .. measure.load())
