--- Small helpers shared by the Lua layer (version-neutral: Lua 5.1-5.4, LuaJIT).
local M = {}

local math_type = math.type
local floor, huge = math.floor, math.huge

--- True when x is a number with an integral value (an integer subtype on 5.3+,
-- or an integral float). Use `M.is_int_subtype` to refuse floats on 5.3+.
function M.is_integral(x)
  return type(x) == "number" and x == floor(x) and x > -huge and x < huge
end

--- True for a Lua integer on 5.3+; on 5.1/5.2/LuaJIT (no subtype) for any
-- integral number that doubles represent exactly.
function M.is_int_subtype(x)
  if math_type then return math_type(x) == "integer" end
  return M.is_integral(x) and x >= -2^53 and x <= 2^53
end

--- Integral number -> integer (5.3+: math.tointeger), else nil.
function M.tointeger(x)
  if not M.is_integral(x) then return nil end
  if math_type then return math.tointeger(x) end
  return x
end

--- Bytes of a secret that, found together in another text, count as a piece
-- of it (the C core redacts server texts by the same rule).
M.SECRET_PIECE = 8

--- True when string s may hold a credential, so that messages show its
-- length only: it contains one of the strings in `secrets` (or a piece of
-- SECRET_PIECE bytes of one), a word starting with `sk_` or `sk-` (the usual
-- shape of API keys), or a run of 20 or more token characters
-- (`A-Z a-z 0-9 _ - + / =`) that mixes letters and digits.
function M.looks_secret(s, secrets)
  for _, k in ipairs(secrets or {}) do
    local n = math.min(#k, M.SECRET_PIECE)
    for i = 1, #k - n + 1 do
      if s:find(k:sub(i, i + n - 1), 1, true) then return true end
    end
  end
  if s:find("%f[%w][Ss][Kk][_%-]") then return true end
  for run in s:gmatch("[%w_%-+/=]+") do
    if #run >= 20 and run:find("%a") and run:find("%d") then return true end
  end
  return false
end

--- Describe a value for an error message without ever printing long
-- strings or strings that look like secrets (see looks_secret; `secrets`
-- lists the known ones, e.g. the API key).
function M.describe(v, secrets)
  local t = type(v)
  if t == "number" then
    if math_type then return math_type(v) .. " " .. tostring(v) end
    return "number " .. tostring(v)
  elseif t == "string" then
    if M.looks_secret(v, secrets) then return "a string of " .. #v .. " bytes that looks like a secret (not shown)" end
    if #v > 40 then return "a string of " .. #v .. " bytes" end
    return string.format("string %q", v)
  end
  return t
end

--- Sorted list of a set's keys, for "accepted: a, b, c" messages.
function M.keys(set)
  local out = {}
  for k in pairs(set) do out[#out + 1] = tostring(k) end
  table.sort(out)
  return table.concat(out, ", ")
end

local byte, concat = string.byte, table.concat
local REPLACEMENT = "\239\191\189" -- U+FFFD

-- Code points a terminal or a log viewer acts on instead of showing: C1
-- controls (U+0080-U+009F, e.g. U+009B, the one-byte CSI), the bidi marks,
-- embeddings, overrides and isolates (U+061C, U+200E-F, U+202A-E,
-- U+2066-9: they reorder what follows, "Trojan Source"), and the line and
-- paragraph separators U+2028/U+2029.
local function hostile(cp)
  return (cp >= 0x80 and cp <= 0x9F) or cp == 0x061C or cp == 0x200E or cp == 0x200F
    or (cp >= 0x202A and cp <= 0x202E) or (cp >= 0x2066 and cp <= 0x2069) or cp == 0x2028 or cp == 0x2029
end

-- Length and code point of the UTF-8 sequence at i, or nil when invalid
-- (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
local function utf8_at(s, i)
  local c = byte(s, i)
  local n, cp, min
  if c < 0xC2 then return nil
  elseif c < 0xE0 then n, cp, min = 2, c - 0xC0, 0x80
  elseif c < 0xF0 then n, cp, min = 3, c - 0xE0, 0x800
  elseif c < 0xF5 then n, cp, min = 4, c - 0xF0, 0x10000
  else return nil end
  for k = 1, n - 1 do
    local d = byte(s, i + k)
    if not d or d < 0x80 or d > 0xBF then return nil end
    cp = cp * 64 + (d - 0x80)
  end
  if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return nil end
  return n, cp
end

--- Any value as one line that is safe to print on a terminal or in a log.
-- Every string a server sent goes through this before it reaches the
-- user's screen (ESC sequences would retitle or clear it, CR/LF forge log
-- lines). Invalid UTF-8 bytes become U+FFFD, one per byte. By default C0
-- controls, DEL and CR/LF become a space (a run of them one space), and C1
-- controls, bidi marks/overrides/isolates and line separators U+FFFD.
-- With `spaces` (errors.clean's mode) every control of any kind becomes
-- exactly one space: nothing is merged or deleted, so the pieces of a text
-- redacted before cleaning can never join up into a secret again.
function M.clean(v, spaces)
  local s = type(v) == "string" and v or tostring(v)
  if not s:find("[%z\1-\31\127-\255]") then return s end
  local out, i, n = {}, 1, #s
  local ctl = spaces and " " or REPLACEMENT
  while i <= n do
    local c = byte(s, i)
    if c < 0x20 or c == 0x7F then
      if spaces or out[#out] ~= " " then out[#out + 1] = " " end
      i = i + 1
    elseif c < 0x80 then
      local j = s:find("[%z\1-\31\127-\255]", i) or n + 1
      out[#out + 1] = s:sub(i, j - 1)
      i = j
    else
      local len, cp = utf8_at(s, i)
      if not len then
        out[#out + 1] = REPLACEMENT
        i = i + 1
      else
        out[#out + 1] = hostile(cp) and ctl or s:sub(i, i + len - 1)
        i = i + len
      end
    end
  end
  return concat(out)
end

--- This process as a queue worker names itself: host:pid (the pid from
-- /proc/self/stat where there is one).
function M.identity()
  local host
  for _, path in ipairs{ "/proc/sys/kernel/hostname", "/etc/hostname" } do
    local f = io.open(path, "r")
    if f then
      host = (f:read("*l") or ""):match("^%s*(%S+)")
      f:close()
      if host then break end
    end
  end
  host = host or os.getenv("HOSTNAME") or "localhost"
  local pid
  local f = io.open("/proc/self/stat", "r")
  if f then
    pid = (f:read("*l") or ""):match("^(%d+)")
    f:close()
  end
  -- without procfs: a random number stands in for the pid (unique enough to
  -- tell two workers of one host apart)
  pid = pid or tostring(math.random(1, 2 ^ 30))
  return host .. ":" .. pid
end

return M
