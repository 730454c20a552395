--- The top of the report: the table of contents and the overview, one
-- row per shop (livestreams, hours live, GMV per region with its currency,
-- the last period against the one before, conversion), so that a reader
-- sees every shop's standing before the details. Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")
local rates = require("shoplive.report.rates")

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

-- A shop's GMV converted at the user's rates (every region's), or nil when
-- there are no rates or one of its regions has none.
local function converted(s, R)
  if not R then return nil end
  local sum = 0
  for _, g in ipairs(s.regions) do
    local v = rates.convert(R, g.summary.total_gmv, g.region)
    if not v then return nil end
    sum = sum + v
  end
  return sum
end

-- The shops in the order of the leaderboard: by GMV converted at the
-- user's rates when every shop's converts, else by GMV when every shop
-- sells in one and the same region (one currency), else by livestreams;
-- and the order's name.
local function ranked(F)
  local list, region, all_converted = {}, false, F.rates ~= nil
  for _, s in ipairs(F.shops) do
    list[#list + 1] = s
    s.converted = converted(s, F.rates)
    if not s.converted then all_converted = false end
    for _, g in ipairs(s.regions) do
      if region == false then region = g.region elseif region ~= g.region then region = nil end
    end
  end
  local by_gmv = region ~= nil and region ~= false
  local function key(s)
    if all_converted then return s.converted end
    return by_gmv and s.summary.total_gmv or s.summary.count
  end
  table.sort(list, function(a, b)
    if key(a) ~= key(b) then return key(a) > key(b) end
    return a.index < b.index
  end)
  if all_converted then return list, "GMV converted to " .. F.rates.to end
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
      or (p.prev_n == 0 and "none before" or "–")
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
    local row = { tostring(i), txt(parts.shop_label(s)), number(sm.count), parts.fmt_hours(sm.hours_live), gmv }
    if F.rates then row[#row + 1] = s.converted and esc(parts.compact(s.converted) .. " " .. F.rates.to) or "–" end
    for _, c in ipairs({ last, change, number(sm.total_views), number(sm.total_sales),
      sm.count > 0 and parts.conversion(figures.ratio(sm.total_sales, sm.total_views)) or "–" }) do
      row[#row + 1] = c
    end
    rows[#rows + 1] = row
  end
  local p = F.period
  local when = p.to and format("%s to %s (%s)", parts.fmt_time(p.from, F), parts.fmt_time(p.to, F), F.tz)
    or "no livestream has a start time"
  local b = { '<section id="overview"><h2>Overview</h2>' }
  local headers = { { "#", true }, { "Shop" }, { "Livestreams", true }, { "Hours live", true }, { "GMV", true } }
  if F.rates then headers[#headers + 1] = { "GMV in " .. F.rates.to .. " (converted)", true } end
  for _, h in ipairs({ { format("GMV, last %d days", days), true }, { "Change", true },
    { "Views", true }, { "Units", true }, { "Conversion", true } }) do
    headers[#headers + 1] = h
  end
  b[#b + 1] = parts.data_table(headers, rows, esc(format("One row per shop, by %s. Last %d days: %s.", order, days,
    when)))
  b[#b + 1] = parts.formula(format("Last %d days = livestreams whose create_time is in the %d days up to the end "
    .. "of the latest livestream · change = (GMV of those days − GMV of the %d days before) / GMV of the %d days "
    .. "before (none before: no livestream in those days) · conversion = Σ total_sale_cnt / Σ total_views_cnt · "
    .. "GMV per region, in its currency", days, days, days, days)
    .. (F.rates and (" · converted = Σ over the shop's regions of GMV × the rate of the region's "
    .. "currency (rates given by the user, of " .. F.rates.date .. "); – when a region has no rate") or ""))
  b[#b + 1] = "</section>"
  return concat(b)
end

return M
