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

--- Lets the sandbox answering at `url` go before the test's own load: its
-- nginx (master and worker) at nice -10, when the suite may (root). The
-- API is another machine in real use; here, with CPU hogs beside the suite,
-- its one worker waited up to 100 ms for the CPU and then stamped the
-- requests queued meanwhile a millisecond apart (the median send arrived 22
-- to 48 ms after the limiter let it go, 8 to 10 ms with this): the server's
-- window then counted the machine's load, not the client's pace. The
-- clients (nginx workers, Lua processes) keep their priority and their
-- jitter. Returns true when it could.
-- The tools run without the suite's LD_PRELOAD (the ASan stage preloads
-- libasan into every child, and pgrep under it hung on a futex for ever)
-- and within a bound, so a tool that hangs costs the test its renice, not
-- the run.
function M.server_first(url)
  local port = assert(tostring(url):match(":(%d+)"), "a URL with a port")
  local script = "pids=$(ss -ltnpH 'sport = :" .. port .. "' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u);"
    .. " [ -n \"$pids\" ] || exit 1; for p in $pids; do renice -n -10 -p $p $(pgrep -P $p) || exit 1; done"
  return os.execute("env -u LD_PRELOAD timeout 10 sh -c '" .. script:gsub("'", "'\\''") .. "' >/dev/null 2>&1")
    == true or nil
end

return M
