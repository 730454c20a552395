--- The pieces every section of the report is made of: times, durations
-- and money as text, data tables, figures, formulas, empty-state notes.
-- Every text that came from the records is escaped here or by the caller
-- through shoplive.report.html. Version-neutral (Lua 5.1-5.4, LuaJIT).
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local currency = require("shoplive.currency")

local M = {}

local esc, txt = html.escape, html.text
local number, percent = chart.number, chart.percent
local format, concat = string.format, table.concat
local num = figures.num

function M.fmt_time(t, F)
  t = num(t)
  if not t then return "–" end
  local ok, s = pcall(os.date, "!%Y-%m-%d %H:%M", math.floor(t + F.offset))
  return ok and s or "–"
end

function M.fmt_duration(d)
  d = num(d)
  if not d then return "–" end
  local neg = d < 0 and "-" or ""
  d = math.abs(d)
  return format("%s%d:%02d", neg, math.floor(d / 3600), math.floor(d % 3600 / 60))
end

-- A ratio of money (GMV per hour, GPM, unit price): cents only below 100.
function M.money(x)
  return number(x, (chart.finite(x) and math.abs(x) >= 100) and 0 or 2)
end

function M.fmt_hours(h)
  return number(h, 1)
end

-- A number from a record field, in full: integers exact and without
-- decimals (on 5.1/LuaJIT every number is a float: 5,000 views, not 5,000.00).
function M.field(v)
  local n = num(v)
  if n then return number(n, n == math.floor(n) and 0 or 2) end
  if v == nil then return "–" end
  return txt(v)
end

function M.shop_label(s)
  if s.main_nick then return "Shop " .. s.id .. " (" .. s.main_nick .. ")" end
  return "Shop " .. s.id
end

-- Charts' viewBox width (user units). The page draws a chart at most 1.45
-- times this wide and, on a 360 px phone, 0.88 times: the charts' 12-unit
-- text stays between 10.6 and 17.4 px at every width.
M.W = 360
M.ROWS_MAX = 500 -- data tables under a chart list at most this many rows

--- Tables made so far in the document (numbers their regions' names).
M.tables = 0

-- A table: headers is an array of { text, numeric, wrap, class }; rows
-- arrays of cell HTML (already escaped). Each cell carries its column's
-- name (data-label): on a narrow screen the CSS stacks a row's cells, each
-- under its name, so no column is lost off the edge; a wide table (8
-- columns or more) stacks below 1000 px. Wider than its box, the table
-- scrolls in a region that takes keyboard focus.
function M.data_table(headers, rows, caption)
  -- each column's opening <td ...>, made once (tables reach 500 rows)
  local opens = {}
  for i, h in ipairs(headers) do
    local class = h[2] and "n" or h[3] and "t" or h[4]
    opens[i] = (class and ('<td class="' .. class .. '"') or "<td") .. ' data-label="' .. esc(h[1]) .. '">'
  end
  local name = caption and caption:gsub("<[^>]*>", "") or headers[1] and esc(headers[1][1]) or ""
  M.tables = M.tables + 1 -- a region's name must be unique in the page
  local b = { '<div class="scroll" tabindex="0" role="region" aria-label="Table ', M.tables, ": ", name,
    '"><table class="',
    #headers >= 8 and "r wide" or "r", '">' }
  if caption then b[#b + 1] = "<caption class=\"note\">" .. caption .. "</caption>" end
  b[#b + 1] = "<thead><tr>"
  for _, h in ipairs(headers) do
    b[#b + 1] = (h[2] and "<th class=\"n\" scope=\"col\">" or "<th scope=\"col\">") .. esc(h[1]) .. "</th>"
  end
  b[#b + 1] = "</tr></thead><tbody>"
  local n = #b
  for _, r in ipairs(rows) do
    n = n + 1; b[n] = "<tr>"
    for i = 1, #r do
      b[n + 1], b[n + 2], b[n + 3] = opens[i] or "<td>", r[i], "</td>"
      n = n + 3
    end
    n = n + 1; b[n] = "</tr>"
  end
  b[#b + 1] = "</tbody></table></div>"
  return concat(b)
end

--- A section of the report: <section id> with its <h2> heading (HTML) and
-- body; attrs: more attributes (` data-rank="gmv"`) or nil.
function M.section(id, heading, body, attrs)
  return '<section id="' .. id .. '"' .. (attrs or "") .. "><h2>" .. heading .. "</h2>" .. body .. "</section>"
end

function M.details(summary_text, inner)
  return "<details><summary>" .. esc(summary_text) .. "</summary>" .. inner .. "</details>"
end

function M.figure(id, caption, svg, after)
  return format('<figure id="%s"><figcaption>%s</figcaption>%s%s</figure>', id, esc(caption), svg, after or "")
end

function M.formula(text)
  return "<p class=\"formula\">" .. esc(text) .. "</p>"
end

function M.empty(text)
  return "<p class=\"empty\">" .. esc(text) .. "</p>"
end

function M.change_text(c)
  if c == nil then return "–" end
  return (c > 0 and "+" or "") .. percent(c)
end

--- A conversion rate (units per view) as a percentage with two decimals:
-- they are small.
function M.conversion(x)
  if not chart.finite(x) then return "–" end
  return format("%.2f%%", x * 100)
end

--- A number in short form, with K, M, B, T: one decimal from 10 up, two
-- below (436.2B, 12.5K, 950, 7.25). "–" when not finite.
function M.compact(x)
  if not chart.finite(x) then return "–" end
  local units, v, u = { "", "K", "M", "B", "T" }, math.abs(x), 1
  while v >= 999.95 and u < #units do v, u = v / 1000, u + 1 end
  local s = format(v >= 100 and "%.1f" or v >= 10 and "%.1f" or "%.2f", v):gsub("%.?0+$", "")
  if v >= 100 and u == 1 then s = format("%.0f", v) end
  return (x < 0 and s ~= "0" and "-" or "") .. s .. units[u]
end

--- The currency code of a region's GMV, or "" (the caller then says the
-- region's currency is not known).
function M.code(region)
  return currency.of(region) or ""
end

--- The unit of a region's GMV: its currency code, or "currency unknown".
function M.unit(region)
  return currency.of(region) or "currency unknown"
end

--- A region with its currency: "US (USD)", "ZZ (currency unknown)".
function M.region_label(region)
  return tostring(region) .. " (" .. M.unit(region) .. ")"
end

--- GMV of a region in short form with its currency: "436.2B VND", or
-- "1.2K (currency of XX unknown)".
function M.gmv(x, region)
  local c = currency.of(region)
  if c then return M.compact(x) .. " " .. c end
  return M.compact(x) .. " (currency of " .. tostring(region) .. " unknown)"
end

return M
