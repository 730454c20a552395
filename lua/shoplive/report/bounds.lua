--- Which records hold values no livestream can have (a start in
-- milliseconds, before TikTok Shop existed or after the report was made,
-- a negative or week-long duration, an end before the start, a count past
-- 10^15): the report sets them aside, so that every chart and table stays
-- bounded whatever the data, and lists them in its data-quality section.
-- Values that are not numbers at all stay in (read as missing, as
-- shoplive.summarize reads them) and are listed too, as are combinations
-- no livestream can have (units sold with no view, more units than
-- views), which stay in as given.
-- Version-neutral (Lua 5.1-5.4, LuaJIT).
local M = {}

local floor, huge = math.floor, math.huge
local format = string.format

-- 2016-01-01 UTC: TikTok launched in September 2016, its shop later, so no
-- livestream of the API starts before this.
M.EARLIEST = 1451606400
-- A livestream longer than a week, or starting more than a week after
-- the report's date, is a broken value, not a livestream.
M.MAX_DURATION = 7 * 86400
M.SLACK = 7 * 86400
-- No count or GMV reaches this (10^15 VND is 40 billion USD).
M.MAX_AMOUNT = 1e15

M.AMOUNTS = { "total_sale_gmv_amt", "total_views_cnt", "total_sale_cnt", "max_views_cnt", "total_joins_cnt" }
local NUMERIC = { "create_time", "duration", "finish_time", "max_views_cnt", "total_joins_cnt", "total_sale_cnt",
  "total_sale_gmv_amt", "total_views_cnt" }

--- The latest plausible start: a week after the later of now and the
-- report's date (itself at most a year past now, so that a date far in the
-- future cannot widen the weekly chart without bound).
function M.latest(generated_at)
  local now = os.time()
  local g = type(generated_at) == "number" and generated_at == generated_at and generated_at or now
  if g > now + 366 * 86400 then g = now + 366 * 86400 end
  return (g > now and g or now) + M.SLACK
end

-- A value as a short text for the list: integers exactly, other numbers in
-- 4 significant digits (no "e+": "1.5×10^300"), strings quoted and cut.
function M.show(v)
  if type(v) == "number" then
    if v ~= v then return "not a number" end
    if v == huge or v == -huge then return v > 0 and "infinite" or "minus infinite" end
    if math.type and math.type(v) == "integer" then return format("%d", v) end
    if v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return format("%.0f", v) end
    local s = format("%.4g", v)
    local m, e = s:match("^(.-)e([-+]%d+)$")
    if m then return m .. "×10^" .. tonumber(e) end
    return s
  end
  if type(v) == "string" then
    -- an integer past 2^53 on 5.1/LuaJIT: the decoder's digits
    if #v <= 40 and v:find("^%-?%d+$") then return v end
    if #v > 40 then v = v:sub(1, 37):gsub("[\128-\191]*$", ""):gsub("[\192-\255]$", "") .. "…" end
    return "\"" .. v .. "\""
  end
  return type(v)
end

local function date(t) return os.date("!%Y-%m-%d", floor(t)) end

-- Why start time t cannot be a livestream's, or nil.
local function bad_start(t, latest)
  if t >= M.EARLIEST and t <= latest then return nil end
  if t / 1000 >= M.EARLIEST and t / 1000 <= latest then return "create_time is in milliseconds, not seconds" end
  if t < M.EARLIEST then return "create_time is before 2016-01-01" end
  return "create_time is after " .. date(latest)
end

-- No problem: one shared empty list (most records have none, and this
-- runs for every record).
local NONE = {}

