local raised = require("support.raised")
local analysis = require("shoplive.analysis")

local has_int = math.type ~= nil -- Lua 5.3+: integer subtype, int64-exact sums

-- Hand-computed set:
--   views: 1000 + 3000 + 2000 (r3 nil)      = 6000 over 3 records
--   sales: 10 + 20 + 5 (r4 nil)             = 35   over 3 records
--   gmv:   500 + 700 + 700 (r4 nil)         = 1900 over 3 records, best r2 (tie with r3)
--   duration: 3600 + 1800 + 5400 (r4 nil)   = 10800 s = 3.0 h
--   create_time: min r4 1693800000, max r3 1693958400
local function recs()
  return {
    { room_id = "r1", region = "US", create_time = 1693876970, duration = 3600, -- 2023-09-05 01:22:50Z
      total_views_cnt = 1000, total_sale_cnt = 10, total_sale_gmv_amt = 500 },
    { room_id = "r2", region = "GB", create_time = 1693958399, duration = 1800, -- 2023-09-05 23:59:59Z
      total_views_cnt = 3000, total_sale_cnt = 20, total_sale_gmv_amt = 700 },
    { room_id = "r3", region = "US", create_time = 1693958400, duration = 5400, -- 2023-09-06 00:00:00Z
      total_views_cnt = nil, total_sale_cnt = 5, total_sale_gmv_amt = 700, extra = { x = 1 } },
    { room_id = "r4", region = nil, create_time = 1693800000, duration = nil,   -- 2023-09-04 04:00:00Z
      total_views_cnt = 2000, total_sale_cnt = nil, total_sale_gmv_amt = nil },
  }
end

local function near(expected, actual)
  assert.is_number(actual)
  assert.is_true(math.abs(expected - actual) < 1e-9 * math.max(1, math.abs(expected)),
    "expected " .. tostring(expected) .. ", got " .. tostring(actual))
end

