--- Lifetimes and misuse: collection and lua_close with requests in flight,
-- use after close, abandoned iterators, 1000 requests without growth, header
-- injection through the key, a wait hook that raises. Run by the normal suite,
-- so also under ASan and valgrind (tests/check).
local env = require("support.env")
local core = require("shoplive.core")

local UNDER_VALGRIND = os.getenv("SHOPLIVE_UNDER_VALGRIND") == "1"
local UNDER_ASAN = (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) ~= nil

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Full collections until the count stops moving (finalizers can free more).
local function full_gc()
  for _ = 1, 4 do collectgarbage("collect") end
end

local function rss_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

describe("lifetimes", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("a client collected with requests in flight is freed, transfers and all", function()
    sb:config{ latency = 0.3 }
    local weak = setmetatable({}, { __mode = "k" })
    -- In a function of its own, so no dead register keeps the client alive.
    local function start_and_drop()
      local c = env.client()
      for i = 1, 3 do c:start{ seller_id = "237", page = i } end
      assert.equals(3, c._core:running())
      weak[c], weak[c._core] = true, true
    end
    start_and_drop()
    full_gc()
    assert.is_nil(next(weak), "client still reachable after collection")
    -- the process and a new client are fine
    sb:config{ latency = 0 }
    local c = env.client()
    local page = assert(c:livestreams{ seller_id = "10" })
    assert.equals(10, #page.records)
    c:close()
  end)

  it("lua_close with requests in flight (a child interpreter exits with os.exit(0, true))", function()
    sb:config{ latency = 0.5 }
    local build = env.BUILD
    -- os.exit(0, true) closes the state (Lua 5.2+): every finalizer runs
    -- while the transfers are still in flight.
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = os.getenv("SHOPLIVE_TEST_BUILD") .. "/?.so;" .. package.cpath
      local shoplive = require("shoplive")
      local core = require("shoplive.core")
      local url = os.getenv("SHOPLIVE_SANDBOX_URL")
      -- a Lua-level client with requests in flight and an iterator mid-shop
      local c = shoplive.new{ api_key = "sk_test_close", base_url = url, timeout = 5 }
      for i = 1, 3 do c:start{ seller_id = "237", page = i } end
      local step = c:each_livestream{ seller_id = "237", concurrency = 4 }
      -- a bare core client whose transfers are finalized before it
      local raw = core.client{ api_key = "sk_test_close" }
      local xs = {}
      for i = 1, 3 do
        xs[i] = raw:start(url .. "/v1/tiktok/shop/livestreams/analytics?seller_id=237&page_num=" .. i .. "&page_size=10")
      end
      raw:perform(0)
      assert(c._core:running() >= 3 and raw:running() == 3, "requests not in flight")
      io.stdout:write("in flight: ", c._core:running() + raw:running(), "\n")
      os.exit(0, true)
    ]]
    local wrap = ""
    if UNDER_VALGRIND then
      wrap = "valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "
        .. "--show-leak-kinds=definite "
    end
    local lua = env.LUA or "lua5.4"
    local cmd = "SHOPLIVE_TEST_BUILD=" .. sh_quote(build) .. " SHOPLIVE_SANDBOX_URL=" .. sh_quote(sb.url)
      .. " " .. wrap .. lua .. " -e " .. sh_quote(script) .. " 2>&1"
    local status, out
    if env.sh then
      status, out = env.sh(cmd)
    else
      local p = io.popen(cmd)
      out = p:read("*a")
      local _, _, code = p:close()
      status = code
    end
    assert.equals(0, status, "child exited with " .. tostring(status) .. ":\n" .. out)
    assert.matches("^in flight: %d+\n$", out)
    assert.is_true(tonumber(out:match("%d+")) >= 6)
  end)

  it("a client used after close() raises a clear error; close() is idempotent", function()
    local c = env.client()
    assert(c:livestreams{ seller_id = "10" })
    c:close()
    c:close()
    local calls = {
      livestreams = function() return c:livestreams{ seller_id = "10" } end,
      start = function() return c:start{ seller_id = "10" } end,
      poll = function() return c:poll() end,
      livestreams_many = function() return c:livestreams_many({ { seller_id = "10" } }) end,
      pages = function() return c:pages{ seller_id = "10" } end,
      each_livestream = function() return c:each_livestream{ seller_id = "10" } end,
      all_livestreams = function() return c:all_livestreams{ seller_id = "10" } end,
      core_start = function() return c._core:start(sb.url) end,
      core_perform = function() return c._core:perform(0) end,
      core_timeout = function() return c._core:timeout() end,
    }
    for name, f in pairs(calls) do
      local ok, msg = pcall(f)
      assert.is_false(ok, name .. " did not raise")
      assert.is_string(msg, name)
      assert.truthy(msg:find("shoplive: client is closed", 1, true), name .. ": " .. tostring(msg))
    end
    -- read-only accessors still answer
    assert.truthy(tostring(c):find("closed", 1, true))
    assert.is_true(c._core:closed())
    assert.equals(0, c._core:running())
    assert.equals(1, c:stats().requests)
  end)

  it("an iterator abandoned with break cancels its prefetched pages; the client stays usable #lua54", function()
    sb:config{ latency = 0.1 }
    local c = env.client()
    local n = 0
    for _ in c:each_livestream{ seller_id = "237", concurrency = 4 } do
      n = n + 1
      if n == 15 then break end
    end
    assert.equals(15, n)
    assert.equals(0, c._core:running())
    assert.equals(0, #c._active)
    sb:config{ latency = 0 }
    assert.equals(10, #assert(c:livestreams{ seller_id = "237", page = 3 }).records)
    c:close()
  end)

  it("an iterator whose coroutine is never resumed again leaks nothing and blocks nothing", function()
    sb:config{ latency = 0.1 }
    local c = env.client()
    local weak = setmetatable({}, { __mode = "k" })
    local function take_one()
      local step, _, _, closer = c:each_livestream{ seller_id = "237", concurrency = 4 }
      local rec = step()
      assert.equals("237", rec.seller_id)
      weak[step] = true
      if closer then weak[closer] = true end -- the 4th value exists on Lua 5.4
      -- step, closer and the coroutine are dropped here, mid-page, without close
    end
    take_one()
    full_gc()
    assert.is_nil(next(weak), "iterator still reachable")
    -- its prefetched requests still finish on this client, and it works on
    sb:config{ latency = 0 }
    assert.equals(7, #assert(c:livestreams{ seller_id = "237", page = 24 }).records)
    local t0 = env.now()
    while c:poll(0.05) > 0 do assert.is_true(env.now() - t0 < 5, "prefetched requests never finished") end
    assert.equals(0, c._core:running())
    c:close()
    full_gc()
  end)

  it("1000 requests including failures keep collectgarbage('count') flat", function()
    local N = 1000
    local c = env.client{ max_retries = 0 }
    local bad = env.client{ api_key = "sk_test_invalid", max_retries = 0 }
    local counts = { ok = 0, auth = 0, server = 0 }
    local function batch(from, to)
      for i = from, to do
        if i % 5 == 0 then
          local p, e = bad:livestreams{ seller_id = "237", page = i % 24 + 1 }
          assert(p == nil and e.kind == "auth", tostring(e))
          counts.auth = counts.auth + 1
        elseif i % 50 == 1 then
          sb:fault{ type = "status", status = 503, body = (i % 100 == 1) and "html" or "json" }
          local p, e = c:livestreams{ seller_id = "237", page = i % 24 + 1 }
          assert(p == nil and e.kind == "server", tostring(e))
          counts.server = counts.server + 1
        else
          local page = assert(c:livestreams{ seller_id = "237", page = i % 24 + 1 })
          assert(#page.records == 10 or #page.records == 7)
          counts.ok = counts.ok + 1
        end
      end
    end
    -- LuaJIT keeps its compiled traces in the GC heap, and when a loop gets
    -- hot enough to compile depends on timing: with the JIT on, the count
    -- varies by tens of KB from run to run. This measures shoplive, so the
    -- JIT is off while it does.
    local jit = rawget(_G, "jit")
    if jit then jit.off(); jit.flush() end
    -- warm up over two rounds of the fault pattern (an HTML 503 every 100
    -- requests): pools, interned strings and connections reach their size
    batch(1, 200)
    full_gc()
    local kb0, rss0 = collectgarbage("count"), rss_kb()
    batch(201, N)
    full_gc()
    local kb1, rss1 = collectgarbage("count"), rss_kb()
    if jit then jit.on() end
    print(("# Lua heap %+.1f KB, RSS %+d KB over %d requests"):format(kb1 - kb0, (rss1 or 0) - (rss0 or 0), N - 200))
    assert.equals(N, counts.ok + counts.auth + counts.server)
    assert.equals(N, c:stats().requests + bad:stats().requests)
    assert.is_true(kb1 - kb0 < 64, ("Lua heap grew %.1f KB over %d requests"):format(kb1 - kb0, N - 200))
    if rss0 and rss1 and not UNDER_ASAN and not UNDER_VALGRIND then
      assert.is_true(rss1 - rss0 < 4096, ("RSS grew %d KB over %d requests"):format(rss1 - rss0, N - 200))
    end
    c:close()
    bad:close()
  end)

  it("a key with CR/LF (or any control byte) is rejected and never echoed", function()
    for _, key in ipairs{ "sk_test\r\nX-Injected: 1", "sk_test\nX", "sk_test\rX", "sk_test\0X", "sk test", "sk\tX",
                           "sk_test\127" } do
      local ok, msg = pcall(env.shoplive.new, { api_key = key, base_url = sb.url })
      assert.is_false(ok)
      assert.truthy(msg:find("api_key", 1, true), msg)
      assert.is_nil(msg:find(key, 1, true), "the key was echoed")
      assert.is_nil(msg:find("X-Injected", 1, true), "the key was echoed")
    end
    for name, v in pairs{ user_agent = "ua\r\nX-Injected: 1", base_url = sb.url .. "/\r\nX-Injected: 1",
                          proxy = "http://p\r\nX: 1" } do
      local ok, msg = pcall(env.shoplive.new, { api_key = env.KEY, base_url = sb.url, [name] = v })
      assert.is_false(ok, name)
      assert.truthy(msg:find(name, 1, true), msg)
    end
    -- the C core refuses them too, without relying on the Lua layer
    for _, name in ipairs{ "api_key", "user_agent", "proxy", "ca_file" } do
      local ok, msg = pcall(core.client, { api_key = "k", [name] = "k\r\nX-Injected: 1" })
      assert.is_false(ok, name)
      assert.truthy(msg:find("control characters", 1, true), msg)
    end
    assert.is_false(pcall(core.client, { api_key = "k\0tail" }))
  end)

  it("a wait hook that raises: the error propagates as is, the client stays usable", function()
    sb:config{ latency = 0.2 }
    local fail = true
    local obj = setmetatable({}, { __tostring = function() return "hook error object" end })
    local c = env.client{ wait = function(d)
      if fail then
        fail = false
        error(obj)
      end
      core.sleep(d)
    end }
    local ok, e = pcall(c.livestreams, c, { seller_id = "237", page = 1 })
    assert.is_false(ok)
    assert.equals(obj, e) -- the very object, not a wrapped message
    -- again with a string error
    fail = true
    obj = "boom from the hook"
    ok, e = pcall(c.livestreams, c, { seller_id = "237", page = 2 })
    assert.is_false(ok)
    assert.truthy(tostring(e):find("boom from the hook", 1, true))
    -- usable afterwards: a new request works, the abandoned ones finish too
    local page = assert(c:livestreams{ seller_id = "237", page = 3 })
    assert.equals(10, #page.records)
    local t0 = env.now()
    while c:poll(0.05) > 0 do assert.is_true(env.now() - t0 < 5) end
    assert.equals(0, c._core:running())
    assert.equals(3, c:stats().requests)
    c:close()
  end)
end)
