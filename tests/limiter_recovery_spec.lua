-- The adaptive limiter recovers (issue 14, item 16): after a storm of 429s,
-- a healthy server gets the client's configured pace back. Counted on the
-- server, and in the seconds the client asked its wait hook to sleep while
-- nothing was in flight (pacing and Retry-After), not in wall-clock time.
-- Those idle waits pass on an injected clock (env.fake_clock) instead of
-- being slept: the sandbox answers its queued 429s whenever asked, so only
-- the client's own notion of time matters, and 48 Retry-After seconds need
-- not cost 48 s of every Lua version's suite.
local env = require("support.env")
local core = require("shoplive.core")

--- A client whose wait hook adds up the seconds it slept with no transfer
-- running. Time is the injected clock's: an idle wait moves it at once; a
-- wait with transfers in flight sleeps for real (libcurl needs the time)
-- and moves it by as much, so the limiter sees transfers take time too.
-- Returns the client, the counts and a function restoring the real clock.
local function counting_client(opts)
  local real_sleep = core.sleep
  local clock, restore = env.fake_clock()
  local idle = { seconds = 0, after_success = 0 }
  local c
  opts.wait = function(d)
    if c and c._core:running() == 0 then
      idle.seconds = idle.seconds + d
      if c:stats().credits > 0 then idle.after_success = idle.after_success + d end
    else
      real_sleep(d)
    end
    clock.t = clock.t + d
  end
  c = env.client(opts)
  return c, idle, restore
end

describe("the adaptive limiter after a 429 storm", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("237 records behind two 429s per page (Retry-After: 1) cost 72 requests and no pacing spiral #novalgrind", function()
    for _ = 1, 24 do
      sb:fault{ type = "status", status = 429, count = 2, retry_after = "1" }
      sb:fault{ type = "latency", seconds = 0 } -- this one passes: the page
    end
    local c, idle, restore = counting_client{ qps = 10, max_retries = 2, backoff_max = 2 }
    finally(restore)
    local recs, err = c:all_livestreams{ seller_id = "237", concurrency = 1 }
    assert.is_nil(err)
    assert.equals(237, #recs)
    local st = sb:stats()
    assert.equals(72, st.requests)
    assert.equals(48, st.by_status["429"])
    assert.equals(24, st.by_status["200"])
    -- 48 Retry-After waits of 1 s; pacing adds at most a fraction of a
    -- second per page, never the 10 s gaps of a rate cut to its floor
    assert.is_true(idle.seconds < 48 + 24 * 0.5,
      string.format("slept %.1f s with nothing in flight", idle.seconds))
    c:close()
  end)

  it("a storm of 429s, then a healthy server: back at the configured qps", function()
    sb:fault{ type = "status", status = 429, count = 12, retry_after = "1" }
    local c, idle, restore = counting_client{ qps = 20, max_retries = 12 }
    finally(restore)
    local qs = {}
    for i = 1, 40 do qs[i] = { seller_id = "999", page = i } end
    local pages, errs = c:livestreams_many(qs, { concurrency = 4 })
    assert.is_nil(errs)
    assert.equals(40, #pages)
    local st = sb:stats()
    assert.equals(52, st.requests) -- 12 refused + 40 served, nothing else
    assert.equals(12, st.by_status["429"])
    assert.equals(20, c._limiter.rate) -- the configured qps, not 0.1
    assert.is_nil(c._limiter.ceiling)
    -- recovery took a bounded number of successes (adapt.CALM) at no less
    -- than half the rate the server refused (3/s here): under 10 s of waits
    assert.is_true(idle.after_success < 10,
      string.format("slept %.1f s with nothing in flight after the storm", idle.after_success))
    c:close()
  end)
end)

describe("a paced client", function()
  it("livestreams_many right after another request waits for its token instead of returning nothing", function()
    local sb = env.reset()
    local c = env.client{ qps = 2 }
    assert.is_table((c:livestreams{ seller_id = "999" }))
    -- the bucket is empty now: the first page of the batch must wait 0.5 s
    local pages, errs = c:livestreams_many({ { seller_id = "999", page = 2 }, { seller_id = "999", page = 3 } })
    assert.is_nil(errs)
    assert.equals(2, #pages)
    assert.equals(3, sb:stats().requests)
    c:close()
  end)
end)
