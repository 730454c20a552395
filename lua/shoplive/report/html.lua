--- Text into HTML for the report: every string that came from the API (titles,
-- nick names, regions, ids) goes through escape() before it reaches the page.
-- Version-neutral (Lua 5.1-5.4, LuaJIT): byte-level, no utf8 library.
local M = {}

local byte, sub, find, gsub = string.byte, string.sub, string.find, string.gsub
local concat = table.concat

local REPLACEMENT = "\239\191\189" -- U+FFFD

-- The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629:
-- no overlong forms, no surrogates, nothing past U+10FFFF); or nil and the
-- length of its longest valid beginning (at least 1), which, as in browsers'
-- decoders, becomes one U+FFFD.
local function seq_len(s, i)
  local c = byte(s, i)
  if c < 0x80 then return 1 end
  local n, lo, hi
  if c >= 0xC2 and c <= 0xDF then n, lo, hi = 2, 0x80, 0xBF
  elseif c == 0xE0 then n, lo, hi = 3, 0xA0, 0xBF
  elseif c == 0xED then n, lo, hi = 3, 0x80, 0x9F
  elseif c >= 0xE1 and c <= 0xEF then n, lo, hi = 3, 0x80, 0xBF
  elseif c == 0xF0 then n, lo, hi = 4, 0x90, 0xBF
  elseif c >= 0xF1 and c <= 0xF3 then n, lo, hi = 4, 0x80, 0xBF
  elseif c == 0xF4 then n, lo, hi = 4, 0x80, 0x8F
  else return nil, 1 end
  local c2 = byte(s, i + 1)
  if not c2 or c2 < lo or c2 > hi then return nil, 1 end
  for k = i + 2, i + n - 1 do
    local ck = byte(s, k)
    if not ck or ck < 0x80 or ck > 0xBF then return nil, k - i end
  end
  return n
end

-- The bytes clean() looks at: controls, DEL and every non-ASCII byte; the
-- runs between them are skipped by find (titles are mostly ASCII, and this
-- runs for every string of a report).
local SPECIAL = "[%z\1-\8\11\12\14-\31\127\128-\255]"

-- The controls clean() replaces (TAB, LF and CR kept).
local CONTROLS = "[%z\1-\8\11\12\14-\31\127]"
-- Lua 5.4's utf8.len (strict by default) accepts exactly the well-formed
-- UTF-8 that seq_len does: no overlong forms, no surrogates, nothing past
-- U+10FFFF (5.3's accepts more). In C: a title in Japanese took 3.6 us
-- through the loop below, 1.2 us so.
local strict_len = _VERSION == "Lua 5.4" and package.loaded.utf8 and package.loaded.utf8.len

--- s with every byte that is not part of well-formed UTF-8 replaced by U+FFFD,
-- and control characters other than TAB, LF and CR (NUL included: HTML
-- parsers treat them as errors) replaced by U+FFFD too.
function M.clean(s)
  local i = find(s, SPECIAL)
  if not i then return s end
  if strict_len and not find(s, CONTROLS, i) and strict_len(s) then return s end
  local out, n, start = nil, 0, 1
  while i do
    local l, bad
    -- an ASCII byte found here is a control character or DEL
    if byte(s, i) >= 0x80 then l, bad = seq_len(s, i) else bad = 1 end
    if l then
      i = i + l
    else
      out = out or {}
      n = n + 1; out[n] = sub(s, start, i - 1)
      n = n + 1; out[n] = REPLACEMENT
      i = i + bad
      start = i
    end
    i = find(s, SPECIAL, i)
  end
  if not out then return s end
  n = n + 1; out[n] = sub(s, start)
  return concat(out)
end

local ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- Every byte escape() may change: SPECIAL's and the entities' (most
-- strings of a report have none: one find then spares clean and gsub).
local CHANGED = "[%z\1-\8\11\12\14-\31\127\128-\255&<>\"']"
-- Whitespace text() folds: a run of two, or one other than a space.
local FOLDED = "[\t-\r]"

--- Any value as HTML text, safe both between tags and inside a quoted
-- attribute: nil gives "", numbers their tostring, strings are cleaned
-- (see clean) and & < > " ' become entities.
function M.escape(v)
  if v == nil then return "" end
  local s = tostring(v)
  if not find(s, CHANGED) then return s end
  s = M.clean(s)
  return (gsub(s, "[&<>\"']", ENTITIES))
end

--- Like escape, with runs of whitespace (a title's newlines and TABs)
-- folded into one space: for table cells and tooltips.
function M.text(v)
  if v == nil then return "" end
  local s = tostring(v)
  if find(s, FOLDED) or find(s, "  ", 1, true) then s = gsub(s, "%s+", " ") end
  return M.escape(s)
end

--- A string buffer: b(...) appends its arguments, b() with no argument
-- returns the joined text.
function M.buffer()
  local parts, n = {}, 0
  return function(...)
    local k = select("#", ...)
    if k == 0 then return concat(parts) end
    for j = 1, k do
      n = n + 1
      parts[n] = select(j, ...)
    end
  end
end

M.REPLACEMENT = REPLACEMENT

return M
