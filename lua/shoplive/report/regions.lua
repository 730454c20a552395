--- The report's sections drawn per region (GMV is in the region's
-- currency, so it is never added across regions): weekly totals, the
-- weekday x hour heatmap, the distribution of GMV per hour live; and which
-- regions get charts. Version-neutral (Lua 5.1-5.4, LuaJIT).
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc = html.escape
local number, abbrev = chart.number, chart.abbrev
local format, concat = string.format, table.concat
local num = figures.num
local money, fmt_hours, data_table, details = parts.money, parts.fmt_hours, parts.data_table, parts.details
local figure, formula, empty, change_text = parts.figure, parts.formula, parts.empty, parts.change_text

local W = parts.W

-- ---- per-region sections ---------------------------------------------------

-- Regions with charts of their own, most livestreams first: a few in real
-- data; a cap keeps a report of data with hundreds of region values bounded.
local REGIONS_CHARTED = 12

function M.charted(F)
  if #F.regions <= REGIONS_CHARTED then return F.regions end
  local out = {}
  for i = 1, REGIONS_CHARTED do out[i] = F.regions[i] end
  return out
end

-- The charted regions with two livestreams or more: a chart of one
-- livestream says no more than its row in the top table, and costs 10 kB.
local function chartable(F)
  local out = {}
  for _, g in ipairs(M.charted(F)) do if g.summary.count >= 2 then out[#out + 1] = g end end
  return out
end

-- What charted() and chartable() left out, said where it happens.
function M.left_out(F, single)
  local one = {}
  if single then
    for _, g in ipairs(M.charted(F)) do if g.summary.count < 2 then one[#one + 1] = parts.region_label(g.region) end end
  end
  local note = #one > 0 and empty("Not charted: " .. (#one == 1 and "region " or "regions ") .. concat(one, ", ")
    .. (#one == 1 and ", with one livestream" or ", with one livestream each") .. " (see Top livestreams).") or ""
  if #F.regions <= REGIONS_CHARTED then return note end
  local n = 0
  for i = REGIONS_CHARTED + 1, #F.regions do n = n + F.regions[i].summary.count end
  return note .. empty(format("%d more regions (%s livestreams) are not charted here: only the %d regions with most "
    .. "livestreams are; the shop cards list every region.", #F.regions - REGIONS_CHARTED, number(n),
    REGIONS_CHARTED))
end

-- ---- weekly ----------------------------------------------------------------

-- Whether the week starting at `start` (unix seconds) ends after the data
-- does: its total is not comparable with a whole week's.
local function partial(start, F)
  return F.last ~= nil and F.last < start + 7 * 86400
end

local function weekly_chart(g, F)
  local weeks = g.weekly
  local L, R, T = 58, 8, 18
  local ph = 170
  local H = T + ph + 56
  local gmax = 0
  for _, w in ipairs(weeks) do
    if num(w.gmv) and w.gmv > gmax then gmax = w.gmv end
  end
  local yt, y0, y1 = chart.ticks(0, gmax, 4)
  local y = chart.linear(y0, y1, T + ph, T)
  local bx, bw = chart.band(#weeks, L, W - R, 0.25)
  local s = html.buffer()
  s(chart.svg_open(W, H, "Weekly GMV, region " .. g.region))
  s(chart.axis_left(y, yt, L, W - R, abbrev, "GMV per week (" .. parts.unit(g.region) .. ")"))
  local xt = {}
  local every = math.max(1, math.ceil(#weeks / 4))
  for i, w in ipairs(weeks) do
    if (i - 1) % every == 0 then xt[#xt + 1] = { x = bx(i) + bw / 2, label = w.start } end
  end
  s(chart.axis_bottom(xt, T + ph, L, W - R, "Week starting Monday (" .. F.tz .. ")"))
  for i, w in ipairs(weeks) do
    local g_ = num(w.gmv) or 0
    local part = partial(w.week * 7 * 86400 + chart.MONDAY - F.offset, F)
    s(chart.rect(bx(i), y(g_), bw, y(0) - y(g_), "#0072B2", format("Week of %s%s: GMV %s %s, %s livestreams, "
      .. "change %s", w.start, part and " (partial: the data ends in it)" or "", abbrev(g_), parts.unit(g.region),
      number(w.summary.count), change_text(w.change)), part and "mark partial" or "mark"))
    if part then
      s(chart.text(math.min(bx(i) + bw / 2, W - R - 24), math.max(y(g_) - 4, T - 4), "partial", "middle", "tick"))
    end
  end
  s("</svg>")
  return s()
end

-- A section of per-region figures, the skeleton of every one (s: id,
-- heading, attrs as parts.section takes them): what s.part(b, g, gi) adds
-- for each region (it returns true when it added something), or the note
-- s.none when no region had any; then the regions left out and s.formula.
-- s.every: every charted region (a table of one livestream says something),
-- else only the chartable ones.
function M.section(F, s)
  local b = html.buffer()
  local any = false
  for gi, g in ipairs(s.every and M.charted(F) or chartable(F)) do
    if s.part(b, g, gi) then any = true end
  end
  if not any then b(empty(s.none)) end
  b(M.left_out(F, not s.every))
  b(formula(s.formula))
  return parts.section(s.id, s.heading, b(), s.attrs)
end

local function weekly_part(F)
  return function(b, g, gi)
    if #g.weekly == 0 then return false end
    local rows = {}
    for _, w in ipairs(g.weekly) do
      rows[#rows + 1] = { w.start, number(w.summary.count), fmt_hours(w.summary.hours_live), number(w.gmv),
        change_text(w.change), money(w.gmv_per_hour), change_text(w.change_per_hour) }
    end
    b(figure("fig-weekly-" .. gi, "Region " .. parts.region_label(g.region)
      .. ": GMV per week",
      weekly_chart(g, F), details("Data: weekly totals, region " .. g.region, data_table({
        { "Week from (" .. F.tz .. ")" }, { "Livestreams", true }, { "Hours live", true }, { "GMV", true },
        { "Change", true }, { "GMV / hour live", true }, { "Change", true } }, rows))))
    return true
  end
end

function M.weekly(F)
  return M.section(F, { id = "weekly", heading = "Weekly totals", part = weekly_part(F),
    none = "No livestream has a start time: no weeks to show.",
    formula = "Week = Monday 00:00 to Sunday 24:00 in " .. F.tz .. ", by create_time · GMV = Σ total_sale_gmv_amt · "
    .. "GMV / hour live = GMV / (Σ duration / 3600) · change = (this week − week before) / week before; – after a "
    .. "week of 0 · a partial week (outlined, marked \"partial\") is one the data ends in: its total is not a "
    .. "whole week's" })
end

-- ---- heatmap -----------------------------------------------------------------

-- One cell of the heatmap: its colour, tooltip and the count written on it.
local function heat_cell(c, label, hm, unit)
  if c.n == 0 then return chart.NONE, label .. ": no livestream started" end
  -- grey, 4.5:1 against white as every mark and under the white count
  if c.value == nil then return chart.OTHERS, label .. ": " .. c.n .. " livestreams, no duration", "count on-heat" end
  -- square root: one exceptional cell does not wash out the others
  local fill = chart.heat(hm.max > 0 and math.sqrt(math.max(c.value, 0) / hm.max) or 0)
  return fill, format("%s: GMV / hour live %s %s (%d livestreams)", label, abbrev(c.value), unit, c.n),
    "count on-heat"
end

-- Weekdays across, start hours down (a 7-column grid stays readable on a
-- phone); the number of livestreams written in each cell.
local function heatmap_chart(g, F)
  local hm = g.heatmap
  local L, T, R = 34, 22, 8
  local cw, ch = (W - L - R) / 7, 16
  local H = T + 24 * ch + 62
  local unit = parts.unit(g.region)
  local s = html.buffer()
  s(chart.svg_open(W, H, "Livestreams and GMV per hour live by weekday and start hour, region " .. g.region))
  for wd = 1, 7 do
    s(chart.text(L + (wd - 1) * cw + cw / 2, T - 7, figures.WEEKDAYS[wd], "middle", "tick"))
  end
  -- the empty grid in one piece (most cells are empty: one rect each made
  -- a 3-livestream report 70 kB), white lines between its cells
  s(chart.rect(L, T, W - L - R, 24 * ch, chart.NONE))
  for wd = 1, 6 do s(chart.line(L + wd * cw, T, L + wd * cw, T + 24 * ch, "cut")) end
  for h = 1, 23 do s(chart.line(L, T + h * ch, W - R, T + h * ch, "cut")) end
  for h = 0, 23 do
    local yy = T + h * ch
    s(chart.text(L - 6, yy + ch / 2 + 4, format("%02d", h), "end", "tick"))
    for wd = 1, 7 do
      local c = hm.cells[wd][h]
      local fill, tip, ink = heat_cell(c, figures.WEEKDAYS[wd] .. " " .. format("%02d:00", h), hm, unit)
      local x0 = L + (wd - 1) * cw
      if c.n > 0 then s(chart.rect(x0 + 1, yy + 1, cw - 2, ch - 2, fill, tip)) end
      if ink then
        s(format('<text x="%s" y="%s" text-anchor="middle" class="%s">%d</text>', chart.coord(x0 + cw / 2),
          chart.coord(yy + ch / 2 + 4), ink, c.n))
      end
    end
  end
  s(chart.text(8, T + 24 * ch + 16, "Rows: start hour (" .. F.tz .. "); in each cell: livestreams", "start",
    "legend"))
  -- the colour scale
  local ly = T + 24 * ch + 28
  for i = 0, 5 do s(chart.rect(8 + i * 16, ly, 16, 12, chart.heat(math.sqrt(i / 5)))) end
  s(chart.text(8 + 6 * 16 + 6, ly + 11, "0 to " .. abbrev(hm.max) .. " GMV / hour (" .. unit .. ")", "start",
    "legend"))
  s(chart.rect(8, ly + 18, 16, 12, chart.NONE), chart.text(30, ly + 29, "no livestream", "start", "legend"))
  s(chart.rect(130, ly + 18, 16, 12, chart.OTHERS), chart.text(152, ly + 29, "no duration", "start", "legend"))
  s("</svg>")
  return s()
end

-- The heatmap of region g, with its table of the cells with livestreams.
local function heatmap_part(F)
  return function(b, g, gi)
    local rows = {}
    for wd = 1, 7 do
      for h = 0, 23 do
        local c = g.heatmap.cells[wd][h]
        if c.n > 0 then
          rows[#rows + 1] = { figures.WEEKDAYS[wd], format("%02d", h), number(c.n), number(c.gmv),
            number(c.seconds / 3600, 1), money(c.value) }
        end
      end
    end
    if #rows == 0 then return false end
    b(figure("fig-heatmap-" .. gi, "Region " .. parts.region_label(g.region)
      .. ": GMV per hour live by weekday and start hour ("
      .. F.tz .. ")", heatmap_chart(g, F), details("Data: cells with livestreams, region " .. g.region,
      data_table({ { "Weekday" }, { "Hour" }, { "Livestreams", true }, { "GMV", true }, { "Hours live", true },
        { "GMV / hour live", true } }, rows))))
    return true
  end
end

function M.heatmap(F)
  return M.section(F, { id = "heatmap", heading = "When livestreams sell: weekday × start hour",
    part = heatmap_part(F), none = "No livestream has a start time: no weekday or hour to show.",
    formula = "Cell = livestreams whose create_time falls on that weekday and hour in " .. F.tz
      .. " · value = Σ total_sale_gmv_amt / (Σ duration / 3600) · colour = √(value / the region's best cell)" })
end

-- ---- histogram ---------------------------------------------------------------

local function histogram_chart(g)
  local h = g.histogram
  local L, R, T = 58, 18, 22
  local ph = 160
  local H = T + ph + 56
  local cmax = 0
  for _, bin in ipairs(h.bins) do if bin.n > cmax then cmax = bin.n end end
  local yt, y0, y1 = chart.ticks(0, cmax, 4)
  local y = chart.linear(y0, y1, T + ph, T)
  local x = chart.linear(0, #h.bins, L, W - R) -- in bins: h.pos places a value
  local s = html.buffer()
  s(chart.svg_open(W, H, "Distribution of GMV per hour live, region " .. g.region))
  s(chart.axis_left(y, yt, L, W - R, abbrev, "Livestreams"))
  local xt = {}
  local every = math.max(1, math.ceil(#h.bins / 4))
  for i, bin in ipairs(h.bins) do
    if bin.zero then
      xt[#xt + 1] = { x = x(i - 0.5), label = "0" }
    elseif (i - 1) % every == 0 or i == #h.bins then
      -- the last bin's end only when no label is drawn just before it
      if (i - 1) % every == 0 then xt[#xt + 1] = { x = x(i - 1), label = abbrev(bin.from) } end
      if i == #h.bins and (every == 1 or (i - 1) % every ~= 0) then
        xt[#xt + 1] = { x = x(i), label = abbrev(bin.to) }
      end
    end
  end
  s(chart.axis_bottom(xt, T + ph, L, W - R, "GMV per hour live (" .. parts.unit(g.region) .. ")"
    .. (h.log and ", log scale" or "")))
  for i, bin in ipairs(h.bins) do
    local x0, x1 = x(i - 1), x(i)
    local range = bin.zero and "0" or (abbrev(bin.from) .. " to " .. abbrev(bin.to))
    s(chart.rect(x0 + 1, y(bin.n), math.max(x1 - x0 - 2, 1), y(0) - y(bin.n), "#009E73",
      format("%s GMV / hour: %d livestreams", range, bin.n), "mark"))
  end
  if h.median then
    local mx = x(h.pos(h.median))
    s(chart.line(mx, T, mx, T + ph, "median"),
      chart.text(math.max(L, math.min(mx, W - R - 50)), T - 6, "median " .. abbrev(h.median), "middle", "legend"))
  end
  s("</svg>")
  return s()
end

local function histogram_part(b, g, gi)
  local h = g.histogram
  if h.n > 0 then
    local rows = {}
    for _, bin in ipairs(h.bins) do
      rows[#rows + 1] = { bin.zero and "0" or (money(bin.from) .. " – " .. money(bin.to)), number(bin.n) }
    end
    local note = format("%s livestreams; median %s, mean %s, lowest %s, highest %s GMV / hour live.",
      number(h.n), money(h.median), money(h.mean), money(h.min), money(h.max))
    if h.skipped > 0 then note = note .. " " .. number(h.skipped) .. " without a duration or GMV are left out." end
    if h.max == 0 and h.min == 0 then note = note .. " Every livestream here has a GMV of 0." end
    b(figure("fig-histogram-" .. gi, "Region " .. parts.region_label(g.region)
      .. ": livestreams by GMV per hour live",
      histogram_chart(g), "<p class=\"note\">" .. esc(note) .. "</p>"
      .. details("Data: histogram bins, region " .. g.region, data_table({ { "GMV / hour live (from – to)" },
        { "Livestreams", true } }, rows))))
    return true
  elseif g.summary.count > 0 then
    b("<h3>Region ", esc(g.region), "</h3>", empty("No livestream here has both a positive duration and a GMV."))
    return true
  end
  return false
end

function M.histogram(F)
  return M.section(F, { id = "histogram", heading = "Distribution of GMV per hour live", part = histogram_part,
    none = "No livestreams: nothing to distribute.",
    formula = "Per livestream: total_sale_gmv_amt / (duration / 3600); bins of equal, round width from 0, or one "
    .. "per power of ten when the highest value is 1,000 times the median or more; the red line is the median "
    .. "(half the livestreams below it)" })
end

return M
