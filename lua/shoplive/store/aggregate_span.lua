--- What the kept livestreams of a SQLite store span, for a report of given
-- sellers, read through the index on (seller_id, create_time) instead of a
-- scan of every row (which cost a fifth of a million-livestream report):
-- per seller, the kept rows' first and latest start (the index's ends) and
-- the latest end among the starts of the last week before that latest
-- start (a kept livestream ends at most bounds.MAX_DURATION after its
-- start). Rows whose start is only in `extra` are read apart (create_time
-- NULL: also an index range). The counts come from the aggregates' one
-- pass (store/aggregate.lua's figures).
local sqlmod = require("shoplive.store.aggregate_sql")

local M = {}

-- The end of a livestream as figures.period reads it (aggregate.lua's).
local function end_sql(lim)
  return string.format("CASE WHEN finish_time >= create_time AND finish_time - create_time <= %d THEN finish_time "
    .. "WHEN duration IS NOT NULL THEN create_time + duration ELSE create_time END", lim.max_duration)
end

-- The rows of body after the CTE of seller `id`'s rows (agg's time bounds kept).
local function rows(agg, cte, id, body, extra)
  local p = { id }
  for i = 1, #agg.time_params do p[#p + 1] = agg.time_params[i] end
  for _, v in ipairs(extra or {}) do p[#p + 1] = v end
  p.n = #p
  return agg.store:aggregate(cte .. body, p)
end

-- first, last and whether seller id has a kept row; or nil, err.
local function seller(agg, cte, id)
  local lo, err = rows(agg, cte, id, "SELECT o FROM k WHERE o IS NOT NULL ORDER BY o LIMIT 1")
  if not lo then return nil, err end
  local hi
  hi, err = rows(agg, cte, id, "SELECT o FROM k WHERE o IS NOT NULL ORDER BY o DESC LIMIT 1")
  if not hi then return nil, err end
  local first, last = lo[1] and lo[1][1], nil
  local e = end_sql(agg.lim)
  if hi[1] then
    local r
    r, err = rows(agg, cte, id, "SELECT MAX(" .. e .. ") FROM k WHERE o >= ?", { hi[1][1] - agg.lim.max_duration })
    if not r then return nil, err end
    last = r[1][1]
  end
  -- a start held in extra only (the stored column NULL)
  local x
  x, err = rows(agg, cte, id, "SELECT MIN(create_time), MAX(" .. e .. "), COUNT(*) FROM k WHERE o IS NULL")
  if not x then return nil, err end
  local xf, xl = x[1][1], x[1][2]
  if xf and (not first or xf < first) then first = xf end
  if xl and (not last or xl > last) then last = xl end
  return { first = first, last = last, any = first ~= nil or x[1][3] > 0 }
end

--- { first, last, shops } of agg's sellers (agg.sellers given), or nil, err.
function M.span(agg)
  local cte = sqlmod.cte(agg.d, " WHERE seller_id = ?" .. agg.time_where, agg.lim)
  local out = { shops = 0 }
  for _, id in ipairs(agg.sellers) do
    local s, err = seller(agg, cte, id)
    if not s then return nil, err end
    if s.any then out.shops = out.shops + 1 end
    if s.first and (not out.first or s.first < out.first) then out.first = s.first end
    if s.last and (not out.last or s.last > out.last) then out.last = s.last end
  end
  return out
end

return M
