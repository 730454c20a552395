-- bench/openresty/report.lua - the Markdown tables of bench/openresty/run.lua:
-- per case and way the median over the runs, the spread (min..max), and the
-- ratio to lua-resty-http + cjson measured in the same run.
local M = {}

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

local function spread(xs)
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(xs) do lo, hi = math.min(lo, x), math.max(hi, x) end
  return lo, hi
end

-- values of field f (or, with ratio, f divided by resty's f) over the runs
local function series(runs, ci, way, f, ratio)
  local out = {}
  for r, run in ipairs(runs) do
    local v = run[ci][way][f]
    out[r] = ratio and v / run[ci].resty[f] or v
  end
  return out
end

local function cell(xs, fmt)
  local lo, hi = spread(xs)
  return string.format(fmt .. " (" .. fmt .. "–" .. fmt .. ")", median(xs), lo, hi)
end

local function print_case(o, ci)
  print(string.format("\n### %s  (%d runs; median (min–max))\n", o.cases[ci].name, #o.runs))
  print("| way | pages/s | ×resty | worker CPU µs/page | ×resty | CPU µs/page (stat ticks) | p50 ms | p99 ms"
    .. " | ngx.sleep per page |")
  print("|---|---|---|---|---|---|---|---|---|")
  for _, way in ipairs(o.ways) do
    print(string.format("| %s | %s | %s | %s | %s | %s | %s | %s | %.1f |", way,
      cell(series(o.runs, ci, way, "pps"), "%.0f"),
      cell(series(o.runs, ci, way, "pps", true), "%.2f"),
      cell(series(o.runs, ci, way, "cpu_us"), "%.0f"),
      cell(series(o.runs, ci, way, "cpu_us", true), "%.2f"),
      cell(series(o.runs, ci, way, "tick_us"), "%.0f"),
      cell(series(o.runs, ci, way, "p50"), "%.2f"),
      cell(series(o.runs, ci, way, "p99"), "%.2f"),
      median(series(o.runs, ci, way, "sleeps"))))
  end
end

--- o: runs[r][case index][way] = measure()'s table, cases, ways, rss[way]
-- (MB), body (bytes of the upstream's page).
function M.print(o)
  print(string.format("\n## OpenResty transports (page: %d bytes, 10 records)", o.body))
  for ci = 1, #o.cases do print_case(o, ci) end
  print("\n### Worker peak RSS (VmHWM), a fresh nginx per way after every case once\n")
  print("| way | MB | ×resty |")
  print("|---|---|---|")
  for _, way in ipairs(o.ways) do
    print(string.format("| %s | %.1f | %.2f |", way, o.rss[way], o.rss[way] / o.rss.resty))
  end
end

return M
