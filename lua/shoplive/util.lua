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

return M
