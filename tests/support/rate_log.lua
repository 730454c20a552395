--- Test helper: how many requests a server's log holds within any window
-- of the given length (the sandbox's stamps, `e.t`), for the specs of the
-- shared limiters. Each spec says why its window is what it is.
local M = {}

--- The most entries of log whose stamps fall within `window` seconds of
-- each other (a sliding window: [t, t + window) for every t).
function M.max_per_window(log, window)
  local ts = {}
  for _, e in ipairs(log) do ts[#ts + 1] = e.t end
  table.sort(ts)
  local best, j = 0, 1
  for i = 1, #ts do
    while ts[i] - ts[j] >= window do j = j + 1 end
    best = math.max(best, i - j + 1)
  end
  return best
end

return M
