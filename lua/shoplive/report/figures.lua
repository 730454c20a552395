--- The figures of the report, computed from the records' own fields (no
-- HTML here): per-shop cards, the timeline's marks, weekly totals, the
-- weekday x hour heatmap, the GMV-per-hour histogram, the top livestreams,
-- hosts and data quality. Every sum of GMV is per region: GMV is in the
-- currency of the shop's region as the API reports it, so figures that add
-- or compare GMV are grouped by region. Sums and counts come from
-- shoplive.summarize, so the report shows the numbers summarize gives.
-- Version-neutral (Lua 5.1-5.4, LuaJIT).
local argcheck = require("shoplive.argcheck")
local bounds = require("shoplive.report.bounds")
local ranks = require("shoplive.report.ranks")
local schema = require("shoplive.schema")
local stats = require("shoplive.report.stats")
local ticks_mod = require("shoplive.report.ticks")
local sums = require("shoplive.report.sums")

local M = {}
local NUMERIC

local floor, huge = math.floor, math.huge
local HOUR, DAY, WEEK = 3600, 86400, 7 * 86400
local MONDAY = 4 * DAY -- 1970-01-05, a Monday
local MAX_DURATION = bounds.MAX_DURATION

--- The 16 fields the spec gives every record (shoplive/schema.lua), in
-- the spec's (alphabetical) order; NUMERIC: those that hold numbers.
M.FIELDS, NUMERIC = {}, {}
local KNOWN = {}
for _, f in ipairs(schema.FIELDS) do
  M.FIELDS[#M.FIELDS + 1] = f
  KNOWN[f] = true
  if schema.KINDS[f] == "integer" or schema.KINDS[f] == "time" then NUMERIC[f] = true end
end
table.sort(M.FIELDS)

M.WEEKDAYS = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" }

-- A usable number, or nil (as in shoplive.summarize: nil, non-numbers and
-- NaN are skipped; on 5.1/LuaJIT an integer past 2^53 arrives as digits).
local function num(v)
  if type(v) == "number" and v == v and v > -huge and v < huge then return v end
  if not math.type and type(v) == "string" and v:find("^%-?%d+$") then return tonumber(v) end
  return nil
end
M.num = num

--- a / b, or nil when b is 0 or either is not a number (no NaN, no inf).
local function ratio(a, b)
  a, b = num(a), num(b)
  if not a or not b or b == 0 then return nil end
  local r = a / b
  if r ~= r or r == huge or r == -huge then return nil end
  return r
end
M.ratio = ratio

--- Parse a time zone (shoplive/tz.lua, shared with group_by): offset
-- seconds east of UTC and a label ("UTC", "UTC+07:00"), or nil and a message.
M.parse_tz = require("shoplive.tz").parse

-- The record's GMV per hour live (GMV / (duration / 3600)), or nil when
-- either is missing or the duration is not positive.
local function gmv_per_hour(r)
  local g, d = r.total_sale_gmv_amt, r.duration
  -- two finite numbers (a NaN or an infinity fails the differences): num
  -- gives them back, no call needed
  if not (type(g) == "number" and type(d) == "number" and g - d < huge and d - g < huge) then
    g, d = num(g), num(d)
  end
  if not g or not d or d <= 0 then return nil end
  return g / (d / HOUR)
end
M.gmv_per_hour = gmv_per_hour

local function region_of(r)
  local g = r.region
  if type(g) == "string" and g ~= "" then return g end
  return "(no region)"
end
M.region_of = region_of

--- A record's shop key: its seller_id, "(no seller_id)" without one.
local function shop_of(r)
  local s = r.seller_id
  if type(s) == "string" and s ~= "" then return s end
  if type(s) == "number" then return string.format("%.0f", s) end
  return "(no seller_id)"
end
M.shop_of = shop_of

-- Lists of records by key, keys in order of first appearance (the keys
-- here are never nil or NaN).
local split = require("shoplive.analysis").split

-- Regions, most livestreams first (then by name): { region =, records = }.
local function by_region(records)
  local lists, keys = split(records, region_of)
  table.sort(keys, function(a, b)
    if #lists[a] ~= #lists[b] then return #lists[a] > #lists[b] end
    return a < b
  end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = { region = k, records = lists[k] } end
  return out
end

--- The per-region figures of a card: summarize's figures plus GPM, units
-- per 1,000 views and the average unit price.
function M.region_figures(records)
  return M.region_figures_of(sums.of(records))
end

--- The same from a summary.
function M.region_figures_of(s)
  return {
    summary = s,
    gpm = ratio(s.total_gmv * 1000.0, s.total_views),
    units_per_1000_views = s.sales_per_1000_views,
    unit_price = ratio(s.total_gmv, s.total_sales),
    gmv_per_hour = s.gmv_per_hour,
  }
end

-- How many records of the list have each nick_name ("" for none).
local function nick_counts(list)
  local n = {}
  for i = 1, #list do
    local v = list[i].nick_name
    local nick = type(v) == "string" and v or v ~= nil and tostring(v) or ""
    n[nick] = (n[nick] or 0) + 1
  end
  return n
end

--- One card per shop: seller ids in `order` first (shops with no record get
-- an empty card), then the others in order of first appearance.
function M.shops(records, order, S)
  S = S or sums.grouped(records, shop_of, region_of)
  local lists, keys = split(records, shop_of)
  local seen, ids = {}, {}
  for _, id in ipairs(order or {}) do
    id = tostring(id)
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  for _, k in ipairs(keys) do
    if not seen[k] then seen[k] = true; ids[#ids + 1] = k end
  end
  local out = {}
  for i, id in ipairs(ids) do
    local list = lists[id] or {}
    local s = S.shop[id] or sums.of(list)
    local main, most = nil, 0
    for nick, n in pairs(nick_counts(list)) do
      if n > most or (n == most and nick < main) then main, most = nick, n end
    end
    local regions = by_region(list)
    for _, g in ipairs(regions) do
      local f = M.region_figures_of(S.cell[id .. "\0" .. g.region])
      for k, v in pairs(f) do g[k] = v end
    end
    out[i] = { id = id, index = i, records = list, summary = s, regions = regions, main_nick = main ~= "" and main or nil }
  end
  return out
end

-- ---- time ----------------------------------------------------------------

--- The period covered: the first create_time and the last finish_time (or
-- create_time + duration; or create_time), nil when no record has a start.
function M.period(records)
  local first, last
  for i = 1, #records do
    local r = records[i]
    local t = num(r.create_time)
    if t then
      local e = num(r.finish_time)
      -- bounds.plausible_end, inlined: this runs for every record
      if e and not (e >= t and e - t <= MAX_DURATION) then e = nil end
      if not e then
        local d = num(r.duration)
        e = d and t + d or t
      end
      if e < t then e = t end
      if not first or t < first then first = t end
      if not last or e > last then last = e end
    end
  end
  return first, last
end

--- The Monday-based week of a time, in a zone `off` seconds east of UTC:
-- an integer index (weeks since 1970-01-05) and the Monday's date.
function M.week_of(t, off)
  local w = floor((t + off - MONDAY) / WEEK)
  return w, os.date("!%Y-%m-%d", w * WEEK + MONDAY)
end

--- Weekday (1 = Monday .. 7 = Sunday) and hour (0..23) of a time in the zone.
function M.weekday_hour(t, off)
  local lt = floor(t + off)
  local days = floor(lt / DAY)
  -- 1970-01-01 was a Thursday (weekday 4)
  local wd = (days + 3) % 7 + 1
  local hour = floor((lt - days * DAY) / HOUR)
  return wd, hour
end

--- Weekly totals of one region's records: every week from the first to the
-- last (weeks without a livestream included, as zeros), each with its
-- summary, GMV per hour live and the change from the week before (nil
-- for the first week and after a week with zero GMV).
function M.weekly(records, off)
  -- the week's index alone (week_of also formats its date)
  local lists, keys = split(records, function(r)
    local t = num(r.create_time)
    return t and floor((t + off - MONDAY) / WEEK) or false
  end)
  local lo, hi
  for _, k in ipairs(keys) do
    if k then
      if not lo or k < lo then lo = k end
      if not hi or k > hi then hi = k end
    end
  end
  if not lo then return {} end
  return M.weeks(lo, hi, off, function(w) return sums.of(lists[w] or {}) end)
end

--- The weekly rows of weeks lo..hi: summary_of(w) gives week w's summary.
function M.weeks(lo, hi, off, summary_of)
  local out, prev = {}, nil
  for w = lo, hi do
    local s = summary_of(w)
    local _, date = M.week_of(w * WEEK + MONDAY - off, off)
    local row = { week = w, start = date, summary = s, gmv = s.total_gmv, gmv_per_hour = s.gmv_per_hour }
    if prev then
      row.change = ratio(s.total_gmv - prev.total_gmv, prev.total_gmv)
      if prev.gmv_per_hour and s.gmv_per_hour then
        row.change_per_hour = ratio(s.gmv_per_hour - prev.gmv_per_hour, prev.gmv_per_hour)
      end
    end
    prev = s
    out[#out + 1] = row
  end
  return out
end

--- The weekday x start-hour heatmap of one region: cells[wd][hour] =
-- { n =, gmv =, seconds =, value = GMV per hour live or nil }, and the
-- largest value.
function M.heatmap(records, off)
  local cells = M.heat_cells()
  for i = 1, #records do
    local r = records[i]
    local t = num(r.create_time)
    if t then
      local wd, h = M.weekday_hour(t, off)
      local c = cells[wd][h]
      c.n = c.n + 1
      c.gmv = c.gmv + (num(r.total_sale_gmv_amt) or 0)
      local d = num(r.duration)
      if d and d > 0 then c.seconds = c.seconds + d end
    end
  end
  return M.heat_values(cells)
end

--- An empty weekday x hour grid of cells { n =, gmv =, seconds = }.
function M.heat_cells()
  local cells = {}
  for wd = 1, 7 do
    cells[wd] = {}
    for h = 0, 23 do cells[wd][h] = { n = 0, gmv = 0, seconds = 0 } end
  end
  return cells
end

--- The heatmap of filled cells: each cell's value and the largest.
function M.heat_values(cells)
  local max = 0
  for wd = 1, 7 do
    for h = 0, 23 do
      local c = cells[wd][h]
      c.value = ratio(c.gmv, c.seconds / HOUR)
      if c.value and c.value > max then max = c.value end
    end
  end
  return { cells = cells, max = max }
end


-- Decade bins (1-10, 10-100, ...) from the decade of the smallest positive
-- value to the largest's, after a bin for 0 (and below) when some values are.
local function log_bins(values, h, first_pos)
  local LN10 = math.log(10)
  local lo = floor(math.log(first_pos) / LN10 + 1e-9)
  local hi = floor(math.log(h.max) / LN10 + 1e-9) + 1
  local zero = h.min <= 0
  if zero then h.bins[1] = { from = h.min < 0 and h.min or 0, to = 0, n = 0, zero = true } end
  local off = #h.bins
  for e = lo, hi - 1 do h.bins[#h.bins + 1] = { from = 10 ^ e, to = 10 ^ (e + 1), n = 0 } end
  for i = 1, #values do
    local v = values[i]
    local b = 1
    if v > 0 then
      b = off + floor(math.log(v) / LN10 + 1e-9) - lo + 1
      if b > #h.bins then b = #h.bins end
      if b < off + 1 then b = off + 1 end
    end
    h.bins[b].n = h.bins[b].n + 1
  end
  -- a position on the chart's axis, in bins: the zero bin is [0, 1), then
  -- one unit per decade
  h.pos = function(v)
    if v <= 0 then return zero and 0.5 or 0 end
    return off + math.max(0, math.log(v) / LN10 - lo)
  end
  h.log = true
end

--- The distribution of GMV per hour live over one region's livestreams
-- (bins[i] = { from, to, n }), the median and mean, and how many livestreams
-- had no positive duration or no GMV (left out). Bins are of a round width
-- from 0; when the values span three or more orders of magnitude above
-- the median (a few great livestreams would squeeze all the others into the
-- first bin) they are decades instead (h.log). h.pos(v) places a value on
-- an axis where each bin is one unit wide.
function M.histogram(records, bins_wanted)
  local values, skipped = {}, 0
  for i = 1, #records do
    local v = gmv_per_hour(records[i])
    if v then values[#values + 1] = v else skipped = skipped + 1 end
  end
  return M.histogram_of(values, skipped, bins_wanted)
end

--- The histogram of `values` (in any order; reordered here), `skipped`
-- left out.
function M.histogram_of(values, skipped, bins_wanted)
  local n = #values
  local h = { n = n, skipped = skipped, bins = {} }
  if n == 0 then return h end
  local sum, first_pos
  sum, h.min, h.max, first_pos = stats.sum_range(values)
  h.median, h.mean = stats.median(values), sum / n
  if h.max > 0 and h.max >= 1000 * math.max(h.median, 1) then
    log_bins(values, h, first_pos)
    return h
  end
  local lo = h.min < 0 and h.min or 0
  local ticks, first, last = ticks_mod.ticks(lo, h.max, bins_wanted or 12)
  local width = ticks[2] and (ticks[2] - ticks[1]) or 1
  h.width, h.from, h.to = width, first, last
  local nb = #ticks - 1
  for b = 1, nb do h.bins[b] = { from = first + (b - 1) * width, to = first + b * width, n = 0 } end
  for i = 1, n do
    local b = floor((values[i] - first) / width) + 1
    if b > nb then b = nb end
    if b < 1 then b = 1 end
    h.bins[b].n = h.bins[b].n + 1
  end
  h.pos = function(v) return (v - first) / width end
  return h
end

--- The per-livestream figures of the rankings, each a function of a
-- record: a number, or nil when the record cannot give it.
M.RANKS = {
  gmv = function(r) return num(r.total_sale_gmv_amt) end,
  gmv_per_hour = gmv_per_hour,
  views = function(r) return num(r.total_views_cnt) end,
  conversion = function(r) return ratio(r.total_sale_cnt, r.total_views_cnt) end,
}
--- The rankings' names, in the order the options list them.
M.RANK_NAMES = ranks.NAMES

-- Whether entry a ranks before b: higher value, then higher GMV, then
-- room_id. The GMV and room_id are read only on a tie of values (most
-- comparisons are not one): e.gmv and e.id, set then.
local function tie_keys(e)
  if e.id == nil then e.gmv, e.id = num(e.record.total_sale_gmv_amt) or 0, tostring(e.record.room_id) end
end
local function before(a, b)
  if a.value ~= b.value then return a.value > b.value end
  tie_keys(a)
  tie_keys(b)
  if a.gmv ~= b.gmv then return a.gmv > b.gmv end
  return a.id < b.id
end

-- Put entry e in out (the first k so far, in order) if it belongs there.
local function offer(out, k, e)
  local n = #out
  if n < k or before(e, out[n]) then
    local i = n < k and n + 1 or n
    while i > 1 and before(e, out[i - 1]) do out[i] = out[i - 1]; i = i - 1 end
    out[i] = e
  end
end

local function without_tie_keys(out)
  for _, e in ipairs(out) do e.gmv, e.id = nil, nil end
  return out
end

--- The `k` livestreams of one region ranked by `rank` (a key of M.RANKS,
-- default "gmv"), highest first (ties: higher GMV, then room_id), each
-- { record =, value = its figure }; livestreams without it are left out.
function M.top(records, k, rank)
  local key = M.RANKS[rank or "gmv"]
  local out = {}
  for i = 1, #records do
    local v = key(records[i])
    -- an entry only for a figure that may enter: most fall below the k-th
    if v and (#out < k or v >= out[k].value) then offer(out, k, { record = records[i], value = v }) end
  end
  return without_tie_keys(out)
end

--- The first k of { record =, value = } entries, highest value first (ties:
-- higher GMV, then room_id).
function M.rank_order(list, k)
  -- the k first kept in order as the list is read: a sort of every
  -- livestream of a region took most of the top table's time
  local out = {}
  for _, e in ipairs(list) do offer(out, k, e) end
  return without_tie_keys(out)
end

--- The timeline's marks: one per livestream with a start time, thinned to
-- at most about `max_marks`: the period is cut into slots and, within a
-- slot, only each shop's highest-GMV livestream is kept. Returns { marks
-- (each { record =, shop = index, gmv = }), total, shown, slot (seconds,
-- nil when nothing was thinned), first, last, no_start }.
function M.timeline(shops, max_marks, first, last)
  if not first then
    for _, s in ipairs(shops) do
      local a, b = M.period(s.records)
      if a and (not first or a < first) then first = a end
      if b and (not last or b > last) then last = b end
    end
  end
  local total, no_start = 0, 0
  for _, s in ipairs(shops) do
    for _, r in ipairs(s.records) do
      if num(r.create_time) then total = total + 1 else no_start = no_start + 1 end
    end
  end
  local tl = { marks = {}, total = total, no_start = no_start, first = first, last = last }
  if total == 0 then tl.shown = 0; return tl end
  local nshops = 0
  for _, s in ipairs(shops) do if #s.records > 0 then nshops = nshops + 1 end end
  local slot = M.slot(tl, max_marks, nshops)
  for si, s in ipairs(shops) do M.thin(tl, s.records, si, slot) end
  return M.sort_marks(tl)
end

--- Add the marks of shop `si`'s records (in their order) to tl.marks: every
-- livestream with a start, or with `slot` seconds, the highest-GMV one of
-- each slot from tl.first (the first on ties).
function M.thin(tl, records, si, slot)
  local keep, order = {}, {}
  for _, r in ipairs(records) do
    local t = num(r.create_time)
    if t then
      local g = num(r.total_sale_gmv_amt)
      local key = slot and floor((t - tl.first) / slot) or #order + 1
      local cur = keep[key]
      if not cur then
        cur = { record = r, shop = si, gmv = g }
        keep[key] = cur
        order[#order + 1] = key
      elseif (g or -huge) > (cur.gmv or -huge) then
        cur.record, cur.gmv = r, g
      end
    end
  end
  for _, key in ipairs(order) do tl.marks[#tl.marks + 1] = keep[key] end
end

--- The timeline's slot (seconds; nil when all `tl.total` livestreams of
-- `nshops` shops are drawn), also set as tl.slot.
function M.slot(tl, max_marks, nshops)
  if tl.total <= max_marks then return nil end
  local slots = math.max(20, floor(max_marks / nshops))
  tl.slot = math.max((tl.last - tl.first) / slots, 1)
  return tl.slot
end

--- tl with its marks in time order (then shop, then room_id) and counted.
function M.sort_marks(tl)
  tl.shown = #tl.marks
  -- each start read once, not at each comparison
  local starts = {}
  for _, m in ipairs(tl.marks) do starts[m] = num(m.record.create_time) end
  table.sort(tl.marks, function(a, b)
    local ta, tb = starts[a], starts[b]
    if ta ~= tb then return ta < tb end
    if a.shop ~= b.shop then return a.shop < b.shop end
    return tostring(a.record.room_id) < tostring(b.record.room_id)
  end)
  return tl
end

--- A host's key: its user_id, else its nick_name.
function M.host_key(user_id, nick_name)
  if user_id ~= nil then return "id:" .. tostring(user_id) end
  return "nick:" .. tostring(nick_name)
end

--- Add `n` livestreams with `gmv` of shop `shop` in `region`, hosted under
-- `nick`, to the host entry of `key` in `by` (created with user_id).
function M.host_add(by, key, user_id, nick, shop, region, n, gmv)
  local h = by[key]
  if not h then
    h = { key = key, user_id = user_id, n = 0, nicks = {}, shops = {}, regions = {} }
    by[key] = h
    by[#by + 1] = h
  end
  h.n = h.n + n
  if nick ~= nil then
    local name = tostring(nick)
    local c = h.nicks[name]
    if not c then c = { value = nick, n = 0 }; h.nicks[name] = c end
    c.n = c.n + n
  end
  h.shops[shop] = true
  local g = h.regions[region]
  if not g then g = { region = region, n = 0, gmv = 0 }; h.regions[region] = g end
  g.n, g.gmv = g.n + n, g.gmv + gmv
end

-- The entry's nick_name: the one it used most (ties: the first by bytes).
local function main_nick(h)
  local best, most
  for name, c in pairs(h.nicks) do
    if not best or c.n > most or (c.n == most and name < best) then best, most = name, c.n end
  end
  return best and h.nicks[best].value
end

--- The hosts of entries built by host_add over `total` livestreams:
-- nick_name, shops (in the order of `shops`), livestreams and their share,
-- and per region (most livestreams first) GMV with its share of the
-- region's GMV (`regions` give it). Most livestreams first.
function M.host_list(by, total, regions, shops)
  local region_gmv, order = {}, {}
  for _, g in ipairs(regions) do region_gmv[g.region] = g.summary.total_gmv end
  for i, s in ipairs(shops) do order[s.id] = i end
  local out = {}
  for i, e in ipairs(by) do
    local ids = {}
    for id in pairs(e.shops) do ids[#ids + 1] = id end
    table.sort(ids, function(a, b) return (order[a] or huge) < (order[b] or huge) end)
    local h = { user_id = e.user_id, nick_name = main_nick(e), n = e.n, share = ratio(e.n, total), shops = ids,
      regions = {} }
    for _, g in pairs(e.regions) do
      h.regions[#h.regions + 1] = { region = g.region, n = g.n, gmv = g.gmv, share = ratio(g.gmv, region_gmv[g.region]) }
    end
    table.sort(h.regions, function(a, b)
      if a.n ~= b.n then return a.n > b.n end
      return a.region < b.region
    end)
    out[i] = h
  end
  table.sort(out, function(a, b)
    if a.n ~= b.n then return a.n > b.n end
    return tostring(a.user_id or a.nick_name) < tostring(b.user_id or b.nick_name)
  end)
  return out
end

--- Hosts (user_id, else nick_name) of the records: see host_list.
function M.hosts(records, regions, shops)
  local by = {}
  for i = 1, #records do
    local r = records[i]
    M.host_add(by, M.host_key(r.user_id, r.nick_name), r.user_id, r.nick_name, shop_of(r), region_of(r), 1,
      num(r.total_sale_gmv_amt) or 0)
  end
  return M.host_list(by, #records, regions, shops)
end

local NFIELDS = #M.FIELDS

-- Counts record r's spec fields that are not numbers where they should be
-- (unless r is plain: bounds.split found every number field a number)
-- and fields the spec does not name, in q, in one walk of r; then, only
-- when fewer than the 16 spec fields were present, the missing ones.
-- True when a field is missing.
local function field_checks(q, r, is_plain)
  local present = 0
  for k, v in pairs(r) do
    if KNOWN[k] then
      present = present + 1
      if not is_plain and NUMERIC[k] and (type(v) ~= "number" or v ~= v or v == huge or v == -huge) and not num(v) then
        q.not_number[k] = (q.not_number[k] or 0) + 1
      end
    else
      local name = tostring(k)
      q.extra[name] = (q.extra[name] or 0) + 1
    end
  end
  if present == NFIELDS then return false end
  local fields = M.FIELDS
  for i = 1, NFIELDS do
    local k = fields[i]
    if r[k] == nil then q.missing[k] = (q.missing[k] or 0) + 1 end
  end
  return true
end

--- Data quality: livestreams with max_views_cnt 0, with a duration other
-- than finish_time - create_time, with a spec field missing (per field),
-- fields the spec does not name (per field), and values of the wrong type
-- for a number field. plains: the set of records bounds.split found
-- plain (optional).
function M.quality(records, plains)
  plains = plains or {}
  local q = { n = #records, zero_peak = 0, duration_mismatch = 0, missing = {}, extra = {}, not_number = {},
    any_missing = 0, no_positive_duration = 0 }
  for i = 1, #records do
    local r = records[i]
    local peak = r.max_views_cnt
    if peak == 0 or type(peak) == "string" and num(peak) == 0 then q.zero_peak = q.zero_peak + 1 end
    local c, d, f = r.create_time, r.duration, r.finish_time
    -- three plain numbers: num gives them back (no call; this runs per record)
    if not (type(c) == "number" and type(d) == "number" and type(f) == "number" and c - d < huge and d - c < huge
      and f - c < huge and c - f < huge) then
      c, d, f = num(c), num(d), num(f)
    end
    if c and d and f and f - c ~= d then q.duration_mismatch = q.duration_mismatch + 1 end
    if not d or d <= 0 then q.no_positive_duration = q.no_positive_duration + 1 end
    if field_checks(q, r, plains[r]) then q.any_missing = q.any_missing + 1 end
  end
  return q
end

--- GMV and livestreams of each shop and region in the last `days` days of
-- the data (up to `last`, the end of the latest livestream) and in as many
-- days before: sets s.periods[region] = { n, gmv, prev_n, prev_gmv, change }
-- on every shop and returns { days =, from =, to =, prev_from = }.
-- By create_time; change is nil when the earlier period has no GMV.
function M.compare_periods(shops, last, days)
  local len = days * DAY
  local p = { days = days, to = last, from = last and last - len, prev_from = last and last - 2 * len }
  for _, s in ipairs(shops) do
    s.periods = {}
    for _, g in ipairs(s.regions) do
      local e = { n = 0, gmv = 0, prev_n = 0, prev_gmv = 0 }
      for _, r in ipairs(g.records) do
        local t = num(r.create_time)
        if t and last then
          local gmv = num(r.total_sale_gmv_amt) or 0
          if t > p.from then
            e.n, e.gmv = e.n + 1, e.gmv + gmv
          elseif t > p.prev_from then
            e.prev_n, e.prev_gmv = e.prev_n + 1, e.prev_gmv + gmv
          end
        end
      end
      e.change = ratio(e.gmv - e.prev_gmv, e.prev_gmv)
      s.periods[g.region] = e
    end
  end
  return p
end

--- How many records of each shop (seller id) are in `all` but not in `kept`.
function M.aside_by_shop(all, kept)
  local out = {}
  if #all == #kept then return out end
  local in_kept = {}
  for i = 1, #kept do in_kept[kept[i]] = true end
  for i = 1, #all do
    if not in_kept[all[i]] then
      local id = shop_of(all[i])
      out[id] = (out[id] or 0) + 1
    end
  end
  return out
end

--- Every figure of the report. opts: shops (seller ids to show even
-- without records), tz (see parse_tz), top (default 10), rank (a key of
-- M.RANKS, default "gmv"), period (days compared with as many before,
-- default 28), max_marks,
-- generated_at (bounds the plausible start times), max_listed (odd values
-- listed, default 100).
function M.compute(records, opts)
  opts = opts or {}
  local off, tz_label = M.parse_tz(opts.tz)
  if not off then argcheck.raise("shoplive.report: option 'tz' " .. tz_label) end
  local F = { offset = off, tz = tz_label, top = opts.top or 10, rank = opts.rank or "gmv", received = #records }
  -- what no livestream can hold is set aside first: every figure below is
  -- then bounded by the records' count, whatever their values
  local all = records
  local plains
  records, F.aside, F.odd, plains = bounds.split(all, num, bounds.latest(opts.generated_at), opts.max_listed or 100)
  F.aside_by_shop = M.aside_by_shop(all, records)
  local S = sums.grouped(records, shop_of, region_of)
  F.all = S.all
  F.first, F.last = M.period(records)
  F.shops = M.shops(records, opts.shops, S)
  F.regions = by_region(records)
  for _, g in ipairs(F.regions) do
    g.summary = S.region[g.region]
    g.weekly = M.weekly(g.records, off)
    g.heatmap = M.heatmap(g.records, off)
    g.histogram = M.histogram(g.records)
    g.top = M.top(g.records, F.top, F.rank)
  end
  F.period = M.compare_periods(F.shops, F.last, opts.period or 28)
  F.timeline = M.timeline(F.shops, opts.max_marks or 1200, F.first, F.last)
  F.hosts = M.hosts(records, F.regions, F.shops)
  F.quality = M.quality(all, plains)
  return F
end

return M