describe("shoplive.analysis.summarize", function()
  it("computes the figures of a hand-computed set, skipping nil fields", function()
    local r = recs()
    local s = analysis.summarize(r)
    assert.equals(4, s.count)
    assert.equals(6000, s.total_views)
    assert.equals(35, s.total_sales)
    assert.equals(1900, s.total_gmv)
    assert.equals(10800, s.total_duration)
    if has_int then
      assert.equals("integer", math.type(s.total_views))
      assert.equals("integer", math.type(s.total_sales))
      assert.equals("integer", math.type(s.total_gmv))
      assert.equals("float", math.type(s.hours_live))
    end
    near(2000, s.mean_views)
    near(35 / 3, s.mean_sales)
    near(1900 / 3, s.mean_gmv)
    near(3.0, s.hours_live)
    near(1900 / 3, s.gmv_per_hour)
    near(35 * 1000 / 6000, s.sales_per_1000_views)
    assert.equals(r[2], s.best) -- 700 ties with r3: the first one wins
    assert.equals(1693800000, s.first_start)
    assert.equals(1693958400, s.last_start)
  end)

  it("gives zeros and nils for an empty list", function()
    local s = analysis.summarize({})
    assert.equals(0, s.count)
    assert.equals(0, s.total_views)
    assert.equals(0, s.total_sales)
    assert.equals(0, s.total_gmv)
    assert.equals(0, s.hours_live)
    assert.is_nil(s.mean_views)
    assert.is_nil(s.mean_sales)
    assert.is_nil(s.mean_gmv)
    assert.is_nil(s.gmv_per_hour)
    assert.is_nil(s.sales_per_1000_views)
    assert.is_nil(s.best)
    assert.is_nil(s.first_start)
    assert.is_nil(s.last_start)
  end)

  it("gives nil ratios when there are no views or no duration", function()
    local s = analysis.summarize({ { total_sale_cnt = 3, total_views_cnt = 0, duration = 0, total_sale_gmv_amt = 9 } })
    assert.equals(1, s.count)
    assert.is_nil(s.sales_per_1000_views)
    assert.is_nil(s.gmv_per_hour)
    assert.equals(9, s.total_gmv)
    near(9, s.mean_gmv)
  end)

  it("records lacking every field count but add nothing", function()
    local s = analysis.summarize({ {}, { foo = "bar" } })
    assert.equals(2, s.count)
    assert.equals(0, s.total_gmv)
    assert.is_nil(s.mean_gmv)
    assert.is_nil(s.best)
    assert.is_nil(s.first_start)
  end)

  it("picks the highest gmv as best, the first on ties", function()
    local a = { room_id = "a", total_sale_gmv_amt = 5 }
    local b = { room_id = "b", total_sale_gmv_amt = 9 }
    local c = { room_id = "c", total_sale_gmv_amt = 9 }
    local d = { room_id = "d" }
    assert.equals(b, analysis.summarize({ a, b, c, d }).best)
    assert.equals(c, analysis.summarize({ d, c, a, b }).best)
    assert.equals(a, analysis.summarize({ d, a }).best)
    assert.is_nil(analysis.summarize({ d }).best)
  end)

  it("finds first and last start whatever the order", function()
    local s = analysis.summarize({ { create_time = 30 }, { create_time = 10 }, {}, { create_time = 20 } })
    assert.equals(10, s.first_start)
    assert.equals(30, s.last_start)
  end)

  it("sums int64 gmv exactly as integers #int64", function()
    local big = math.tointeger(9007199254740993)
    local s = analysis.summarize({ { total_sale_gmv_amt = big }, { total_sale_gmv_amt = 1 } })
    assert.equals("integer", math.type(s.total_gmv))
    assert.is_true(s.total_gmv == math.tointeger(9007199254740994))
    assert.equals("9007199254740994", string.format("%d", s.total_gmv))
    -- near the top of the int64 range the sum stays exact too
    s = analysis.summarize({ { total_sale_gmv_amt = math.maxinteger - 5 }, { total_sale_gmv_amt = 5 } })
    assert.is_true(s.total_gmv == math.maxinteger)
    assert.equals(s.best.total_sale_gmv_amt, math.maxinteger - 5)
  end)

  it("falls back to a float sum instead of wrapping past int64 #int64", function()
    local s = analysis.summarize({ { total_views_cnt = math.maxinteger }, { total_views_cnt = 1 } })
    assert.equals("float", math.type(s.total_views))
    assert.is_true(s.total_views > 0)
    near(2 ^ 63, s.total_views)
  end)

  it("counts an integer the decoder gave as digits (past 2^53) as the double it rounds to #noint64", function()
    -- 5.1/5.2/LuaJIT: core gives 9007199254740993 as "9007199254740993"; a
    -- sum past 2^53 rounds like any double sum there, but the record counts
    local core = require("shoplive.core")
    local page = core.decode_response('{"code":0,"data":[{"room_id":"a","total_sale_gmv_amt":9007199254740993},'
      .. '{"room_id":"b","total_sale_gmv_amt":1,"total_views_cnt":9007199254740993}]}')
    local r = page.records
    assert.equals("9007199254740993", r[1].total_sale_gmv_amt)
    local s = analysis.summarize(r)
    assert.equals(2, s.count)
    local big = tonumber("9007199254740993")          -- the nearest double, 2^53
    assert.equals(2 ^ 53, big)
    assert.equals(big + 1, s.total_gmv)                -- a double sum, as any past 2^53 there
    assert.equals(r[1], s.best)
    assert.equals(big, s.total_views)
    near((big + 1) / 2, s.mean_gmv)
    -- not digits: skipped as before
    s = analysis.summarize({ { total_sale_gmv_amt = "12a" }, { total_sale_gmv_amt = "" }, { total_sale_gmv_amt = 3 } })
    assert.equals(3, s.total_gmv)
    near(3, s.mean_gmv)
  end)

  it("keeps a non-integer value as the number it is", function()
    local s = analysis.summarize({ { total_sale_gmv_amt = 12.5 }, { total_sale_gmv_amt = 1 } })
    near(13.5, s.total_gmv)
  end)

  it("rejects bad arguments naming them, at the caller's line", function()
    assert.matches("shoplive.summarize: argument 'records' must be an array", raised(analysis.summarize, "nope"), 1, true)
    assert.matches("records%[2%]", raised(analysis.summarize, { {}, 5 }))
    assert.matches("analysis_spec.lua:%d+:", raised(function() analysis.summarize(nil) end))
  end)
end)

