--- shoplive.report / shoplive.report_file: one self-contained HTML document
-- (inline CSS and SVG, no script, a CSP that forbids every external load)
-- showing a list of livestream records of one or many shops. Call them as
-- `shoplive.report` and `shoplive.report_file` (documented in `shoplive`).
-- Figures come from shoplive.report.figures, charts from
-- shoplive.report.chart, escaping from shoplive.report.html (internal).
-- Version-neutral (Lua 5.1-5.4, LuaJIT).
-- @usage local html = shoplive.report(records, { title = "Shops", tz = "+07:00", top = 10 })
local argcheck = require("shoplive.argcheck")
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local overview = require("shoplive.report.overview")
local parts = require("shoplive.report.parts")
local rates = require("shoplive.report.rates")
local regions = require("shoplive.report.regions")
local util = require("shoplive.util")

local M = {}

local esc, txt = html.escape, html.text
local number, abbrev, percent = chart.number, chart.abbrev, chart.percent
local format, concat = string.format, table.concat
local num = figures.num

local CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
-- Charts' viewBox width (user units). The page draws a chart at most 1.45
-- times this wide and, on a 360 px phone, 0.88 times: the charts' 12-unit
-- text stays between 10.6 and 17.4 px at every width.
local W = 360
local ROWS_MAX = 500 -- data tables under a chart list at most this many rows

