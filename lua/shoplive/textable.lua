--- Aligned text tables for the terminal (the CLI's `--format table`).
-- Widths count UTF-8 code points, and text is cut on code point boundaries,
-- so emoji and accents never get split into invalid bytes.
local M = {}

--- Number of code points in s (invalid bytes count as one each).
function M.width(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

--- s cut to at most w code points, with "…" when it was cut.
function M.truncate(s, w)
  if M.width(s) <= w then return s end
  if w <= 1 then return w == 1 and "…" or "" end
  local n, i = 0, 1
  while i <= #s do
    local c = s:byte(i)
    local len = c >= 0xF0 and 4 or c >= 0xE0 and 3 or c >= 0xC0 and 2 or 1
    if n + 1 > w - 1 then break end
    n = n + 1
    i = i + len
  end
  return s:sub(1, i - 1) .. "…"
end

local function pad(s, w, right)
  local gap = string.rep(" ", math.max(0, w - M.width(s)))
  return right and (gap .. s) or (s .. gap)
end

local function total_width(widths, n)
  local total = (n - 1) * 2
  for _, w in ipairs(widths) do total = total + w end
  return total
end

--- Render rows (arrays of strings) under headers. cols: array of
-- { header = "...", right = bool, flex = bool, drop = n }; to fit
-- `max_width` the flex column shrinks (to 8 at least), then columns with a
-- `drop` rank are left out, highest rank first.
function M.render(cols, rows, max_width)
  if max_width then
    local widths = {}
    for i, c in ipairs(cols) do
      local w = c.flex and 8 or M.width(c.header)
      if not c.flex then for _, r in ipairs(rows) do w = math.max(w, M.width(r[i])) end end
      widths[i] = w
    end
    if total_width(widths, #cols) > max_width then
      local worst, at = nil, nil
      for i, c in ipairs(cols) do
        if c.drop and (not worst or c.drop > worst) then worst, at = c.drop, i end
      end
      if at then
        local keep_cols, keep_rows = {}, {}
        for i, c in ipairs(cols) do if i ~= at then keep_cols[#keep_cols + 1] = c end end
        for j, r in ipairs(rows) do
          local nr = {}
          for i = 1, #cols do if i ~= at then nr[#nr + 1] = r[i] end end
          keep_rows[j] = nr
        end
        return M.render(keep_cols, keep_rows, max_width)
      end
    end
  end
  local widths = {}
  for i, c in ipairs(cols) do
    local w = M.width(c.header)
    for _, r in ipairs(rows) do w = math.max(w, M.width(r[i])) end
    widths[i] = w
  end
  local total = total_width(widths, #cols)
  if max_width and total > max_width then
    for i, c in ipairs(cols) do
      if c.flex then
        widths[i] = math.max(M.width(c.header), widths[i] - (total - max_width), 8)
      end
    end
  end
  local out = {}
  local function line(cells)
    local parts = {}
    for i, c in ipairs(cols) do
      parts[i] = pad(M.truncate(cells[i], widths[i]), widths[i], c.right)
    end
    out[#out + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  local headers = {}
  for i, c in ipairs(cols) do headers[i] = c.header end
  line(headers)
  local rule = {}
  for i = 1, #cols do rule[i] = string.rep("-", widths[i]) end
  out[#out + 1] = table.concat(rule, "  ")
  for _, r in ipairs(rows) do line(r) end
  return table.concat(out, "\n") .. "\n"
end

return M
