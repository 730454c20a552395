-- bench/openresty/report.lua - the Markdown tables of bench/openresty/run.lua:
-- per case and way, CPU per page and pages/s as ratios to lua-resty-http +
-- cjson taken cycle by cycle (median and quartiles over the cycles) and
-- over all pages; latencies over all pages.
local quantile = require("bench.openresty.measure").quantile

local M = {}

-- the per-cycle values of way: f(batch) or, with ratio, f(batch) / f(resty's batch)
local function series(cycles, way, f, ratio)
  local out = {}
  for c, cyc in ipairs(cycles) do
    out[c] = ratio and f(cyc[way]) / f(cyc.resty) or f(cyc[way])
  end
  return out
end

local function cpu_pp(b) return b.cpu / b.pages * 1e6 end
local function pps(b) return b.pages / b.elapsed end

-- "median (lower quartile–upper quartile)"
local function mq(xs, fmt)
  return string.format(fmt .. " (" .. fmt .. "–" .. fmt .. ")", quantile(xs, 0.5), quantile(xs, 0.25),
    quantile(xs, 0.75))
end

-- sums of the batches' fields over the cycles, and every latency
local function totals(cycles, way)
  local t = { pages = 0, cpu = 0, ticks = 0, sleeps = 0, lat = {} }
  for _, cyc in ipairs(cycles) do
    local b = cyc[way]
    t.pages, t.cpu, t.ticks, t.sleeps = t.pages + b.pages, t.cpu + b.cpu, t.ticks + b.ticks, t.sleeps + b.sleeps
    for _, l in ipairs(b.lat) do t.lat[#t.lat + 1] = l end
  end
  return t
end

local function print_case(case, cycles, ways)
  print(string.format("\n### %s  (%d cycles of %d pages a way; median (quartiles) over the cycles)\n",
    case.name, #cycles, case.threads * case.pages * (case.repeats or 1)))
  print("| way | worker CPU µs/page | ×resty per cycle | ×resty over all | µs/page (stat ticks) | pages/s"
    .. " | ×resty | p50 ms | p99 ms | ngx.sleep per page |")
  print("|---|---|---|---|---|---|---|---|---|---|")
  local resty = totals(cycles, "resty")
  for _, way in ipairs(ways) do
    local t = totals(cycles, way)
    print(string.format("| %s | %s | %s | %.3f | %.0f | %s | %s | %.2f | %.2f | %.1f |", way,
      mq(series(cycles, way, cpu_pp), "%.0f"), mq(series(cycles, way, cpu_pp, true), "%.3f"),
      (t.cpu / t.pages) / (resty.cpu / resty.pages), t.ticks / t.pages * 1e6,
      mq(series(cycles, way, pps), "%.0f"), mq(series(cycles, way, pps, true), "%.2f"),
      quantile(t.lat, 0.5) * 1000, quantile(t.lat, 0.99) * 1000, t.sleeps / t.pages))
  end
end

--- o: results[case index] = cycles (each { [way] = measure.batch()'s table }),
-- cases, ways, rss[way] (MB) or nil, body (bytes of the upstream's page),
-- load (the load average before → after, text).
function M.print(o)
  print(string.format("\n## OpenResty transports (page: %d bytes, 10 records; load average %s)", o.body, o.load))
  for ci, case in ipairs(o.cases) do print_case(case, o.results[ci], o.ways) end
  if not o.rss then return end
  print("\n### Worker peak RSS (VmHWM), a fresh nginx per way after every case once\n")
  print("| way | MB | ×resty |")
  print("|---|---|---|")
  for _, way in ipairs(o.ways) do
    print(string.format("| %s | %.1f | %.2f |", way, o.rss[way], o.rss[way] / o.rss.resty))
  end
end

return M
