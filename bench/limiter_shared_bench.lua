-- bench/limiter_shared_bench.lua - what a limiter shared through Redis costs
-- per request, against the in-process bucket, in the same run: the limiter
-- calls alone (take + on_success, as the client makes them per request), and
-- whole requests to the sandbox (latency 0, no limit) with each limiter.
-- redis-server is started here on a free loopback port (needs Debian
-- redis-server and lua-redis). Then the pace the shared limiters keep at a
-- 5 QPS key against the sandbox's strict sliding window (a sandbox of its
-- own), RUNS times each: 4 nginx workers through a lua_shared_dict and 3
-- processes through Redis, the worst server-side second, the 429s and the
-- throughput over qps. Run by bench/run.lua (section "shared"):
--   dofile("bench/limiter_shared_bench.lua")(h)   (h: see limiter_recovery_bench.lua)
local shoplive = require("shoplive")
local core = require("shoplive.core")
local adapt = require("shoplive.limiter.adapt")
local socket = require("socket")

-- the suite's helpers start the example nginx, the workers and a sandbox
if not package.path:find("tests/?.lua", 1, true) then package.path = "tests/?.lua;" .. package.path end
local rate_log = require("support.rate_log")
local sandbox = require("support.sandbox")

local CALLS = 2000
local RUNS, WQPS = 3, 5
local PAGES = 300
local QPS = 1e5 -- high enough that no request waits: the cost is the call itself

local function start_redis()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p '" .. dir .. "'")
  local p = io.popen(string.format("redis-server --port %d --bind 127.0.0.1 --dir '%s' --save '' --appendonly no "
    .. ">/dev/null 2>&1 </dev/null & echo $!", port, dir))
  local pid = tonumber(p:read("*l"))
  p:close()
  for _ = 1, 100 do
    local c = socket.connect("127.0.0.1", port)
    if c then c:close() break end
    socket.sleep(0.05)
  end
  return "redis://127.0.0.1:" .. port .. "/0", function()
    os.execute("kill " .. pid .. "; rm -rf '" .. dir .. "'")
  end
end

local function calls(lim)
  local t0 = core.now()
  for _ = 1, CALLS do
    lim:take(core.now())
    lim:on_success()
  end
  return (core.now() - t0) / CALLS
end

