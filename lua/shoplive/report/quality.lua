--- The "Data quality" section: counts of every check, and the odd values
-- listed. Version-neutral.
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")
local html = require("shoplive.report.html")
local parts = require("shoplive.report.parts")

local M = {}

local esc, txt = html.escape, html.text
local number = chart.number
local format = string.format
local data_table = parts.data_table

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

function M.section(F)
  local q = F.quality
  local b = html.buffer()
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
  return parts.section("quality", "Data quality", b())
end

return M
