local limiter = require("shoplive.limiter")

describe("the rate limiter", function()
  it("spaces requests 1/qps apart and never banks a burst", function()
    local l = limiter.new(4)
    assert.equals(0, l:take(10))
    assert.equals(0.25, l:take(10))
    assert.equals(0, l:take(10.25))
    assert.equals(0, l:take(100)) -- a long pause earns no extra tokens
    assert.is_true(l:take(100) > 0.24)
  end)

  it("does nothing without qps until the client is rate-limited in earnest", function()
    local l = limiter.new(nil)
    assert.equals(0, l:take(1))
    assert.equals(0, l:take(1))
    l:on_rate_limited(1, 1) -- a lone 429 at 1 request/second: left to Retry-After
    assert.is_nil(l.rate)
    l:on_rate_limited(2, 12)
    assert.equals(6, l.rate)
  end)

  it("halves once per burst of 429s", function()
    local l = limiter.new(10)
    for i = 1, 8 do l:on_rate_limited(5 + i * 0.01, 10) end
    assert.equals(5, l.rate)
    l:on_rate_limited(6.5, 10) -- a new burst, a second later
    assert.equals(2.5, l.rate)
  end)

  it("recovers to just under the rate the server refused, at most the configured qps", function()
    local l = limiter.new(20)
    l:on_rate_limited(1, nil) -- refused at 20/s
    assert.equals(10, l.rate)
    for _ = 1, 100 do l:on_success() end
    assert.equals(19, l.rate) -- 95% of 20
    local free = limiter.new(nil)
    free:on_rate_limited(1, 16)
    for _ = 1, 100 do free:on_success() end
    assert.equals(15.2, free.rate)
  end)
end)
