--- The report's aggregates over a SQLite store in one pass. SQLite has no
-- hash aggregate: each GROUP BY sorts every row it reads, and with the
-- sums it carries, one of them took 3.6 s of CPU on a million livestreams
-- (bench/report_store_bench.lua). So SQLite selects the kept rows' few
-- numeric columns (the CTE of store/aggregate_sql.lua: values read as the
-- report reads them, rows set aside left out) and this file sums them into
-- the same tables store/aggregate.lua's PostgreSQL queries return, holding
-- one entry per group, never a row.
local M = {}

local pick = require("shoplive.store.aggregate_pick")
local sqlmod = require("shoplive.store.aggregate_sql")
local sums = require("shoplive.report.sums")

local floor = math.floor
local inc, zero, add, num = sums.inc, sums.zero, sums.add, sums.num

-- t[k] (a table), created when missing.
local function sub(t, k)
  local v = t[k]
  if not v then v = {}; t[k] = v end
  return v
end

-- The figure of each ranking, as store/aggregate.lua's RANK_SQL computes it.
local RANK = {
  gmv = function(gmv) return gmv end,
  gmv_per_hour = function(gmv, d) if gmv and d and d > 0 then return gmv / (d / 3600) end end,
  views = function(_, _, views) return views end,
  conversion = function(_, _, views, sales) if views and sales and views ~= 0 then return sales / views end end,
}

-- Keep the k highest values of list (sorted, highest first) with v.
local function keep_top(list, k, v)
  local n = #list
  if n >= k and v <= list[n] then return end
  local i = n >= k and n or n + 1
  while i > 1 and list[i - 1] < v do list[i] = list[i - 1]; i = i - 1 end
  list[i] = v
end

-- The state the rows are summed into.
local function state()
  return { groups = {}, heat = {}, weeks = {}, tops = {}, slots = {}, hosts = {}, values = {} }
end

-- The group of shop and region: its sums, and its region's tables.
local function group(a, shop, reg)
  local g = { shop = shop, reg = reg, sums = zero(), starts = 0, n = 0, gmv = 0, prev_n = 0, prev_gmv = 0,
    heat = sub(a.heat, reg), weeks = sub(a.weeks, reg), top = sub(a.tops, reg), values = sub(a.values, reg),
    hosts = {}, slots = sub(a.slots, shop) }
  sub(a.groups, shop)[reg] = g
  return g
end

-- The heatmap's cell (hour of the week, 0 = Monday 00:00) and the week
-- (since Monday 1970-01-05) of a start x seconds since 1970 in the zone,
-- kept in p with the range of x they hold for: consecutive rows mostly
-- start in the same hour, and an integer x in that range has them.
local function hour_of(p, x)
  local hb = floor(x / 3600)
  p.hour_lo, p.hour_hi = hb * 3600, hb * 3600 + 3600
  p.cell, p.week = (hb + 72) % 168, floor((hb - 96) / 168)
  return p.cell, p.week
end

-- Add a kept row's figures to sums s: sums.count, inlined (this runs for
-- every row; the values are >= 0, so only a total that wraps past int64
-- needs add()).
local function counted(s, views, sales, gmv, d)
  s.count = s.count + 1
  local x
  if views then x = s.views + views; s.views, s.n_views = x >= s.views and x or add(s.views, views), s.n_views + 1 end
  if sales then x = s.sales + sales; s.sales, s.n_sales = x >= s.sales and x or add(s.sales, sales), s.n_sales + 1 end
  if gmv then x = s.gmv + gmv; s.gmv, s.n_gmv = x >= s.gmv and x or add(s.gmv, gmv), s.n_gmv + 1 end
  if d then x = s.dur + d; s.dur = x >= s.dur and x or add(s.dur, d) end
end

