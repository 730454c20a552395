local env = require("support.env")
local core = require("shoplive.core")
local real_sleep = core.sleep

--- Largest number of log entries (API arrivals with status st, or any) within any 1-second window.
local function max_per_second(log, st)
  local ts = {}
  for _, e in ipairs(log) do
    if not st or e.status == st then ts[#ts + 1] = e.t end
  end
  table.sort(ts)
  local best, j = 0, 1
  for i = 1, #ts do
    while ts[i] - ts[j] >= 1 do j = j + 1 end
    best = math.max(best, i - j + 1)
  end
  return best
end

describe("livestreams_many", function()
  local sb, client
  before_each(function()
    sb = env.sandbox()
    sb:reset()
    client = env.client()
  end)
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
    local t0 = env.now()
    local pages = client:livestreams_many(qs, { concurrency = 4 })
    local dt = env.now() - t0
    assert.equals(8, #pages)
    -- two waves of 4 at 0.2 s each, not 8 sequential round trips (1.6 s)
    assert.is_true(dt < 1.2, "took " .. dt)
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
  before_each(function()
    sb = env.sandbox()
    sb:reset()
  end)

  it("holds the client's rate, counted on the server", function()
    local c = env.client{ qps = 5 }
    local qs = {}
    for i = 1, 12 do qs[i] = { seller_id = "237", page = i } end
    local t0 = env.now()
    local _, errs = c:livestreams_many(qs, { concurrency = 8 })
    local dt = env.now() - t0
    assert.is_nil(errs)
    local log = sb:stats().log
    assert.equals(12, #log)
    assert.is_true(max_per_second(log) <= 5, "burst of " .. max_per_second(log))
    assert.is_true(dt >= 11 / 5 - 0.1, "took " .. dt)
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
  before_each(function()
    sb = env.sandbox()
    sb:reset()
  end)

  it("start() returns at once and poll() drives it to a result", function()
    sb:config{ latency = 0.2 }
    local c = env.client()
    local t0 = env.now()
    local req = c:start{ seller_id = "237" }
    assert.is_true(env.now() - t0 < 0.1)
    assert.is_false(req:done())
    assert.has_error(function() req:result() end)
    while not req:done() do c:poll(0.05) end
    local page, err = req:result()
    assert.is_nil(err)
    assert.equals(10, #page.records)
    c:close()
  end)

  it("poll(0) never blocks while a slow request is in flight #novalgrind", function()
    sb:config{ latency = 0.5 }
    local c = env.client()
    local req = c:start{ seller_id = "237" }
    local worst, calls = 0, 0
    while not req:done() do
      local t = env.now()
      c:poll(0)
      local dt = env.now() - t
      worst = math.max(worst, dt)
      calls = calls + 1
      core.sleep(0.001)
    end
    assert.is_true(calls > 50)
    -- the issue's bound is 1 ms; allow for a loaded CI machine (bench reports the real figure)
    assert.is_true(worst < 0.005, "worst poll(0) took " .. worst)
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
  before_each(function()
    sb = env.sandbox()
    sb:reset()
  end)

  local function no_blocking(c, waits)
    -- every C-level wait must be a zero-timeout poll: the host gets the time
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

  it("is used for transfers, backoff and qps pacing instead of blocking", function()
    sb:config{ latency = 0.05 }
    sb:fault{ type = "status", status = 503, retry_after = "1" }
    local waits, waited = {}, 0
    local c = env.client{ qps = 5, max_retries = 2, backoff_max = 5, wait = function(s)
      waits[#waits + 1] = s
      waited = waited + s
      real_sleep(s)
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
