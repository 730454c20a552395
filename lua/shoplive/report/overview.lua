--- The top of the report: the table of contents and the overview, one
-- row per shop (livestreams, hours live, GMV per region with its currency,
-- the last period against the one before, conversion), so that a reader
-- sees every shop's standing before the details. Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number
local format, concat = string.format, table.concat

--- The sections, in page order: { id, title in the contents }.
M.SECTIONS = {
  { "overview", "Overview" }, { "shops", "Shops" }, { "timeline", "Timeline" }, { "weekly", "Weekly totals" },
  { "heatmap", "Weekday × hour" }, { "histogram", "GMV per hour live" }, { "top", "Top livestreams" },
  { "hosts", "Hosts" }, { "quality", "Data quality" },
}

--- The table of contents: a link to each section.
function M.toc()
  local b = { '<nav class="toc" aria-label="Contents"><ol>' }
  for _, s in ipairs(M.SECTIONS) do b[#b + 1] = '<li><a href="#' .. s[1] .. '">' .. esc(s[2]) .. "</a></li>" end
  b[#b + 1] = "</ol></nav>"
  return concat(b)
end

-- The shops in the order of the leaderboard: by GMV when every shop sells
-- in one and the same region (one currency), else by livestreams; and the
-- order's name.
local function ranked(F)
  local list, region = {}, false
  for _, s in ipairs(F.shops) do
    list[#list + 1] = s
    for _, g in ipairs(s.regions) do
      if region == false then region = g.region elseif region ~= g.region then region = nil end
    end
  end
  local by_gmv = region ~= nil and region ~= false
  table.sort(list, function(a, b)
    local ka = by_gmv and a.summary.total_gmv or a.summary.count
    local kb = by_gmv and b.summary.total_gmv or b.summary.count
    if ka ~= kb then return ka > kb end
    return a.index < b.index
  end)
  return list, by_gmv and "GMV" or "livestreams (GMV of different currencies is not compared)"
end

-- The cells of a shop's row that hold one line per region.
local function per_region(s)
  local gmv, last, change = {}, {}, {}
  for _, g in ipairs(s.regions) do
    local p = s.periods[g.region]
    gmv[#gmv + 1] = esc(parts.gmv(g.summary.total_gmv, g.region))
    last[#last + 1] = esc(parts.gmv(p.gmv, g.region))
    change[#change + 1] = p.change and esc(parts.change_text(p.change))
      or (p.prev_n == 0 and "no livestream before" or "–")
  end
  if #gmv == 0 then return "–", "–", "–" end
  return concat(gmv, "<br>"), concat(last, "<br>"), concat(change, "<br>")
end

--- The overview section: the leaderboard and what its figures mean.
function M.section(F)
  local days = F.period.days
  local list, order = ranked(F)
  local rows = {}
  for i, s in ipairs(list) do
    local sm = s.summary
    local gmv, last, change = per_region(s)
    rows[#rows + 1] = { tostring(i), txt(parts.shop_label(s)), number(sm.count), parts.fmt_hours(sm.hours_live),
      gmv, last, change, number(sm.total_views), number(sm.total_sales),
      sm.count > 0 and parts.conversion(figures.ratio(sm.total_sales, sm.total_views)) or "–" }
  end
  local p = F.period
  local when = p.to and format("%s to %s (%s)", parts.fmt_time(p.from, F), parts.fmt_time(p.to, F), F.tz)
    or "no livestream has a start time"
  local b = { '<section id="overview"><h2>Overview</h2>' }
  b[#b + 1] = parts.data_table({ { "#", true }, { "Shop" }, { "Livestreams", true }, { "Hours live", true },
    { "GMV", true }, { format("GMV, last %d days", days), true }, { format("Change vs the %d days before", days), true },
    { "Views", true }, { "Units", true }, { "Conversion", true } }, rows,
    esc(format("One row per shop, by %s. Last %d days: %s.", order, days, when)))
  b[#b + 1] = parts.formula(format("Last %d days = livestreams whose create_time is in the %d days up to the end "
    .. "of the latest livestream · change = (GMV of those days − GMV of the %d days before) / GMV of the %d days "
    .. "before · conversion = Σ total_sale_cnt / Σ total_views_cnt · GMV per region, in its currency", days, days,
    days, days))
  b[#b + 1] = "</section>"
  return concat(b)
end

return M
