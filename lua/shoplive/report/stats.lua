--- The order statistics and mean of the histogram of GMV per hour live
-- (report/figures.lua's histogram_of), without sorting the values: a
-- million-livestream report spent 0.48 s of CPU in table.sort for a
-- median, a minimum and a maximum. Internal; version-neutral (Lua 5.1-5.4,
-- LuaJIT).
local M = {}

local floor = math.floor

-- Reorder t[lo..hi] so that t[k] is the value a sort would put there, every
-- value before it no greater and every value after it no smaller
-- (quickselect, pivot the median of three: linear on average).
local function select_k(t, k, lo, hi)
  while lo < hi do
    local a, b, c = t[lo], t[floor((lo + hi) / 2)], t[hi]
    local p
    if a < b then
      if b < c then p = b elseif a < c then p = c else p = a end
    elseif a < c then p = a
    elseif b < c then p = c
    else p = b end
    local i, j = lo, hi
    while i <= j do
      while t[i] < p do i = i + 1 end
      while t[j] > p do j = j - 1 end
      if i <= j then
        t[i], t[j] = t[j], t[i]
        i, j = i + 1, j - 1
      end
    end
    if k <= j then hi = j elseif k >= i then lo = i else return end
  end
end

--- The median of `values` (numbers, not NaN; reordered in place): the
-- middle value, or the mean of the two middle ones. nil when empty.
function M.median(values)
  local n = #values
  if n == 0 then return nil end
  local k = floor((n + 1) / 2)
  select_k(values, k, 1, n)
  if n % 2 == 1 then return values[k] end
  -- the next in order: the least of those after k
  local nxt = values[k + 1]
  for i = k + 2, n do
    if values[i] < nxt then nxt = values[i] end
  end
  return (values[k] + nxt) / 2
end

--- The sum of `values` (not empty) with its rounding errors carried along
-- (Neumaier's compensated sum): within about a rounding of the exact sum
-- in whatever order they come, where adding them one by one lets a large
-- running total swallow units (the store and the records give their
-- values in different orders; the mean must not depend on it). With it,
-- in the same pass, the least and the greatest value and the least above
-- 0 (nil when none is).
function M.sum_range(values)
  local s, c = 0, 0
  local lo, hi, pos = values[1], values[1], nil
  for i = 1, #values do
    local x = values[i]
    local t = s + x
    local as, ax = s < 0 and -s or s, x < 0 and -x or x
    if as >= ax then c = c + ((s - t) + x) else c = c + ((x - t) + s) end
    s = t
    if x < lo then lo = x elseif x > hi then hi = x end
    if x > 0 and (pos == nil or x < pos) then pos = x end
  end
  -- an infinite value leaves the compensation NaN: the sum is s
  local r = s + c
  if r ~= r then r = s end
  return r, lo, hi, pos
end

return M
