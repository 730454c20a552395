--- The SQL of the report's aggregates (store/aggregate.lua), spelled for
-- SQLite and PostgreSQL: a record's numeric fields as the report reads
-- them (the typed column, else a number the record held in `extra`, as a
-- float 12.5 is kept there), floor, and the casts that keep sums exact.
-- PostgreSQL computes on numeric (exact) and hands sums back as text,
-- since its binary numeric is not a Lua value; SQLite's integer SUM is
-- exact int64 already.
local schema = require("shoplive.store.schema")

local M = {}

local format = string.format

-- (COALESCE: a stored value ends the work at once, as it does for almost
-- every row)
local function sqlite_eff(f)
  return "COALESCE(" .. f .. ", CASE WHEN extra IS NOT NULL AND json_type(extra, '$." .. f
    .. "') IN ('integer', 'real') THEN json_extract(extra, '$." .. f .. "') END)"
end

local function pg_eff(f)
  local j = "convert_from(extra, 'UTF8')::json"
  return "CASE WHEN extra IS NULL OR " .. f .. " IS NOT NULL THEN " .. f .. "::numeric WHEN json_typeof(" .. j
    .. " -> '" .. f .. "') = 'number' THEN (" .. j .. " ->> '" .. f .. "')::numeric END"
end

M.sqlite = {
  eff = sqlite_eff,
  floor = function(e) return "CAST(floor(" .. e .. ") AS INTEGER)" end,
  out = function(e) return e end,
  region = "COALESCE(NULLIF(region, ''), '(no region)')",
  -- byte order, as Lua compares strings
  bytes = "",
  -- no hash aggregate: store/aggregate_scan.lua sums in one pass
  scan = true,
  -- a unary + keeps SQLite from using an index for a column
  scan_all = "+",
  -- a parameter holding a number (SQLite binds Lua's own)
  number = "?",
}

M.postgresql = {
  eff = pg_eff,
  floor = function(e) return "floor(" .. e .. ")::bigint" end,
  out = function(e) return "(" .. e .. ")::text" end,
  region = "COALESCE(NULLIF(region, ''::bytea), '(no region)'::bytea)",
  bytes = ' COLLATE "C"',
  scan_all = "",
  -- a parameter holding a number, where nothing else gives its type
  number = "CAST(? AS DOUBLE PRECISION)",
}

-- The stored columns src also gives as r_<name> (the others: room_id,
-- user_id, nick_name and extra keep their names).
M.RAW_FIELDS = { "seller_id", "region", "title", "avatar", "cover_url" }
for _, f in ipairs(schema.INT_FIELDS) do M.RAW_FIELDS[#M.RAW_FIELDS + 1] = f end

--- The columns of src that make the stored row, in store.COLUMNS' order.
function M.stored_columns()
  local cols = {}
  for _, f in ipairs(schema.TEXT_FIELDS) do
    cols[#cols + 1] = (f == "room_id" or f == "user_id" or f == "nick_name") and f or ("r_" .. f)
  end
  for _, f in ipairs(schema.INT_FIELDS) do cols[#cols + 1] = "r_" .. f end
  cols[#cols + 1] = "extra"
  return table.concat(cols, ", ")
end

--- A float (IEEE double, as Lua computes) of a SQL expression.
function M.f8(e) return "CAST(" .. e .. " AS DOUBLE PRECISION)" end

-- The conditions (OR-ed) under which report/bounds.lua sets a record aside.
local function aside_terms(lim)
  local t = { format("create_time < %d", lim.earliest), format("create_time > %d", lim.latest),
    "duration < 0", format("duration > %d", lim.max_duration) }
  for _, f in ipairs(lim.amounts) do
    t[#t + 1] = f .. " < 0"
    t[#t + 1] = format("%s >= %.0f", f, lim.max_amount)
  end
  return t
end

--- The CTE every aggregate starts with: src, the store's rows of the
-- report (shop, reg, o = the stored create_time the store orders by,
-- has_extra, aside (1: set aside), and each numeric field as the report
-- reads it), and k, the rows kept. `where` filters livestreams; lim:
-- latest (the latest plausible start), earliest, max_duration, max_amount,
-- amounts (the fields bounded by max_amount).
function M.cte(d, where, lim)
  local cols = {}
  for _, f in ipairs(schema.INT_FIELDS) do cols[#cols + 1] = "(" .. d.eff(f) .. ") AS " .. f end
  -- and the stored columns under r_ names (M.RAW: the record as stored)
  for _, f in ipairs(M.RAW_FIELDS) do cols[#cols + 1] = f .. " AS r_" .. f end
  return "WITH e AS (SELECT room_id, COALESCE(NULLIF(seller_id, ''), '(no seller_id)') AS shop, "
    .. d.region .. " AS reg, user_id, nick_name, extra, create_time AS o, "
    .. "CASE WHEN extra IS NULL THEN 0 ELSE 1 END AS has_extra, " .. table.concat(cols, ", ")
    .. " FROM livestreams" .. where .. "), src AS (SELECT e.*, CASE WHEN " .. table.concat(aside_terms(lim), " OR ")
    .. " THEN 1 ELSE 0 END AS aside FROM e), k AS (SELECT * FROM src WHERE aside = 0) "
end

-- A row with more units sold than views (bounds' impossible combinations).
M.COMBO = "total_sale_cnt > total_views_cnt"

--- The condition of a row of src that may hold a value the report sets
-- aside or lists (a superset: report/bounds.lua decides).
-- without_combos: not the impossible combinations of rows without extra
-- (M.COMBO; store/aggregate_scan.lua counts them, Agg:candidates lists the
-- first few).
function M.maybe_odd(lim, without_combos)
  local c = aside_terms(lim)
  for _, t in ipairs({ "has_extra = 1", format("finish_time < %d", lim.earliest),
    format("finish_time > %d", lim.latest + lim.max_duration), "finish_time < create_time",
    format("finish_time - create_time > %d", lim.max_duration), not without_combos and M.COMBO or nil }) do
    c[#c + 1] = t
  end
  return "(" .. table.concat(c, " OR ") .. ")"
end

-- The column of src holding the stored value of spec field f.
local function stored(f)
  if f == "room_id" or f == "user_id" or f == "nick_name" then return f end
  return "r_" .. f
end

--- A row of src's data-quality flags as one integer (NULL for a row with
-- extra, whose fields figures.quality checks): bit 0 max_views_cnt is 0,
-- bit 1 duration differs from finish_time - create_time, bit 2 no
-- positive duration, bit 2 + i spec field fields[i] missing. Summed by the
-- SQLite pass (store/aggregate_scan.lua) instead of a scan of its own.
function M.quality_flags(fields)
  local t = { "COALESCE(r_max_views_cnt = 0, 0)", "2 * COALESCE(r_finish_time - r_create_time <> r_duration, 0)",
    "4 * (r_duration IS NULL OR r_duration <= 0)" }
  -- the usual row (nothing to count) by one chain of tests SQLite stops early
  local plain = { "r_max_views_cnt <> 0", "r_duration > 0", "r_finish_time - r_create_time = r_duration" }
  for i, f in ipairs(fields) do
    t[#t + 1] = format("%.0f * (%s IS NULL)", 2 ^ (i + 2), stored(f))
    plain[#plain + 1] = stored(f) .. " IS NOT NULL"
  end
  return "CASE WHEN extra IS NOT NULL THEN NULL WHEN " .. table.concat(plain, " AND ") .. " THEN 0 ELSE "
    .. table.concat(t, " + ") .. " END"
end

return M
