--- Livestream records and report-table readers shared by the report specs,
-- so that each spec states only the fields its case turns on.
local M = {}

-- A sound record: every field the endpoint returns, none of them odd.
local BASE = { room_id = "r", seller_id = "1", user_id = "42", nick_name = "host", region = "US", title = "t",
  avatar = "https://a/b.webp", cover_url = "https://c/d.webp", create_time = 1700000000, duration = 3600,
  finish_time = 1700003600, max_views_cnt = 10, total_joins_cnt = 50, total_views_cnt = 100,
  total_sale_cnt = 5, total_sale_gmv_amt = 500 }

--- A fresh record: BASE, then the spec's defaults, then the case's fields.
function M.record(fields, defaults)
  local r = {}
  for _, layer in ipairs{ BASE, defaults or {}, fields or {} } do
    for k, v in pairs(layer) do r[k] = v end
  end
  return r
end

--- rec(fields) with this spec's defaults.
function M.maker(defaults)
  return function(fields) return M.record(fields, defaults) end
end

--- The section matched by sec_pattern, and its table's rows as arrays of
-- cells; clean = true gives each cell's text (<br> as " / ", tags dropped).
function M.section_rows(doc, sec_pattern, clean)
  local sec = assert(doc:match(sec_pattern))
  local rows = {}
  for tr in sec:match("<tbody>(.-)</tbody>"):gmatch("<tr>(.-)</tr>") do
    local cells = {}
    for c in tr:gmatch("<td[^>]*>(.-)</td>") do
      cells[#cells + 1] = clean and c:gsub("<br>", " / "):gsub("<[^>]+>", "") or c
    end
    rows[#rows + 1] = cells
  end
  return sec, rows
end

--- The overview section and its rows as text.
function M.overview_rows(doc)
  return M.section_rows(doc, '<section id="overview">.-</section>', true)
end

return M
