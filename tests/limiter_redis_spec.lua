-- shoplive.limiter.redis: one key's rate and budget shared by separate
-- processes (three "hosts"), kept by a redis-server this spec starts.
-- Everything is counted on the sandbox, never timed.
local env = require("support.env")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")
local socket = require("socket")

local shoplive = env.shoplive

--- The most requests the sandbox saw in any 1-second window.
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

--- Run the three workers at once; returns their summed counters.
local function three_workers(url, qps, pages, max_credits)
  local outs = {}
  local cmds = {}
  for w = 1, 3 do
    outs[w] = os.tmpname()
    cmds[#cmds + 1] = string.format("env %s %s %s/tests/support/limiter_worker.lua %s %s %s %d %d %s > %s &",
      env.lua_env(), env.LUA, sandbox.root, env.sandbox().url, url, qps, (w - 1) * pages + 1, pages,
      max_credits or "", outs[w])
  end
  assert(env.sh_ok(table.concat(cmds, " ") .. " wait"))
  local sum = { credits = 0, budget = 0, failed = 0, lines = {} }
  for w = 1, 3 do
    local f = io.open(outs[w])
    local line = f:read("*l") or ""
    f:close()
    os.remove(outs[w])
    sum.lines[w] = line
    local c, b, fl = line:match("credits=(%d+) budget=(%d+) failed=(%d+)")
    assert(c, "worker " .. w .. " said: " .. line)
    sum.credits, sum.budget, sum.failed = sum.credits + c, sum.budget + b, sum.failed + fl
  end
  print("\n# " .. table.concat(sum.lines, "; "))
  return sum
end

describe("the Redis limiter", function()
  local rs, sb
  setup(function()
    rs = redis_server.start()
  end)
  teardown(function()
    if rs then rs.stop() end
    if sb then sb:config{ qps = 0 } end
  end)
  before_each(function()
    sb = env.sandbox()
    sb:reset()
    redis_server.command(rs.port, "FLUSHALL")
  end)

  it("raises at new on bad arguments", function()
    local function msg(o)
      local ok, e = pcall(shoplive.limiter.redis, o)
      assert.is_false(ok)
      return e
    end
    assert.matches("option 'url' must be a redis://host:port/db URL", msg{ url = "http://x", qps = 1 })
    assert.matches("option 'url'", msg{ url = "redis://", qps = 1 })
    assert.matches("port must be 1..65535", msg{ url = "redis://h:70000/0", qps = 1 })
    assert.matches("option 'qps' is required", msg{ url = rs.url })
    assert.matches("option 'peers'", msg{ url = rs.url, qps = 1, peers = 0 })
    assert.matches("unknown option 'host'", msg{ url = rs.url, qps = 1, host = "x" })
    local ok, e = pcall(shoplive.new, { api_key = env.KEY, qps = 2, limiter = shoplive.limiter.new{ qps = 2 } })
    assert.is_false(ok)
    assert.matches("either option 'qps' or option 'limiter'", e)
    assert.has_error(function() shoplive.new{ api_key = env.KEY, limiter = {} } end)
    assert.equals(0, env.requests())
  end)

  it("three processes at 10 QPS together: at most 10 (+1) a second on the server, no 429, every page", function()
    sb:config{ qps = 12 } -- the server would refuse 3 x 10
    local sum = three_workers(rs.url, 10, 12)
    local st = sb:stats()
    assert.equals(0, sum.failed)
    assert.equals(36, sum.credits)
    assert.equals(36, st.requests)
    assert.equals(36, st.by_status["200"])
    assert.is_nil(st.by_status["429"])
    local m = max_per_second(st.log)
    assert.is_true(m <= 11, "the sandbox saw " .. m .. " requests within one second")
  end)

  it("max_credits = 100 shared by three processes: 100 credits in total, not 300", function()
    local sum = three_workers(rs.url, 1000, 50, 100)
    local st = sb:stats()
    assert.equals(0, sum.failed)
    assert.equals(100, sum.credits)
    assert.equals(50, sum.budget) -- 150 pages asked, 50 refused unsent
    assert.equals(100, st.requests)
    assert.equals("100", redis_server.command(rs.port, "GET shoplive:acct:credits"))
  end)

  it("a 429 seen by one process slows the others: the cut is in Redis", function()
    local a = shoplive.limiter.redis{ url = rs.url, qps = 10, key = "acct" }
    local b = shoplive.limiter.redis{ url = rs.url, qps = 10, key = "acct" }
    a:on_rate_limited(0, 8)
    assert.equals(4, b:stats().rate)
    assert.equals(8, b:stats().ceiling)
    a:on_rate_limited(0, 8) -- same burst: no second cut
    assert.equals(4, b:stats().rate)
    for _ = 1, 25 do b:on_success() end
    assert.equals(10, a:stats().rate) -- and recovery is shared too
    assert.is_nil(a:stats().ceiling)
  end)

  it("falls back to a local bucket at qps/peers when Redis is unreachable, and says so once", function()
    local lines = {}
    local port = redis_server.free_port() -- nothing listens there
    local c = env.client{ debug = function(l) lines[#lines + 1] = l end, max_retries = 0,
      limiter = shoplive.limiter.redis{ url = "redis://127.0.0.1:" .. port .. "/0", qps = 10, peers = 2 } }
    local qs = {}
    for i = 1, 8 do qs[i] = { seller_id = "999", page = i } end
    local pages, errs = c:livestreams_many(qs, { concurrency = 4 })
    assert.is_nil(errs)
    assert.equals(8, #pages)
    local said = 0
    for _, l in ipairs(lines) do if l:find("shoplive limiter: redis", 1, true) then said = said + 1 end end
    assert.equals(1, said)
    local ls = c:stats().limiter
    assert.is_true(ls.fallback)
    assert.equals("redis", ls.kind)
    local m = max_per_second(sb:stats().log)
    assert.is_true(m <= 6, "local bucket at 10/2 qps, the sandbox saw " .. m .. " in one second")
    c:close()
  end)

  it("a Redis that accepts but never answers costs at most the timeout, then the fallback serves", function()
    local srv = assert(socket.bind("127.0.0.1", 0)) -- listens, never accepts: connect works, replies never come
    local _, port = srv:getsockname()
    local lim = shoplive.limiter.redis{ url = "redis://127.0.0.1:" .. port .. "/0", qps = 10, timeout = 0.2 }
    local c = env.client{ limiter = lim }
    assert.is_table((c:livestreams{ seller_id = "999" }))
    assert.equals(1, env.requests())
    assert.is_true(c:stats().limiter.fallback)
    assert.matches("timeout", c:stats().limiter.error)
    c:close()
    srv:close()
  end)
end)
