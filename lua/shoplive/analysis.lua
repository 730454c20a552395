--- shoplive.summarize / shoplive.group_by: figures over a list of records.
-- Version-neutral (Lua 5.1-5.4, LuaJIT). On 5.3+ the sums of integer fields
-- are computed with integer arithmetic, so they stay exact over the whole
-- int64 range (a total_sale_gmv_amt beyond 2^53 included); on 5.1/LuaJIT
-- numbers are doubles and sums beyond 2^53 round like any double.
-- A field that is nil (JSON null), not a number, or NaN is skipped: it adds
-- nothing to a sum and does not count towards that figure's mean. (On 5.1/
-- 5.2/LuaJIT the C core gives an integer past 2^53 as the string of its
-- digits; there such a string counts as the double it rounds to.)
local argcheck = require("shoplive.argcheck")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local math_type = math.type
local floor = math.floor

local raise = argcheck.raise

local check_records = argcheck.records

-- A usable number, or nil (nil, non-numbers and NaN are skipped).
local function num(v)
  if type(v) == "number" and v == v then return v end
  -- no integer subtype: the decoder's digits for an integer past 2^53
  if not math_type and type(v) == "string" and v:find("^%-?%d+$") then return tonumber(v) end
  return nil
end

-- a + b. Two integers stay an integer (exact); should their sum leave the
-- int64 range (it would wrap around), the float sum is returned instead.
local function add(a, b)
  local s = a + b
  if math_type and math_type(s) == "integer" and ((b > 0 and s < a) or (b < 0 and s > a)) then
    return (a + 0.0) + b
  end
  return s
end
--- (report/sums.lua adds with the same arithmetic.)
-- @local
M.add = add