local function pages(h, lim)
  h.control("reset")
  local c = shoplive.new{ base_url = h.base, limiter = lim, timeout = 10 }
  local qs = {}
  for i = 1, PAGES do qs[i] = { seller_id = "100000", page = i } end
  local t0 = core.now()
  local got, errs = c:livestreams_many(qs, { concurrency = 8 })
  local dt = core.now() - t0
  c:close()
  return dt / PAGES, errs and (PAGES - #got) or 0
end

--- The long-run pace over qps: (requests - 1) over the span biases short
-- runs by where the last send falls (the first window's sends are spread,
-- the later ones follow them a window on); from the send in the same place
-- of its window as the last one, the span is whole windows.
local function steady(log)
  local ts = {}
  for _, e in ipairs(log) do ts[#ts + 1] = e.t end
  table.sort(ts)
  local k = (#ts - 1) % WQPS + 1
  if #ts - k < WQPS then return 0 end
  return (#ts - k) / (ts[#ts] - ts[k]) / WQPS
end

--- The 1-minute load average ("?" where /proc has none): the figures
-- depend on it.
local function load1()
  local f = io.open("/proc/loadavg")
  if not f then return "?" end
  local l = f:read("*l")
  f:close()
  return l:match("^%S+") or "?"
end

--- One row of the window table: what the server saw in run i of `what`.
local function window_row(what, i, st, failed)
  return { what, tostring(i), string.format("%d", st.requests), string.format("%d", st.max_window),
    string.format("%d", st.by_status["429"] or 0),
    string.format("%.3f", rate_log.tightest(st.log, WQPS)), string.format("%.3f", rate_log.pace(st.log) / WQPS),
    string.format("%.3f", steady(st.log)), tostring(failed), load1() }
end

--- RUNS runs of each shared limiter at WQPS against a strict sandbox.
local function windows(h, url)
  local sb = sandbox.start()
  rate_log.server_first(sb.url)
  local rows = { { "limiter", "run", "requests", "worst 1-s window", "429s", "qps + 1 sends within (s)",
    "throughput / qps", "steady / qps", "failed", "load" } }
  local ok, err = pcall(function()
    for i = 1, RUNS do
      sb:reset()
      sb:config{ qps = WQPS, window = "strict" }
      local failed = 0
      for _, s in ipairs(rate_log.shared_dict_run(sb, WQPS, 20)) do if s ~= "200" then failed = failed + 1 end end
      rows[#rows + 1] = window_row("shared_dict, 4 nginx workers, 20 x 3 pages", i, sb:stats(), failed)
      sb:reset()
      sb:config{ qps = WQPS, window = "strict" }
      local lines = rate_log.redis_run(sb, url .. (i + 1), WQPS, 12) -- a fresh Redis db per run
      failed = 0
      for _, l in ipairs(lines) do failed = failed + (tonumber(l:match("failed=(%d+)")) or 12) end
      rows[#rows + 1] = window_row("redis, 3 processes, 3 x 12 pages", i, sb:stats(), failed)
    end
  end)
  sb:stop()
  if not ok then error(err, 0) end
  h.section(string.format("Shared limiters against a strict sliding-window server: %d QPS key, the server's own "
    .. "count (bench/limiter_shared_bench.lua)", WQPS))
  h.emit_table(rows)
  h.note(string.format("The limiters hold at most floor(qps) sends in any %.2f s (limiter/adapt.WINDOW) by the time "
    .. "each request left, which the client reports when its transfer ends, plus what the transfer took beyond the "
    .. "least its taker saw lately (up to %.2f s in all: limiter/jitter.lua); the server sees each send some jitter "
    .. "later. 'qps + 1 sends within' is the closest the server saw qps + 1 of them: above 1 s, none of its seconds "
    .. "held more than qps. Throughput is (requests - 1) over the span the server saw; steady is the same from the "
    .. "send in the last one's place in its window (whole windows: the first window's spread left out). Load is "
    .. "the 1-minute load average after the run.", adapt.WINDOW, 1 + (adapt.CEILING or adapt.WINDOW - 1)))
end

return function(h)
  if os.execute("command -v redis-server >/dev/null 2>&1") ~= true then
    h.section("Shared limiter cost (bench/limiter_shared_bench.lua)")
    h.note("skipped: redis-server not installed")
    return
  end
  h.log("shared: limiter calls x %d and %d pages, local bucket vs Redis on loopback...", CALLS, PAGES)
  local url, stop = start_redis()
  local ok, err = pcall(function()
    windows(h, url:gsub("/0$", "/"))
    local local_call = calls(shoplive.limiter.new{ qps = QPS })
    local redis_call = calls(shoplive.limiter.redis{ url = url, qps = QPS, key = "bench" })
    local local_page, f1 = pages(h, shoplive.limiter.new{ qps = QPS })
    local redis_page, f2 = pages(h, shoplive.limiter.redis{ url = url, qps = QPS, key = "bench2" })
    h.section(string.format("Shared limiter cost: the in-process bucket vs Redis on loopback; %d limiter calls, "
      .. "%d pages (sandbox latency 0, concurrency 8) (bench/limiter_shared_bench.lua)", CALLS, PAGES))
    h.emit_table{
      { "limiter", "us per request: take + on_success", "x local", "ms per page, whole request", "x local",
        "failed pages" },
      { "shoplive.limiter.new (in process)", string.format("%.2f", local_call * 1e6), "1.00",
        string.format("%.3f", local_page * 1e3), "1.00", tostring(f1) },
      { "shoplive.limiter.redis (loopback)", string.format("%.2f", redis_call * 1e6),
        string.format("%.0f", redis_call / local_call), string.format("%.3f", redis_page * 1e3),
        string.format("%.2f", redis_page / local_page), tostring(f2) },
    }
    h.note("Redis costs two round trips per request (the take before sending, the success after); against an API "
      .. "that answers in hundreds of milliseconds that is noise, and against the sandbox on loopback it is the "
      .. "ratio in the last column.")
    h.goal("shared: a Redis limiter adds under 1 ms per request on loopback",
      redis_call - local_call < 1e-3, string.format("%.0f us", (redis_call - local_call) * 1e6))
  end)
  stop()
  if not ok then error(err, 0) end
end
