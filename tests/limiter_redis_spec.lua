-- #serial (tests/run): its assertions count requests per second or a lease's
-- renewals, which CPU starvation from specs beside it can tip over
-- shoplive.limiter.redis: one key's rate and budget shared by separate
-- processes (three "hosts"), kept by a redis-server this spec starts.
-- Everything is counted on the sandbox, never timed.
local env = require("support.env")
local rate_log = require("support.rate_log")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")
local socket = require("socket")

local shoplive = env.shoplive

--- The most requests the sandbox saw in any 1-second window.
local function max_per_second(log)
  return rate_log.max_per_window(log, 1)
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
  local fx = redis_server.flushed_each{ setup = setup, teardown = teardown, before_each = before_each }

  it("raises at new on bad arguments", function()
    local function msg(o)
      local ok, e = pcall(shoplive.limiter.redis, o)
      assert.is_false(ok)
      return e
    end
    assert.matches("option 'url' must be a redis://host:port/db URL", msg{ url = "http://x", qps = 1 })
    assert.matches("option 'url'", msg{ url = "redis://", qps = 1 })
    assert.matches("port must be 1..65535", msg{ url = "redis://h:70000/0", qps = 1 })
    assert.matches("option 'qps' is required", msg{ url = fx.rs.url })
    assert.matches("option 'peers'", msg{ url = fx.rs.url, qps = 1, peers = 0 })
    assert.matches("unknown option 'host'", msg{ url = fx.rs.url, qps = 1, host = "x" })
    assert.matches("option 'retry' must be a number of seconds >= 0", msg{ url = fx.rs.url, qps = 1, retry = -1 })
    assert.matches("a user without a password", msg{ url = "redis://someone@127.0.0.1/0", qps = 1 })
    local ok, e = pcall(shoplive.new, { api_key = env.KEY, qps = 2, limiter = shoplive.limiter.new{ qps = 2 } })
    assert.is_false(ok)
    assert.matches("either option 'qps' or option 'limiter'", e)
    assert.has_error(function() shoplive.new{ api_key = env.KEY, limiter = {} } end)
    assert.equals(0, env.requests())
  end)

  it("three processes at 10 QPS together: at most 10 in any second on a strict server, no 429, every page",
    function()
    -- the server's own sliding second, refused requests counted too: it
    -- would refuse 3 x 10, and 10 + 1 within a second
    fx.sb:config{ qps = 10, window = "strict" }
    rate_log.server_first(fx.sb.url)
    local sum = three_workers(fx.rs.url, 10, 12)
    local st = fx.sb:stats()
    assert.equals(0, sum.failed)
    assert.equals(36, sum.credits)
    assert.equals(36, st.requests)
    assert.equals(36, st.by_status["200"])
    assert.is_nil(st.by_status["429"])
    assert.is_true(st.max_window <= 10, "the sandbox counted " .. st.max_window .. " in one second")
  end)

  it("max_credits = 100 shared by three processes: 100 credits in total, not 300", function()
    local sum = three_workers(fx.rs.url, 1000, 50, 100)
    local st = fx.sb:stats()
    assert.equals(0, sum.failed)
    assert.equals(100, sum.credits)
    assert.equals(50, sum.budget) -- 150 pages asked, 50 refused unsent
    assert.equals(100, st.requests)
    assert.equals("100", redis_server.command(fx.rs.port, "GET shoplive:acct:credits"))
  end)

  it("a 429 seen by one process slows the others: the cut is in Redis", function()
    local a = shoplive.limiter.redis{ url = fx.rs.url, qps = 10, key = "acct" }
    local b = shoplive.limiter.redis{ url = fx.rs.url, qps = 10, key = "acct" }
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
    local m = max_per_second(fx.sb:stats().log)
    assert.is_true(m <= 6, "local bucket at 10/2 qps, the sandbox saw " .. m .. " in one second")
    c:close()
  end)

  it("returns to the shared bucket when Redis comes back on the same port, and the budget holds across",
    function()
    local r2 = redis_server.start() -- its own: this one is stopped and started again
    local ok, e = pcall(function()
      local lines = {}
      local c = env.client{ max_retries = 0, max_credits = 10,
        limiter = shoplive.limiter.redis{ url = r2.url, qps = 50, key = "acct", peers = 2, retry = 0.1 },
        debug = function(l) if l:find("shoplive limiter", 1, true) then lines[#lines + 1] = l end end }
      local page = 0
      local function pages(n) -- n pages one after another: { pages got, budget errs }
        local got, budget = 0, 0
        for _ = 1, n do
          page = page + 1
          local p, err = c:livestreams{ seller_id = "999", page = page }
          if p then got = got + 1 elseif err.kind == "budget" then budget = budget + 1 else error(tostring(err)) end
        end
        return { got, budget }
      end
      assert.same({ 4, 0 }, pages(4))
      assert.equals("4", redis_server.command(r2.port, "GET shoplive:acct:credits"))
      assert.is_nil(c:stats().limiter.fallback)
      r2.stop()
      -- 6 of the 10 credits were left when Redis last answered: this
      -- process's share (of 2 peers) is 3
      assert.same({ 3, 2 }, pages(5))
      local ls = c:stats().limiter
      assert.is_true(ls.falling_back)
      assert.is_true(ls.fallback)
      assert.matches("connection", ls.error) -- closed under it, or refused
      assert.equals(1, #lines)
      assert.matches("unreachable", lines[1])
      -- the same port, and an empty Redis (it kept nothing on disk)
      r2 = redis_server.start{ port = r2.port }
      local back = false
      for _ = 1, 600 do -- a safety net only: the limiter tries again every 0.1 s
        if not c:stats().limiter.falling_back then back = true break end
        socket.sleep(0.05)
      end
      assert.is_true(back, "the limiter did not go back to Redis")
      assert.equals(2, #lines)
      assert.matches("redis 127.0.0.1:" .. r2.port .. " answers again", lines[2])
      assert.matches("3 credits spent meanwhile", lines[2])
      -- the 4 Redis lost (the count the client last saw), the 3 spent
      -- without it, and the share of the other peer, held while it may still
      -- be spending it on its own
      assert.equals("10", redis_server.command(r2.port, "GET shoplive:acct:credits"))
      ls = c:stats().limiter
      assert.is_nil(ls.falling_back)
      assert.is_true(ls.fallback) -- it did fall back, since the client was made
      assert.equals(10, ls.credits)
      assert.same({ 0, 1 }, pages(1))
      -- the peer never came back: its share returns to the budget after the
      -- hold (retry + timeout + 1 s); until then every page is refused unsent
      local got
      for _ = 1, 600 do -- a safety net only
        got = pages(1)
        if got[1] == 1 then break end
        socket.sleep(0.05)
      end
      assert.same({ 1, 0 }, got)
      assert.equals("8", redis_server.command(r2.port, "GET shoplive:acct:credits"))
      -- counted in Redis again: 2 more, then the budget
      assert.same({ 2, 2 }, pages(4))
      assert.equals("10", redis_server.command(r2.port, "GET shoplive:acct:credits"))
      assert.equals(10, env.requests())
      assert.equals(2, #lines)
      c:close()
    end)
    r2.stop()
    assert(ok, e)
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

describe("the Redis limiter with a password", function()
  -- reserved URL characters, %-escaped in the URL
  local PW, PW_URL = "s3cr:t@p/w%d", "s3cr%3At%40p%2Fw%25d"
  local USER, USER_PW = "crawler", "crawl-Pw-77"
  local rs
  setup(function()
    rs = redis_server.start{ password = PW }
    assert.equals("+OK", redis_server.command(rs.port, "ACL SETUSER " .. USER .. " on >" .. USER_PW
      .. " ~shoplive:crawl* +@all", PW))
  end)
  teardown(function()
    if rs then rs.stop() end
  end)
  before_each(function()
    env.sandbox():reset()
    redis_server.command(rs.port, "FLUSHALL", PW)
  end)

  local function url(userinfo) return "redis://" .. userinfo .. "@127.0.0.1:" .. rs.port .. "/0" end

  it("authenticates with redis://:PASSWORD@host: one state for every limiter on the key", function()
    local a = shoplive.limiter.redis{ url = url(":" .. PW_URL), qps = 10, key = "acct" }
    local b = shoplive.limiter.redis{ url = url(":" .. PW_URL), qps = 10, key = "acct" }
    local c = env.client{ limiter = a, max_credits = 5 }
    assert.is_table((c:livestreams{ seller_id = "999" }))
    a:on_rate_limited(0, 8)
    assert.equals(4, b:stats().rate)
    assert.equals(1, b:stats().credits)
    assert.equals("1", redis_server.command(rs.port, "GET shoplive:acct:credits", PW))
    assert.is_nil(c:stats().limiter.fallback)
    c:close()
  end)

  it("authenticates as a Redis ACL user with redis://USER:PASSWORD@host", function()
    local a = shoplive.limiter.redis{ url = url(USER .. ":" .. USER_PW), qps = 10, key = "crawl" }
    local c = env.client{ limiter = a, max_credits = 5 }
    assert.is_table((c:livestreams{ seller_id = "999" }))
    assert.is_nil(c:stats().limiter.fallback)
    assert.equals("1", redis_server.command(rs.port, "GET shoplive:crawl:credits", PW))
    c:close()
    -- AUTH went as the user, not as the default one: the user may touch
    -- shoplive:crawl* only, so another key is refused
    local other = shoplive.limiter.redis{ url = url(USER .. ":" .. USER_PW), qps = 10, key = "acct" }
    local st = other:stats()
    assert.is_true(st.falling_back)
    assert.matches("NOPERM", st.error)
  end)

  it("a wrong password, or none: the local bucket, an err naming the refusal, the password nowhere", function()
    local secrets = { PW, PW_URL, USER_PW, "wrong-Secret-42", "wrong%2DSecret%2D42" }
    local texts = {}
    local function keep(v, depth)
      depth = depth or 0
      if type(v) == "table" and depth < 6 then
        for k, x in pairs(v) do keep(k, depth + 1) keep(x, depth + 1) end
      elseif type(v) ~= "function" then
        texts[#texts + 1] = tostring(v)
      end
    end
    local cases = {
      { url(":wrong%2DSecret%2D42"), "authentication refused.*WRONGPASS" },
      { url(USER .. ":wrong-Secret-42"), "authentication refused.*WRONGPASS" },
      { url(":" .. USER_PW), "authentication refused.*WRONGPASS" }, -- the user's, without the user
      { "redis://127.0.0.1:" .. rs.port .. "/0", "NOAUTH" },
    }
    for _, case in ipairs(cases) do
      local lines = {}
      local lim = shoplive.limiter.redis{ url = case[1], qps = 10, key = "acct", peers = 2 }
      local c = env.client{ limiter = lim, max_credits = 4, debug = function(l) lines[#lines + 1] = l end }
      local page, err = c:livestreams{ seller_id = "999" }
      assert.is_table(page, tostring(err))
      local ls = c:stats().limiter
      assert.is_true(ls.falling_back)
      assert.matches(case[2], ls.error)
      local said = 0
      for _, l in ipairs(lines) do if l:find("shoplive limiter: redis", 1, true) then said = said + 1 end end
      assert.equals(1, said)
      keep(lines) keep(ls) keep(c:stats()) keep(lim) keep(tostring(lim)) keep(tostring(c))
      c:close()
    end
    -- Redis counted nothing: it never let them in
    assert.equals("$-1", redis_server.command(rs.port, "GET shoplive:acct:credits", PW))
    -- a URL refused at new does not quote it
    local ok, e = pcall(shoplive.limiter.redis, { url = "redis://wrong-Secret-42@127.0.0.1:1/0", qps = 1 })
    assert.is_false(ok)
    assert.matches("a user without a password", e)
    keep(e)
    ok, e = pcall(shoplive.limiter.redis, { url = "redis://:wrong-Secret-42@127.0.0.1:70000/0", qps = 1 })
    assert.is_false(ok)
    keep(e)
    assert.is_true(#texts > 20)
    local all = table.concat(texts, "\n")
    for _, s in ipairs(secrets) do
      assert.is_nil(all:find(s, 1, true), "a secret in: " .. all)
    end
  end)
end)

describe("the Redis limiter with a password inside nginx (lua-resty-redis) #novalgrind #nginx", function()
  local nginx_lua = require("support.nginx_lua")
  local PW = "ngx:Secret@55"
  local rs, srv
  setup(function()
    rs = redis_server.start{ password = PW }
    srv = nginx_lua.start{
      http = "",
      locations = [[
    location = /lim { content_by_lua_block {
      local shoplive = require("shoplive")
      local lim = shoplive.limiter.redis{ url = ngx.req.get_uri_args().url, qps = 10, key = "acct" }
      local lines = {}
      lim:attach(function(l) lines[#lines + 1] = l end)
      local reserved = lim:reserve(100)
      local st = lim:stats()
      ngx.say(tostring(reserved), "|", tostring(st.falling_back), "|", tostring(st.credits), "|",
        tostring(st.error), "|", table.concat(lines, ";"), "|", tostring(lim), "|", ngx.get_phase())
    } }
]],
    }
  end)
  teardown(function()
    if srv then srv.stop() end
    if rs then rs.stop() end
  end)

  local function ask(userinfo)
    local u = "redis://" .. userinfo .. "@127.0.0.1:" .. rs.port .. "/0"
    local _, body = sandbox.get(srv.url .. "/lim?url=" .. u:gsub("[^%w%-%.]", function(ch)
      return string.format("%%%02X", ch:byte()) end))
    return body
  end

  it("authenticates over a cosocket, and a wrong password falls back without showing it", function()
    redis_server.command(rs.port, "FLUSHALL", PW)
    local body = ask(":ngx%3ASecret%4055")
    assert.matches("^true|nil|1|nil||shoplive.limiter.redis%(127.0.0.1:%d+/0 shoplive:acct%)|content", body)
    body = ask(":ngx%3ASecret%4055")
    assert.matches("^true|nil|2|", body) -- a pooled connection, already authenticated
    assert.equals("2", redis_server.command(rs.port, "GET shoplive:acct:credits", PW))
    body = ask(":wrong%3ASecret%4055")
    assert.matches("^true|true|nil|authentication refused: WRONGPASS", body)
    assert.matches("unreachable", body)
    assert.is_nil(body:find("Secret", 1, true), body)
    assert.equals("2", redis_server.command(rs.port, "GET shoplive:acct:credits", PW))
  end)
end)
