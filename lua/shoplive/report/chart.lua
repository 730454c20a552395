--- SVG charts for the report, drawn by hand (no chart library): scales, round
-- ticks, axes, marks and legends, one job per function. Every function
-- returns numbers or SVG text; none reads records. Text given to marks and
-- legends is escaped here. Version-neutral (Lua 5.1-5.4, LuaJIT).
local html = require("shoplive.report.html")
local ticks_mod = require("shoplive.report.ticks")

local M = {}

local floor, ceil, abs, huge = math.floor, math.ceil, math.abs, math.huge
local format, concat = string.format, table.concat
local byte, find, sub = string.byte, string.find, string.sub

--- True for a number that is neither NaN nor infinite.
function M.finite(x)
  return type(x) == "number" and x == x and x > -huge and x < huge
end
local finite = M.finite

-- ---- numbers as text ---------------------------------------------------

-- Coordinates already written: a report repeats most of them (every
-- region's heatmap has the same grid), and a lookup costs less than a
-- format. Emptied when full, so a long-lived process keeps it small.
local coords, ncoords = {}, 0

--- A coordinate: one decimal at most, no trailing ".0" (keeps the SVG small).
function M.coord(x)
  local s = coords[x]
  if s then return s end
  if type(x) ~= "number" or not (x > -1e15 and x < 1e15) then
    -- (NaN fails every comparison; it is never a key)
    if not finite(x) then return "0" end
    return (format("%.1f", x):gsub("%.0$", ""))
  end
  -- most coordinates are whole: "%d" spares the ".0" trimming (-0 prints 0)
  if x == floor(x) then
    s = format("%d", x)
  else
    s = format("%.1f", x)
    if s:sub(-2) == ".0" then s = s:sub(1, -3) end
    if s == "-0" then s = "0" end
  end
  if ncoords >= 4096 then coords, ncoords = {}, 0 end
  coords[x], ncoords = s, ncoords + 1
  return s
end
local coord = M.coord

-- "1234567" -> "1,234,567" (the sign and any decimals are kept). By
-- pieces of three from the first (not reverse and gsub: tables of the
-- report call this thousands of times).
-- (s is "%d" or "%.Nf" of a finite number: an optional "-", digits, then
-- the decimals if any.)
local function group_digits(s)
  local start = byte(s, 1) == 45 and 2 or 1
  local stop = (find(s, ".", 1, true) or #s + 1) - 1
  local n = stop - start + 1
  if n <= 3 then return s end
  local head = start + (n - 1) % 3
  -- one concatenation for up to 12 digits (GMV, views), no table
  local a, rest = sub(s, 1, head), sub(s, stop + 1)
  if n <= 6 then return a .. "," .. sub(s, head + 1, stop) .. rest end
  if n <= 9 then return a .. "," .. sub(s, head + 1, head + 3) .. "," .. sub(s, head + 4, stop) .. rest end
  if n <= 12 then
    return a .. "," .. sub(s, head + 1, head + 3) .. "," .. sub(s, head + 4, head + 6) .. "," .. sub(s, head + 7, stop)
      .. rest
  end
  local out = { a }
  for i = head + 1, stop, 3 do out[#out + 1] = sub(s, i, i + 2) end
  return concat(out, ",") .. rest
end

local mtype = math.type
local FIXED = { [0] = "%.0f", "%.1f", "%.2f" }

--- A number in full with thousands separators: integers exactly (a Lua
-- integer by "%d"; an integral float by "%.0f"), others with `decimals`
-- places (default 2). "–" for nil, NaN and infinities.
function M.number(x, decimals)
  -- finite(x), inlined: the report's tables call this for every cell
  if type(x) ~= "number" or x ~= x or x == huge or x == -huge then return "–" end
  if mtype and mtype(x) == "integer" then
    -- most counts in a report's tables need no separator
    if x > -1000 and x < 1000 then return format("%d", x) end
    return group_digits(format("%d", x))
  end
  if x == floor(x) and (decimals == nil or decimals == 0) then return group_digits(format("%.0f", x)) end
  return group_digits(format(FIXED[decimals or 2] or ("%." .. decimals .. "f"), x))
end

local UNITS = { "K", "M", "B", "T", "Q" }

--- A number abbreviated for axes and marks: 950, 1.2K, 34K, 5.6M, 1.2B...;
-- below 10 one decimal is kept (2.5). "–" for nil, NaN and infinities.
function M.abbrev(x)
  if not finite(x) then return "–" end
  local sign = x < 0 and "-" or ""
  local v = abs(x)
  local unit = 0
  while v >= 999.5 and unit < #UNITS do
    v = v / 1000
    unit = unit + 1
  end
  local s
  if v < 9.95 and (unit > 0 or v ~= floor(v)) then
    s = format("%.1f", v):gsub("%.0$", "")
  else
    s = format("%.0f", v)
  end
  if s == "0" then sign = "" end
  return sign .. s .. (UNITS[unit] or "")
end

--- A percentage with one decimal ("12.5%"); "–" when not finite.
function M.percent(x)
  if not finite(x) then return "–" end
  return format("%.1f%%", x * 100)
end

-- ---- scales and ticks --------------------------------------------------

-- nice_step and ticks live in report/ticks.lua: the figures' histogram
-- bins use them too, without loading the charts.
M.nice_step, M.ticks = ticks_mod.nice_step, ticks_mod.ticks

--- A linear scale: a function mapping [d0, d1] onto [r0, r1]. A domain of
-- zero width maps everything to the middle of the range.
function M.linear(d0, d1, r0, r1)
  local span = d1 - d0
  if span == 0 or not finite(span) then
    local mid = (r0 + r1) / 2
    return function() return mid end
  end
  local k = (r1 - r0) / span
  return function(v) return r0 + (v - d0) * k end
end

--- n equal bands over [r0, r1] with a fraction `pad` of each left empty:
-- returns a function i (1-based) -> x of band i, and the band width.
function M.band(n, r0, r1, pad)
  if n < 1 then n = 1 end
  local step = (r1 - r0) / n
  local w = step * (1 - (pad or 0.2))
  return function(i) return r0 + (i - 1) * step + (step - w) / 2 end, w
end

local HOUR, DAY = 3600, 86400
-- 1970-01-05 00:00 UTC was a Monday: weeks start there.
local MONDAY = 4 * DAY
local TIME_STEPS = { HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY,
  91 * DAY, 182 * DAY, 364 * DAY }
M.MONDAY = MONDAY

--- Round time ticks over [t0, t1] (unix seconds) at local midnights, hours
-- or Mondays of a zone `offset` seconds east of UTC: an array of
-- { t = unix seconds, label = text }, about `count` of them.
function M.time_ticks(t0, t1, count, offset)
  offset = offset or 0
  count = count or 6
  if not (finite(t0) and finite(t1)) then return {} end
  if t1 < t0 then t0, t1 = t1, t0 end
  local span = t1 - t0
  if span <= 0 then span = HOUR end
  local step = TIME_STEPS[#TIME_STEPS]
  for _, s in ipairs(TIME_STEPS) do
    if span / s <= count then step = s; break end
  end
  -- weekly and longer steps start on Mondays, shorter ones on the hour/day
  local origin = step >= 7 * DAY and MONDAY or 0
  local first = ceil((t0 + offset - origin) / step) * step + origin - offset
  local fmt = step < DAY and "%m-%d %H:%M" or "%Y-%m-%d"
  local out = {}
  local t = first
  while t <= t1 and #out < 60 do
    out[#out + 1] = { t = t, label = os.date("!" .. fmt, floor(t + offset)) }
    t = t + step
  end
  return out
end

-- ---- colours -----------------------------------------------------------

-- Series colours: each at least 3:1 against the white of the charts (WCAG
-- 1.4.11 for graphics) and apart for the common colour-vision deficiencies
-- (Okabe-Ito and Paul Tol's). Charts show at most #PALETTE series and put
-- the rest together as "others", in OTHERS.
local PALETTE = { "#0072B2", "#D55E00", "#009E73", "#AA3377", "#997700", "#332288" }
M.SERIES = #PALETTE
M.OTHERS = "#767676"

--- The colour of series i (1-based); the palette repeats after M.SERIES.
function M.color(i)
  return PALETTE[(i - 1) % #PALETTE + 1]
end

--- A sequential colour for t in [0, 1] (amber to dark brown); t outside is
-- clamped, a non-finite t gives the lightest. The lightest is 4.4:1 against
-- NONE, the colour of a cell with no livestream, and every one is 4.5:1 or
-- more against white text (the counts written on cells).
function M.heat(t)
  if not finite(t) or t < 0 then t = 0 elseif t > 1 then t = 1 end
  -- from (179, 88, 6) to (74, 21, 0)
  return format("#%02x%02x%02x", floor(179 - 105 * t + 0.5), floor(88 - 67 * t + 0.5), floor(6 - 6 * t + 0.5))
end
M.NONE = "#f4f5f7"

-- ---- SVG pieces --------------------------------------------------------

--- The opening tag of a chart: a viewBox of w x h user units (the page
-- scales it to its width), with an accessible name.
function M.svg_open(w, h, label)
  return format('<svg class="chart" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">',
    coord(w), coord(h), coord(w), coord(h), html.text(label))
end

--- A tooltip child for a mark (escaped).
function M.tooltip(text)
  if text == nil then return "" end
  return "<title>" .. html.text(text) .. "</title>"
end

--- A rectangle mark; a negative height or width is drawn from the other side.
function M.rect(x, y, w, h, fill, tip, class)
  if w < 0 then x, w = x + w, -w end
  if h < 0 then y, h = y + h, -h end
  local open = format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s',
    coord(x), coord(y), coord(w), coord(h), fill, class and (' class="' .. class .. '"') or "")
  if tip then return open .. ">" .. M.tooltip(tip) .. "</rect>" end
  return open .. "/>"
end

--- A line from (x1, y1) to (x2, y2).
function M.line(x1, y1, x2, y2, class)
  return format('<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>', coord(x1), coord(y1), coord(x2), coord(y2),
    class or "axis")
end

--- A text label (escaped); anchor "start" | "middle" | "end".
function M.text(x, y, s, anchor, class, rotate)
  local tr = rotate and format(' transform="rotate(%s %s %s)"', coord(rotate), coord(x), coord(y)) or ""
  return format('<text x="%s" y="%s" text-anchor="%s"%s%s>%s</text>', coord(x), coord(y), anchor or "start",
    class and (' class="' .. class .. '"') or "", tr, html.text(s))
end

--- A vertical value axis at x = `x0` with gridlines to `x1`: one line and
-- label per tick (scale maps values to y, fmt formats them), and the
-- axis title (with its unit) rotated along the left edge.
function M.axis_left(scale, ticks, x0, x1, fmt, title)
  local b = {}
  for _, v in ipairs(ticks) do
    local y = scale(v)
    b[#b + 1] = M.line(x0, y, x1, y, "grid")
    b[#b + 1] = M.text(x0 - 6, y + 4, fmt(v), "end", "tick")
  end
  if title then
    local ys = {}
    for _, v in ipairs(ticks) do ys[#ys + 1] = scale(v) end
    local mid = #ys > 0 and (ys[1] + ys[#ys]) / 2 or 0
    b[#b + 1] = M.text(11, mid, title, "middle", "axis-title", -90)
  end
  return concat(b)
end

--- A horizontal axis along y = `y` from x0 to x1: labelled ticks (an array
-- of { x = position, label = text }) and the axis title below it.
function M.axis_bottom(ticks, y, x0, x1, title)
  local b = { M.line(x0, y, x1, y, "axis") }
  for _, t in ipairs(ticks) do
    b[#b + 1] = M.line(t.x, y, t.x, y + 5, "axis")
    b[#b + 1] = M.text(t.x, y + 18, t.label, "middle", "tick")
  end
  if title then b[#b + 1] = M.text((x0 + x1) / 2, y + 38, title, "middle", "axis-title") end
  return concat(b)
end

--- A legend: swatch and label per item ({ label =, color = }), laid out
-- left to right from (x, y) and wrapped at `width`. Returns the SVG and the
-- height it takes.
function M.legend(items, x, y, width)
  local b, cx, cy = {}, x, y
  for _, it in ipairs(items) do
    local label = tostring(it.label)
    -- about 7 units per character at the legend's font size
    local w = 18 + 7 * math.min(#label, 40) + 16
    if cx + w > x + width and cx > x then cx, cy = x, cy + 18 end
    b[#b + 1] = M.rect(cx, cy - 10, 12, 12, it.color)
    b[#b + 1] = M.text(cx + 18, cy, label, "start", "legend")
    cx = cx + w
  end
  return concat(b), (#items > 0) and (cy - y + 18) or 0
end

return M
