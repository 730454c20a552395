local env = require("support.env")
local shoplive = env.shoplive

local INT_FIELDS = { "create_time", "duration", "finish_time", "max_views_cnt", "total_joins_cnt",
  "total_sale_cnt", "total_sale_gmv_amt", "total_views_cnt" }
local STR_FIELDS = { "avatar", "cover_url", "nick_name", "region", "room_id", "seller_id", "title", "user_id" }

describe("client:livestreams records", function()
  local sb, client
  before_each(function() sb, client = env.fresh_client() end)
  after_each(function() client:close() end)

  it("returns a page with the 16 spec fields, typed", function()
    local page, err = client:livestreams{ seller_id = "237" }
    assert.is_nil(err)
    assert.equals(10, #page.records)
    assert.equals(1, page.page)
    assert.equals(10, page.page_size)
    assert.is_true(page.has_more)
    assert.is_string(page.request_id)
    for _, r in ipairs(page.records) do
      for _, f in ipairs(INT_FIELDS) do
        assert.equals("integer", env.itype(r[f]), f) -- math.type on 5.3+; an integral number below
      end
      for _, f in ipairs(STR_FIELDS) do
        assert.is_string(r[f], f)
      end
      assert.equals("237", r.seller_id)
      assert.matches("^%d+$", r.room_id)
      assert.equals(r.create_time + r.duration, r.finish_time)
    end
  end)

  it("pages through a shop and reports has_more", function()
    local last, err = client:livestreams{ seller_id = 237, page = 24, page_size = 10 }
    assert.is_nil(err)
    assert.equals(7, #last.records)
    assert.is_false(last.has_more)
    local empty = assert(client:livestreams{ seller_id = "0" })
    assert.same({}, empty.records)
    assert.is_false(empty.has_more)
    local exact = assert(client:livestreams{ seller_id = "10", page_size = 5, page = 2 })
    assert.equals(5, #exact.records)
    assert.is_true(exact.has_more)
  end)

  it("sends exactly the validated parameters", function()
    assert(client:livestreams{ seller_id = "7494818275540568755", sort_by = "gmv", order = "asc", page = 3, page_size = 7 })
    local log = sb:stats().log
    assert.equals("seller_id=7494818275540568755&seller_live_sort_field=3&sort_type=0&page_num=3&page_size=7",
      log[#log].args)
    assert.is_true(log[#log].authorization)
  end)

  for _, case in ipairs{ { "views", "total_views_cnt" }, { "sales", "total_sale_cnt" }, { "gmv", "total_sale_gmv_amt" },
      { 1, "total_views_cnt" }, { "total_sale_gmv_amt", "total_sale_gmv_amt" } } do
    for _, order in ipairs{ "desc", "asc" } do
      it("sorts by " .. tostring(case[1]) .. " " .. order, function()
        local page = assert(client:livestreams{ seller_id = "237", sort_by = case[1], order = order, page = 2 })
        assert.equals(10, #page.records)
        for i = 2, #page.records do
          local a, b = page.records[i - 1][case[2]], page.records[i][case[2]]
          if order == "desc" then assert.is_true(a >= b) else assert.is_true(a <= b) end
        end
      end)
    end
  end

  it("keeps int64 values exact, floats as floats, null as nil, unknown fields #int64", function()
    local page = assert(client:livestreams{ seller_id = "9990001" })
    local recs = page.records
    assert.equals(3, #recs)
    local found = {}
    for _, r in ipairs(recs) do
      if r.total_sale_gmv_amt == 9007199254740993 then
        found.big = true
        assert.equals("integer", math.type(r.total_sale_gmv_amt))
        assert.equals("9007199254740993", string.format("%d", r.total_sale_gmv_amt))
      end
      if r.total_views_cnt == math.maxinteger then found.max = true end
      if r.total_joins_cnt == math.mininteger then found.min = true end
      if math.type(r.total_sale_cnt) == "float" then
        found.float = true
        assert.equals(12.5, r.total_sale_cnt)
      end
      if r.extra then
        found.extra = true
        assert.same({ "a", 1, true }, r.extra.tags)
      end
      if r.title == nil then found.null = true end
      if type(r.title) == "string" and r.title:find("\0", 1, true) then
        found.nul = true
        assert.truthy(r.title:find("\195\169", 1, true))
        assert.truthy(r.title:find("\240\159\152\128", 1, true))
      end
    end
    assert.same({ big = true, max = true, min = true, float = true, extra = true, null = true, nul = true }, found)
  end)

  it("keeps big integers as exact digit strings, floats, null as nil, unknown fields #noint64", function()
    -- 5.1/5.2/LuaJIT: no integer subtype; integers past 2^53 come back as
    -- strings of their exact digits, never as a rounded number
    local page = assert(client:livestreams{ seller_id = "9990001" })
    local recs = page.records
    assert.equals(3, #recs)
    local a, b, c = recs[1], recs[2], recs[3]
    assert.equals("9007199254740993", a.total_sale_gmv_amt)
    assert.equals("9223372036854775807", a.total_views_cnt)
    assert.equals("-9223372036854775808", a.total_joins_cnt)
    assert.equals(3, a.total_sale_cnt)
    assert.equals(1693876970, a.create_time)
    assert.truthy(a.title:find("\0", 1, true))
    assert.truthy(a.title:find("\195\169", 1, true))
    assert.truthy(a.title:find("\240\159\152\128", 1, true))
    assert.equals(12.5, b.total_sale_cnt)
    assert.is_nil(b.title)
    assert.same({ "a", 1, true }, b.extra.tags)
    assert.equals(3, c.total_views_cnt)
    assert.equals("number", type(c.total_views_cnt))
    -- sorting: strings rank after numbers, so descending puts the big GMV first
    local top = shoplive.top(recs, 3, "-gmv")
    assert.equals(a, top[1]) -- the digit string is the largest GMV: it sorts first
  end)

  it("counts requests, credits and bytes in stats()", function()
    assert(client:livestreams{ seller_id = "237" })
    assert(client:livestreams{ seller_id = "237", page = 2 })
    local s = client:stats()
    assert.equals(2, s.requests)
    assert.equals(2, s.credits)
    assert.equals(0, s.retries)
    assert.is_true(s.bytes > 1000)
    assert.equals(2, env.requests())
  end)

  it("sends its User-Agent and accepts compressed responses", function()
    assert(client:livestreams{ seller_id = "1" })
    local last = sb:stats().log
    last = last[#last]
    assert.matches("^shoplive/" .. shoplive.VERSION:gsub("%.", "%%.") .. " libcurl/%d", last.user_agent)
    assert.matches("gzip", last.accept_encoding)
  end)

  it("exposes VERSION as MAJOR.MINOR.PATCH", function()
    assert.matches("^%d+%.%d+%.%d+$", shoplive.VERSION)
  end)
end)
