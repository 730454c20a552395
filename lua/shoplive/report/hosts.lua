--- The "Hosts" section: each host's share of the livestreams (a chart of
-- the first ones, a table of all) and of each region's GMV. Version-neutral.
local chart = require("shoplive.report.chart")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number, percent = chart.number, chart.percent
local format, concat = string.format, table.concat
local data_table = parts.data_table
local figure, formula, empty = parts.figure, parts.formula, parts.empty
local W, ROWS_MAX = parts.W, parts.ROWS_MAX

local HOSTS_SHOWN = 15

function M.section(F)
  local b = html.buffer()
  local list = F.hosts
  if #list == 0 then
    return parts.section("hosts", "Hosts", empty("No livestreams: no hosts."))
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
    .. "affiliate."))
  return parts.section("hosts", "Hosts", b())
end

return M
