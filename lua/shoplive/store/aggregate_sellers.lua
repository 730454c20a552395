--- Whether the sellers a report of a SQLite store asks for hold every
-- stored livestream: then store/aggregate_scan.lua's one pass reads the
-- table without its `seller_id IN (...)` test, which cost 6 % of that
-- pass's SQL on a million rows (20 sellers: `shoplive report ID...
-- --offline` of every shop stored). The stored seller ids are found by
-- seeking the index on (seller_id, create_time) once per id, never by a
-- scan.
local M = {}

-- The first stored seller_id after `last` (the first of all when nil)
-- and its SQL type, or false when there is none; nil, err on failure.
local function next_seller(store, last)
  local rows, err
  if last == nil then
    rows, err = store:aggregate("SELECT seller_id, typeof(seller_id) FROM livestreams WHERE seller_id IS NOT NULL "
      .. "ORDER BY seller_id LIMIT 1", { n = 0 })
  else
    rows, err = store:aggregate("SELECT seller_id, typeof(seller_id) FROM livestreams WHERE seller_id > ? "
      .. "ORDER BY seller_id LIMIT 1", { last, n = 1 })
  end
  if not rows then return nil, err end
  return rows[1] or false
end

--- True when every stored livestream has a seller_id (text) among
-- `sellers`; false when one has not; nil, err on failure.
function M.cover_all(store, sellers)
  local asked = {}
  for _, id in ipairs(sellers) do asked[id] = true end
  local nulls, err = store:aggregate("SELECT 1 FROM livestreams WHERE seller_id IS NULL LIMIT 1", { n = 0 })
  if not nulls then return nil, err end
  if #nulls > 0 then return false end
  local last
  -- at most one id more than asked: a stored id not asked for ends it
  for _ = 1, #sellers + 1 do
    local r
    r, err = next_seller(store, last)
    if r == nil then return nil, err end
    if not r then return true end
    if r[2] ~= "text" or not asked[r[1]] then return false end
    last = r[1]
  end
  return false
end

return M
