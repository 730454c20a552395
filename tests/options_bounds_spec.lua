-- Numeric options are bounded to what libcurl and the OS represent; the rest
-- is refused at new(), naming the option (issue 14, item 18).
local env = require("support.env")
local core = require("shoplive.core")
local files = require("support.files")

local shoplive = env.shoplive

describe("option bounds", function()
  local sb
  before_each(function() sb = env.reset() end)

  local dir = os.getenv("TMPDIR") or "/tmp"
  local refused = {
    { "low_speed_time", 1e300 }, { "low_speed_time", 0.0004 }, { "max_body", 2 ^ 63 }, { "max_body", 2 ^ 30 + 1 },
    { "timeout", 0.0004 }, { "timeout", 1e300 }, { "timeout", 0 / 0 }, { "connect_timeout", 0.0004 },
    { "connect_timeout", 2 ^ 31 }, { "qps", 1e-300 }, { "qps", 0.0009 }, { "qps", 1e300 },
    { "poll_interval", 1e-300 }, { "poll_interval", 61 }, { "backoff_base", 1e300 }, { "backoff_max", 86401 },
    { "backoff_max", 0 / 0 }, { "max_retries", 1001 }, { "max_retries", 2 ^ 62 }, { "max_credits", 2 ^ 54 },
    { "low_speed_limit", 2 ^ 31 }, { "low_speed_limit", 1e300 }, { "ca_file", dir },
  }
  for _, case in ipairs(refused) do
    local name, value = case[1], case[2]
    it("refuses " .. name .. " = " .. tostring(value), function()
      local ok, msg = pcall(shoplive.new, { api_key = env.KEY, base_url = sb.url, [name] = value })
      assert.is_false(ok)
      assert.truthy(msg:find("shoplive.new: option '" .. name .. "' must be", 1, true), msg)
    end)
  end

  it("the math.maxinteger max_body of the issue is refused too", function()
    if not math.maxinteger then return end -- 5.1, 5.2, LuaJIT: 2^63 above
    local ok, msg = pcall(shoplive.new, { api_key = env.KEY, base_url = sb.url, max_body = math.maxinteger })
    assert.is_false(ok)
    assert.matches("option 'max_body' must be an integer from 1 to 1073741824", msg)
  end)

  it("accepts the limits themselves, and requests work with them", function()
    local c = shoplive.new{ api_key = env.KEY, base_url = sb.url, timeout = 2147483, connect_timeout = 0.001,
      low_speed_limit = 2 ^ 31 - 1, low_speed_time = 2147483, max_body = 2 ^ 30, max_retries = 1000,
      max_credits = 2 ^ 53, backoff_base = 86400, backoff_max = 86400, qps = 1e6, poll_interval = 60 }
    c:close()
    c = shoplive.new{ api_key = env.KEY, base_url = sb.url, max_body = 2 ^ 30, low_speed_limit = 1,
      low_speed_time = 2147483, timeout = 2147483, qps = 0.001 }
    local page, err = c:livestreams{ seller_id = "237" }
    c:close()
    assert.is_table(page, tostring(err))
    assert.equals(10, #page.records)
  end)

  -- One page through a core.client made with opts (no Lua layer): its info.
  local function core_get(opts)
    local c = core.client(opts)
    local x = c:start(sb.url .. "/v1/tiktok/shop/livestreams/analytics?seller_id=237&page_num=1&page_size=10")
    for _ = 1, 1000 do
      if x:done() then break end
      c:perform(0.01)
    end
    local info = x:info()
    c:close()
    return info
  end

  it("the core clamps what the Lua layer would refuse: no overflow, no 'out of memory'", function()
    -- core.client is internal and trusts its caller, but never converts an
    -- out-of-range double: 0.1 made every request fail
    local info = core_get{ api_key = env.KEY, low_speed_limit = 1e300, low_speed_time = 1e300, max_body = 2 ^ 63,
      timeout = 1e300, connect_timeout = 1e300 }
    assert.equals(0, info.curl_code, info.error)
    assert.equals(200, info.status)
  end)

  it("a timeout below 1 ms is 1 ms in the core, never 0 (libcurl's 'no timeout')", function()
    sb:fault{ type = "latency", seconds = 0.3 }
    local info = core_get{ api_key = env.KEY, timeout = 0.0004 }
    assert.equals(28, info.curl_code) -- timed out, instead of waiting for the answer
  end)

  it("a directory is refused as ca_file, a readable file is accepted", function()
    local ok, msg = pcall(shoplive.new, { api_key = env.KEY, base_url = sb.url, ca_file = "/" })
    assert.is_false(ok)
    assert.matches("option 'ca_file' must be a readable PEM file %(a regular file, not a directory%)", msg)
    local path = os.tmpname()
    files.write(path, "not used\n")
    shoplive.new{ api_key = env.KEY, base_url = sb.url, ca_file = path }:close()
    os.remove(path)
  end)

  it("core.sleep of a huge value sleeps instead of returning at once", function()
    -- 0.1 converted 1e300 to time_t (undefined behaviour: nanosleep failed at
    -- once, and a caller waiting on it spun). The child must still be
    -- asleep when `timeout` ends it, whatever the machine's load.
    local status, out = env.sh("timeout 1 env " .. env.lua_env() .. " " .. env.LUA
      .. " -e 'local core = require(\"shoplive.core\"); core.sleep(1e300); print(\"returned\")'")
    assert.equals(124, status)
    assert.equals("", out)
    -- nothing to sleep: returns
    status, out = env.sh("timeout 10 env " .. env.lua_env() .. " " .. env.LUA
      .. " -e 'local core = require(\"shoplive.core\"); core.sleep(-1); core.sleep(0/0); core.sleep(0); print(\"ok\")'")
    assert.equals(0, status)
    assert.equals("ok\n", out)
  end)
end)
