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

local function sqlite_eff(f)
  return "CASE WHEN extra IS NULL OR " .. f .. " IS NOT NULL THEN " .. f .. " WHEN json_type(extra, '$." .. f
    .. "') IN ('integer', 'real') THEN json_extract(extra, '$." .. f .. "') END"
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
}

M.postgresql = {
  eff = pg_eff,
  floor = function(e) return "floor(" .. e .. ")::bigint" end,
  out = function(e) return "(" .. e .. ")::text" end,
  region = "COALESCE(NULLIF(region, ''::bytea), '(no region)'::bytea)",
  bytes = ' COLLATE "C"',
}

--- A float (IEEE double, as Lua computes) of a SQL expression.
function M.f8(e) return "CAST(" .. e .. " AS DOUBLE PRECISION)" end

--- The CTE every aggregate starts with: src, the store's rows of the
-- report (shop, reg, o = the stored create_time the store orders by,
-- has_extra, and each numeric field as the report reads it), and k, the
-- rows kept (src without those set aside). `where` filters livestreams;
-- lim: latest (the latest plausible start), earliest, max_duration,
-- max_amount, amounts (the fields bounded by max_amount).
function M.cte(d, where, lim)
  local cols = {}
  for _, f in ipairs(schema.INT_FIELDS) do cols[#cols + 1] = "(" .. d.eff(f) .. ") AS " .. f end
  local aside = { format("create_time < %d", lim.earliest), format("create_time > %d", lim.latest),
    "duration < 0", format("duration > %d", lim.max_duration) }
  for _, f in ipairs(lim.amounts) do
    aside[#aside + 1] = f .. " < 0"
    aside[#aside + 1] = format("%s >= %.0f", f, lim.max_amount)
  end
  return "WITH src AS (SELECT room_id, COALESCE(NULLIF(seller_id, ''), '(no seller_id)') AS shop, "
    .. d.region .. " AS reg, user_id, nick_name, create_time AS o, "
    .. "CASE WHEN extra IS NULL THEN 0 ELSE 1 END AS has_extra, " .. table.concat(cols, ", ")
    .. " FROM livestreams" .. where .. "), k AS (SELECT * FROM src WHERE (" .. table.concat(aside, " OR ")
    .. ") IS NOT TRUE) "
end

--- The condition of a stored row (typed columns) that may hold a value
-- the report sets aside or lists (a superset: report/bounds.lua decides).
function M.maybe_odd(lim)
  local c = { "extra IS NOT NULL", format("create_time < %d", lim.earliest), format("create_time > %d", lim.latest),
    "duration < 0", format("duration > %d", lim.max_duration), format("finish_time < %d", lim.earliest),
    format("finish_time > %d", lim.latest + lim.max_duration), "finish_time < create_time",
    format("finish_time - create_time > %d", lim.max_duration), "total_sale_cnt > total_views_cnt" }
  for _, f in ipairs(lim.amounts) do
    c[#c + 1] = f .. " < 0"
    c[#c + 1] = format("%s >= %.0f", f, lim.max_amount)
  end
  return "(" .. table.concat(c, " OR ") .. ")"
end

return M