-- Sum the row's time-bound figures: periods, heatmap, week and slot.
-- (The kept rows' values are never negative: a total that wraps past
-- int64 is the only one add() must redo; inlined, as this runs per row.)
local function timed(p, g, t, d, gmv, id)
  g.starts = g.starts + 1
  local from = p.from
  if from and t > from then
    g.n = g.n + 1
    if gmv then g.gmv = inc(g.gmv, gmv) end
  elseif from and t > p.prev_from then
    g.prev_n = g.prev_n + 1
    if gmv then g.prev_gmv = inc(g.prev_gmv, gmv) end
  end
  local xt = t + p.off
  local k, w
  if xt >= p.hour_lo and xt < p.hour_hi and xt % 1 == 0 then k, w = p.cell, p.week else k, w = hour_of(p, xt) end
  local c = g.heat[k]
  if not c then c = { n = 0, gmv = 0, seconds = 0 }; g.heat[k] = c end
  c.n = c.n + 1
  local x
  if gmv then
    x = c.gmv + gmv
    c.gmv = x >= c.gmv and x or add(c.gmv, gmv)
  end
  if d and d > 0 then
    x = c.seconds + d
    c.seconds = x >= c.seconds and x or add(c.seconds, d)
  end
  -- the weekly chart reads a week's count, GMV and hours (not its views
  -- or units): those alone are summed, a third of the work (counted(),
  -- inlined: no call per row)
  local s = g.weeks[w]
  if not s then s = zero(); g.weeks[w] = s end
  s.count = s.count + 1
  if gmv then x = s.gmv + gmv; s.gmv, s.n_gmv = x >= s.gmv and x or add(s.gmv, gmv), s.n_gmv + 1 end
  if d then x = s.dur + d; s.dur = x >= s.dur and x or add(s.dur, d) end
  if p.slot then
    -- the slot's highest GMV and the rows that have it (or, while it has
    -- no GMV, those without): its mark is one of them
    local slot = sub(g.slots, floor((t - p.first) / p.slot))
    local mx = slot.max
    if gmv then
      if not mx or gmv > mx then
        slot.max, slot.ids, slot.nulls = gmv, { id }, nil
      elseif gmv == mx then
        slot.ids[#slot.ids + 1] = id
      end
    elseif not mx then
      local l = sub(slot, "nulls")
      l[#l + 1] = id
    end
  end
  if p.picks.all then pick.start(p.picks, id) end
end

-- Sum one row (shop, reg, t, d, gmv, views, sales, user_id, nick_name,
-- and at 12 its room_id).
local function row(a, p, r)
  local shop, reg, t, d, gmv, views, sales, id = r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[12]
  local regs = a.groups[shop]
  local g = regs and regs[reg] or group(a, shop, reg)
  counted(g.sums, views, sales, gmv, d)
  if gmv then
    -- the group's highest GMV and the rows that have it (a shop's best)
    local mx = g.max_gmv
    if not mx or gmv > mx then
      g.max_gmv, g.best_ids = gmv, { id }
    elseif gmv == mx then
      g.best_ids[#g.best_ids + 1] = id
    end
  end
  if t then timed(p, g, t, d, gmv, id) end
  local v
  if p.by_gmv then v = gmv else v = p.rank_of(gmv, d, views, sales) end
  if v then
    -- most rows are below the region's k-th highest so far: one test
    local list, k = g.top, p.top
    local n = #list
    if n < k or v >= list[n] then
      if n < k or v > list[n] then keep_top(list, k, v) end
      pick.top(p.picks, reg, list, v, id)
    end
  end
  if gmv and d and d > 0 then
    local l = g.values
    l[#l + 1] = gmv / (d / 3600)
  end
  local user = r[8] or false
  local nicks = g.hosts[user]
  if not nicks then nicks = {}; g.hosts[user] = nicks end
  local nick = r[9] or false
  local e = nicks[nick]
  if not e then e = { n = 0, gmv = 0 }; nicks[nick] = e end
  e.n = e.n + 1
  if gmv then e.gmv = inc(e.gmv, gmv) end
end

-- The state as store/aggregate.lua's figures returns it.
local function finish(a)
  local out = { groups = {}, heat = a.heat, weeks = a.weeks, floors = {}, slots = {}, hosts = {}, values = a.values }
  for shop, regs in pairs(a.groups) do
    for reg, g in pairs(regs) do
      out.groups[#out.groups + 1] = g
      for user, nicks in pairs(g.hosts) do
        for nick, e in pairs(nicks) do
          out.hosts[#out.hosts + 1] = { user or nil, nick or nil, shop, reg, e.n, e.gmv }
        end
      end
    end
  end
  for reg, t in pairs(a.tops) do out.floors[reg] = t[#t] end
  for shop, slots in pairs(a.slots) do
    local e = { values = {} }
    for _, s in pairs(slots) do
      if s.max then e.values[#e.values + 1] = s.max else e.none = true end
    end
    out.slots[shop] = e
  end
  return out
end

-- Count a row's quality flags (aggregate_sql.quality_flags, not 0) in q.
local function flags(q, m, nfields)
  local bit = {}
  for i = 1, nfields + 3 do
    bit[i] = m % 2
    m = (m - bit[i]) / 2
  end
  q.zero_peak = q.zero_peak + bit[1]
  q.duration_mismatch = q.duration_mismatch + bit[2]
  q.no_positive_duration = q.no_positive_duration + bit[3]
  local any = 0
  for i = 1, nfields do
    if bit[i + 3] == 1 then q.null[i] = (q.null[i] or 0) + 1; any = 1 end
  end
  q.any_missing = q.any_missing + any
end

-- The quality counts as store/aggregate.lua's quality gives them.
local function quality_of(q, fields)
  local out = { n = q.n, zero_peak = q.zero_peak, duration_mismatch = q.duration_mismatch,
    no_positive_duration = q.no_positive_duration, any_missing = q.any_missing, missing = {}, not_number = {},
    extra = {} }
  for i, n in pairs(q.null) do out.missing[fields[i]] = n end
  return out
end

-- Count a row's impossible combination (as report/bounds.lua's; views
-- and units not nil) in q.combos and note it among the rows listed
-- (aggregate_pick.combo). On 5.1/LuaJIT a count past 2^53 comes from the
-- database as its digits.
local function combo(q, P, r, views, units)
  if type(views) ~= "number" or type(units) ~= "number" then views, units = num(views), num(units) end
  if not (views and units and units > views) then return end
  local c = q.combos
  if views == 0 then c.units_no_views = c.units_no_views + 1 else c.units_over_views = c.units_over_views + 1 end
  pick.combo(P, r[3], r[12])
end

--- store/aggregate.lua's figures(p) of agg, in one pass, with the data
-- quality of the rows without extra in p.fields (as Agg:quality) and their
-- impossible combinations (combos), the rows set aside included; and the
-- rows the report lists (picks: aggregate_pick.lua, given p.top,
-- p.listed, p.max_marks).
function M.run(agg, p)
  local a = state()
  p.rank_of, p.by_gmv = RANK[p.rank], p.rank == "gmv"
  local fields = p.fields
  local q = { n = 0, zero_peak = 0, duration_mismatch = 0, no_positive_duration = 0, any_missing = 0, null = {},
    combos = { units_no_views = 0, units_over_views = 0 } }
  local sql = "SELECT shop, reg, create_time, duration, total_sale_gmv_amt, total_views_cnt, total_sale_cnt, "
    .. "user_id, nick_name, aside, " .. sqlmod.quality_flags(fields) .. ", room_id, finish_time FROM src"
  local n = #fields
  p.hour_lo, p.hour_hi = 0, -1
  local P = pick.new(p, agg.lim)
  p.picks = P
  local ids = P.ids
  local early, late, long = P.earliest, P.late_end, P.max_duration
  local ok, err = agg:rows(sql, nil, function(r)
    local m, aside, t, f = r[11], r[10], r[3], r[13]
    local odd = aside == 1 or not m
    if m then
      q.n = q.n + 1
      if m ~= 0 then flags(q, m, n) end
      local views, units = r[6], r[7]
      if units ~= nil and views ~= nil and (type(units) ~= "number" or type(views) ~= "number" or units > views) then
        combo(q, P, r, views, units)
      end
    end
    -- an end aggregate_sql.maybe_odd names (on 5.1 past 2^53 as digits)
    if not odd and f ~= nil then
      if type(f) ~= "number" then f = tonumber(f) end
      odd = f ~= nil and (f < early or f > late or t ~= nil and (f < t or f - t > long))
    end
    if odd then
      ids[#ids + 1] = r[12]
      if aside == 1 then return end
    end
    row(a, p, r)
  end)
  if not ok then return nil, err end
  local out = finish(a)
  out.quality, out.combos, out.picks, out.state = quality_of(q, fields), q.combos, P, a
  return out
end

return M
