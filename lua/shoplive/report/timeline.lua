--- The "Timeline" section: every livestream (or each slot's best, thinned)
-- as a mark as wide as its duration and as high as its GMV, shops by colour.
-- Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number, abbrev = chart.number, chart.abbrev
local format = string.format
local num = figures.num
local fmt_time, fmt_duration = parts.fmt_time, parts.fmt_duration
local field, shop_label, data_table, details = parts.field, parts.shop_label, parts.data_table, parts.details
local figure, empty = parts.figure, parts.empty
local W, ROWS_MAX = parts.W, parts.ROWS_MAX

-- The timeline's colours: one for each of the chart.SERIES - 1 shops with
-- most livestreams, one grey for all the others (a legend of 20 colours
-- cannot be read). Returns colours by shop index and the legend's items.
local function series(F)
  local order = {}
  for i, s in ipairs(F.shops) do if s.summary.count > 0 then order[#order + 1] = i end end
  table.sort(order, function(a, b)
    local na, nb = F.shops[a].summary.count, F.shops[b].summary.count
    if na ~= nb then return na > nb end
    return a < b
  end)
  local keep = #order <= chart.SERIES and #order or chart.SERIES - 1
  local colors, items = {}, {}
  for k, i in ipairs(order) do
    if k <= keep then
      colors[i] = chart.color(k)
      items[#items + 1] = { label = shop_label(F.shops[i]), color = colors[i] }
    else
      colors[i] = chart.OTHERS
    end
  end
  if #order > keep then
    items[#items + 1] = { label = format("%d other shops", #order - keep), color = chart.OTHERS }
  end
  return colors, items
end

function M.section(F)
  local tl = F.timeline
  local b = html.buffer()
  if tl.total == 0 then
    return parts.section("timeline", "Timeline",
      empty("No livestream has a start time (create_time): nothing to place on a timeline."))
  end
  local colors, items = series(F)
  local L, R, T = 58, 8, 14
  local legend, lh = chart.legend(items, L, T + 10, W - L - R)
  local top = T + lh + 14
  local ph = 170
  local H = top + ph + 50
  local gmax = 0
  for _, m in ipairs(tl.marks) do if m.gmv and m.gmv > gmax then gmax = m.gmv end end
  local yt, y0, y1 = chart.ticks(0, gmax, 5)
  local y = chart.linear(y0, y1, top + ph, top)
  local t1 = tl.last > tl.first and tl.last or tl.first + 3600
  local x = chart.linear(tl.first, t1, L, W - R)
  local s = html.buffer()
  s(chart.svg_open(W, H, "Timeline of livestreams: start time, duration and GMV per shop"), legend)
  s(chart.axis_left(y, yt, L, W - R, abbrev, "GMV (each in its region's currency)"))
  local xt = {}
  for _, t in ipairs(chart.time_ticks(tl.first, t1, 3, F.offset)) do xt[#xt + 1] = { x = x(t.t), label = t.label } end
  s(chart.axis_bottom(xt, top + ph, L, W - R, "Start time (" .. F.tz .. ")"))
  local base = y(0)
  for _, m in ipairs(tl.marks) do
    local r = m.record
    local t = num(r.create_time)
    local d = num(r.duration) or 0
    local x0 = x(t)
    local w = math.max(x(t + math.max(d, 0)) - x0, 1.5)
    local h = m.gmv and (base - y(m.gmv)) or 0
    if h < 1 then h = 1 end -- a 0-GMV livestream still shows where it was
    s(chart.rect(x0, base - h, w, h, colors[m.shop],
      format("%s · %s · %s, %s · GMV %s %s", shop_label(F.shops[m.shop]), tostring(r.title or ""),
        fmt_time(t, F), fmt_duration(d), abbrev(m.gmv), figures.region_of(r)), "mark"))
  end
  s("</svg>")
  local note
  if tl.slot then
    note = format("Thinned: %s of %s livestreams drawn. The period is cut into slots of %s hours; in each slot "
      .. "only each shop's highest-GMV livestream is drawn.", number(tl.shown), number(tl.total),
      number(tl.slot / 3600, 1))
  else
    note = format("All %s livestreams drawn.", number(tl.total))
  end
  if tl.no_start > 0 then note = note .. " " .. number(tl.no_start) .. " without a start time are left out." end
  local rows = {}
  for i = 1, math.min(#tl.marks, ROWS_MAX) do
    local m = tl.marks[i]
    local r = m.record
    rows[#rows + 1] = { txt(F.shops[m.shop].id), fmt_time(r.create_time, F), fmt_duration(r.duration),
      esc(figures.region_of(r)), field(r.total_sale_gmv_amt), txt(r.title) }
  end
  local cap = #tl.marks > ROWS_MAX and format("The first %d of %s marks drawn.", ROWS_MAX, number(#tl.marks)) or nil
  b(figure("fig-timeline", "Livestreams over time (" .. F.tz .. ")", s(),
    "<p class=\"note\">" .. esc(note) .. " Each mark starts at create_time, is as wide as duration and as high "
    .. "as total_sale_gmv_amt (each in its region's currency).</p>"
    .. details("Data: the livestreams drawn", data_table({ { "Shop" }, { "Start (" .. F.tz .. ")" },
      { "Duration (h:mm)", true }, { "Region" }, { "GMV", true }, { "Title", false, true } }, rows, cap))))
  return parts.section("timeline", "Timeline", b())
end

return M
