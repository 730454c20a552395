--- The rows a report from a SQLite store lists, picked by room_id while
-- store/aggregate_scan.lua's one pass reads every row, then read back by
-- their key: a second scan of a million rows for them (the candidates
-- query of store/aggregate.lua, with its ORs on every row) cost a quarter
-- of the report's CPU. Picked: the rows that may hold an odd value
-- (aggregate_sql.maybe_odd, impossible combinations apart), the first
-- `listed` rows with more units than views (the store's order), and of the
-- rows kept, those that may be a region's top (a figure at least the
-- region's final floor: ties included), a shop's best (its highest GMV)
-- and the timeline's marks (each shop's slot's highest GMV; every
-- livestream with a start when there are at most `max_marks`). A superset,
-- as the candidates query's: report/bounds.lua and report/figures.lua decide.
local M = {}

--- The picks' state for the pass's p (top, listed, max_marks) and lim
-- (aggregate_sql.cte's).
function M.new(p, lim)
  return { ids = {}, tops = {}, combos = {}, listed = p.listed or 0, all = p.max_marks and {} or nil,
    max_marks = p.max_marks, top = p.top, earliest = lim.earliest, late_end = lim.latest + lim.max_duration,
    max_duration = lim.max_duration }
end

-- The store's order (store/aggregate.lua's): o descending, NULL last, then
-- room_id; on 5.1/LuaJIT an o past 2^53 arrives as its digits.
local function before(a, b)
  local x, y = a[1], b[1]
  if x ~= y then
    if x == nil or y == nil then return y == nil end
    x, y = tonumber(x), tonumber(y)
    if x ~= y then return x > y end
  end
  return a[2] < b[2]
end

--- Note a row without extra that sells more units than it has views (o:
-- its stored start), keeping the first P.listed in the store's order: a
-- heap whose root is the last of those kept.
function M.combo(P, o, id)
  local h, n = P.combos, #P.combos
  local e = { o, id }
  if n < P.listed then
    local i = n + 1
    while i > 1 and before(h[math.floor(i / 2)], e) do h[i] = h[math.floor(i / 2)]; i = math.floor(i / 2) end
    h[i] = e
    return
  end
  if n == 0 or not before(e, h[1]) then return end
  local i = 1
  while true do
    local c = 2 * i
    if c > n then break end
    if c < n and before(h[c], h[c + 1]) then c = c + 1 end
    if not before(e, h[c]) then break end
    h[i] = h[c]
    i = c
  end
  h[i] = e
end

--- Note a kept row of region reg with figure v (after keep_top put it in
-- `list`, the region's highest so far): it may be in the top while it is
-- at least the k-th highest so far. Those below a risen floor are dropped
-- now and then.
function M.top(P, reg, list, v, id)
  local k = P.top
  local floor_now = #list >= k and list[#list] or nil
  if floor_now and v < floor_now then return end
  local c = P.tops[reg]
  if not c then c = { v = {}, id = {} }; P.tops[reg] = c end
  local n = #c.v + 1
  c.v[n], c.id[n] = v, id
  if n > 4 * k + 64 and floor_now then
    local m = 0
    for i = 1, n do
      if c.v[i] >= floor_now then m = m + 1; c.v[m], c.id[m] = c.v[i], c.id[i] end
    end
    for i = n, m + 1, -1 do c.v[i], c.id[i] = nil, nil end
  end
end

--- Note a kept row with a start: every one while they are at most
-- max_marks (the timeline then draws them all).
function M.start(P, id)
  local all = P.all
  if not all then return end
  if #all >= P.max_marks then P.all = nil; return end
  all[#all + 1] = id
end

-- The room_ids picked: a.groups (aggregate_scan's state: each group's
-- best_ids at its max_gmv, each slot's ids at its max, else its nulls),
-- floors (reg -> the k-th highest), best_gmv (shop -> its highest GMV),
-- slotted (false: every start instead of the slots' marks). Each once.
function M.ids(P, a, floors, best_gmv, slotted)
  local out, seen = {}, {}
  local function add(list)
    for _, id in ipairs(list or {}) do
      if not seen[id] then seen[id] = true; out[#out + 1] = id end
    end
  end
  add(P.ids)
  for _, e in ipairs(P.combos) do add({ e[2] }) end
  for reg, c in pairs(P.tops) do
    local f = floors[reg]
    for i = 1, #c.v do
      if f and c.v[i] >= f then add({ c.id[i] }) end
    end
  end
  for shop, regs in pairs(a.groups) do
    for _, g in pairs(regs) do
      if g.max_gmv ~= nil and g.max_gmv == best_gmv[shop] then add(g.best_ids) end
    end
  end
  if not slotted then
    add(P.all)
    return out
  end
  for _, slots in pairs(a.slots) do
    for _, s in pairs(slots) do add(s.max ~= nil and s.ids or s.nulls) end
  end
  return out
end

return M
