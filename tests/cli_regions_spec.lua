-- Issue 20 items 8 and 9: GMV is in each region's own currency, so no
-- figure adds it across regions (summarize's regions, the CLI summary in
-- text and JSON); rows of several shops in one table can be told apart.
local env = require("support.env")
local cli = require("support.cli_run")
local core = require("shoplive.core")
local shoplive = require("shoplive")

local run, lines = cli.run, cli.lines

-- the library's figures of shop 237 by region, from its records
local function by_region(seller_id)
  local c = env.client()
  local recs = assert(c:all_livestreams{ seller_id = seller_id })
  c:close()
  local groups, keys = shoplive.group_by(recs, "region")
  return groups, keys, recs
end

describe("GMV per region (item 8)", function()
  before_each(function() env.reset() end)

  it("summarize gives every region's figures apart, and how many regions", function()
    local s = shoplive.summarize{
      { region = "US", total_sale_gmv_amt = 100, duration = 3600 },
      { region = "VN", total_sale_gmv_amt = 2500000, duration = 7200 },
      { region = "US", total_sale_gmv_amt = 50, duration = 1800 },
      { total_sale_gmv_amt = 7 },
    }
    assert.equals(3, s.region_count)
    assert.equals(150, s.regions.US.total_gmv)
    assert.equals(2, s.regions.US.count)
    assert.equals(100, s.regions.US.gmv_per_hour)
    assert.equals(2500000, s.regions.VN.total_gmv)
    assert.equals(7, s.regions[""].total_gmv)
    assert.is_nil(s.regions.US.regions) -- one level
    assert.equals(1, shoplive.summarize{ { region = "US" } }.region_count)
  end)

  it("the text summary of a shop in 8 regions prints GMV per region, never summed", function()
    local groups, keys = by_region("237")
    assert.equals(8, #keys)
    local status, out, err = run("summary 237 -q")
    assert.equals(0, status, err)
    assert.is_nil(out:find("total GMV", 1, true))
    assert.is_nil(out:find("GMV per hour live ", 1, true))
    assert.is_nil(out:find("mean GMV", 1, true))
    local sum = 0
    for _, region in ipairs(keys) do
      local g = groups[region]
      sum = sum + g.total_gmv
      local line = out:match("\nGMV in " .. region .. "%s+([^\n]+)")
      assert.is_string(line, region)
      assert.equals(string.format("total %d, per hour live %.2f (%d livestreams)", g.total_gmv, g.gmv_per_hour,
        g.count), line)
    end
    assert.is_nil(out:find(string.format("%d", sum), 1, true)) -- the old "total GMV 778511633231"
    assert.matches("livestreams%s+237\n", out)
  end)

  it("the JSON summary has the regions' GMV, and no cross-region GMV", function()
    local groups, keys = by_region("237")
    local status, out = run("summary 237 -q -f json")
    assert.equals(0, status)
    local t = assert(core.json_decode(out))
    assert.is_nil(t.total_gmv)
    assert.is_nil(t.mean_gmv)
    assert.is_nil(t.gmv_per_hour)
    assert.equals(237, t.count)
    assert.equals(8, t.region_count)
    for _, region in ipairs(keys) do
      assert.equals(groups[region].total_gmv, t.regions[region].total_gmv)
      assert.equals(groups[region].count, t.regions[region].count)
      assert.equals(groups[region].best.room_id, t.regions[region].best)
    end
  end)

  it("a shop in one region keeps its total GMV", function()
    local status, out = run("summary 1 -q")
    assert.equals(0, status)
    assert.matches("\ntotal GMV%s+%d+\n", out)
    assert.is_nil(out:find("GMV in ", 1, true))
  end)
end)

describe("a table of several shops (item 9)", function()
  before_each(function() env.reset() end)

  it("gets a shop column first", function()
    local status, out = run("livestreams 237 999 0 --sort gmv --limit 3 -q", { COLUMNS = "200" })
    assert.equals(0, status)
    local ls = lines(out)
    assert.equals(8, #ls) -- header, rule, 3 + 3 rows (shop 0 is empty)
    assert.matches("^shop%s+room_id%s", ls[1])
    local shops = {}
    for i = 3, 8 do shops[#shops + 1] = ls[i]:match("^(%d+) ") end
    assert.same({ "237", "237", "237", "999", "999", "999" }, shops)
    -- narrow: region, hours and start go, the shop stays
    status, out = run("livestreams 237 999 --limit 2 -q", { COLUMNS = "70" })
    assert.equals(0, status)
    assert.matches("^shop%s+room_id%s", lines(out)[1])
  end)

  it("csv --fields gets seller_id first; one shop gets no shop column", function()
    local status, out = run("livestreams 237 999 --limit 1 -q -f csv --fields gmv,title")
    assert.equals(0, status)
    local ls = lines(out)
    assert.equals("seller_id,total_sale_gmv_amt,title\r", ls[1])
    assert.matches("^237,", ls[2])
    assert.matches("^999,", ls[3])
    status, out = run("livestreams 237 --limit 1 -q -f csv --fields gmv,title")
    assert.equals(0, status)
    assert.equals("total_sale_gmv_amt,title\r", lines(out)[1])
    status, out = run("livestreams 237 --limit 1 -q", { COLUMNS = "200" })
    assert.equals(0, status)
    assert.matches("^room_id%s", lines(out)[1])
  end)
end)