--- Lists of records by keyfn(record), and the keys in order of first
-- appearance; records whose key is nil or NaN are left out. (The
-- report's groupings use it too.)
-- @local
function M.split(records, keyfn)
  local lists, keys = {}, {}
  for i = 1, #records do
    local k = keyfn(records[i])
    if k ~= nil and k == k then
      local l = lists[k]
      if l == nil then
        l = {}
        lists[k] = l
        keys[#keys + 1] = k
      end
      l[#l + 1] = records[i]
    end
  end
  return lists, keys
end

-- The region of a record as a group key ("" for none).
local function region_key(r)
  local g = r.region
  if type(g) == "string" then return g end
  return ""
end

-- GMV is in each region's own currency: the figures of every region apart
-- (a sum over regions would add dong to dollars). region -> summary.
local function by_region(list, summary_of)
  local parts, n = {}, 0
  for i = 1, #list do
    local k = region_key(list[i])
    local p = parts[k]
    if not p then p = {}; parts[k] = p; n = n + 1 end
    p[#p + 1] = list[i]
  end
  local out = {}
  for k, p in pairs(parts) do out[k] = summary_of(p) end
  return out, n
end

-- The summary of an already validated array of records.
local function summary(list, with_regions)
  local n = #list
  local views, sales, gmv, dur = 0, 0, 0, 0
  local n_views, n_sales, n_gmv = 0, 0, 0
  local best, best_gmv, first, last
  for i = 1, n do
    local r = list[i]
    local v = num(r.total_views_cnt)
    if v then views = add(views, v); n_views = n_views + 1 end
    v = num(r.total_sale_cnt)
    if v then sales = add(sales, v); n_sales = n_sales + 1 end
    v = num(r.total_sale_gmv_amt)
    if v then
      gmv = add(gmv, v); n_gmv = n_gmv + 1
      if best_gmv == nil or v > best_gmv then best, best_gmv = r, v end -- strict '>': ties keep the first
    end
    v = num(r.duration)
    if v then dur = add(dur, v) end
    v = num(r.create_time)
    if v then
      if first == nil or v < first then first = v end
      if last == nil or v > last then last = v end
    end
  end
  local hours = dur / 3600
  local regions, nregions
  if with_regions then regions, nregions = by_region(list, summary) end
  return {
    -- per region (the key: the record's region, "" for none): the same
    -- figures over that region's records alone, GMV in one currency
    regions = regions,
    -- how many regions: above 1, total_gmv, mean_gmv and gmv_per_hour mix
    -- currencies (the figures of regions[r] do not)
    region_count = nregions,
    -- number of records summarized (all of them, whatever fields they lack)
    count = n,
    -- sums of total_views_cnt / total_sale_cnt / total_sale_gmv_amt over the
    -- records that have the field; integers (exact) when every term is one
    total_views = views,
    total_sales = sales,
    total_gmv = gmv,
    -- sum of duration in seconds (integer when every term is one)
    total_duration = dur,
    -- float means of the same three fields, over the records that have the
    -- field (a null is "unknown", not 0); nil when no record has it, hence
    -- always nil for an empty list
    mean_views = n_views > 0 and views / n_views or nil,
    mean_sales = n_sales > 0 and sales / n_sales or nil,
    mean_gmv = n_gmv > 0 and gmv / n_gmv or nil,
    -- hours live: total_duration / 3600, a float (0.0 for no durations)
    hours_live = hours,
    -- total_gmv / hours_live; nil when hours_live is 0
    gmv_per_hour = hours ~= 0 and gmv / hours or nil,
    -- total_sales * 1000 / total_views (float); nil when total_views is 0
    sales_per_1000_views = views ~= 0 and sales * 1000.0 / views or nil,
    -- the record (itself, not a copy) with the highest total_sale_gmv_amt;
    -- the first such record on ties; nil when no record has the field
    best = best,
    -- smallest / largest create_time (unix seconds); nil when no record has one
    first_start = first,
    last_start = last,
  }
end

--- Figures over an array of records (also `shoplive.summarize`).
-- @tparam {table,...} records the records
-- @treturn table the @{summary}
-- @usage local s = shoplive.summarize(assert(client:all_livestreams{ seller_id = s }))
-- print(s.count, s.total_gmv, s.gmv_per_hour)
function M.summarize(records)
  check_records(records, "shoplive.summarize")
  return summary(records, true)
end

--- What `summarize` returns (and each group of `group_by`). Sums skip
-- records whose field is nil (JSON null), not a number, or NaN; on Lua
-- 5.3+ integer sums are exact over int64.
-- @table summary
-- @tfield int count the records summarized (all of them, whatever fields they lack)
-- @tfield number total_views sum of `total_views_cnt` (an integer when every term is one)
-- @tfield number total_sales sum of `total_sale_cnt`
-- @tfield number total_gmv sum of `total_sale_gmv_amt`
-- @tfield number total_duration sum of `duration`, in seconds
-- @tfield ?number mean_views mean of `total_views_cnt` over the records that have it; nil when none does
-- @tfield ?number mean_sales likewise for `total_sale_cnt`
-- @tfield ?number mean_gmv likewise for `total_sale_gmv_amt`
-- @tfield number hours_live `total_duration / 3600` (a float; 0.0 for no durations)
-- @tfield ?number gmv_per_hour `total_gmv / hours_live`; nil when `hours_live` is 0
-- @tfield ?number sales_per_1000_views `total_sales * 1000 / total_views`; nil when `total_views` is 0
-- @tfield ?table best the record (itself) with the highest `total_sale_gmv_amt`, the first on ties
-- @tfield ?int first_start the smallest `create_time` (unix seconds)
-- @tfield ?int last_start the largest `create_time`
-- @tfield table regions (`summarize` only) region -> the summary of that region's records alone (the key
-- is the record's `region`, `""` for none). GMV is in each region's currency: `total_gmv`, `mean_gmv` and
-- `gmv_per_hour` above add currencies when `region_count` is over 1; `regions[r]` never do
-- @tfield int region_count (`summarize` only) the number of keys of `regions`
-- @usage local s = shoplive.summarize(records)
-- if s.best then print("best: " .. s.best.title) end

-- Key function for "day" at a UTC offset (seconds): the date of
-- create_time there, "YYYY-MM-DD"; nil (record skipped) when create_time is
-- missing or not a representable time.
local function day_key_at(offset)
  return function(r)
    local t = num(r.create_time)
    if t == nil or t ~= t or t == math.huge or t == -math.huge then return nil end
    local ok, s = pcall(os.date, "!%Y-%m-%d", floor(t) + offset)
    if ok and type(s) == "string" then return s end
    return nil
  end
end

-- Every "YYYY-MM-DD" from the first key to the last (keys sorted).
local function all_days(first, last)
  local y, mo, d = first:match("^(%d+)-(%d+)-(%d+)$")
  local out = {}
  -- noon UTC of the first day, stepped by 86400: no DST in "!" dates
  local t = os.time{ year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = 12 }
  local t0 = os.time(os.date("!*t", t))
  t = t + (t - t0) -- os.time read the fields as local time: shift back to UTC
  for _ = 1, 100000 do
    local s = os.date("!%Y-%m-%d", t)
    out[#out + 1] = s
    if s >= last then break end
    t = t + 86400
  end
  return out
end

-- Order for group keys: numbers (numerically), then strings (byte order),
-- then booleans (false first), then anything else (by tostring).
local RANK = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  local ra, rb = RANK[ta] or 4, RANK[tb] or 4
  if ra ~= rb then return ra < rb end
  if ra == 1 or ra == 2 then return a < b end
  if ra == 3 then return (not a) and b end
  return tostring(a) < tostring(b)
end

--- Group records and summarize each group (also `shoplive.group_by`).
-- Records whose key is nil (the field is missing or null, no create_time
-- for "day", the function returned nil) or NaN are skipped: they belong to
-- no group.
-- @tparam {table,...} records the records
-- @tparam string|function key a field name (`views`, `sales`, `gmv` alias the
-- three sort fields), `"day"` (the date `"YYYY-MM-DD"` of `create_time`, in
-- UTC or at `opts.tz`), or a `function(record)` returning the group key
-- @tparam[opt] table opts for `"day"` only: `tz`, a UTC offset such as
-- `"+07:00"`, `"-0530"`, `"+07"` or `"Z"` (-14:00..+14:00, as the report's tz); `fill = true` adds the days between the
-- first and the last that had no livestream, each with the summary of no
-- records (`count` 0)
-- @treturn table groups: key -> @{summary}
-- @treturn {string|number,...} the keys in ascending order (numbers, then strings,
-- then booleans, then others)
-- @usage local days, keys = shoplive.group_by(records, "day", { tz = "+07:00", fill = true })
-- for _, d in ipairs(keys) do print(d, days[d].count, days[d].total_gmv) end
function M.group_by(records, key, opts)
  check_records(records, "shoplive.group_by")
  if opts ~= nil and type(opts) ~= "table" then
    raise("shoplive.group_by: argument 'opts' must be a table ({ tz = \"+07:00\", fill = true }), got "
      .. util.describe(opts))
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "tz" and k ~= "fill" then
      raise("shoplive.group_by: unknown option '" .. tostring(k) .. "' (accepted: fill, tz)")
    end
  end
  local offset = 0
  if opts.tz ~= nil then
    offset = type(opts.tz) == "string" and require("shoplive.tz").parse(opts.tz) or nil
    if not offset or key ~= "day" then
      raise("shoplive.group_by: option 'tz' must be a UTC offset such as \"+07:00\" (or \"Z\"), for key \"day\"; got "
        .. util.describe(opts.tz))
    end
  end
  if opts.fill ~= nil and (type(opts.fill) ~= "boolean" or key ~= "day") then
    raise("shoplive.group_by: option 'fill' must be a boolean, for key \"day\"; got " .. util.describe(opts.fill))
  end
  local keyfn
  if type(key) == "function" then
    keyfn = key
  elseif type(key) == "string" and key ~= "" then
    if key == "day" then
      keyfn = day_key_at(offset)
    else
      local field = schema.ALIASES[key] or key
      keyfn = function(r) return r[field] end
    end
  else
    raise("shoplive.group_by: argument 'key' must be a field name, \"day\" or a function(record) -> key, got "
      .. util.describe(key))
  end
  local lists, keys = M.split(records, keyfn)
  local groups = {}
  for i = 1, #keys do groups[keys[i]] = summary(lists[keys[i]]) end
  table.sort(keys, key_less)
  if opts.fill and #keys > 1 then
    -- a daily series without gaps: the days with no livestream get the
    -- summary of no records (count 0)
    keys = all_days(keys[1], keys[#keys])
    for i = 1, #keys do
      if not groups[keys[i]] then groups[keys[i]] = summary({}) end
    end
  end
  return groups, keys
end

return M