describe("shoplive.analysis.group_by", function()
  it("groups by a field, skipping records whose key is nil", function()
    local r = recs()
    local groups, keys = analysis.group_by(r, "region")
    assert.same({ "GB", "US" }, keys)
    assert.equals(2, groups.US.count)
    assert.equals(1, groups.GB.count)
    assert.is_nil(groups["(none)"])
    assert.equals(1200, groups.US.total_gmv)
    assert.equals(1000, groups.US.total_views)
    assert.equals(r[3], groups.US.best) -- 700 > 500
    assert.equals(r[2], groups.GB.best)
    near(9000 / 3600, groups.US.hours_live)
  end)

  it("groups by UTC day across a midnight boundary", function()
    local r = recs()
    local groups, keys = analysis.group_by(r, "day")
    assert.same({ "2023-09-04", "2023-09-05", "2023-09-06" }, keys)
    assert.equals(1, groups["2023-09-04"].count)
    assert.equals(2, groups["2023-09-05"].count)   -- 01:22:50 and 23:59:59
    assert.equals(1, groups["2023-09-06"].count)   -- 00:00:00 the next day
    assert.equals(r[3], groups["2023-09-06"].best)
    assert.equals(1693876970, groups["2023-09-05"].first_start)
    assert.equals(1693958399, groups["2023-09-05"].last_start)
    -- no create_time: no day, record skipped
    groups, keys = analysis.group_by({ { room_id = "x" }, { create_time = 0 } }, "day")
    assert.same({ "1970-01-01" }, keys)
    assert.equals(1, groups["1970-01-01"].count)
  end)

  it("groups by a function, nil keys skipped", function()
    local r = recs()
    local groups, keys = analysis.group_by(r, function(rec)
      local v = rec.total_views_cnt
      if v == nil then return nil end
      return v >= 2000 and "big" or "small"
    end)
    assert.same({ "big", "small" }, keys)
    assert.equals(2, groups.big.count)
    assert.equals(1, groups.small.count)
    assert.equals(5000, groups.big.total_views)
  end)

  it("accepts the views/sales/gmv aliases and sorts number keys numerically", function()
    local r = recs()
    local groups, keys = analysis.group_by(r, "gmv")
    assert.same({ 500, 700 }, keys)
    assert.equals(2, groups[700].count)
    assert.equals(r[2], groups[700].best)
    groups, keys = analysis.group_by({ { total_views_cnt = 10 }, { total_views_cnt = 9 }, { total_views_cnt = 100 } },
      "views")
    assert.same({ 9, 10, 100 }, keys)
    assert.equals(1, groups[100].count)
  end)

  it("sorts mixed key types deterministically", function()
    local _, keys = analysis.group_by({ { k = "b" }, { k = true }, { k = 2 }, { k = "a" }, { k = false }, { k = 1 } }, "k")
    assert.same({ 1, 2, "a", "b", false, true }, keys)
  end)

  it("returns empty results for an empty list", function()
    local groups, keys = analysis.group_by({}, "region")
    assert.same({}, groups)
    assert.same({}, keys)
  end)

  it("rejects bad arguments naming them", function()
    assert.matches("shoplive.group_by: argument 'records'", raised(analysis.group_by, nil, "region"), 1, true)
    assert.matches("argument 'key'", raised(analysis.group_by, {}, 5), 1, true)
    assert.matches("argument 'key'", raised(analysis.group_by, {}, ""), 1, true)
    assert.matches("analysis_spec.lua:%d+:.*records%[1%]", raised(function() analysis.group_by({ "x" }, "region") end))
  end)
end)
