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
function M.server_first(url, nice)
  local port = assert(tostring(url):match(":(%d+)"), "a URL with a port")
  local script = "pids=$(ss -ltnpH 'sport = :" .. port .. "' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u);"
    .. " [ -n \"$pids\" ] || exit 1; for p in $pids; do renice -n " .. (nice or -10) .. " -p $p $(pgrep -P $p) || exit 1; done"
  return os.execute("env -u LD_PRELOAD timeout 10 sh -c '" .. script:gsub("'", "'\\''") .. "' >/dev/null 2>&1")
    == true or nil
end

--- This process at nice `nice` (default -10) too, when the suite may
-- (root), for a spec that times answers itself; true when it could.
function M.renice_self(nice)
  local f = io.open("/proc/self/stat")
  local pid = f and f:read("*l"):match("^(%d+)")
  if f then f:close() end
  return pid and os.execute("env -u LD_PRELOAD timeout 10 renice -n " .. (nice or -10) .. " -p " .. pid .. " >/dev/null 2>&1") == true
    or nil
end

--- Requests a second over the run, from the server's stamps.
function M.pace(log)
  local first, last = math.huge, -math.huge
  for _, e in ipairs(log) do
    first, last = math.min(first, e.t), math.max(last, e.t)
  end
  return (#log - 1) / (last - first)
end

--- The shortest time the server saw between a send and the qps-th after
-- it (qps + 1 sends): at or under one second that would be qps + 1 in its
-- window; how far above 1 s it stays is the margin left.
function M.tightest(log, qps)
  local ts = {}
  for _, e in ipairs(log) do ts[#ts + 1] = e.t end
  table.sort(ts)
  local best = math.huge
  for i = 1, #ts - qps do best = math.min(best, ts[i + qps] - ts[i]) end
  return best
end

--- examples/openresty with 4 workers in front of the sandbox sb, its
-- /top-shared limiter at qps: n concurrent /top-shared of 3 pages each
-- (sellers 3001..). Returns the HTTP statuses.
function M.shared_dict_run(sb, qps, n)
  local env = require("support.env")
  local url, stop = require("support.openresty").start(sb.url, { env = "SHOPLIVE_QPS=" .. qps,
    args = "--workers 4" })
  local codes = os.tmpname()
  local ok, e = pcall(function()
    local urls = {}
    for i = 1, n do urls[#urls + 1] = string.format("-o /dev/null '%s/top-shared?seller_id=%d&n=30'", url, 3000 + i) end
    assert(env.sh_ok(string.format("env -u LD_PRELOAD curl -s --max-time 120 --parallel --parallel-immediate "
      .. "--parallel-max %d -w '%%{http_code}\\n' %s > %s 2>/dev/null </dev/null", n, table.concat(urls, " "), codes)))
  end)
  stop()
  local statuses = {}
  for l in io.lines(codes) do statuses[#statuses + 1] = l end
  os.remove(codes)
  assert(ok, e)
  return statuses
end

--- 3 Lua processes (tests/support/limiter_worker.lua), each with a Redis
-- limiter at qps on redis_url and `pages` pages of its own. Returns each
-- one's last line ("credits=N budget=N failed=N") and its stderr.
function M.redis_run(sb, redis_url, qps, pages)
  local env = require("support.env")
  local root = require("support.sandbox").root
  local outs, cmds = {}, {}
  for w = 1, 3 do
    outs[w] = os.tmpname()
    cmds[w] = string.format("env %s %s %s/tests/support/limiter_worker.lua %s %s %s %d %d - 4 > %s 2> %s.err",
      env.lua_env(), env.LUA, root, sb.url, redis_url, qps, (w - 1) * pages + 1, pages, outs[w], outs[w])
  end
  assert(env.sh_ok(table.concat(cmds, " & ") .. " & wait"))
  local lines, errs = {}, {}
  for w = 1, 3 do
    local f = io.open(outs[w])
    lines[w] = f:read("*l") or ""
    f:close()
    f = io.open(outs[w] .. ".err")
    errs[w] = f:read("*a")
    f:close()
    os.remove(outs[w])
    os.remove(outs[w] .. ".err")
  end
  return lines, errs
end

return M
