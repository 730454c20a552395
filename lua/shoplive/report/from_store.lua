--- The report's figures (as report/figures.lua's compute returns them)
-- from a store, aggregated by the database (store/aggregate.lua): the
-- report of a million stored livestreams holds sums, the top and timeline
-- rows and one number per livestream for the histogram, never the records.
-- The figures equal those computed from store:livestreams of the same
-- shops and period (tests/report_store_spec.lua).
local aggregate = require("shoplive.store.aggregate")
local bounds = require("shoplive.report.bounds")
local figures = require("shoplive.report.figures")
local sums = require("shoplive.report.sums")

local M = {}

local floor = math.floor
local num, ratio = figures.num, figures.ratio

local zero, plus, summary_of = sums.zero, sums.plus, sums.summary

-- Regions of a map reg -> sums, most livestreams first (then by name).
local function region_list(by)
  local out = {}
  for reg, s in pairs(by) do out[#out + 1] = { region = reg, sums = s } end
  table.sort(out, function(a, b)
    if a.sums.count ~= b.sums.count then return a.sums.count > b.sums.count end
    return a.region < b.region
  end)
  for _, g in ipairs(out) do g.summary = summary_of(g.sums) end
  return out
end

-- The shop ids: those asked for (in their order), else every shop stored.
local function shop_ids(sellers, groups)
  local ids, seen = {}, {}
  local function push(id)
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  for _, id in ipairs(sellers or {}) do push(tostring(id)) end
  local rest = {}
  for _, g in ipairs(groups) do if not seen[g.shop] then rest[#rest + 1] = g.shop end end
  table.sort(rest)
  for _, id in ipairs(rest) do push(id) end
  return ids
end

-- F.shops, F.regions and F.all from the groups.
local function shops_and_regions(F, groups, best, sellers)
  local by_shop, by_reg, all = {}, {}, zero()
  for _, g in ipairs(groups) do
    by_shop[g.shop] = by_shop[g.shop] or {}
    by_shop[g.shop][g.reg] = g.sums
    by_reg[g.reg] = plus(by_reg[g.reg] or zero(), g.sums)
    plus(all, g.sums)
  end
  F.shops = {}
  for i, id in ipairs(shop_ids(sellers, groups)) do
    local regions, total = region_list(by_shop[id] or {}), zero()
    for _, g in ipairs(regions) do
      plus(total, g.sums)
      for k, v in pairs(figures.region_figures_of(g.summary)) do g[k] = v end
    end
    F.shops[i] = { id = id, index = i, summary = summary_of(total, best[id]), regions = regions }
  end
  F.regions = region_list(by_reg)
  F.all = summary_of(all)
end

-- Each region's weekly rows and heatmap: heat[reg][hour of the week] and
-- weeks[reg][week] (store/aggregate.lua).
local function weekly_and_heatmap(F, heat, weeks)
  for _, g in ipairs(F.regions) do
    local cells = figures.heat_cells()
    for k, c in pairs(heat[g.region] or {}) do
      local cell = cells[floor(k / 24) + 1][k % 24]
      cell.n, cell.gmv, cell.seconds = c.n, c.gmv, c.seconds
    end
    g.heatmap = figures.heat_values(cells)
    local w, lo, hi = weeks[g.region] or {}, nil, nil
    for k in pairs(w) do
      if not lo or k < lo then lo = k end
      if not hi or k > hi then hi = k end
    end
    g.weekly = lo and figures.weeks(lo, hi, F.offset, function(k) return summary_of(w[k] or zero()) end) or {}
  end
end

-- Each region's histogram and top livestreams (of the candidates).
local function distributions(F, values, candidates)
  local key, tops = figures.RANKS[F.rank], {}
  for _, r in ipairs(candidates) do
    local v = key(r)
    if v then
      local reg = figures.region_of(r)
      tops[reg] = tops[reg] or {}
      table.insert(tops[reg], { record = r, value = v })
    end
  end
  for _, g in ipairs(F.regions) do
    local v = values[g.region] or {}
    g.histogram = figures.histogram_of(v, g.summary.count - #v)
    g.top = figures.rank_order(tops[g.region] or {}, F.top)
  end
end

-- Each shop's highest GMV.
local function best_gmvs(groups)
  local best_gmv = {}
  for _, g in ipairs(groups) do
    if g.max_gmv and (not best_gmv[g.shop] or g.max_gmv > best_gmv[g.shop]) then best_gmv[g.shop] = g.max_gmv end
  end
  return best_gmv
end

-- Each shop's best livestream: the first candidate (store order) with its GMV.
local function bests(candidates, best_gmv)
  local out = {}
  for _, r in ipairs(candidates) do
    local shop = figures.shop_of(r)
    if not out[shop] and num(r.total_sale_gmv_amt) == best_gmv[shop] then out[shop] = r end
  end
  return out
end

-- The overview's periods (as compare_periods) of `days` days up to F.last.
local function period(F, days)
  local len = days * 86400
  local last = F.last
  F.period = { days = days, to = last, from = last and last - len, prev_from = last and last - 2 * len }
end

-- Each shop's change against the previous period, from the groups.
local function periods(F, groups)
  local got = {}
  for _, g in ipairs(groups) do
    got[g.shop] = got[g.shop] or {}
    got[g.shop][g.reg] = g
  end
  for _, s in ipairs(F.shops) do
    s.periods = {}
    for _, g in ipairs(s.regions) do
      local c = (got[s.id] or {})[g.region] or {}
      local e = F.last and { n = c.n or 0, gmv = c.gmv or 0, prev_n = c.prev_n or 0, prev_gmv = c.prev_gmv or 0 }
        or { n = 0, gmv = 0, prev_n = 0, prev_gmv = 0 }
      e.change = ratio(e.gmv - e.prev_gmv, e.prev_gmv)
      s.periods[g.region] = e
    end
  end
end

-- The timeline, as figures.timeline draws it, of `starts` livestreams
-- with a start and the candidates (every mark among them).
local function timeline(F, span, slot, candidates)
  local tl = { marks = {}, total = span.starts, no_start = F.all.count - span.starts, first = F.first, last = F.last,
    slot = slot }
  if tl.total == 0 then tl.shown = 0; return tl end
  local by = {}
  for _, r in ipairs(candidates) do
    local id = figures.shop_of(r)
    by[id] = by[id] or {}
    table.insert(by[id], r)
  end
  for _, s in ipairs(F.shops) do figures.thin(tl, by[s.id] or {}, s.index, slot) end
  return figures.sort_marks(tl)
end

-- Hosts, and each shop's main host (its most frequent nick_name).
local function hosts(F, rows)
  local by, nicks = {}, {}
  for _, r in ipairs(rows) do
    local user_id, nick, shop, reg, n, gmv = r[1], r[2], r[3], r[4], r[5], r[6] or 0
    figures.host_add(by, figures.host_key(user_id, nick), user_id, nick, shop, reg, n, gmv)
    local name = nick ~= nil and tostring(nick) or ""
    nicks[shop] = nicks[shop] or {}
    nicks[shop][name] = (nicks[shop][name] or 0) + n
  end
  F.hosts = figures.host_list(by, F.all.count, F.regions, F.shops)
  for _, s in ipairs(F.shops) do
    local main, most = nil, 0
    for nick, n in pairs(nicks[s.id] or {}) do
      if n > most or (n == most and nick < main) then main, most = nick, n end
    end
    s.main_nick = main ~= "" and main or nil
  end
end

-- Data quality: the rows without extra counted by the database, those
-- with it (few) by figures.quality.
local function quality(plain, with_extra)
  local q = figures.quality(with_extra)
  for _, k in ipairs({ "n", "zero_peak", "duration_mismatch", "no_positive_duration", "any_missing" }) do
    q[k] = q[k] + plain[k]
  end
  for f, n in pairs(plain.missing) do q.missing[f] = (q.missing[f] or 0) + n end
  return q
end

-- The bounds report/bounds.lua sets aside, for the SQL.
local function limits(latest)
  return { latest = floor(latest), earliest = bounds.EARLIEST, max_duration = bounds.MAX_DURATION,
    max_amount = bounds.MAX_AMOUNT, amounts = bounds.AMOUNTS }
end

--- v, or raise its err (caught by compute) when v is nil.
function M.need(v, err)
  if v == nil then error({ store_err = err }, 0) end
  return v
end

-- The odd values and data quality of the candidates; returns those kept.
local function odd_and_quality(F, plain, candidates, latest, max_listed)
  local records, with_extra = {}, {}
  for i, e in ipairs(candidates) do
    records[i] = e.record
    if e.has_extra then with_extra[#with_extra + 1] = e.record end
  end
  local kept
  kept, F.aside, F.odd = bounds.split(records, num, latest, max_listed)
  F.aside_by_shop = figures.aside_by_shop(records, kept)
  F.quality = quality(plain, with_extra)
  F.received = F.quality.n
  return kept
end

-- The impossible combinations counted: those of the rows without extra by
-- the scan (the candidates hold only the first few), those with extra as
-- bounds.split counted them among the candidates.
local function combos(odd, counted, candidates)
  for _, e in ipairs(candidates) do
    local c = not e.has_extra and bounds.impossible(e.record, num)
    if c then
      odd.combos[c[3]] = odd.combos[c[3]] - 1
      odd.n = odd.n - 1
    end
  end
  for k, n in pairs(counted) do
    odd.combos[k] = odd.combos[k] + n
    odd.n = odd.n + n
  end
end

local function build(store, q, opts)
  local need = M.need
  local off, tz_label = figures.parse_tz(opts.tz)
  local latest = bounds.latest(opts.generated_at)
  local agg = aggregate.new(store, q, limits(latest))
  local F = { offset = off, tz = tz_label, top = opts.top or 10, rank = opts.rank or "gmv" }
  local span = need(agg:span(figures.FIELDS))
  F.first, F.last = span.first, span.last
  period(F, opts.period or 28)
  -- the slot for a timeline that is thinned; dropped below when the
  -- aggregates count no more starts than the timeline draws
  local max_marks = opts.max_marks or 1200
  local slot = F.first and figures.slot({ total = math.huge, first = F.first, last = F.last }, max_marks, span.shops)
  local max_listed = opts.max_listed or 100
  local A = need(agg:figures{ off = off, rank = F.rank, top = F.top, from = F.period.from,
    prev_from = F.period.prev_from, first = F.first, slot = slot, listed = max_listed, max_marks = max_marks })
  span.starts = 0
  for _, g in ipairs(A.groups) do span.starts = span.starts + (tonumber(g.starts) or 0) end
  if span.starts <= max_marks then slot = nil end
  local best_gmv = best_gmvs(A.groups)
  local candidates = need(agg:candidates(F.rank, A.floors, best_gmv, slot and A.slots, A.combos and max_listed, A))
  local kept = odd_and_quality(F, span.quality or A.quality, candidates, latest, max_listed)
  if A.combos then combos(F.odd, A.combos, candidates) end
  shops_and_regions(F, A.groups, bests(kept, best_gmv), q.sellers)
  weekly_and_heatmap(F, A.heat, A.weeks)
  distributions(F, A.values, kept)
  periods(F, A.groups)
  F.timeline = timeline(F, span, slot, kept)
  hosts(F, A.hosts)
  return F
end

--- Every figure of the report of the livestreams in `store` of the shops
-- q.sellers (default: every shop stored) that started in [q.since,
-- q["until"]), as figures.compute gives them for the same records; opts
-- as figures.compute takes them. Returns F, or nil and an err of kind
-- "store".
function M.compute(store, q, opts)
  local ok, F = pcall(build, store, q, opts or {})
  if ok then return F end
  if type(F) == "table" and F.store_err then return nil, F.store_err end
  error(F, 0)
end

return M
