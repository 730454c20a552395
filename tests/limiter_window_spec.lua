-- #serial (tests/run): its assertions count requests per second or a lease's
-- renewals, which CPU starvation from specs beside it can tip over
-- Issue 18.3: one key's limit as a strict server counts it. The sandbox's
-- strict mode (window=strict) counts every request that reaches it in the
-- closed sliding second before it, refused or not, and reports the busiest
-- such second since the reset (stats().max_window): the shared limiters are
-- checked on the server's own count, on its own clock, never timed here.
local env = require("support.env")
local openresty = require("support.openresty")
local rate_log = require("support.rate_log")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")

--- Requests a second over the run, from the sandbox's stamps (a figure
-- for the report, not asserted: the machine may be loaded).
local function pace(log)
  local first, last = math.huge, -math.huge
  for _, e in ipairs(log) do
    first, last = math.min(first, e.t), math.max(last, e.t)
  end
  return (#log - 1) / (last - first)
end

describe("the sandbox's strict sliding window", function()
  local sb
  before_each(function() sb = env.reset() end)
  after_each(function() sb:reset() end)

  it("counts refused requests too, and reports the busiest second", function()
    assert.same({ latency = 0, qps = 3, shift = 0, window = "strict" }, sb:config{ qps = 3, window = "strict" })
    local codes = {}
    for i = 1, 8 do codes[i] = (sb:api{ seller_id = "10", page_num = 1, page_size = 10 }) end
    local st = sb:stats()
    assert.equals(8, #st.log)
    -- each answer follows from the stamps: 200 when the closed second
    -- before it (itself included, refused ones too) held at most 3
    local busiest, refused = 0, 0
    for i, e in ipairs(st.log) do
      local n = 0
      for j = 1, i do
        if e.t - st.log[j].t <= 1 then n = n + 1 end
      end
      busiest = math.max(busiest, n)
      assert.equals(n <= 3 and 200 or 429, codes[i])
      assert.equals(codes[i], e.status)
      if codes[i] == 429 then refused = refused + 1 end
    end
    assert.equals(busiest, st.max_window)
    assert.is_true(refused >= 1, "8 requests in a row, none refused") -- 8 within 2 s: at least 2 are
    local code, body = sandbox.get(sb.url .. "/_sandbox/config?window=loose")
    assert.equals(400, code)
    assert.matches("invalid window", body)
    -- back to the default: the settings read as they always did
    assert.same({ latency = 0, qps = 3, shift = 0 }, sb:config{ window = "accepted" })
  end)
end)

describe("shared limiters against a strict sliding-window server #novalgrind", function()
  local sb, rs
  setup(function()
    rs = redis_server.start()
    sb = sandbox.start()
    rate_log.server_first(sb.url)
  end)
  teardown(function()
    if sb then sb:stop() end
    if rs then rs.stop() end
  end)
  before_each(function()
    sb:reset()
    sb:config{ qps = 5, window = "strict" }
  end)

  it("4 nginx workers through a lua_shared_dict, 20 x 3 pages at a 5 QPS key: no 429, <= 5 in any second", function()
    local url, stop = openresty.start(sb.url, { env = "SHOPLIVE_QPS=5", args = "--workers 4" })
    local ok, e = pcall(function()
      local urls = {}
      for i = 1, 20 do
        -- sellers 3001..3020: the top 30 are 3 full pages
        urls[#urls + 1] = string.format("-o /dev/null '%s/top-shared?seller_id=%d&n=30'", url, 3000 + i)
      end
      local codes = os.tmpname()
      assert(env.sh_ok(string.format("env -u LD_PRELOAD curl -s --max-time 120 --parallel --parallel-immediate "
        .. "--parallel-max 20 -w '%%{http_code}\\n' %s > %s 2>/dev/null </dev/null", table.concat(urls, " "), codes)))
      local n = 0
      for l in io.lines(codes) do
        n = n + 1
        assert.equals("200", l)
      end
      os.remove(codes)
      assert.equals(20, n)
      local st = sb:stats()
      print(string.format("\n# shared_dict: %d requests, busiest second %d, %.2f a second (qps 5)", st.requests,
        st.max_window, pace(st.log)))
      assert.equals(60, st.requests)
      assert.is_nil(st.by_status["429"])
      assert.is_true(st.max_window <= 5, "the server counted " .. st.max_window .. " in one second")
    end)
    stop()
    assert(ok, e)
  end)

  it("3 processes through Redis, 12 pages each at a 5 QPS key: no 429, <= 5 in any second", function()
    redis_server.command(rs.port, "FLUSHALL")
    local outs, cmds = {}, {}
    for w = 1, 3 do
      outs[w] = os.tmpname()
      cmds[w] = string.format("env %s %s %s/tests/support/limiter_worker.lua %s %s 5 %d 12 - 4 > %s 2> %s.err",
        env.lua_env(), env.LUA, sandbox.root, sb.url, rs.url, (w - 1) * 12 + 1, outs[w], outs[w])
    end
    assert(env.sh_ok(table.concat(cmds, " & ") .. " & wait"))
    for w = 1, 3 do
      local f = io.open(outs[w])
      local line = f:read("*l") or ""
      f:close()
      f = io.open(outs[w] .. ".err")
      local err = f:read("*a")
      f:close()
      os.remove(outs[w])
      os.remove(outs[w] .. ".err")
      assert.equals("credits=12 budget=0 failed=0", line, err)
    end
    local st = sb:stats()
    print(string.format("\n# redis: %d requests, busiest second %d, %.2f a second (qps 5)", st.requests,
      st.max_window, pace(st.log)))
    assert.equals(36, st.requests)
    assert.is_nil(st.by_status["429"])
    assert.is_true(st.max_window <= 5, "the server counted " .. st.max_window .. " in one second")
  end)
end)
