-- retry.lua on its own: how long to wait before a retry, from Retry-After
-- (seconds or an HTTP-date) or from exponential backoff with full jitter.
-- No clock thresholds: a date's wait is bracketed by os.time() read before
-- and after the call, and the jitter by math.random's seeded sequence.
local retry = require("shoplive.retry")
local errors = require("shoplive.errors")

local OPTS = { backoff_base = 0.5, backoff_max = 30 }

local function err(retry_after)
  return errors.new{ kind = "server", message = "x", retry_after = retry_after }
end

local function http_date(t)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", t)
end

describe("retry", function()
  describe("retry_after_seconds", function()
    it("reads delta-seconds, surrounding blanks allowed", function()
      assert.equals(0, retry.retry_after_seconds("0"))
      assert.equals(7, retry.retry_after_seconds("7"))
      assert.equals(120, retry.retry_after_seconds(" 120 "))
    end)

    it("refuses what is neither delta-seconds nor an HTTP-date", function()
      for _, v in ipairs{ "", "-5", "1.5", "5s", "soon", "0x10" } do
        assert.is_nil(retry.retry_after_seconds(v), v)
      end
      assert.is_nil(retry.retry_after_seconds(nil))
      assert.is_nil(retry.retry_after_seconds(5))
    end)

    it("turns an HTTP-date into the seconds left until it", function()
      local target = os.time() + 100
      local before = os.time()
      local d = retry.retry_after_seconds(http_date(target))
      local after = os.time()
      assert.is_true(d >= target - after and d <= target - before, tostring(d))
    end)

    it("a date already past means no wait", function()
      assert.equals(0, retry.retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT"))
      assert.equals(0, retry.retry_after_seconds(http_date(os.time() - 3600)))
    end)
  end)

  describe("delay", function()
    it("waits what Retry-After says, at most backoff_max", function()
      assert.equals(3, retry.delay(err("3"), 1, OPTS))
      assert.equals(30, retry.delay(err("3600"), 1, OPTS))
      assert.equals(30, retry.delay(err("Fri, 01 Jan 2100 00:00:00 GMT"), 1, OPTS))
      assert.equals(0, retry.delay(err("Sun, 06 Nov 1994 08:49:37 GMT"), 5, OPTS))
    end)

    it("otherwise full jitter: a uniform draw below backoff_base * 2^(n-1), capped by backoff_max", function()
      -- caps for retries 1..8 with base 0.5 and max 30
      local caps = { 0.5, 1, 2, 4, 8, 16, 30, 30 }
      for n, cap in ipairs(caps) do
        math.randomseed(1234 + n)
        local expected = math.random() * cap
        math.randomseed(1234 + n)
        assert.equals(expected, retry.delay(err(nil), n, OPTS))
        -- an unusable Retry-After falls back to the same backoff
        math.randomseed(1234 + n)
        assert.equals(expected, retry.delay(err("later"), n, OPTS))
      end
    end)

    it("every draw lies in [0, cap)", function()
      math.randomseed(42)
      for _ = 1, 1000 do
        local d = retry.delay(err(nil), 3, OPTS)
        assert.is_true(d >= 0 and d < 2, tostring(d))
      end
      local d = retry.delay(err(nil), 1, { backoff_base = 0, backoff_max = 30 })
      assert.equals(0, d)
    end)
  end)
end)
