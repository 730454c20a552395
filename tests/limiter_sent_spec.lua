-- #serial (tests/run): its assertions count requests per second or a lease's
-- renewals, which CPU starvation from specs beside it can tip over
-- Issue 18.3: a shared limiter's window holds on the time a request LEFT,
-- not the time the limiter let it go. One request leaves 300 ms after its
-- grant (a slow transport start: a process put aside, a connection being
-- opened) while another worker sends as its grants come. Stamped at the
-- grant, the late one lands among the next window's sends and the server
-- sees qps + 1 in one second; stamped when it left (the client reports it
-- when the transfer ends: sent()), the next window waits for it. Counted by
-- the sandbox's strict sliding window, on its own clock; never timed here.
local env = require("support.env")
local nginx_lua = require("support.nginx_lua")
local rate_log = require("support.rate_log")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")
local late_send = require("support.late_send")
local core = require("shoplive.core")
local socket = require("socket")

local shoplive = env.shoplive
local LATE = 0.3

--- The server saw all 10, none refused, at most 5 in any second.
local function held(sb, what)
  local st = sb:stats()
  print(string.format("\n# %s: %d requests, busiest second %d, 6 sends in %.3f s at the closest", what,
    st.requests, st.max_window, rate_log.tightest(st.log, 5)))
  assert.equals(10, st.requests)
  assert.is_nil(st.by_status["429"], "the server refused " .. tostring(st.by_status["429"]))
  assert.is_true(st.max_window <= 5, "the server counted " .. st.max_window .. " in one second")
end

describe("a send that leaves late after its grant #novalgrind", function()
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

  it("through Redis (two processes' limiters at a 5 QPS key): the next window waits for it", function()
    redis_server.command(rs.port, "FLUSHALL")
    local c = shoplive.new{ base_url = sb.url, max_retries = 0, timeout = 10 }
    local page = 0
    local function get()
      page = page + 1
      local t0 = core.now()
      local p, err = c:livestreams{ seller_id = "999", page = page }
      assert(p, tostring(err))
      return core.now() - t0
    end
    local function lim() return shoplive.limiter.redis{ url = rs.url, qps = 5, key = "acct" } end
    local n = late_send.run{ a = lim(), b = lim(), get = get, sleep = socket.sleep, now = core.now, late = LATE }
    c:close()
    assert.equals(10, n)
    held(sb, "redis")
  end)

  it("through a lua_shared_dict (two workers' limiters at a 5 QPS key): the next window waits for it", function()
    local srv = nginx_lua.start{ env = { "KEYAPI_API_KEY" }, http = "lua_shared_dict lim 1m;", locations = [[
      location = /run { content_by_lua_block {
        package.path = ngx.var.arg_root .. "/tests/?.lua;" .. package.path
        local shoplive = require("shoplive")
        local core = require("shoplive.core")
        local c = shoplive.new{ base_url = ngx.var.arg_base, max_retries = 0, timeout = 10,
          transport = "cosocket", wait = ngx.sleep }
        local page = 0
        local function get()
          page = page + 1
          local t0 = core.now()
          local p, err = c:livestreams{ seller_id = "999", page = page }
          assert(p, tostring(err))
          return core.now() - t0
        end
        local function lim() return shoplive.limiter.shared_dict{ dict = "lim", qps = 5, key = "acct" } end
        local n = require("support.late_send").run{ a = lim(), b = lim(), get = get, sleep = ngx.sleep,
          now = core.now, late = tonumber(ngx.var.arg_late) }
        ngx.say(n)
      } }
    ]] }
    local ok, e = pcall(function()
      rate_log.server_first(sb.url) -- and not this nginx: it is the client here
      local code, body = sandbox.get(string.format("%s/run?root=%s&base=%s&late=%g", srv.url, sandbox.root,
        sb.url, LATE), nil, 30)
      assert.equals(200, code, body .. "\n" .. srv.log())
      assert.equals("10\n", body)
    end)
    srv.stop()
    assert(ok, e)
    held(sb, "shared_dict")
  end)
end)
