--- The report's figures from a store, computed by the database, so that
-- the report of a million livestreams never holds them
-- (report/from_store.lua turns the results into the report's figures):
-- what the rows span and their data quality (two scans); sums per shop and
-- region, per region and week, the heatmap's cells, hosts, the thresholds
-- of the top tables and the timeline's slot maxima (with PostgreSQL one
-- hash-aggregated query each; with SQLite, whose GROUP BY sorts every row,
-- one pass in store/aggregate_scan.lua); then one scan for the few rows the
-- report lists (odd values, tops, bests, timeline marks). Whole lists come
-- back only for the GMV per hour live of each livestream (numbers: the
-- histogram's median and bins are exact) and those listed rows. Every call
-- returns its result or nil, err.
local sqlmod = require("shoplive.store.aggregate_sql")
local store_mod = require("shoplive.store")

local M = {}
local Agg = {}
Agg.__index = Agg

local format, concat = string.format, table.concat
local f8 = sqlmod.f8

-- The WHERE clause of q's rows and its params: the sellers (an array, or
-- nil for all) and q.since and q["until"] (d: the dialect).
local function where_of(d, q, sellers)
  local where, params = {}, {}
  if sellers then
    local marks = {}
    for i, id in ipairs(sellers) do marks[i] = "?"; params[#params + 1] = id end
    -- d.scan_all: a full scan (SQLite would walk the index on seller_id and
    -- fetch each row by its key: 50 s instead of 6 on a million rows)
    where[#where + 1] = #marks > 0 and (d.scan_all .. "seller_id IN (" .. concat(marks, ", ") .. ")") or "1 = 0"
  end
  if q.since then where[#where + 1] = "create_time >= ?i"; params[#params + 1] = q.since end
  if q["until"] then where[#where + 1] = "create_time < ?i"; params[#params + 1] = q["until"] end
  return #where > 0 and (" WHERE " .. concat(where, " AND ")) or "", params
end

--- Rows of `store` filtered by q: sellers (an array of seller ids, or nil
-- for all), since and until (epoch seconds, on create_time as
-- store:livestreams reads them); lim as aggregate_sql.cte takes it.
function M.new(store, q, lim)
  local d = sqlmod[store.dialect.name]
  local time_where, time_params = "", {}
  if q.since then time_where = time_where .. " AND create_time >= ?i"; time_params[#time_params + 1] = q.since end
  if q["until"] then time_where = time_where .. " AND create_time < ?i"; time_params[#time_params + 1] = q["until"] end
  local w, params = where_of(d, q, q.sellers)
  local sellers
  if q.sellers then
    sellers = {}
    local seen = {}
    for _, id in ipairs(q.sellers) do
      if not seen[id] then seen[id] = true; sellers[#sellers + 1] = id end
    end
  end
  return setmetatable({ store = store, d = d, q = q, where = w, params = params, lim = lim, sellers = sellers,
    cte = sqlmod.cte(d, w, lim), time_where = time_where, time_params = time_params }, Agg)
end

-- This Agg, or when its sellers hold every stored livestream (SQLite:
-- store/aggregate_sellers.lua) a copy without the sellers' test, for the
-- one pass that reads every row; nil, err on failure.
function Agg:for_scan()
  if not self.sellers then return self end
  local all, err = require("shoplive.store.aggregate_sellers").cover_all(self.store, self.sellers)
  if all == nil then return nil, err end
  if not all then return self end
  local copy = setmetatable({}, Agg)
  for k, v in pairs(self) do copy[k] = v end
  copy.where, copy.params = where_of(self.d, self.q, nil)
  copy.cte = sqlmod.cte(self.d, copy.where, self.lim)
  return copy
end

-- A SQL result as a Lua number: PostgreSQL's numeric comes as text.
local function val(v)
  if type(v) == "string" then return tonumber(v) end
  return v
end
M.val = val

-- The rows of body (after the CTE), params after the CTE's.
function Agg:rows(body, extra, each)
  local p = { n = #self.params }
  for i = 1, p.n do p[i] = self.params[i] end
  for i = 1, extra and (extra.n or #extra) or 0 do p.n = p.n + 1; p[p.n] = extra[i] end
  return self.store:aggregate(self.cte .. body, p, each)
end

--- The sums a summary is made of, as SQL columns (8).
function Agg:sums()
  local o = self.d.out
  return "COUNT(*), " .. o("SUM(total_views_cnt)") .. ", COUNT(total_views_cnt), " .. o("SUM(total_sale_cnt)")
    .. ", COUNT(total_sale_cnt), " .. o("SUM(total_sale_gmv_amt)") .. ", COUNT(total_sale_gmv_amt), "
    .. o("SUM(duration)")
end

--- Row r's sums from column i on: { count, views, n_views, sales, n_sales,
-- gmv, n_gmv, dur } (a sum of nothing is 0).
function M.sums_of(r, i)
  return { count = r[i], views = val(r[i + 1]) or 0, n_views = r[i + 2], sales = val(r[i + 3]) or 0,
    n_sales = r[i + 4], gmv = val(r[i + 5]) or 0, n_gmv = r[i + 6], dur = val(r[i + 7]) or 0 }
end

-- The rows of a SELECT of sqlmod.stored_columns() and `ncols` more, each
-- as { record =, [2..] = the other columns }.
function Agg:records(sql, params, ncols)
  local rows, err = self:rows(sql, params)
  if not rows then return nil, err end
  local n = select(2, store_mod.COLUMNS:gsub(",", ",")) + 1
  local out = {}
  for i, r in ipairs(rows) do
    local e = { record = store_mod.row_record(r) }
    for c = 2, ncols or 1 do e[c] = r[n + c - 1] end
    out[i] = e
  end
  return out
end

-- A livestream's end: finish_time when plausible, else start + duration,
-- else its start (figures.period).
local function end_sql(lim)
  return format("CASE WHEN finish_time >= create_time AND finish_time - create_time <= %d THEN finish_time "
    .. "WHEN duration IS NOT NULL THEN create_time + duration ELSE create_time END", lim.max_duration)
end

-- Data quality of the rows without `extra` (whose typed columns hold every
-- field they have), read from livestreams itself (no CTE) and by
-- COUNT(column) (not a CASE per field), as SQL columns (5 + #fields): as
-- figures.quality counts them, without not_number and extra (such values
-- live in `extra`).
local function quality_sql(fields)
  local c = { "COUNT(*)", "SUM(CASE WHEN max_views_cnt = 0 THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN finish_time - create_time <> duration THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN duration IS NULL OR duration <= 0 THEN 1 ELSE 0 END)" }
  local any = {}
  for _, f in ipairs(fields) do
    c[#c + 1] = "COUNT(" .. f .. ")"
    any[#any + 1] = f .. " IS NULL"
  end
  c[#c + 1] = "SUM(CASE WHEN " .. concat(any, " OR ") .. " THEN 1 ELSE 0 END)"
  return concat(c, ", ")
end

local function quality_of(r, fields)
  local q = { n = val(r[1]) or 0, zero_peak = val(r[2]) or 0, duration_mismatch = val(r[3]) or 0,
    no_positive_duration = val(r[4]) or 0, missing = {}, not_number = {}, extra = {} }
  for k, f in ipairs(fields) do
    local n = q.n - (val(r[4 + k]) or 0)
    if n > 0 then q.missing[f] = n end
  end
  q.any_missing = val(r[5 + #fields]) or 0
  return q
end

--- What the kept livestreams span: first (start), last (end) and shops
-- (with a livestream); and quality,
-- the data quality of the rows without extra (see quality_sql). Two scans:
-- a row's aside flag costs as much as the scan each time a query reads it.
function Agg:span(fields)
  if self.d.scan and self.sellers then return self:indexed_span(fields) end
  local o = self.d.out
  -- with sellers given, the shops with a kept row are found one by one
  -- through the index on seller_id (COUNT(DISTINCT) cost a third of the scan)
  local rows, err = self:rows("SELECT " .. o("MIN(create_time)") .. ", " .. o("MAX(" .. end_sql(self.lim) .. ")")
    .. ", COUNT(*), COUNT(create_time)" .. (self.sellers and "" or ", COUNT(DISTINCT shop)") .. " FROM k")
  if not rows then return nil, err end
  local r = rows[1]
  if self.sellers then
    r[5] = 0
    for _, id in ipairs(self.sellers) do
      local any
      any, err = self:rows("SELECT 1 FROM k WHERE shop = ? LIMIT 1", { id })
      if not any then return nil, err end
      if #any > 0 then r[5] = r[5] + 1 end
    end
  end
  local q
  if self.d.scan then
    -- counted by SQLite's one pass (aggregate_scan.lua)
    self.quality_fields = fields
  else
    q, err = self:quality(fields)
    if not q then return nil, err end
  end
  return { first = val(r[1]), last = val(r[2]), shops = r[5], quality = q }
end

--- The data quality of the rows without extra (see quality_sql), or nil, err.
function Agg:quality(fields)
  local q, err = self.store:aggregate("SELECT " .. quality_sql(fields) .. " FROM livestreams"
    .. (self.where ~= "" and (self.where .. " AND ") or " WHERE ") .. "extra IS NULL", self.params)
  if not q then return nil, err end
  return quality_of(q[1], fields)
end

--- Agg:span of a SQLite store's given sellers, through the index
-- (store/aggregate_span.lua), without quality (figures' pass returns it).
function Agg:indexed_span(fields)
  -- the quality: counted by the one pass (aggregate_scan.lua), given fields
  self.quality_fields = fields
  return require("shoplive.store.aggregate_span").span(self)
end

-- Each ranking's figure in SQL (NULL where the record has none).
local RANK_SQL = {
  gmv = "total_sale_gmv_amt",
  gmv_per_hour = "CASE WHEN duration > 0 THEN " .. f8("total_sale_gmv_amt") .. " / (" .. f8("duration") .. " / 3600) END",
  views = "total_views_cnt",
  conversion = "CASE WHEN total_views_cnt <> 0 THEN " .. f8("total_sale_cnt") .. " / " .. f8("total_views_cnt") .. " END",
}

M.RANK_SQL = RANK_SQL

--- Per shop and region: { shop, reg, sums, starts, max_gmv, n, gmv,
-- prev_n, prev_gmv } (n and gmv: started after p.from; prev_: after
-- p.prev_from up to p.from).
function Agg:groups(p)
  local o = self.d.out
  local now, before = "create_time > ?", "create_time > ? AND create_time <= ?"
  local from, prev = p.from or 0, p.prev_from or 0
  local rows, err = self:rows("SELECT shop, reg, " .. self:sums() .. ", COUNT(create_time), "
    .. o("MAX(total_sale_gmv_amt)") .. ", SUM(CASE WHEN " .. now .. " THEN 1 ELSE 0 END), "
    .. o("SUM(CASE WHEN " .. now .. " THEN COALESCE(total_sale_gmv_amt, 0) ELSE 0 END)") .. ", "
    .. "SUM(CASE WHEN " .. before .. " THEN 1 ELSE 0 END), "
    .. o("SUM(CASE WHEN " .. before .. " THEN COALESCE(total_sale_gmv_amt, 0) ELSE 0 END)")
    .. " FROM k GROUP BY shop, reg", { from, from, prev, from, prev, from })
  if not rows then return nil, err end
  local out = {}
  for i, r in ipairs(rows) do
    out[i] = { shop = r[1], reg = r[2], sums = M.sums_of(r, 3), starts = r[11], max_gmv = val(r[12]),
      n = val(r[13]) or 0, gmv = val(r[14]) or 0, prev_n = val(r[15]) or 0, prev_gmv = val(r[16]) or 0 }
  end
  return out
end

-- The hour of start (since 1970, in the zone ?i seconds east of UTC).
function Agg:hour_sql()
  return self.d.floor(f8("create_time + ?i") .. " / 3600")
end

--- The heatmap's cells per region: reg -> { [hour of the week (0 =
-- Monday 00:00)] = { n, gmv, seconds } }.
function Agg:heat(off)
  local o = self.d.out
  local rows, err = self:rows("SELECT reg, MOD(hb + 72, 168) AS c, COUNT(*), "
    .. o("SUM(COALESCE(total_sale_gmv_amt, 0))") .. ", " .. o("SUM(CASE WHEN duration > 0 THEN duration ELSE 0 END)")
    .. " FROM (SELECT reg, total_sale_gmv_amt, duration, " .. self:hour_sql() .. " AS hb FROM k "
    .. "WHERE create_time IS NOT NULL) h GROUP BY reg, c", { off })
  if not rows then return nil, err end
  local out = {}
  for _, r in ipairs(rows) do
    out[r[1]] = out[r[1]] or {}
    out[r[1]][r[2]] = { n = r[3], gmv = val(r[4]) or 0, seconds = val(r[5]) or 0 }
  end
  return out
end

--- The sums per region and week (weeks since Monday 1970-01-05 in the zone):
-- reg -> { [week] = sums }.
function Agg:weeks(off)
  local rows, err = self:rows("SELECT reg, w, " .. self:sums() .. " FROM (SELECT k.*, "
    .. self.d.floor(f8(self:hour_sql() .. " - 96") .. " / 168") .. " AS w FROM k WHERE create_time IS NOT NULL) h "
    .. "GROUP BY reg, w", { off })
  if not rows then return nil, err end
  local out = {}
  for _, r in ipairs(rows) do
    out[r[1]] = out[r[1]] or {}
    out[r[1]][r[2]] = M.sums_of(r, 3)
  end
  return out
end

--- Per region, the k-th highest figure of `rank` (the lowest when fewer):
-- no livestream of the region's top k is lower. reg -> number.
function Agg:floors(rank, k)
  local rows, err = self:rows("SELECT reg, " .. self.d.out("MIN(v)") .. " FROM (SELECT reg, v, ROW_NUMBER() OVER "
    .. "(PARTITION BY reg ORDER BY v DESC) AS rn FROM (SELECT reg, " .. RANK_SQL[rank] .. " AS v FROM k) t "
    .. "WHERE v IS NOT NULL) b WHERE rn <= ?i GROUP BY reg", { k })
  if not rows then return nil, err end
  local out = {}
  for _, r in ipairs(rows) do out[r[1]] = val(r[2]) end
  return out
end

--- The highest GMV of each shop and timeline slot of `slot` seconds from
-- `first`: shop -> { values = { GMV... }, none = true when a slot has
-- no GMV at all }.
function Agg:slots(first, slot)
  local rows, err = self:rows("SELECT shop, " .. self.d.out("MAX(total_sale_gmv_amt)") .. ", COUNT(total_sale_gmv_amt) "
    .. "FROM (SELECT shop, total_sale_gmv_amt, " .. self.d.floor(f8("create_time - ?") .. " / ?") .. " AS s FROM k "
    .. "WHERE create_time IS NOT NULL) t GROUP BY shop, s", { first, slot + 0.0 })
  if not rows then return nil, err end
  local out = {}
  for _, r in ipairs(rows) do
    local e = out[r[1]] or { values = {} }
    out[r[1]] = e
    if r[3] == 0 then e.none = true else e.values[#e.values + 1] = val(r[2]) end
  end
  return out
end

--- GMV per hour live of every livestream with a GMV and a positive
-- duration, per region, in no order (report/stats.lua needs none):
-- reg -> array.
function Agg:per_hour_values()
  local out = {}
  local ok, err = self:rows("SELECT reg, " .. f8("total_sale_gmv_amt") .. " / (" .. f8("duration") .. " / 3600) AS v "
    .. "FROM k WHERE total_sale_gmv_amt IS NOT NULL AND duration > 0", nil, function(r)
      local l = out[r[1]]
      if not l then l = {}; out[r[1]] = l end
      l[#l + 1] = r[2]
    end)
  if not ok then return nil, err end
  return out
end

--- Livestreams and GMV per user_id, nick_name, shop and region:
-- { user_id, nick_name, shop, reg, n, gmv }.
function Agg:hosts()
  local rows, err = self:rows("SELECT user_id, nick_name, shop, reg, COUNT(*), "
    .. self.d.out("SUM(COALESCE(total_sale_gmv_amt, 0))") .. " FROM k GROUP BY user_id, nick_name, shop, reg")
  if not rows then return nil, err end
  for _, r in ipairs(rows) do r[6] = val(r[6]) end
  return rows
end

--- The figures aggregated: with PostgreSQL one query each (hash
-- aggregates in the server); with SQLite, whose GROUP BY sorts every row,
-- one pass over the rows (store/aggregate_scan.lua). p: off, rank, top,
-- from, prev_from (the overview's periods), first and slot (the
-- timeline's). Returns { groups, heat, weeks, floors, slots, hosts, values }.
function Agg:figures(p)
  if self.d.scan then
    p.fields = self.quality_fields
    local agg, err = self:for_scan()
    if not agg then return nil, err end
    return require("shoplive.store.aggregate_scan").run(agg, p)
  end
  local a = {}
  for _, step in ipairs({
    { "groups", function() return self:groups(p) end },
    { "heat", function() return self:heat(p.off) end },
    { "weeks", function() return self:weeks(p.off) end },
    { "floors", function() return self:floors(p.rank, p.top) end },
    { "slots", function() if p.slot then return self:slots(p.first, p.slot) end return {} end },
    { "hosts", function() return self:hosts() end },
    { "values", function() return self:per_hour_values() end },
  }) do
    local v, err = step[2]()
    if not v then return nil, err end
    a[step[1]] = v
  end
  return a
end

-- `CASE col WHEN key THEN value ... END` over the pairs of map, params appended.
local function lookup(col, map, params, number)
  local whens = {}
  for key, v in pairs(map) do
    whens[#whens + 1] = "WHEN ? THEN " .. number
    params[#params + 1] = key
    params[#params + 1] = v
  end
  if #whens == 0 then return "NULL" end
  return "CASE " .. col .. " " .. concat(whens, " ") .. " END"
end

-- `gmv IN (every value of the lists)`, params appended: one lookup per
-- row (a superset: the caller matches shops).
local function any_of(lists, params)
  local marks = {}
  for _, list in pairs(lists) do
    for _, v in ipairs(list) do
      marks[#marks + 1] = "?"
      params[#params + 1] = v
    end
  end
  if #marks == 0 then return "1 = 0" end
  return "total_sale_gmv_amt IN (" .. concat(marks, ", ") .. ")"
end

-- The timeline's marks among the rows: a GMV that is the highest of some
-- slot, or no GMV in a shop that has a slot without any.
local function slot_terms(slots, params)
  local lists, none = {}, {}
  for shop, e in pairs(slots) do
    lists[#lists + 1] = e.values
    if e.none then none[#none + 1] = "?"; params[#params + 1] = shop end
  end
  local t = #none > 0 and ("(total_sale_gmv_amt IS NULL AND shop IN (" .. concat(none, ", ") .. ")) OR ") or ""
  return t .. any_of(lists, params)
end

--- The rows the report lists, in the store's order: those that may hold
-- an odd value (set aside or not), and of those kept, those that may be a
-- region's top (a figure of `rank` at least its region's floor), a shop's
-- best (GMV `best_gmv[shop]`) or a timeline mark (slots; every livestream
-- with a start without them). { record, has_extra }. With A (SQLite's
-- figures), the rows its pass picked.
function Agg:candidates(rank, floors, best_gmv, slots, combos_listed, A)
  if A and A.picks then
    local pick = require("shoplive.store.aggregate_pick")
    return self:by_room_ids(pick.ids(A.picks, A.state, floors, best_gmv, slots ~= nil))
  end
  local params = { n = 0 }
  local top = RANK_SQL[rank] .. " >= " .. lookup("reg", floors, params, self.d.number)
  local bests = {}
  for _, v in pairs(best_gmv) do bests[#bests + 1] = v end
  local best = any_of({ bests }, params)
  local marks = slots and slot_terms(slots, params) or "create_time IS NOT NULL"
  params.n = #params
  local list, err = self:records("SELECT " .. sqlmod.stored_columns() .. ", has_extra, o FROM src WHERE "
    .. sqlmod.maybe_odd(self.lim, combos_listed) .. " OR (aside = 0 AND (" .. top .. " OR " .. best .. " OR "
    .. marks .. ")) ORDER BY o DESC, room_id", params, 3)
  if not list then return nil, err end
  if combos_listed then
    list, err = self:with_combos(list, combos_listed)
    if not list then return nil, err end
  end
  for _, e in ipairs(list) do e.has_extra = e[2] == 1 end
  return list
end

-- The store's order: o (the stored create_time) descending, NULL last
-- (as SQLite sorts it), then room_id.
-- On 5.1/LuaJIT an o past 2^53 arrives as its digits: compared as numbers.
local function store_order(a, b)
  if a[3] ~= b[3] then
    if a[3] == nil or b[3] == nil then return b[3] == nil end
    local x, y = val(a[3]), val(b[3])
    if x ~= y then return x > y end
  end
  return a.record.room_id < b.record.room_id
end

--- The rows of src with these room_ids, in the store's order, as
-- candidates returns them (by the primary key, a few hundred at a time).
function Agg:by_room_ids(ids)
  local out = {}
  for i = 1, #ids, 500 do
    local params, marks = { n = 0 }, {}
    for j = i, math.min(i + 499, #ids) do
      params.n = params.n + 1
      params[params.n], marks[params.n] = ids[j], "?"
    end
    local list, err = self:records("SELECT " .. sqlmod.stored_columns() .. ", has_extra, o FROM src WHERE room_id IN ("
      .. concat(marks, ", ") .. ")", params, 3)
    if not list then return nil, err end
    for _, e in ipairs(list) do
      e.has_extra = e[2] == 1
      out[#out + 1] = e
    end
  end
  table.sort(out, store_order)
  return out
end

--- list and the first n rows (store order) without extra that sell more
-- units than they have views, in the store's order, each row once: the
-- combinations the report lists (the scan counted them all).
function Agg:with_combos(list, n)
  local more, err = self:records("SELECT " .. sqlmod.stored_columns() .. ", has_extra, o FROM src WHERE "
    .. "has_extra = 0 AND " .. sqlmod.COMBO .. " ORDER BY o DESC, room_id LIMIT ?i", { n, n = 1 }, 3)
  if not more then return nil, err end
  local seen = {}
  for _, e in ipairs(list) do seen[e.record.room_id] = true end
  for _, e in ipairs(more) do
    if not seen[e.record.room_id] then list[#list + 1] = e end
  end
  table.sort(list, store_order)
  return list
end

return M
