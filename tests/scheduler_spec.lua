-- The client's public scheduler (issue 17): submit with per-call budgets and
-- callbacks, run until a condition, cancel, flush a page saved later, query
-- once for many pages; the options that vary under it (transport, clock,
-- sleep); and the core reporting the transfers that finished. Against the
-- sandbox, with real SQLite stores; every credit counted by the server.
local env = require("support.env")
local shoplive = env.shoplive
local budget = require("shoplive.limiter.budget")
local core = require("shoplive.core")

local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local function all_done(reqs)
  return function()
    for _, r in ipairs(reqs) do
      if not r:done() then return false end
    end
    return true
  end
end

describe("client:submit and client:run", function()
  local client
  before_each(function() env.reset(); client = env.client() end)
  after_each(function() client:close() end)

  it("calls on_done once per request with its outcome, and run returns once the condition holds", function()
    local seen, reqs = {}, {}
    for i, s in ipairs{ "237", "10", "0" } do
      reqs[i] = client:submit({ seller_id = s }, { on_done = function(req, page, err)
        seen[#seen + 1] = { req = req, page = page, err = err }
      end })
    end
    assert.is_true(client:run(all_done(reqs)))
    assert.equals(3, #seen)
    for _, s in ipairs(seen) do
      assert.is_table(s.page, tostring(s.err))
      assert.equals(s.page, (s.req:result()))
    end
    assert.equals(3, env.requests())
    -- nothing left: run ends at once, saying why
    local ok, why = client:run()
    assert.is_false(ok)
    assert.equals("idle", why)
  end)

  it("query checks once; submit(params, { page = n }) fetches that page", function()
    local p = client:query{ seller_id = "237", page_size = 10 }
    local r2, r3 = client:submit(p, { page = 2 }), client:submit(p, { page = 3 })
    assert.is_true(client:run(all_done{ r2, r3 }))
    assert.equals(2, (r2:result()).page)
    assert.equals(3, (r3:result()).page)
    assert.are_not.same((r2:result()).records[1].room_id, (r3:result()).records[1].room_id)
    -- the values checked are the ones sent, whatever the caller does to p later
    p.seller_id, p.page = "10", "1&page_size=99"
    local r1 = client:submit(p)
    assert.is_true(client:run(function() return r1:done() end))
    local page = assert(r1:result())
    assert.equals(1, page.page)
    assert.equals("237", page.records[1].seller_id)
    assert.equals(10, #page.records)
  end)

  it("a budget of the call refuses what would pass it, unsent; the client's own stays open", function()
    local b = budget.new(2)
    local reqs = {}
    for i = 1, 4 do reqs[i] = client:submit({ seller_id = "237", page = i }, { budget = b }) end
    client:run(all_done(reqs))
    local outcomes = {}
    for _, r in ipairs(reqs) do
      local page, err = r:result()
      local k = page and "page" or err.kind
      outcomes[k] = (outcomes[k] or 0) + 1
    end
    assert.same({ page = 2, budget = 2 }, outcomes)
    assert.equals(2, env.requests())
    assert.is_table(client:livestreams{ seller_id = "237" }) -- no budget on this one
  end)

  it("run(nil, seconds) ends on the deadline; cancel ends a request once", function()
    local ok, why = client:run(nil, 0.05)
    assert.is_false(ok)
    assert.equals("timeout", why)
    env.sandbox():config{ latency = 2 }
    local req = client:submit{ seller_id = "237" }
    assert.is_true(client:cancel(req))
    assert.is_false(client:cancel(req))
    local page, err = req:result()
    assert.is_nil(page)
    assert.equals("cancelled", err.kind)
  end)

  it("the interrupt hook ends run with 'interrupted', every request cancelled", function()
    local stop = false
    local c = env.client{ interrupt = function() return stop end }
    finally(function() c:close() end)
    env.sandbox():config{ latency = 2 }
    local req = c:submit{ seller_id = "237" }
    local ok, why = c:run(function() stop = true; return false end)
    assert.is_false(ok)
    assert.equals("interrupted", why)
    assert.equals("cancelled", select(2, req:result()).kind)
  end)

  it("bad arguments raise at the caller, before anything is sent", function()
    local p = client:query{ seller_id = "237" }
    local cases = {
      { function() client:submit({ seller_id = "237" }, { save = "sometime" }) end, "option 'save'" },
      { function() client:submit({ seller_id = "237" }, { on_done = 1 }) end, "option 'on_done'" },
      { function() client:submit({ seller_id = "237" }, { bogus = 1 }) end, "unknown option 'bogus'" },
      { function() client:submit(p, { page = 0 }) end, "option 'page'" },
      { function() client:submit({ seller_id = "x" }) end, "seller_id" },
      { function() client:run(42) end, "until_fn" },
      { function() client:run(nil, -1) end, "seconds" },
    }
    for _, case in ipairs(cases) do
      local ok, msg = pcall(case[1])
      assert.is_false(ok)
      assert.truthy(msg:find(case[2], 1, true), msg)
      assert.truthy(msg:find("scheduler_spec.lua:", 1, true), msg)
    end
    assert.equals(0, env.requests())
  end)
end)

describe("client:submit with a store", function()
  it("save = 'later' keeps the page out of the store until flush; save = false never saves it", function()
    env.reset()
    local s = shoplive.store.open(tmp .. "/later.db")
    local c = env.client{ store = s, cache_ttl = 0 }
    finally(function() c:close(); s:close() end)
    local later = c:submit({ seller_id = "237" }, { save = "later" })
    local never = c:submit({ seller_id = "10" }, { save = false })
    assert.is_true(c:run(all_done{ later, never }))
    assert.equals(0, #assert(s:livestreams{ seller_id = "237" }))
    local res = assert(c:flush(later))
    assert.equals(10, res.new)
    assert.equals(10, #assert(s:livestreams{ seller_id = "237" }))
    assert.is_nil(c:flush(later)) -- once
    assert.is_nil(c:flush(never))
    assert.equals(0, #assert(s:livestreams{ seller_id = "10" }))
  end)
end)

describe("the store option takes any page source and sink", function()
  it("a table with cached_page and save_page: pages saved there, and answered from there", function()
    env.reset()
    local held, saves = {}, 0
    local function key(p) return p.seller_id .. "/" .. p.page .. "/" .. p.page_size end
    local sink = {
      cached_page = function(_, p) return held[key(p)] end,
      save_page = function(_, p, page)
        saves = saves + 1
        held[key(p)] = { records = page.records, page = page.page, page_size = page.page_size,
          has_more = page.has_more, cached = true }
        return { new = #page.records, changed = 0 }
      end,
    }
    local c = env.client{ store = sink }
    finally(function() c:close() end)
    local first = assert(c:livestreams{ seller_id = "237", page = 3 })
    local again = assert(c:livestreams{ seller_id = "237", page = 3 })
    assert.is_nil(first.cached)
    assert.is_true(again.cached)
    assert.same(first.records, again.records)
    assert.equals(1, saves)
    assert.equals(1, env.requests())
    assert.equals(1, c:stats().cache_hits)
    local ok, msg = pcall(env.client, { store = { cached_page = function() end } })
    assert.is_false(ok)
    assert.truthy(msg:find("option 'store'", 1, true), msg)
  end)
end)

describe("the client's transport, clock and sleep options", function()
  -- A transport module over the real libcurl one: its instances pass every
  -- call through, with the fields of extra (and on_start told of each URL).
  local function wrapped(extra, on_start)
    return { new = function(o)
      local tr = require("shoplive.transport.curl").new(o)
      local t = setmetatable({ start = function(_, url, fresh)
        if on_start then on_start(url) end
        return tr:start(url, fresh)
      end }, { __index = function(_, k)
        local v = tr[k]
        if type(v) == "function" then return function(_, ...) return v(tr, ...) end end
        return v
      end })
      for k, v in pairs(extra or {}) do t[k] = v end
      return t
    end }
  end

  it("a transport module given as a table carries every request; a bad one raises naming the option", function()
    env.reset()
    local started = 0
    local counting = wrapped(nil, function() started = started + 1 end)
    local c = env.client{ transport = counting }
    finally(function() c:close() end)
    local recs = assert(c:all_livestreams{ seller_id = "237" })
    assert.equals(237, #recs)
    assert.equals(24, started) -- 24 pages, strictly lazy: none prefetched
    assert.equals(24, env.requests())
    for _, bad in ipairs{ "pigeon", 42, { start = true } } do
      local ok, msg = pcall(env.client, { transport = bad })
      assert.is_false(ok)
      assert.truthy(msg:find("option 'transport'", 1, true), msg)
    end
  end)

  it("an event-driven transport is driven by perform alone: the wait hook gets no poll_interval naps", function()
    env.reset()
    env.sandbox():config{ latency = 0.2 }
    local naps = 0
    local c = env.client{ transport = wrapped{ event_driven = true }, wait = function() naps = naps + 1 end }
    finally(function() c:close(); env.sandbox():config{ latency = 0 } end)
    local page = assert(c:livestreams{ seller_id = "237" })
    assert.equals(10, #page.records)
    assert.equals(0, naps)
  end)

  it("clock and sleep: the client's pacing waits go through them", function()
    env.reset()
    -- a clock that moves only by the client's sleeps: requests take no
    -- time on it, so pacing must wait however slow the machine is
    local reads, sleeps, t = 0, {}, core.now()
    local c = env.client{ qps = 20,
      clock = function() reads = reads + 1; return t end,
      sleep = function(s) sleeps[#sleeps + 1] = s; t = t + s end }
    finally(function() c:close() end)
    for i = 1, 3 do assert.is_table(c:livestreams{ seller_id = "237", page = i }) end
    assert.is_true(reads > 0)
    assert.is_true(#sleeps >= 1, "no pacing sleep went through the option")
    assert.is_number(c:now())
    for _, bad in ipairs{ { clock = 5 }, { sleep = "x" } } do
      local ok, msg = pcall(env.client, bad)
      assert.is_false(ok)
      assert.truthy(msg:find("option '" .. next(bad) .. "'", 1, true), msg)
    end
  end)
end)

describe("core perform reports the transfers that finished", function()
  it("each transfer once, in the call where it finished; a cancelled one never", function()
    local sb = env.reset()
    local c = core.client{ api_key = env.KEY }
    finally(function() c:close() end)
    local url = sb.url .. "/v1/tiktok/shop/livestreams/analytics?seller_id=237&page_num=1&page_size=10"
    local xs, reported = {}, {}
    for i = 1, 4 do xs[i] = c:start(url) end
    xs[4]:cancel()
    local n = 0
    for _ = 1, 2000 do
      local completed, running = c:perform(0.05)
      for _, x in ipairs(completed) do
        assert.is_nil(reported[x], "reported twice")
        reported[x] = true
        n = n + 1
      end
      if running == 0 then break end
    end
    assert.equals(3, n)
    for i = 1, 3 do
      assert.is_true(reported[xs[i]])
      assert.is_true((xs[i]:outcome()))
    end
    assert.is_nil(reported[xs[4]])
    assert.equals(0, #(c:perform(0)))
  end)
end)
