-- #serial (tests/run): its assertions count requests per second or a lease's
-- renewals, which CPU starvation from specs beside it can tip over
-- The credit budget and the bucket of shoplive.limiter.redis against the
-- faults Redis itself has: a FLUSHALL under a request in flight, a clock
-- that stepped back, a kill and an empty restart in the middle of a run of
-- three processes. Credits are counted by the sandbox server, the key's
-- count by a real redis-server this spec starts.
local env = require("support.env")
local redis_server = require("support.redis_server")
local sandbox = require("support.sandbox")
local adapt = require("shoplive.limiter.adapt")

local shoplive = env.shoplive
local CREDITS_KEY = "shoplive:acct:credits"

describe("the Redis limiter's budget and bucket under Redis faults", function()
  local fx = redis_server.flushed_each{ setup = setup, teardown = teardown, before_each = before_each }

  it("a FLUSHALL under an unbilled request does not leave a false budget stop", function()
    local flushed = false
    local c = env.client{ max_retries = 0, max_credits = 100,
      limiter = shoplive.limiter.redis{ url = fx.rs.url, qps = 1000, key = "acct" },
      -- libcurl's lines come while the request (its credit reserved) is on
      -- the wire: the count is flushed under it
      debug = function()
        if not flushed then flushed = "+OK" == redis_server.command(fx.rs.port, "FLUSHALL") end
      end }
    fx.sb:fault{ type = "status", status = 500 }
    local page, err = c:livestreams{ seller_id = "999" }
    assert.is_nil(page)
    assert.equals(500, err.status)
    assert.is_true(flushed)
    -- the release found nothing to give back: the count is not below 0
    assert.is_not.equals("-1", redis_server.command(fx.rs.port, "GET " .. CREDITS_KEY))
    page, err = c:livestreams{ seller_id = "999" }
    assert.is_table(page, tostring(err))
    assert.equals("1", redis_server.command(fx.rs.port, "GET " .. CREDITS_KEY))
    assert.equals(1, env.credits())
    c:close()
  end)

  it("a bucket time far in the future (a Redis clock that stepped back) costs one interval, not the gap", function()
    local lim = shoplive.limiter.redis{ url = fx.rs.url, qps = 50, key = "acct" }
    redis_server.command(fx.rs.port, "SET shoplive:acct:tat " .. (os.time() + 30))
    local wait = lim:take(0)
    assert.is_true(wait <= adapt.interval(50), "told to wait " .. wait .. " s")
    assert.is_nil(lim:stats().falling_back)
    -- and the bucket goes on from there: the same wait, never the stamp's
    local again = lim:take(0)
    assert.is_true(again <= adapt.interval(50), "told to wait " .. again .. " s")
  end)

  -- Issue 21.4: 3 processes one request at a time, max_credits = 30, peers
  -- = 3, Redis killed mid-run and restarted empty. Spent at most 30 + the 3
  -- requests in flight, and Redis's count never under the credits spent.
  it("killed mid-run and restarted empty: spent <= max_credits + requests in flight, the count not under it",
    function()
    local r2 = redis_server.start()
    local outs, cmds = {}, {}
    -- each process has a request on the wire most of the time, and its share
    -- of the budget lasts over a second without Redis: Redis is back before
    -- any of them could end without it
    fx.sb:config{ latency = 0.2 }
    for w = 1, 3 do
      outs[w] = os.tmpname()
      cmds[#cmds + 1] = string.format("env %s %s %s/tests/support/limiter_worker.lua %s %s 1000 %d 30 30 1 0.3 > %s 2> %s.err",
        env.lua_env(), env.LUA, sandbox.root, fx.sb.url, r2.url, (w - 1) * 30 + 1, outs[w], outs[w])
    end
    local done = os.tmpname()
    os.remove(done)
    os.execute("(" .. table.concat(cmds, " & ") .. " & wait; touch " .. done .. ") >/dev/null 2>&1 &")
    local ok, e = pcall(function()
      assert.is_true(env.wait_for(function() return env.credits() >= 9 end))
      r2.stop()
      local at_kill = env.credits()
      -- each process meets the dead connection on its next call and spends
      -- its share on its own; Redis comes back (empty: it kept nothing on
      -- disk) once they have spent some of it
      assert.is_true(env.wait_for(function() return env.credits() >= at_kill + 3 or io.open(done) ~= nil end))
      r2 = redis_server.start{ port = r2.port }
      assert.is_true(env.wait_for(function() return io.open(done) ~= nil end), "the workers did not end")
      local spent = env.credits()
      local lines = {}
      for w = 1, 3 do
        local f = io.open(outs[w])
        lines[w] = f:read("*l") or ""
        f:close()
        f = io.open(outs[w] .. ".err")
        local said = f:read("*a")
        f:close()
        -- every one of them lost Redis, and handed it its credits back
        assert.matches("unreachable", said)
        assert.matches("answers again", said)
        lines[w] = lines[w] .. " (" .. said:gsub("\n", " / ") .. ")"
        assert.matches("failed=0", lines[w])
      end
      print("\n# spent " .. spent .. "; " .. table.concat(lines, "; ") .. "; redis count "
        .. tostring(redis_server.command(r2.port, "GET " .. CREDITS_KEY)))
      assert.is_true(spent <= 33, spent .. " credits spent for a budget of 30")
      assert.is_true(spent >= 24, "only " .. spent .. " credits spent") -- no process stopped short for good
      local counted = tonumber(redis_server.command(r2.port, "GET " .. CREDITS_KEY)) or 0
      assert.is_true(counted >= spent, "Redis counts " .. counted .. " of " .. spent .. " credits spent")
    end)
    for w = 1, 3 do os.remove(outs[w]) os.remove(outs[w] .. ".err") end
    os.remove(done)
    fx.sb:config{ latency = 0 }
    r2.stop()
    assert(ok, e)
  end)
end)
