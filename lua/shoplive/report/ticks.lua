--- Round numbers for axes and bins: a round step and the ticks covering a
-- range. Used by the charts (report/chart.lua) and the histogram's bins
-- (report/figures.lua). Version-neutral (Lua 5.1-5.4, LuaJIT).
local M = {}

local floor, ceil, huge, log = math.floor, math.ceil, math.huge, math.log
local LN10 = log(10)

local function finite(x)
  return type(x) == "number" and x == x and x > -huge and x < huge
end

--- A round step (1, 2 or 5 times a power of ten) that cuts `span` into at
-- most about `count` pieces. span <= 0 or not finite gives 1.
function M.nice_step(span, count)
  if not finite(span) or span <= 0 then return 1 end
  count = count or 5
  local raw = span / count
  -- log(x) / log(10) may land just below an integer (3 - 1e-16 for 1000): the
  -- loop below then picks 10 * mag, the same step
  local mag = 10 ^ floor(log(raw) / LN10)
  local steps = { 1, 2, 2.5, 5, 10 }
  for _, s in ipairs(steps) do
    if raw <= s * mag then return s * mag end
  end
  return 10 * mag
end

--- Round ticks covering [lo, hi]: returns the tick values (an array) and the
-- extended domain (first tick, last tick). lo == hi (all values equal, all
-- zero) gives the domain [lo, lo + 1] (or [lo - 1, lo] below zero) so that a
-- scale over it never divides by zero.
function M.ticks(lo, hi, count)
  if not finite(lo) then lo = 0 end
  if not finite(hi) then hi = lo end
  if hi < lo then lo, hi = hi, lo end
  if hi == lo then
    if lo < 0 then lo = lo - 1 else hi = lo + 1 end
  end
  local step = M.nice_step(hi - lo, count)
  local first, last = floor(lo / step) * step, ceil(hi / step) * step
  local out = {}
  local n = floor((last - first) / step + 0.5)
  for i = 0, n do out[#out + 1] = first + i * step end
  return out, first, last
end

return M
