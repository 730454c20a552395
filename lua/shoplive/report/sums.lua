--- The sums a summary is made of (count, views, sales, GMV, duration and
-- how many records had each), added up record by record or group by group,
-- and the summary they give: the figures of shoplive.summarize that the
-- report shows, with its arithmetic (integers exact, the float sum past
-- int64; nil, non-numbers and NaN skipped). Shared by the report from
-- records (report/figures.lua) and from a store (report/from_store.lua,
-- store/aggregate_scan.lua), so that both give the same numbers.
-- Version-neutral (Lua 5.1-5.4, LuaJIT).
local M = {}

local math_type = math.type

--- a + b: two integers stay exact; past int64 the float sum instead
-- (shoplive.summarize's own addition).
local add = require("shoplive.analysis").add
M.add = add

-- total + v, with add()'s care only where an integer sum wrapped around
-- (cheaper than add() for each term: this runs for every record).
local function inc(total, v)
  local x = total + v
  if v > 0 and x < total or v < 0 and x > total then return add(total, v) end
  return x
end
M.inc = inc

--- A usable number as shoplive.summarize reads it, or nil.
function M.num(v)
  if type(v) == "number" and v == v then return v end
  -- no integer subtype: the decoder's digits for an integer past 2^53
  if not math_type and type(v) == "string" and v:find("^%-?%d+$") then return tonumber(v) end
  return nil
end

--- Empty sums.
function M.zero()
  return { count = 0, views = 0, n_views = 0, sales = 0, n_sales = 0, gmv = 0, n_gmv = 0, dur = 0 }
end

--- Add one livestream's figures (numbers or nil) to sums s. (inc,
-- inlined: this runs for every record and every week's, shop's and
-- region's sums.)
function M.count(s, views, sales, gmv, d)
  s.count = s.count + 1
  local o, x
  if views then o, x = s.views, s.views + views; s.views = (views > 0 and x < o or views < 0 and x > o) and add(o, views) or x end
  if sales then o, x = s.sales, s.sales + sales; s.sales = (sales > 0 and x < o or sales < 0 and x > o) and add(o, sales) or x end
  if gmv then o, x = s.gmv, s.gmv + gmv; s.gmv = (gmv > 0 and x < o or gmv < 0 and x > o) and add(o, gmv) or x end
  if d then o, x = s.dur, s.dur + d; s.dur = (d > 0 and x < o or d < 0 and x > o) and add(o, d) or x end
  if views then s.n_views = s.n_views + 1 end
  if sales then s.n_sales = s.n_sales + 1 end
  if gmv then s.n_gmv = s.n_gmv + 1 end
end

local FIELDS = { "count", "views", "n_views", "sales", "n_sales", "gmv", "n_gmv", "dur" }

--- into + s, field by field (into changed and returned).
function M.plus(into, s)
  for _, k in ipairs(FIELDS) do into[k] = add(into[k], s[k]) end
  return into
end

--- The summary (the fields of shoplive.summarize's the report reads) of
-- sums s; best: the record with the highest GMV.
function M.summary(s, best)
  local hours = s.dur / 3600
  return { count = s.count, total_views = s.views, total_sales = s.sales, total_gmv = s.gmv,
    total_duration = s.dur, mean_views = s.n_views > 0 and s.views / s.n_views or nil,
    mean_sales = s.n_sales > 0 and s.sales / s.n_sales or nil, mean_gmv = s.n_gmv > 0 and s.gmv / s.n_gmv or nil,
    hours_live = hours, gmv_per_hour = hours ~= 0 and s.gmv / hours or nil,
    sales_per_1000_views = s.views ~= 0 and s.sales * 1000.0 / s.views or nil, best = best }
end

-- Record r's views, units, GMV and duration as num reads them (num only
-- for what is not a plain number: 4 calls a record spared).
local function figures_of(r, num)
  local views, sales, gmv, d = r.total_views_cnt, r.total_sale_cnt, r.total_sale_gmv_amt, r.duration
  if type(views) ~= "number" or views ~= views then views = num(views) end
  if type(sales) ~= "number" or sales ~= sales then sales = num(sales) end
  if type(gmv) ~= "number" or gmv ~= gmv then gmv = num(gmv) end
  if type(d) ~= "number" or d ~= d then d = num(d) end
  return views, sales, gmv, d
end

--- The summary of an array of records, in one pass (best: the first
-- record with the highest total_sale_gmv_amt).
function M.of(records)
  local num = M.num
  local s, best, best_gmv = M.zero(), nil, nil
  for i = 1, #records do
    local r = records[i]
    local views, sales, gmv, d = figures_of(r, num)
    M.count(s, views, sales, gmv, d)
    if gmv and (best_gmv == nil or gmv > best_gmv) then best, best_gmv = r, gmv end
  end
  return M.summary(s, best)
end

-- One group's running sums and its best record (the first with the
-- highest GMV, as M.of finds it: records arrive in the list's order).
local function group(by, k)
  local g = by[k]
  if not g then
    g = { s = M.zero() }
    by[k] = g
  end
  return g
end

local function count_best(g, r, views, sales, gmv, d)
  M.count(g.s, views, sales, gmv, d)
  if gmv and (g.best_gmv == nil or gmv > g.best_gmv) then g.best, g.best_gmv = r, gmv end
end

-- 2^53: integers below it add exactly as floats too.
local EXACT = 2 ^ 53

-- True for nil or a whole number >= 0 (NaN and infinities fail).
local function whole(v)
  return v == nil or v >= 0 and v % 1 == 0
end

-- The group `into` (shop, region or all) with cell g's sums added and its
-- best record if it comes first among the highest GMVs.
local function merge(by, k, g)
  local into = group(by, k)
  M.plus(into.s, g.s)
  local b = g.best_gmv
  if b ~= nil and (into.best_gmv == nil or b > into.best_gmv or b == into.best_gmv and g.best_i < into.best_i) then
    into.best, into.best_gmv, into.best_i = g.best, b, g.best_i
  end
end

-- M.grouped's result from one count per record (into its shop's region,
-- the cell) when every figure is a whole number >= 0 and no total reaches
-- 2^53: such sums are exact in any order, so each shop, region and the
-- whole are the sums of their cells. Else nil (the caller adds record by
-- record: a float sum depends on its order). Three counts a record spared.
local function by_cells(records, shop_of, region_of, num)
  local cells, of, by_shop = {}, {}, {}
  for i = 1, #records do
    local r = records[i]
    local views, sales, gmv, d = figures_of(r, num)
    if not (whole(views) and whole(sales) and whole(gmv) and whole(d)) then return nil end
    local shop, reg = shop_of(r), region_of(r)
    -- by shop, then region: no key string made per record
    local regs = by_shop[shop]
    if not regs then regs = {}; by_shop[shop] = regs end
    local g = regs[reg]
    if not g then
      local key = shop .. "\0" .. reg
      g = { s = M.zero() }
      regs[reg], cells[key], of[key] = g, g, { shop, reg }
    end
    M.count(g.s, views, sales, gmv, d)
    if gmv and (g.best_gmv == nil or gmv > g.best_gmv) then g.best, g.best_gmv, g.best_i = r, gmv, i end
  end
  local all, shops, regions = {}, {}, {}
  for key, g in pairs(cells) do
    merge(all, 1, g)
    merge(shops, of[key][1], g)
    merge(regions, of[key][2], g)
  end
  local t = all[1] and all[1].s
  if t and not (t.views < EXACT and t.sales < EXACT and t.gmv < EXACT and t.dur < EXACT) then return nil end
  local out = { all = M.summary(t or M.zero(), all[1] and all[1].best), shop = {}, region = {}, cell = {} }
  for name, by in pairs({ shop = shops, region = regions, cell = cells }) do
    for k, g in pairs(by) do out[name][k] = M.summary(g.s, g.best) end
  end
  return out
end

--- The summaries M.of gives of every record, of each shop's, each region's
-- and each shop's region's records, in one pass: { all =, shop = { [id] = },
-- region = { [region] = }, cell = { [id .. "\0" .. region] = } }, given
-- shop_of(r) and region_of(r). Each is what M.of of that list returns.
function M.grouped(records, shop_of, region_of)
  local num = M.num
  local exact = by_cells(records, shop_of, region_of, num)
  if exact then return exact end
  local all, shops, regions, cells = { s = M.zero() }, {}, {}, {}
  for i = 1, #records do
    local r = records[i]
    local views, sales, gmv, d = figures_of(r, num)
    local shop, reg = shop_of(r), region_of(r)
    count_best(all, r, views, sales, gmv, d)
    count_best(group(shops, shop), r, views, sales, gmv, d)
    count_best(group(regions, reg), r, views, sales, gmv, d)
    count_best(group(cells, shop .. "\0" .. reg), r, views, sales, gmv, d)
  end
  local out = { all = M.summary(all.s, all.best), shop = {}, region = {}, cell = {} }
  for name, by in pairs({ shop = shops, region = regions, cell = cells }) do
    for k, g in pairs(by) do out[name][k] = M.summary(g.s, g.best) end
  end
  return out
end

return M
