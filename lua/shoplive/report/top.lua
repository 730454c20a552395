--- The "Top livestreams" section: per region, the livestreams ranked by
-- the report's ranking, with every per-livestream figure. Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")
local regions = require("shoplive.report.regions")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number
local format = string.format
local num = figures.num
local fmt_time, fmt_duration, money = parts.fmt_time, parts.fmt_duration, parts.money
local field, data_table = parts.field, parts.data_table

local TOP_HEADERS = { { "#", true }, { "Title", false, true }, { "Host (nick_name)", false, true }, { "Shop" },
  { "Start", false, false, "d" }, { "Duration (h:mm)", true }, { "Views", true }, { "Peak viewers", true },
  { "Units", true }, { "Conversion", true }, { "GPM", true }, { "GMV", true }, { "GMV / hour live", true } }

-- What each ranking is called in a heading, and its formula.
local RANK_TEXT = {
  gmv = { "GMV", "GMV = total_sale_gmv_amt" },
  gmv_per_hour = { "GMV per hour live", "GMV / hour live = total_sale_gmv_amt / (duration / 3600)" },
  views = { "views", "views = total_views_cnt" },
  conversion = { "conversion", "conversion = total_sale_cnt / total_views_cnt (units per view)" },
}

-- One row of the top table: every per-livestream figure, in full.
local function top_row(i, r, F)
  return { tostring(i), txt(r.title), txt(r.nick_name), txt(r.seller_id), fmt_time(r.create_time, F),
    fmt_duration(r.duration), field(r.total_views_cnt), field(r.max_views_cnt), field(r.total_sale_cnt),
    parts.conversion(figures.ratio(r.total_sale_cnt, r.total_views_cnt)),
    money(figures.ratio((num(r.total_sale_gmv_amt) or 0) * 1000, r.total_views_cnt)),
    field(r.total_sale_gmv_amt), money(figures.gmv_per_hour(r)) }
end

-- The top table of region g (nothing when no livestream has the figure).
local function top_part(F, name)
  return function(b, g, gi)
    if #g.top == 0 then return false end
    local rows = {}
    for i, e in ipairs(g.top) do rows[#rows + 1] = top_row(i, e.record, F) end
    b('<h3 id="top-', gi, '">Region ', esc(parts.region_label(g.region)), "</h3>", data_table(TOP_HEADERS, rows,
      format("The %d livestreams with the highest %s of %s in region %s; start in %s.", #g.top, name,
        number(g.summary.count), esc(g.region), esc(F.tz))))
    return true
  end
end

function M.section(F)
  local name, rule = RANK_TEXT[F.rank][1], RANK_TEXT[F.rank][2]
  return regions.section(F, { id = "top", attrs = ' data-rank="' .. F.rank .. '"',
    heading = "Top livestreams by " .. name, every = true, part = top_part(F, name),
    none = "No livestream has a " .. name .. " figure: nothing to rank.",
    formula = "Ranked by " .. rule .. ", within each region (GMV of different regions is in different "
    .. "currencies) · peak viewers = max_views_cnt · conversion = total_sale_cnt / total_views_cnt · GPM = "
    .. "total_sale_gmv_amt × 1000 / total_views_cnt · GMV / hour live = total_sale_gmv_amt / (duration / 3600) · "
    .. "– where the divisor is 0" })
end

return M
