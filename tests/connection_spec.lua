local env = require("support.env")
local shoplive = env.shoplive

describe("connections and lifetime", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("20 sequential requests share one TCP connection", function()
    local c = env.client()
    for i = 1, 20 do
      assert.is_table((c:livestreams{ seller_id = "237", page = i }))
    end
    local st = sb:stats()
    assert.equals(20, st.requests)
    assert.equals(1, st.connections)
    c:close()
  end)

  it("close() is idempotent and later calls raise a clear error", function()
    local c = env.client()
    assert.is_table((c:livestreams{ seller_id = "1" }))
    c:close()
    c:close()
    local ok, msg = pcall(c.livestreams, c, { seller_id = "1" })
    assert.is_false(ok)
    assert.matches("client is closed", msg)
    assert.matches("closed", tostring(c))
  end)

  it("works as a to-be-closed variable #lua54", function()
    local chunk = assert(load([[
      local env = ...
      local keep
      do
        local c <close> = env.client()
        keep = c
        assert(c:livestreams{ seller_id = "1" })
      end
      return keep
    ]]))
    local c = chunk(env)
    local ok, msg = pcall(c.livestreams, c, { seller_id = "1" })
    assert.is_false(ok)
    assert.matches("client is closed", msg)
  end)

  it("a collected client frees its handles", function()
    for _ = 1, 50 do
      local c = env.client()
      assert(c:livestreams{ seller_id = "1" })
    end
    collectgarbage()
    collectgarbage()
    assert.equals(50, env.requests())
  end)

  it("decode() turns a saved body into a page offline", function()
    local body = [[{"code":0,"message":"success","data":[{"room_id":"7275145563308362538","total_views_cnt":3132,
      "create_time":1693876970,"title":null}],"requestId":"dbab4133"}]]
    local page, err = shoplive.decode(body, { seller_id = "1", page = 1, page_size = 10 })
    assert.is_nil(err)
    assert.equals("dbab4133", page.request_id)
    assert.equals("7275145563308362538", page.records[1].room_id)
    assert.equals("integer", env.itype(page.records[1].total_views_cnt))
    assert.is_nil(page.records[1].title)
    assert.is_false(page.has_more)
    local p2, e2 = shoplive.decode("{\"code\":0")
    assert.is_nil(p2)
    assert.equals("decode", e2.kind)
    local p3, e3 = shoplive.decode('{"code":401,"data":null,"message":"apiKey is null"}')
    assert.is_nil(p3)
    assert.equals("api", e3.kind)
    assert.equals(401, e3.code)
  end)
end)