local function push(out, e)
  if out == NONE then out = {} end
  out[#out + 1] = e
  return out
end

-- True when record r has nothing problems() would name: a start, a
-- duration and an end in range (the end may be missing) and every amount
-- missing or in range. Plain comparisons (NaN fails them): most records
-- are such, and this runs for every record.
local function plain(r, latest)
  local t, d, f = r.create_time, r.duration, r.finish_time
  if type(t) ~= "number" or not (t >= M.EARLIEST and t <= latest) then return false end
  if type(d) ~= "number" or not (d >= 0 and d <= M.MAX_DURATION) then return false end
  if f ~= nil and not (type(f) == "number" and f >= t and f - t <= M.MAX_DURATION and f <= latest + M.MAX_DURATION) then
    return false
  end
  local amounts, max = M.AMOUNTS, M.MAX_AMOUNT
  for i = 1, #amounts do
    local v = r[amounts[i]]
    if v ~= nil and not (type(v) == "number" and v >= 0 and v < max) then return false end
  end
  return true
end

-- What is wrong in record r: an array of { field, reason, aside } (aside:
-- the record is set aside; else only that value is ignored), given num
-- (figures.num) and the latest plausible start.
local function problems(r, num, latest)
  local out = NONE
  local t, d, f = num(r.create_time), num(r.duration), num(r.finish_time)
  local why = t and bad_start(t, latest)
  if why then
    out = push(out, { "create_time", why, true })
    t = nil -- an end is not judged against an impossible start
  end
  if d and d < 0 then out = push(out, { "duration", "duration is negative", true }) end
  if d and d > M.MAX_DURATION then out = push(out, { "duration", "duration is longer than a week", true }) end
  -- the end only bounds the period (figures.period ignores such an end too)
  if f then
    if f < M.EARLIEST or f > latest + M.MAX_DURATION then
      out = push(out, { "finish_time", "finish_time is outside " .. date(M.EARLIEST) .. " to "
        .. date(latest + M.MAX_DURATION) })
    elseif t and f < t then
      out = push(out, { "finish_time", "finish_time is before create_time" })
    elseif t and f - t > M.MAX_DURATION then
      out = push(out, { "finish_time", "finish_time is more than a week after create_time" })
    end
  end
  for _, k in ipairs(M.AMOUNTS) do
    local v = num(r[k])
    if v and v < 0 then out = push(out, { k, k .. " is negative", true }) end
    if v and v >= M.MAX_AMOUNT then out = push(out, { k, k .. " is 10^15 or more", true }) end
  end
  return out
end

-- Combinations of figures no livestream can have, each alone possible:
-- { field, reason, kind } (kind counts it in M.split's odd.combos).
function M.impossible(r, num)
  local views, units = r.total_views_cnt, r.total_sale_cnt
  -- two finite numbers (a NaN or an infinity fails the differences): num
  -- gives them back, no call needed
  if not (type(views) == "number" and type(units) == "number" and views - units < huge and units - views < huge) then
    views, units = num(views), num(units)
  end
  if views == 0 and units and units > 0 then
    return { "total_sale_cnt", "units sold with total_views_cnt 0", "units_no_views" }
  end
  if views and units and units > views then
    return { "total_sale_cnt", "more units sold than views (total_sale_cnt > total_views_cnt)", "units_over_views" }
  end
end

--- True when finish_time f can end a livestream that started at t.
function M.plausible_end(t, f)
  return f >= t and f - t <= M.MAX_DURATION
end

--- Split records into those kept and those set aside. Returns kept (an
-- array), aside (the count) and odd: up to `max_listed` entries { record =,
-- field =, value = shown, reason =, effect = } (those that set a record
-- aside first, then values ignored, then impossible combinations, kept as
-- given), odd.n, the number of such values, and odd.combos, the count of
-- each impossible combination (units_no_views, units_over_views); and the
-- set of plain records (record -> true: every number field missing or a
-- number in range, which figures.quality then need not check again).
function M.split(records, num, latest, max_listed)
  local kept, odd, aside, later, kept_odd = {}, { n = 0, combos = { units_no_views = 0, units_over_views = 0 } }, 0,
    {}, {}
  local plains = {}
  local function note(list, r, field, reason, effect)
    odd.n = odd.n + 1
    if #list < max_listed then
      list[#list + 1] = { record = r, field = field, value = M.show(r[field]), reason = reason, effect = effect }
    end
  end
  for i = 1, #records do
    local r = records[i]
    -- a plain record has neither problems nor values that are not numbers
    local is_plain = plain(r, latest)
    if is_plain then plains[r] = true end
    local found, is_aside = is_plain and NONE or problems(r, num, latest), false
    if found ~= NONE then
      for _, p in ipairs(found) do is_aside = is_aside or p[3] == true end
      for _, p in ipairs(found) do
        note(is_aside and odd or later, r, p[1], p[2], is_aside and "set aside" or "value ignored")
      end
    end
    if is_aside then aside = aside + 1 else kept[#kept + 1] = r end
    for j = 1, is_plain and 0 or #NUMERIC do
      local k = NUMERIC[j]
      local v = r[k]
      -- a finite number is one without calling num (this runs 8 times a record)
      if v ~= nil and not (type(v) == "number" and v == v and v > -huge and v < huge) and not num(v) then
        note(later, r, k, k .. " is not a number", "value ignored")
      end
    end
    local c = M.impossible(r, num)
    if c then
      odd.combos[c[3]] = odd.combos[c[3]] + 1
      note(kept_odd, r, c[1], c[2], is_aside and "set aside" or "kept as given")
    end
  end
  for _, list in ipairs({ later, kept_odd }) do
    for _, e in ipairs(list) do
      if #odd >= max_listed then break end
      odd[#odd + 1] = e
    end
  end
  return kept, aside, odd, plains
end

return M