local CSS = [[
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:#1d232b;background:#f6f7f9}
main,header.top,nav.toc,footer{max-width:1040px;margin:0 auto;padding:0 16px}
header.top{padding-top:20px}
h1{font-size:1.6em;margin:.2em 0 .4em;overflow-wrap:anywhere}
h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:2px solid #d9dde3;padding-bottom:.2em}
h3{font-size:1.05em;margin:1em 0 .3em;overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}
dl.facts dt{color:#5a6470}dl.facts dd{margin:0;overflow-wrap:anywhere}
.note,.formula{color:#4a5561;font-size:.9em}
.formula{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:.82em;background:#eef1f4;padding:.4em .6em;border-radius:4px}
.cards{display:grid;grid-template-columns:1fr;gap:12px}
.card dl.facts{grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,2fr)}
.card table{width:100%}.card,figure,section{min-width:0;max-width:100%}
.card{background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px 12px;break-inside:avoid}
.card h3{margin-top:0}
figure{margin:12px 0;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:10px;break-inside:avoid}
figcaption{font-weight:600;margin-bottom:4px}
.scroll{overflow-x:auto}
svg.chart{display:block;width:100%;max-width:522px;height:auto;margin:0 auto;font-size:12px}
svg.chart text{fill:#1d232b}
svg.chart .tick{font-size:12px;fill:#4a5561}
svg.chart .axis-title{font-size:12px;font-weight:600}
svg.chart .legend{font-size:12px}
svg.chart .count{font-size:12px;font-weight:600}svg.chart .on-heat{fill:#fff}
svg.chart .axis{stroke:#4a5561;stroke-width:1}
svg.chart .grid{stroke:#e3e6ea;stroke-width:1}svg.chart .cut{stroke:#fff;stroke-width:2}
svg.chart .median{stroke:#b2182b;stroke-width:2;stroke-dasharray:5 3}
svg.chart .partial{stroke:#1d232b;stroke-width:1.5;stroke-dasharray:4 2}
table{border-collapse:collapse;font-size:.88em;margin:.3em 0;background:#fff}
caption{text-align:left;caption-side:top}
th,td{border-bottom:1px solid #e3e6ea;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{max-width:28em;min-width:10em;overflow-wrap:anywhere}td.d{white-space:nowrap}
nav.toc ol{display:flex;flex-wrap:wrap;gap:.2em 1.2em;margin:.6em 0;padding:0;list-style:none}
nav.toc a{color:#1f5a99}
details{margin-top:6px}summary{cursor:pointer;color:#2a5d9f}
.empty{color:#6b7580;font-style:italic}
footer{color:#5a6470;font-size:.85em;padding:20px 16px 40px}
@media (max-width:600px){body{font-size:14px}main,header.top,nav.toc,footer{padding:0 10px}
.card dl.facts{grid-template-columns:max-content minmax(0,1fr)}}
@media (max-width:700px){table.r{width:100%}}
@media (max-width:700px){.r thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.r,.r tbody,.r tr,.r td,.r caption{display:block}.r tr{border-bottom:2px solid #d9dde3;padding:4px 0}
.r td{display:grid;grid-template-columns:minmax(7em,40%) minmax(0,1fr);gap:0 8px;border:0;padding:1px 4px;
text-align:left;white-space:normal;min-width:0;max-width:none;overflow-wrap:anywhere}
.r td::before{content:attr(data-label);color:#4a5561}}
@media (min-width:701px) and (max-width:1000px){.wide thead{position:absolute;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0)}.wide,.wide tbody,.wide tr,.wide td,.wide caption{display:block}.wide tr{border-bottom:2px solid #d9dde3;
padding:4px 0}.wide td{display:grid;grid-template-columns:minmax(7em,30%) minmax(0,1fr);gap:0 8px;border:0;
padding:1px 4px;text-align:left;white-space:normal;min-width:0;max-width:none;overflow-wrap:anywhere}
.wide td::before{content:attr(data-label);color:#4a5561}}
@page{size:A4;margin:12mm}
@media print{body{background:#fff;font-size:10pt}main,header.top,footer{max-width:none;padding:0}
figure,.card{border-color:#bbb;break-inside:avoid}svg.chart{min-width:0;max-height:120mm}.scroll{overflow:visible}
h2{break-after:avoid}details{display:none}}
]]

local fmt_time, fmt_duration, money, fmt_hours = parts.fmt_time, parts.fmt_duration, parts.money, parts.fmt_hours
local field, shop_label, data_table, details = parts.field, parts.shop_label, parts.data_table, parts.details
local figure, formula, empty = parts.figure, parts.formula, parts.empty

-- ---- header and cards ------------------------------------------------------

-- The title without opts.title: the shops' ids (the first 10 of more).
local function default_title(F)
  local ids = {}
  for i, s in ipairs(F.shops) do
    if i > 10 then ids[#ids + 1] = format("and %d more", #F.shops - 10) break end
    ids[#ids + 1] = s.id
  end
  return "TikTok Shop livestreams: " .. (#ids > 0 and ("shop " .. concat(ids, ", ")) or "no shop")
end

local function header(F, opts, version)
  local b = html.buffer()
  local title = opts.title or default_title(F)
  b('<header class="top"><h1 id="title">', txt(title), "</h1><dl class=\"facts\">")
  local names = {}
  for _, s in ipairs(F.shops) do names[#names + 1] = txt(shop_label(s)) end
  b("<dt>Shops</dt><dd id=\"h-shops\">", #names > 0 and concat(names, ", ") or "none", "</dd>")
  if F.first then
    b("<dt>Period (", esc(F.tz), ")</dt><dd id=\"h-period\">", fmt_time(F.first, F), " – ", fmt_time(F.last, F),
      "</dd>")
  else
    b("<dt>Period</dt><dd id=\"h-period\">no livestream with a start time</dd>")
  end
  b("<dt>Livestreams</dt><dd id=\"h-livestreams\">", number(F.all.count), "</dd>")
  if F.aside > 0 then
    b("<dt>Set aside</dt><dd id=\"h-aside\">", number(F.aside), F.aside == 1 and " record" or " records",
      " with values no livestream can have, left out of every figure (listed under Data quality)</dd>")
  end
  b("<dt>Hours live</dt><dd id=\"h-hours\">", fmt_hours(F.all.hours_live), "</dd>")
  if opts.credits ~= nil then
    local c, p, q = num(opts.credits), num(opts.pages), num(opts.requests)
    local text = number(c) .. (c == 1 and " credit" or " credits")
    if p then
      text = text .. " for " .. number(p) .. (p == 1 and " page" or " pages")
      -- requests sent ahead (--concurrency) past a shop's last page
      if q and q > p then text = text .. format("; %s requests sent", number(q)) end
      -- pages answered from a store (shoplive report --db) cost nothing
      if opts.store and c and c < p then text = text .. "; pages answered from the store cost nothing" end
    end
    b("<dt>Credits</dt><dd id=\"h-credits\">", esc(text), "</dd>")
  end
  local gen = num(opts.generated_at) or os.time()
  b("<dt>Generated</dt><dd id=\"h-generated\">", fmt_time(gen, F), " ", esc(F.tz), " by shoplive ", esc(version),
    "</dd>")
  local labels = {}
  for _, g in ipairs(F.regions) do labels[#labels + 1] = esc(parts.region_label(g.region)) end
  b("<dt>Regions</dt><dd id=\"h-regions\">", #labels > 0 and concat(labels, ", ") or "none", "</dd></dl>")
  if F.rates then
    local list = {}
    for _, c in ipairs(F.rates.codes) do
      -- 6 significant digits, never in e-notation (a rate of VND in USD is 0.0000393)
      local r = format("%.6g", F.rates.per[c])
      if r:find("e", 1, true) then r = format("%.12f", F.rates.per[c]):gsub("0+$", "") end
      list[#list + 1] = format("1 %s = %s %s", c, r, F.rates.to)
    end
    b('<dl class="facts"><dt>Exchange rates</dt><dd id="h-rates">given by the user, of ', esc(F.rates.date), ": ",
      esc(#list > 0 and concat(list, ", ") or "none"), " (used only where a figure says converted)</dd></dl>")
  end
  b("<p class=\"note\">GMV is in the currency of the shop's region as the API reports it (the ISO 4217 code ",
    "after each region is the currency of that market; the API does not name it). Figures that add or ",
    "compare GMV are therefore given per region and never summed across regions. Cover and avatar images are ",
    "not loaded (their URLs expire and would reveal the reader's address).</p></header>")
  return b()
end

local CARD_HEADERS = { { "Region" }, { "Livestreams", true }, { "GMV", true }, { "GMV / hour live", true },
  { "GPM", true }, { "Units / 1k views", true }, { "Avg unit price", true } }

local function cards(F)
  local b = html.buffer()
  b('<section id="shops"><h2>Shops</h2><div class="cards">')
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
    .. "Per shop and region; – where the divisor is 0."), "</section>")
  return b()
end

-- ---- timeline --------------------------------------------------------------

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

local function timeline(F)
  local tl = F.timeline
  local b = html.buffer()
  b('<section id="timeline"><h2>Timeline</h2>')
  if tl.total == 0 then
    b(empty("No livestream has a start time (create_time): nothing to place on a timeline."), "</section>")
    return b()
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
  b("</section>")
  return b()
end

-- ---- top livestreams -------------------------------------------------------------

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

local function top(F)
  local b = html.buffer()
  local name, rule = RANK_TEXT[F.rank][1], RANK_TEXT[F.rank][2]
  b('<section id="top" data-rank="', F.rank, '"><h2>Top livestreams by ', name, "</h2>")
  local any = false
  for gi, g in ipairs(regions.charted(F)) do
    if #g.top > 0 then
      any = true
      local rows = {}
      for i, e in ipairs(g.top) do rows[#rows + 1] = top_row(i, e.record, F) end
      b('<h3 id="top-', gi, '">Region ', esc(parts.region_label(g.region)), "</h3>", data_table(TOP_HEADERS, rows,
        format("The %d livestreams with the highest %s of %s in region %s; start in %s.", #g.top, name,
          number(g.summary.count), esc(g.region), esc(F.tz))))
    end
  end
  if not any then b(empty("No livestream has a " .. name .. " figure: nothing to rank.")) end
  b(regions.left_out(F))
  b(formula("Ranked by " .. rule .. ", within each region (GMV of different regions is in different "
    .. "currencies) · peak viewers = max_views_cnt · conversion = total_sale_cnt / total_views_cnt · GPM = "
    .. "total_sale_gmv_amt × 1000 / total_views_cnt · GMV / hour live = total_sale_gmv_amt / (duration / 3600) · "
    .. "– where the divisor is 0"), "</section>")
  return b()
end

-- ---- hosts -------------------------------------------------------------------------

local HOSTS_SHOWN = 15

local function hosts(F)
  local b = html.buffer()
  b('<section id="hosts"><h2>Hosts</h2>')
  local list = F.hosts
  if #list == 0 then
    b(empty("No livestreams: no hosts."), "</section>")
    return b()
  end
  local n = math.min(#list, HOSTS_SHOWN)
  local L, R, T = 16, 48, 4
  local bh = 34 -- the name on a line of its own above the bar
  local H = T + n * bh + 44
  local x = chart.linear(0, 1, L, W - R)
  local s = html.buffer()
  s(chart.svg_open(W, H, "Share of livestreams per host"))
  local xt = {}
  for _, v in ipairs({ 0, 0.5, 1 }) do xt[#xt + 1] = { x = x(v), label = format("%d%%", v * 100) } end
  for i = 1, n do
    local h = list[i]
    local yy = T + (i - 1) * bh
    local name = tostring(h.nick_name or h.user_id or "?")
    if #name > 44 then name = name:sub(1, 42):gsub("[\128-\191]*$", ""):gsub("[\192-\255]$", "") .. "…" end
    s(chart.text(L, yy + 13, name, "start", "tick"))
    s(chart.rect(L, yy + 17, math.max(x(h.share or 0) - L, 1), 12, "#AA3377",
      format("%s (user_id %s): %d livestreams, %s", tostring(h.nick_name), tostring(h.user_id), h.n,
        percent(h.share)), "mark"))
    s(chart.text(x(h.share or 0) + 4, yy + 28, percent(h.share), "start", "tick"))
  end
  s(chart.axis_bottom(xt, T + n * bh + 2, L, W - R, "Share of all livestreams"))
  s("</svg>")
  local rows = {}
  for i = 1, math.min(#list, ROWS_MAX) do
    local h = list[i]
    local by_region = {}
    for _, r in ipairs(h.regions) do
      by_region[#by_region + 1] = format("%s %s %s (%s of the region)", esc(r.region), number(r.gmv),
        esc(parts.code(r.region)), percent(r.share))
    end
    rows[#rows + 1] = { txt(h.nick_name), txt(h.user_id), txt(concat(h.shops, ", ")), number(h.n),
      percent(h.share), concat(by_region, "<br>") }
  end
  local cap = #list > n and format("The chart shows the %d hosts with most livestreams of %d.", n, #list) or nil
  b(figure("fig-hosts", "Share of livestreams per host", s(), "<p class=\"note\">"
    .. (cap and esc(cap) or "") .. "</p>" .. data_table({ { "Host (nick_name)", false, true }, { "user_id" },
      { "Shops" }, { "Livestreams", true }, { "Share", true }, { "GMV by region (share of the region's GMV)" } },
      rows)))
  b(formula("Share of livestreams = host's livestreams / all livestreams · share of GMV = host's Σ total_sale_gmv_amt "
    .. "in a region / the region's Σ total_sale_gmv_amt. A host is a user_id: the shop's own account or an "
    .. "affiliate."), "</section>")
  return b()
end

-- ---- data quality -------------------------------------------------------------------

-- The values that set a record aside or that are not numbers, one row each
-- (at most figures' max_listed), so that the reader can find them.
local function odd_values(F)
  local odd = F.odd
  if odd.n == 0 then return "" end
  local rows = {}
  for _, e in ipairs(odd) do
    local r = e.record
    rows[#rows + 1] = { txt(r.seller_id), txt(r.room_id), txt(r.title), esc(e.field), txt(e.value),
      txt(e.reason), e.effect }
  end
  local cap = format("%s odd values in %s records%s.", number(odd.n), number(F.quality.n),
    #odd < odd.n and format("; the first %d listed", #odd) or "")
  return '<h3 id="odd-values">Odd values</h3>' .. data_table({ { "Shop" }, { "room_id" }, { "Title", false, true },
    { "Field" }, { "Value", false, true }, { "Why" }, { "Effect" } }, rows, esc(cap))
end

local function quality(F)
  local q = F.quality
  local b = html.buffer()
  b('<section id="quality"><h2>Data quality</h2>')
  local rows = {
    { "Livestreams", number(q.n) },
    { "max_views_cnt is 0", number(q.zero_peak) },
    { "duration ≠ finish_time − create_time", number(q.duration_mismatch) },
    { "duration missing or not positive (left out of per-hour figures)", number(q.no_positive_duration) },
    { "with at least one of the 16 spec fields missing", number(q.any_missing) },
  }
  for _, f in ipairs(figures.FIELDS) do
    if q.missing[f] then rows[#rows + 1] = { "missing " .. f, number(q.missing[f]) } end
  end
  for _, f in ipairs(figures.FIELDS) do
    if q.not_number[f] then rows[#rows + 1] = { f .. " is not a number", number(q.not_number[f]) } end
  end
  local extra = {}
  for k in pairs(q.extra) do extra[#extra + 1] = k end
  table.sort(extra)
  for _, k in ipairs(extra) do rows[#rows + 1] = { "extra field " .. k, number(q.extra[k]) } end
  if #extra == 0 then rows[#rows + 1] = { "extra fields the API added", "none" } end
  table.insert(rows, 2, { "set aside: a value no livestream can have (listed below)", number(F.aside) })
  table.insert(rows, 3, { "units sold with 0 views (listed below)", number(F.odd.combos.units_no_views) })
  table.insert(rows, 4, { "more units sold than views (listed below)", number(F.odd.combos.units_over_views) })
  for _, r in ipairs(rows) do r[1] = txt(r[1]) end
  b(data_table({ { "Check" }, { "Livestreams", true } }, rows))
  b(odd_values(F))
  b("</section>")
  return b()
end

-- ---- the document -------------------------------------------------------------------

-- True when v is a shoplive store (whose module is then loaded already).
local function is_store(v)
  local store = package.loaded["shoplive.store"]
  return type(store) == "table" and store.is_store(v)
end

-- opts.sellers, since and until: only with a store.
local function check_store_opts(records, opts, fname)
  local store = is_store(records)
  for _, k in ipairs({ "sellers", "since", "until" }) do
    if opts[k] ~= nil and not store then
      argcheck.raise(fname .. ": option '" .. k .. "' is for a report from a store (argument 'records' is a list)")
    end
  end
  if opts.sellers ~= nil then
    if type(opts.sellers) ~= "table" then
      argcheck.raise(fname .. ": option 'sellers' must be an array of seller ids, got " .. util.describe(opts.sellers))
    end
    for i, id in ipairs(opts.sellers) do
      if type(id) ~= "string" or not id:find("^%d+$") then
        argcheck.raise(fname .. ": option 'sellers': sellers[" .. i .. "] must be a seller id (a string of digits), got "
          .. util.describe(id))
      end
    end
  end
  for _, k in ipairs({ "since", "until" }) do
    if opts[k] ~= nil and not util.is_integral(opts[k]) then
      argcheck.raise(fname .. ": option '" .. k .. "' must be epoch seconds (an integer), got " .. util.describe(opts[k]))
    end
  end
end

local function check_records(records, fname)
  if is_store(records) then return end
  argcheck.records(records, fname)
end

local function check_opts(opts, fname)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argcheck.raise(fname .. ": argument 'opts' must be a table, got " .. type(opts)) end
  if opts.title ~= nil and type(opts.title) ~= "string" then
    argcheck.raise(fname .. ": option 'title' must be a string, got " .. util.describe(opts.title))
  end
  if opts.top ~= nil and not (util.is_integral(opts.top) and opts.top >= 1) then
    argcheck.raise(fname .. ": option 'top' must be an integer >= 1, got " .. util.describe(opts.top))
  end
  if opts.period ~= nil and not (util.is_integral(opts.period) and opts.period >= 1 and opts.period <= 3660) then
    argcheck.raise(fname .. ": option 'period' must be a whole number of days from 1 to 3660, got "
      .. util.describe(opts.period))
  end
  if opts.rates ~= nil then
    local ok, msg = rates.check(opts.rates)
    if not ok then argcheck.raise(fname .. ": option 'rates' " .. msg) end
  end
  if opts.rank ~= nil and not figures.RANKS[opts.rank] then
    argcheck.raise(fname .. ": option 'rank' must be one of " .. concat(figures.RANK_NAMES, ", ") .. ", got "
      .. util.describe(opts.rank))
  end
  local off, msg = figures.parse_tz(opts.tz)
  if not off then argcheck.raise(fname .. ": option 'tz' " .. msg) end
  if opts.shops ~= nil and type(opts.shops) ~= "table" then
    argcheck.raise(fname .. ": option 'shops' must be an array of seller ids, got " .. util.describe(opts.shops))
  end
  return opts
end

-- The report's figures: computed from the records, or by the store's
-- database (report/from_store.lua). Returns F or nil, err.
local function compute(records, opts)
  if not is_store(records) then return figures.compute(records, opts) end
  return require("shoplive.report.from_store").compute(records, { sellers = opts.sellers, since = opts.since,
    ["until"] = opts["until"] }, opts)
end

local function build(records, opts, version)
  parts.tables = 0
  local F, err = compute(records, opts)
  if not F then return nil, err end
  F.rates = opts.rates and rates.check(opts.rates)
  local b = html.buffer()
  local title = opts.title or default_title(F)
  b('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n',
    '<meta http-equiv="Content-Security-Policy" content="', CSP, '">\n',
    '<meta name="referrer" content="no-referrer">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="shoplive ', esc(version), '">\n',
    "<title>", txt(title), "</title>\n<style>", CSS, "</style></head>\n<body>\n")
  b(header(F, opts, version), "\n", overview.toc(), "\n<main>\n", overview.section(F), "\n", cards(F), "\n",
    timeline(F), "\n", regions.weekly(F), "\n", regions.heatmap(F), "\n", regions.histogram(F), "\n", top(F),
    "\n", hosts(F), "\n",
    quality(F), "\n</main>\n")
  b("<footer>Made by shoplive ", esc(version), " from ", number(F.received), " livestream records",
    F.aside > 0 and (" (" .. number(F.aside) .. " set aside)") or "",
    " of keyapi's /v1/tiktok/shop/livestreams/analytics. Times in ", esc(F.tz), ".</footer>\n",
    "</body></html>\n")
  return b()
end

--- The report of `records` (an array of records of one or many shops) as
-- one HTML document (a string). opts: title, tz ("UTC" default, "+07:00"),
-- top (default 10), rank (the top table's order: "gmv" default,
-- "gmv_per_hour", "views", "conversion"), period (days of the overview's
-- last period, compared with as many before; default 28), shops (seller ids to show even
-- with no records), rates (exchange rates the user gives, see
-- report/rates.lua: the overview then adds each shop's GMV converted),
-- credits, pages and requests (what fetching the data cost), store (true:
-- pages came through a store, which answers some for nothing), generated_at (unix
-- seconds, default now). Raises on bad arguments, naming them.
-- @local
function M.report(records, opts, version)
  check_records(records, "shoplive.report")
  opts = check_opts(opts, "shoplive.report")
  check_store_opts(records, opts, "shoplive.report")
  return build(records, opts, version or "?")
end

--- Write the report to `path`. Returns true, or nil and a message.
-- @local
function M.report_file(path, records, opts, version)
  if type(path) ~= "string" or path == "" then
    argcheck.raise("shoplive.report_file: argument 'path' must be a file name, got " .. util.describe(path))
  end
  check_records(records, "shoplive.report_file")
  opts = check_opts(opts, "shoplive.report_file")
  check_store_opts(records, opts, "shoplive.report_file")
  local doc, derr = build(records, opts, version or "?")
  if not doc then return nil, derr end
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(doc)
  local cok, cerr = f:close()
  if not ok then return nil, werr end
  if not cok then return nil, cerr end
  return true
end

return M
