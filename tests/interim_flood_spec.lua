-- Issue 21 item 17a: a server that floods 100 Continue before its answer.
-- The interim answers count towards the 64 KiB of headers a transfer may
-- have: a flood is too_large at once, never retried, where libcurl's own
-- cap (300 KiB) made it a transport error retried 4 times.
local env = require("support.env")

describe("a flood of 1xx interim answers", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("is too_large and not retried", function()
    sb:fault{ type = "raw", name = "continue_flood", count = 5 }
    local page, err = env.fetch{ max_retries = 3 }
    assert.is_nil(page)
    assert.equals("too_large", err.kind)
    assert.matches("headers too large", err.message)
    assert.is_false(err.retryable or false)
    assert.equals(1, err.attempts)
    assert.equals(1, env.requests())
  end)

  it("a few 100 Continue before the page are fine", function()
    sb:fault{ type = "raw", name = "continue_flood", interims = 3 }
    local page, err = env.fetch()
    assert.is_nil(err)
    assert.equals(10, #page.records)
    assert.equals(1, env.requests())
  end)
end)
