-- shoplive.limiter.shared_dict (and .redis over cosockets) inside nginx:
-- examples/openresty with 4 workers, each with its own client, the limiter's
-- state in one lua_shared_dict. Counted on the sandbox, never timed.
local env = require("support.env")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")
local socket = require("socket")

local ROOT = sandbox.root

local function start_openresty(upstream, extra_env)
  local out = os.tmpname()
  local cmd = string.format("cd %s && env -u LD_PRELOAD KEYAPI_BASE_URL=%s KEYAPI_API_KEY=%s %s examples/openresty/run"
    .. " --workers 4 >%s 2>&1 </dev/null & echo $!", ROOT, upstream, env.KEY, extra_env, out)
  local p = io.popen(cmd)
  local pid = assert(tonumber(p:read("*l")))
  p:close()
  for _ = 1, 200 do
    local f = io.open(out)
    local text = f and f:read("*a") or ""
    if f then f:close() end
    local url = text:match("shoplive openresty: (http://%S+)")
    if url then return url, pid end
    socket.sleep(0.05)
  end
  os.execute("kill -TERM " .. pid)
  error("openresty example did not start: " .. (io.open(out) and io.open(out):read("*a") or ""))
end

--- n concurrent GETs of path (seller i for the i-th), each asking for the
-- top 10 (one page); returns the HTTP statuses.
local function concurrent(url, path, n, first_seller)
  local urls = {}
  for i = 1, n do urls[#urls + 1] = string.format("-o /dev/null '%s%s?seller_id=%d&n=10'", url, path, first_seller + i) end
  local codes = os.tmpname()
  assert(env.sh_ok(string.format("env -u LD_PRELOAD curl -s --no-progress-meter --max-time 60 --parallel "
    .. "--parallel-immediate --parallel-max %d -w '%%{http_code}\\n' %s > %s 2>/dev/null </dev/null", n,
    table.concat(urls, " "), codes)))
  local statuses = {}
  for l in io.lines(codes) do statuses[#statuses + 1] = l end
  os.remove(codes)
  return statuses
end

local function max_per_second(log)
  local ts = {}
  for _, e in ipairs(log) do ts[#ts + 1] = e.t end
  table.sort(ts)
  local best, j = 0, 1
  for i = 1, #ts do
    while ts[i] - ts[j] >= 1 do j = j + 1 end
    best = math.max(best, i - j + 1)
  end
  return best
end

local function workers_seen(log)
  local conns = {}
  for _, e in ipairs(log) do conns[e.connection] = true end
  local n = 0
  for _ in pairs(conns) do n = n + 1 end
  return n
end

describe("limiters shared by nginx workers #novalgrind", function()
  local sb, url, pid, rs
  setup(function()
    rs = redis_server.start()
    sb = sandbox.start{ qps = 12 } -- would refuse 4 workers x 10
    url, pid = start_openresty(sb.url, "SHOPLIVE_QPS=10 SHOPLIVE_REDIS_URL=" .. rs.url)
  end)
  teardown(function()
    if pid then os.execute("kill -TERM " .. pid) end
    if sb then sb:stop() end
    if rs then rs.stop() end
  end)

  it("4 workers, 40 concurrent /top at 10 QPS through a lua_shared_dict: <= 10 (+1) a second, no 429", function()
    sb:reset()
    local statuses = concurrent(url, "/top-shared", 40, 1000)
    assert.equals(40, #statuses)
    for _, s in ipairs(statuses) do assert.equals("200", s) end
    local st = sb:stats()
    assert.equals(40, st.requests)
    assert.equals(40, st.by_status["200"])
    assert.is_nil(st.by_status["429"])
    local m = max_per_second(st.log)
    assert.is_true(m <= 11, "the sandbox saw " .. m .. " requests within one second")
    assert.is_true(workers_seen(st.log) >= 2, "several workers sent requests")
  end)

  it("the same through Redis over cosockets", function()
    sb:reset()
    redis_server.command(rs.port, "FLUSHALL")
    local statuses = concurrent(url, "/top-redis", 30, 2000)
    assert.equals(30, #statuses)
    for _, s in ipairs(statuses) do assert.equals("200", s) end
    local st = sb:stats()
    assert.equals(30, st.requests)
    assert.is_nil(st.by_status["429"])
    local m = max_per_second(st.log)
    assert.is_true(m <= 11, "the sandbox saw " .. m .. " requests within one second")
  end)
end)
