--- The report's <header>: title, shops, period, counts, credits, the
-- exchange rates given, and the note on currencies. Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number
local format, concat = string.format, table.concat
local num = figures.num
local fmt_time, fmt_hours = parts.fmt_time, parts.fmt_hours
local shop_label = parts.shop_label

-- The title without opts.title: the shops' ids (the first 10 of more).
function M.title(F)
  local ids = {}
  for i, s in ipairs(F.shops) do
    if i > 10 then ids[#ids + 1] = format("and %d more", #F.shops - 10) break end
    ids[#ids + 1] = s.id
  end
  return "TikTok Shop livestreams: " .. (#ids > 0 and ("shop " .. concat(ids, ", ")) or "no shop")
end

function M.html(F, opts, version)
  local b = html.buffer()
  local title = opts.title or M.title(F)
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

return M
