local env = require("support.env")
local shoplive = env.shoplive

describe("invalid input raises before anything is sent", function()
  local sb, client
  before_each(function() sb, client = env.fresh_client() end)
  after_each(function() client:close() end)

  local bad_queries = {
    { nil, "expected a table" },
    { {}, "'seller_id' is required" },
    { { seller_id = 1.5 }, "'seller_id' must be" },
    -- a float exists only where there is an integer subtype (5.3+); below, 237.0 is 237
    { { seller_id = 237.0 }, "'seller_id' must be", "#int64" },
    { { seller_id = "12a" }, "'seller_id' must be" },
    { { seller_id = "" }, "'seller_id' must be" },
    { { seller_id = -5 }, "'seller_id' must be" },
    { { seller_id = "1", page_size = 0 }, "'page_size' must be an integer from 1 to 10" },
    { { seller_id = "1", page_size = 11 }, "'page_size' must be an integer from 1 to 10" },
    { { seller_id = "1", page_size = 2.5 }, "'page_size'" },
    { { seller_id = "1", page = 0 }, "'page' must be an integer from 1 to 100000" },
    { { seller_id = "1", page = 100001 }, "'page' must be an integer from 1 to 100000" },
    { { seller_id = "1", page = "2" }, "'page'" },
    { { seller_id = "1", sort_by = "likes" }, "'sort_by' must be one of" },
    { { seller_id = "1", sort_by = 4 }, "'sort_by'" },
    { { seller_id = "1", order = "down" }, "'order' must be" },
    { { seller_id = "1", order = 2 }, "'order'" },
    { { seller_id = "1", sortby = "gmv" }, "unknown argument 'sortby'" },
  }
  for i, case in ipairs(bad_queries) do
    it("rejects query #" .. i .. " (" .. case[2] .. ")" .. (case[3] and " " .. case[3] or ""), function()
      local ok, msg = pcall(client.livestreams, client, case[1])
      assert.is_false(ok)
      assert.matches("livestreams: ", msg, 1, true)
      assert.truthy(msg:find(case[2], 1, true), msg)
      assert.equals(0, env.requests())
      assert.equals(0, client:stats().requests)
    end)
  end

  it("takes 237.0 as the integer 237 where numbers have no subtype #noint64", function()
    -- 5.1/5.2/LuaJIT: 237.0 and 237 are the same value; fractions still raise
    assert(client:livestreams{ seller_id = 237.0, page_size = 2.0 })
    local log = sb:stats().log
    assert.equals("seller_id=237&page_num=1&page_size=2", log[#log].args)
    assert.is_false(pcall(client.livestreams, client, { seller_id = 237.5 }))
    assert.is_false(pcall(client.livestreams, client, { seller_id = 2 ^ 53 + 2 })) -- past 2^53: not exact
  end)

  it("points the error at the caller's line", function() -- (no tail calls: they drop the caller's frame)
    local ok, msg = pcall(function() local r = client:livestreams{ seller_id = "x" }; return r end)
    assert.is_false(ok)
    assert.matches("validation_spec.lua:%d+:", msg)
    ok, msg = pcall(function() local r = client:livestreams{ seller_id = "1", page = 0 }; return r end)
    assert.is_false(ok)
    assert.matches("validation_spec.lua:%d+:", msg)
    ok, msg = pcall(function() local r = shoplive.new{ api_key = env.KEY, timeout = -1 }; return r end)
    assert.is_false(ok)
    assert.matches("validation_spec.lua:%d+:", msg)
    ok, msg = pcall(function() local r = shoplive.new{ api_key = env.KEY, bogus = 1 }; return r end)
    assert.is_false(ok)
    assert.matches("validation_spec.lua:%d+:", msg)
  end)

  it("accepts the documented spellings", function()
    for _, q in ipairs{
      { seller_id = 237, sort_by = 3, order = 1 }, { seller_id = "237", sort_by = "total_sale_cnt", order = 0 },
      { seller_id = "237", sort_by = "views", order = "asc", page = 2.0, page_size = 1 },
    } do
      assert.is_table((client:livestreams(q)))
    end
    assert.equals(3, env.requests())
  end)

  local bad_options = {
    { { timeout = 0 }, "'timeout'" }, { { timeout = "5" }, "'timeout'" }, { { connect_timeout = -1 }, "'connect_timeout'" },
    { { max_retries = -1 }, "'max_retries'" }, { { max_retries = 1.5 }, "'max_retries'" },
    { { backoff_base = -0.1 }, "'backoff_base'" }, { { backoff_max = "x" }, "'backoff_max'" },
    { { max_body = 0 }, "'max_body'" }, { { qps = 0 }, "'qps'" }, { { user_agent = "a\r\nX-Evil: 1" }, "'user_agent'" },
    { { ca_file = "/nonexistent/ca.pem" }, "'ca_file'" }, { { proxy = 5 }, "'proxy'" },
    { { max_credits = -1 }, "'max_credits'" }, { { wait = 5 }, "'wait'" }, { { wait = true }, "'wait'" },
    { { base_url = "ftp://example.com" }, "'base_url'" }, { { base_url = "file:///etc/passwd" }, "'base_url'" },
    { { base_url = "http://h/x?y=1" }, "'base_url'" }, { { base_url = "http://u:p@h" }, "'base_url'" },
    { { retries = 3 }, "unknown option 'retries'" },
  }
  for i, case in ipairs(bad_options) do
    it("new() rejects option set #" .. i .. " (" .. case[2] .. ")", function()
      local o = { api_key = env.KEY }
      for k, v in pairs(case[1]) do o[k] = v end
      local ok, msg = pcall(shoplive.new, o)
      assert.is_false(ok)
      assert.truthy(msg:find("shoplive.new: ", 1, true), msg)
      assert.truthy(msg:find(case[2], 1, true), msg)
    end)
  end

  it("new() takes wait = false (block in libcurl, even inside OpenResty)", function()
    local c = env.client{ wait = false }
    assert.is_table((c:livestreams{ seller_id = "237", page_size = 2 }))
    c:close()
    assert.equals(1, env.requests())
  end)

  it("new() without a key names KEYAPI_API_KEY", function()
    local getenv = os.getenv
    os.getenv = function(k) if k == "KEYAPI_API_KEY" then return nil end return getenv(k) end -- luacheck: ignore
    local ok, msg = pcall(shoplive.new, { base_url = sb.url })
    os.getenv = getenv -- luacheck: ignore
    assert.is_false(ok)
    assert.matches("KEYAPI_API_KEY", msg)
  end)

  it("rejects a key with CR/LF (header injection) without echoing it", function()
    local secret = "sk_live_secret\r\nX-Injected: yes"
    local ok, msg = pcall(shoplive.new, { api_key = secret, base_url = sb.url })
    assert.is_false(ok)
    assert.matches("'api_key'", msg)
    assert.is_nil(msg:find("sk_live_secret", 1, true))
  end)

  it("reads the key and base URL from the environment", function()
    local getenv = os.getenv
    os.getenv = function(k) -- luacheck: ignore
      if k == "KEYAPI_API_KEY" then return "sk_test_from_env" end
      if k == "KEYAPI_BASE_URL" then return sb.url .. "/" end
      return getenv(k)
    end
    local ok, c = pcall(shoplive.new)
    os.getenv = getenv -- luacheck: ignore
    assert.is_true(ok, c)
    assert.equals(sb.url, c.base_url)
    assert.is_table((c:livestreams{ seller_id = "3" }))
    c:close()
  end)
end)

describe("the API key stays secret", function()
  it("is absent from tostring(client), errors and the client table", function()
    env.reset()
    local key = "sk_test_invalid"
    local c = env.client{ api_key = key, max_retries = 0 }
    assert.is_nil(tostring(c):find(key, 1, true))
    local _, err = c:livestreams{ seller_id = "1" }
    assert.is_nil(tostring(err):find(key, 1, true))
    local function scan(t, seen)
      seen = seen or {}
      if seen[t] then return end
      seen[t] = true
      for k, v in pairs(t) do
        assert.is_false(k == key or v == key, "key found under " .. tostring(k))
        if type(v) == "table" then scan(v, seen) end
      end
    end
    scan(c)
    scan(err)
    c:close()
  end)

  it("is redacted from server texts that echo it", function()
    local c = env.client{ api_key = env.KEY }
    assert.equals("bad key [REDACTED]!", c._core:redact("bad key " .. env.KEY .. "!"))
    c:close()
  end)
end)

describe("the debug option", function()
  it("receives libcurl's verbose lines with the key redacted", function()
    env.reset()
    local lines = {}
    local c = env.client{ debug = function(line) lines[#lines + 1] = line end }
    assert.is_table((c:livestreams{ seller_id = "237" }))
    local _, err = env.client{ api_key = "sk_test_invalid", max_retries = 0,
      debug = function(line) lines[#lines + 1] = line end }:livestreams{ seller_id = "1" }
    assert.equals("auth", err.kind)
    c:close()
    local text = table.concat(lines, "\n")
    assert.matches("> GET /v1/tiktok/shop/livestreams/analytics%?seller_id=237&page_num=1&page_size=10 HTTP/1.1", text)
    assert.matches("> Authorization: %[REDACTED%]", text)
    assert.matches("< HTTP/1.1 200 OK", text)
    assert.matches("< HTTP/1.1 401", text)
    assert.matches("%* ", text) -- libcurl's own text lines
    assert.is_nil(text:find(env.KEY, 1, true))
    assert.is_nil(text:find("sk_test_invalid", 1, true))
    assert.is_nil(text:find("Bearer", 1, true))
  end)

  it("must be a function", function()
    local ok, msg = pcall(shoplive.new, { api_key = env.KEY, debug = true })
    assert.is_false(ok)
    assert.matches("'debug'", msg)
  end)
end)
