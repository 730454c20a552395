local env = require("support.env")
local core = require("shoplive.core")
local real_sleep = core.sleep

--- Largest number of log entries (API arrivals with status st, or any) within
-- any 0.9-second window of the server's clock. A client paced at qps sends
-- request qps+1 a full second after the first; the window is 0.1 s short of
-- that so the network's jitter between client and server cannot make a
-- correct client look like a burst.
local function max_per_second(log, st)
  local ts = {}
  for _, e in ipairs(log) do
    if not st or e.status == st then ts[#ts + 1] = e.t end
  end
  table.sort(ts)
  local best, j = 0, 1
  for i = 1, #ts do
    while ts[i] - ts[j] >= 0.9 do j = j + 1 end
    best = math.max(best, i - j + 1)
  end
  return best
end

describe("livestreams_many", function()
  local sb, client
  before_each(function() sb, client = env.fresh_client() end)
  after_each(function() client:close() end)

  it("returns the same pages as sequential requests, in query order", function()
    local qs = {}
    for i = 1, 12 do qs[i] = { seller_id = "237", page = 13 - i, sort_by = "sales" } end
    local pages, errs = client:livestreams_many(qs, { concurrency = 5 })
    assert.is_nil(errs)
    for i = 1, 12 do
      local seq = assert(client:livestreams(qs[i]))
      assert.equals(13 - i, pages[i].page)
      assert.equals(#seq.records, #pages[i].records)
      for j, r in ipairs(seq.records) do assert.same(r, pages[i].records[j]) end
    end
  end)

  it("keeps up to N requests in flight on pooled connections", function()
    sb:config{ latency = 0.2 }
    local qs = {}
    for i = 1, 8 do qs[i] = { seller_id = "237", page = i } end
    -- counted, not timed: the transfers libcurl holds at each wait the
    -- client hands to the host (every 0.2 s answer is still pending when
    -- the four are started)
    local c, most = nil, 0
    c = env.client{ wait = function(s)
      most = math.max(most, c._core:running())
      real_sleep(s)
    end }
    local pages = c:livestreams_many(qs, { concurrency = 4 })
    c:close()
    assert.equals(8, #pages)
    assert.equals(4, most)
    assert.is_true(sb:stats().connections <= 4)
  end)

  it("reports failures per query in errs, others still succeed", function()
    local qs = { { seller_id = "1" }, { seller_id = "2" }, { seller_id = "3" } }
    local c = env.client{ api_key = "sk_test_invalid" }
    local pages, errs = c:livestreams_many(qs, { concurrency = 2 })
    assert.same({}, pages)
    assert.equals(3, #errs)
    for i = 1, 3 do assert.equals("auth", errs[i].kind) end
    c:close()
    sb:reset()
    sb:fault{ type = "status", status = 400 }
    pages, errs = client:livestreams_many(qs, { concurrency = 1 })
    assert.equals("bad_request", errs[1].kind)
    assert.is_nil(errs[2])
    assert.is_table(pages[2])
    assert.is_table(pages[3])
  end)

  it("validates every query before sending any", function()
    local ok, msg = pcall(client.livestreams_many, client, { { seller_id = "1" }, { seller_id = "x" } })
    assert.is_false(ok)
    assert.matches("query 2", msg)
    ok, msg = pcall(client.livestreams_many, client, { { seller_id = "1" } }, { concurrency = 0 })
    assert.is_false(ok)
    assert.matches("concurrency", msg)
    assert.equals(0, env.requests())
  end)
end)

describe("the qps limiter", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("holds the client's rate, counted on the server", function()
    local c = env.client{ qps = 5 }
    local qs = {}
    for i = 1, 12 do qs[i] = { seller_id = "237", page = i } end
    local _, errs = c:livestreams_many(qs, { concurrency = 8 })
    assert.is_nil(errs)
    -- on the server's clock: 12 arrivals, never more than 5 in a second
    local log = sb:stats().log
    assert.equals(12, #log)
    assert.is_true(max_per_second(log) <= 5, "burst of " .. max_per_second(log))
    c:close()
  end)

  it("paces retries too", function()
    sb:fault{ type = "status", status = 503, count = 4 }
    local c = env.client{ qps = 4, max_retries = 5, backoff_base = 0, backoff_max = 0 }
    assert.is_table((c:livestreams{ seller_id = "1" }))
    local log = sb:stats().log
    assert.equals(5, #log)
    assert.is_true(max_per_second(log) <= 4)
    c:close()
  end)

  it("slows down by itself on 429 so a run at the server's limit has no failed request", function()
    sb:config{ qps = 5 }
    local c = env.client{ max_retries = 6, backoff_base = 0.2, backoff_max = 2 }
    local recs, err = c:all_livestreams{ seller_id = "237", concurrency = 4 }
    assert.is_nil(err)
    assert.equals(237, #recs)
    local st = sb:stats()
    assert.is_true((st.by_status["200"] or 0) >= 24)
    assert.is_true(c._limiter.rate ~= nil, "the client started pacing after 429s")
    sb:config{ qps = 0 }
    c:close()
  end)
end)

describe("non-blocking requests", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("start() returns at once and poll() drives it to a result", function()
    sb:config{ latency = 0.2 }
    local c = env.client()
    local req = c:start{ seller_id = "237" }
    -- returned with the request in flight (its answer is 0.2 s away)
    assert.equals(1, c._core:running())
    assert.is_false(req:done())
    assert.has_error(function() req:result() end)
    while not req:done() do c:poll(0.05) end
    local page, err = req:result()
    assert.is_nil(err)
    assert.equals(10, #page.records)
    c:close()
  end)

  it("poll(0) never blocks while a slow request is in flight", function()
    sb:config{ latency = 0.5 }
    local c = env.client()
    local req = c:start{ seller_id = "237" }
    -- counted, not timed (bench/ reports how long a poll takes): every
    -- libcurl wait poll(0) makes has a zero timeout, and it never sleeps
    local real, timeouts, sleeps = c._core, {}, 0
    c._core = setmetatable({
      perform = function(_, t)
        timeouts[#timeouts + 1] = t
        return real:perform(t)
      end,
    }, { __index = function(_, k) return function(_, ...) return real[k](real, ...) end end })
    core.sleep = function() sleeps = sleeps + 1 end
    finally(function()
      core.sleep = real_sleep
      c._core = real
    end)
    local calls = 0
    while not req:done() do
      c:poll(0)
      calls = calls + 1
      real_sleep(0.01)
    end
    assert.is_true(calls > 1 and #timeouts >= 1)
    for _, t in ipairs(timeouts) do assert.equals(0, t) end
    assert.equals(0, sleeps)
    assert.is_table((req:result()))
    c:close()
  end)

  it("cancel() frees the transfer and the result is a cancelled err", function()
    sb:config{ latency = 1 }
    local c = env.client()
    local req = c:start{ seller_id = "237" }
    c:poll(0.05)
    assert.equals(1, c._core:running())
    assert.is_true(req:cancel())
    assert.equals(0, c._core:running())
    assert.is_true(req:done())
    local page, err = req:result()
    assert.is_nil(page)
    assert.equals("cancelled", err.kind)
    assert.is_false(req:cancel())
    assert.equals(0, c:poll(0))
    c:close()
  end)

  it("close() with requests in flight ends them as cancelled", function()
    sb:config{ latency = 1 }
    local c = env.client()
    local r1, r2 = c:start{ seller_id = "1" }, c:start{ seller_id = "2" }
    c:poll(0.02)
    c:close()
    assert.is_true(r1:done() and r2:done())
    assert.equals("cancelled", select(2, r1:result()).kind)
  end)

  it("a collected request in flight is cancelled", function()
    sb:config{ latency = 1 }
    local c = env.client()
    do
      local x = c._core:start(c.base_url .. "/v1/tiktok/shop/livestreams/analytics?seller_id=1&page_num=1&page_size=1")
      c._core:perform(0.02)
      assert.equals(1, c._core:running())
      assert.is_false(x:done())
    end
    collectgarbage()
    collectgarbage()
    assert.equals(0, c._core:running())
    c:close()
  end)
end)

describe("the wait option", function()
  local sb
  before_each(function() sb = env.reset() end)

  local function no_blocking(c, waits)
    -- every C-level wait must be a zero-timeout poll and nothing may sleep:
    -- the host gets the time (the client looks core.sleep up at each call,
    -- so the guard below fires if it is ever used)
    local real = c._core
    c._core = setmetatable({
      perform = function(_, t)
        assert(t == nil or t == 0, "blocking perform(" .. tostring(t) .. ")")
        return real:perform(0)
      end,
    }, { __index = function(_, k) return function(_, ...) return real[k](real, ...) end end })
    local sleep = core.sleep
    core.sleep = function() error("core.sleep called despite a wait hook") end
    return function()
      core.sleep = sleep
      c._core = real
      assert.is_true(#waits > 0)
    end
  end

  it("(the guard fires on a client that sleeps: one without the hook, paced by qps)", function()
    local c = env.client{ qps = 1 }
    assert.is_table((c:livestreams{ seller_id = "1" }))
    local restore = no_blocking(c, { 0 })
    local ok, msg = pcall(c.livestreams, c, { seller_id = "2" })
    restore()
    c:close()
    assert.is_false(ok)
    assert.matches("core.sleep called despite a wait hook", msg)
  end)

  it("is used for transfers, backoff and qps pacing instead of blocking", function()
    sb:config{ latency = 0.05 }
    sb:fault{ type = "status", status = 503, retry_after = "1" }
    -- an injected clock that only the hook moves: the 1 s of Retry-After
    -- can pass only through the hook
    local clock, restore_clock = env.fake_clock()
    finally(restore_clock)
    local waits, waited = {}, 0
    local c = env.client{ qps = 5, max_retries = 2, backoff_max = 5, wait = function(s)
      waits[#waits + 1] = s
      waited = waited + s
      clock.t = clock.t + s
      real_sleep(math.min(s, 0.002))
    end }
    local restore = no_blocking(c, waits)
    local ok, pages, errs = pcall(c.livestreams_many, c,
      { { seller_id = "1" }, { seller_id = "2" }, { seller_id = "3" } }, { concurrency = 3 })
    restore()
    assert.is_true(ok, pages)
    assert.is_nil(errs)
    assert.equals(3, #pages)
    -- 1 s of Retry-After plus qps pacing passed through the hook
    assert.is_true(waited >= 1, "waited " .. waited)
    c:close()
  end)
end)
