--- The "Shops" section: one card per shop, its figures per region.
-- Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number
local format = string.format
local fmt_time, money, fmt_hours = parts.fmt_time, parts.money, parts.fmt_hours
local field, shop_label, data_table = parts.field, parts.shop_label, parts.data_table
local formula, empty = parts.formula, parts.empty

local CARD_HEADERS = { { "Region" }, { "Livestreams", true }, { "GMV", true }, { "GMV / hour live", true },
  { "GPM", true }, { "Units / 1k views", true }, { "Avg unit price", true } }

function M.section(F)
  local b = html.buffer()
  b('<div class="cards">')
  for _, s in ipairs(F.shops) do
    b('<article class="card" id="shop-', esc(s.id), '" data-seller="', esc(s.id), '"><h3>', txt(shop_label(s)),
      "</h3>")
    local aside = F.aside_by_shop[s.id]
    if s.summary.count == 0 and aside then
      b(empty(format("No usable livestreams: %s set aside (see Data quality).", number(aside))), "</article>")
    elseif s.summary.count == 0 then
      b(empty("No livestreams in the data for this shop."), "</article>")
    else
      local sm = s.summary
      b('<dl class="facts"><dt>Livestreams</dt><dd class="v-count">', number(sm.count), "</dd>",
        '<dt>Hours live</dt><dd class="v-hours">', fmt_hours(sm.hours_live), "</dd>",
        '<dt>Views</dt><dd class="v-views">', number(sm.total_views), "</dd>",
        '<dt>Units sold</dt><dd class="v-sales">', number(sm.total_sales), "</dd>")
      if sm.best then
        b("<dt>Best livestream</dt><dd>", txt(sm.best.title), " (", fmt_time(sm.best.create_time, F), ", GMV ",
          field(sm.best.total_sale_gmv_amt), " ", txt(figures.region_of(sm.best)), ")</dd>")
      end
      b("</dl>")
      local rows = {}
      for _, g in ipairs(s.regions) do
        local gs = g.summary
        rows[#rows + 1] = { '<span class="v-region">' .. esc(g.region) .. "</span>", number(gs.count),
          '<span class="v-gmv">' .. number(gs.total_gmv) .. "</span> " .. esc(parts.code(g.region)),
          money(g.gmv_per_hour), money(g.gpm), number(g.units_per_1000_views, 2),
          money(g.unit_price) }
      end
      b(data_table(CARD_HEADERS, rows), "</article>")
    end
  end
  b("</div>", formula("GMV = Σ total_sale_gmv_amt · hours live = Σ duration / 3600 · GMV / hour live = GMV / hours "
    .. "live · GPM = GMV × 1000 / Σ total_views_cnt · units / 1,000 views = Σ total_sale_cnt × 1000 / "
    .. "Σ total_views_cnt · avg unit price = GMV / Σ total_sale_cnt · best = the highest total_sale_gmv_amt. "
    .. "Per shop and region; – where the divisor is 0."))
  return parts.section("shops", "Shops", b())
end

return M
