-- Faults on the wire: each ends in a clean err of the right kind, ended by
-- the limit meant to end it (libcurl's message says which), with no second
-- request except where retrying is right. No wall-clock threshold: waits are
-- read off an injected clock (env.fake_clock), requests counted by the server.
local env = require("support.env")
local files = require("support.files")

describe("fault injection", function()
  local sb
  before_each(function() sb = env.reset() end)

  for _, case in ipairs{
    { "bad_chunk", "transport" }, { "missing_last_chunk", "transport" }, { "long_length", "transport" },
  } do
    it("raw " .. case[1] .. " -> " .. case[2] .. ", retried once per max_retries", function()
      sb:fault{ type = "raw", name = case[1], count = 5 }
      local page, err = env.fetch{ max_retries = 1 }
      assert.is_nil(page)
      assert.equals(case[2], err.kind)
      assert.is_true(err.retryable)
      assert.equals(2, err.attempts)
      assert.equals(2, env.requests())
    end)
  end

  it("a Content-Length shorter than the body -> decode, not retried", function()
    sb:fault{ type = "raw", name = "short_length" }
    local page, err = env.fetch{ max_retries = 3 }
    assert.is_nil(page)
    assert.equals("decode", err.kind)
    assert.equals(1, env.requests())
  end)

  it("connections the server closed after a keep-alive answer: no SIGPIPE, no failed request", function()
    -- A child interpreter with the default SIGPIPE disposition (terminate):
    -- every other request's pooled connection is dead when it is reused.
    local script = [[
      local shoplive = require("shoplive")
      local http = require("socket.http")
      local url = os.getenv("KEYAPI_BASE_URL")
      local c = shoplive.new{ max_retries = 0 }
      for i = 1, 40 do
        assert(http.request(url .. "/_sandbox/fault?type=raw&name=close_after"))
        assert(c:livestreams{ seller_id = "237" })
        -- half the time the server's FIN has arrived before the reuse, half
        -- the time the request races it
        if i % 2 == 0 then require("shoplive.core").sleep(0.02) end
        assert(c:livestreams{ seller_id = "237", page = 2 })
      end
      print("done", c:stats().requests)
    ]]
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(script)
    f:close()
    local root = require("support.sandbox").root
    local status, out = env.sh("cd " .. root .. " && trap - PIPE; KEYAPI_BASE_URL=" .. sb.url .. " KEYAPI_API_KEY=" .. env.KEY
      .. " " .. env.lua_env(root) .. " " .. env.LUA .. " " .. path)
    os.remove(path)
    assert.equals(0, status, out) -- 141 would be death by SIGPIPE
    -- the server saw each page once; a dead connection costs at most one
    -- resend on a new connection, which never reached the server
    local sent = tonumber(out:match("done\t(%d+)"))
    assert.is_true(sent >= 80 and sent <= 120, out)
    assert.equals(80, env.requests())
  end)

  it("a drip below the low-speed limit is aborted", function()
    sb:fault{ type = "drip", interval = 0.5 }
    local page, err = env.fetch{ max_retries = 0, timeout = 10, low_speed_limit = 100, low_speed_time = 1 }
    assert.is_nil(page)
    assert.equals("timeout", err.kind)
    -- the low-speed limit ended it, not the 10 s timeout
    assert.matches("too slow", err.message)
  end)

  it("a 429 storm is retried exactly max_retries times, honouring Retry-After", function()
    sb:fault{ type = "status", status = 429, retry_after = "0", count = 50 }
    local page, err = env.fetch{ max_retries = 3 }
    assert.is_nil(page)
    assert.equals("rate_limited", err.kind)
    assert.equals(4, err.attempts)
    assert.equals(4, env.requests())
  end)

  it("garbage Retry-After falls back to backoff", function()
    sb:fault{ type = "status", status = 503, retry_after = "soon-ish", count = 1 }
    local clock, restore = env.fake_clock()
    finally(restore)
    local page = env.fetch{ max_retries = 1, backoff_base = 0.01, backoff_max = 0.05 }
    assert.is_table(page)
    -- one backoff wait of at most backoff_base (the first retry's cap)
    assert.is_true(#clock.sleeps >= 1 and clock.slept <= 0.01, tostring(clock.slept))
    assert.equals(2, env.requests())
  end)

  describe("gzip", function()
    local dir
    setup(function() dir = files.tmpdir() end)
    teardown(function() os.execute("rm -rf " .. dir) end)

    local function gzip_file(name, producer_cmd)
      local path = dir .. "/" .. name
      assert(env.sh_ok(producer_cmd .. " | gzip -c > " .. path))
      return path
    end

    it("a compressed page is decoded", function()
      local status, _, raw = sb:api{ seller_id = "12", page_num = "1", page_size = "10" }
      assert.equals(200, status)
      local src = dir .. "/page.json"
      files.write(src, raw)
      local path = gzip_file("page.json.gz", "cat " .. src)
      sb:reset()
      sb:fault{ type = "gzip", path = path }
      local page, err = env.fetch()
      assert.is_nil(err)
      assert.equals(10, #page.records)
    end)

    for _, length in ipairs{ "1", "0" } do
      it("a decompression bomb stops at max_body (Content-Length " .. (length == "1" and "sent" or "absent") .. ")",
        function()
          -- 64 MiB of spaces compress to ~64 KB: small on the wire, huge decoded
          local path = gzip_file("bomb" .. length .. ".gz", "head -c 67108864 /dev/zero | tr '\\0' ' '")
          sb:fault{ type = "gzip", path = path, length = length }
          local before = collectgarbage("count")
          local page, err = env.fetch{ max_body = 1048576, max_retries = 3 }
          assert.is_nil(page)
          assert.equals("too_large", err.kind)
          assert.equals(1, env.requests())
          assert.is_true(collectgarbage("count") - before < 4096)
        end)
    end
  end)
end)
