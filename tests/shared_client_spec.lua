-- One client shared by several coroutines (an nginx worker's requests, a
-- user's scheduler): a limiter that yields inside the pump (the Redis
-- limiter's cosocket, in on_success) leaves a request between its finished
-- transfer and its answer. The request's own coroutine, run meanwhile,
-- sees nothing in flight and nothing waiting: it must wait for that pump,
-- not give up as idle (beside a second suite, 1 of 30 concurrent
-- /top-redis requests of examples/openresty ended in a 500: "request not
-- finished yet").
local env = require("support.env")
local shoplive = env.shoplive

-- A limiter whose on_success yields once in the coroutine `yield_in()`
-- names, as a cosocket would; every method is the in-process bucket's.
local function yielding_limiter(yield_in)
  local base = shoplive.limiter.new{}
  local yielded = false
  local lim = {
    on_success = function()
      if not yielded and coroutine.running() == yield_in() then
        yielded = true
        coroutine.yield("limiter")
      end
      return base:on_success()
    end,
  }
  return setmetatable(lim, { __index = function(_, k)
    local v = base[k]
    if type(v) ~= "function" then return v end
    return function(_, ...) return v(base, ...) end
  end })
end

describe("a client shared by coroutines", function()
  it("a request finished by another coroutine's pump, whose limiter yielded, is waited for, not idle", function()
    env.reset()
    local a, b
    local c = env.client{ wait = function() coroutine.yield() end,
      limiter = yielding_limiter(function() return b end) }
    finally(function() c:close() end)
    -- A asks for a page and parks at its first wait
    a = coroutine.create(function() return c:livestreams{ seller_id = "237" } end)
    assert(coroutine.resume(a))
    assert.equals("suspended", coroutine.status(a))
    -- B drives the client until its pump, finishing A's page, yields in
    -- the limiter
    b = coroutine.create(function() return c:run(nil, 0.2) end)
    local why
    for _ = 1, 100000 do
      local ok, v = coroutine.resume(b)
      assert(ok, v)
      why = v
      if why == "limiter" or coroutine.status(b) == "dead" then break end
    end
    assert.equals("limiter", why)
    -- A runs while that pump is suspended: it waits (yields) for it
    local ok, page, err = coroutine.resume(a)
    assert(ok, page)
    assert.equals("suspended", coroutine.status(a), "A gave up: " .. tostring(page) .. " " .. tostring(err))
    -- B's pump ends; then A has its page
    while coroutine.status(b) ~= "dead" do assert(coroutine.resume(b)) end
    while coroutine.status(a) ~= "dead" do
      ok, page, err = coroutine.resume(a)
      assert(ok, page)
    end
    assert.is_nil(err)
    assert.equals(10, #page.records)
    assert.equals(1, c:stats().requests)
  end)
end)
