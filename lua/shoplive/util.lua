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

--- Describe a value for an error message without ever printing long strings.
function M.describe(v)
  local t = type(v)
  if t == "number" then
    if math_type then return math_type(v) .. " " .. tostring(v) end
    return "number " .. tostring(v)
  elseif t == "string" then
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
