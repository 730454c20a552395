-- The top of the report (issue 19 b): a table of contents linking every
-- section, and the overview: one row per shop with its headline figures
-- and the last period's GMV against the period of equal length before it.
local shoplive = require("shoplive")
local figures = require("shoplive.report.figures")
local env = require("support.env")
local cli = require("support.cli_run")
local records = require("support.report_records")

local DAY = 86400
local END = 1700000000

local function rec(t)
  local r = records.record(t, { create_time = END - 3600, finish_time = END })
  r.finish_time = r.create_time + r.duration
  return r
end

-- Shop 1: 3 livestreams in the last 7 days (GMV 600), 1 in the 7 before
-- (GMV 400), 1 older. Shop 2: 1 in the last 7 days (GMV 2000). Shop 3 none.
local RECS = {
  rec{ room_id = "a", create_time = END - 3600, total_sale_gmv_amt = 100 },
  rec{ room_id = "b", create_time = END - 2 * DAY, total_sale_gmv_amt = 200 },
  rec{ room_id = "c", create_time = END - 6 * DAY, total_sale_gmv_amt = 300 },
  rec{ room_id = "d", create_time = END - 10 * DAY, total_sale_gmv_amt = 400 },
  rec{ room_id = "e", create_time = END - 30 * DAY, total_sale_gmv_amt = 5000 },
  rec{ room_id = "f", seller_id = "2", nick_name = "two", create_time = END - 5 * DAY, total_sale_gmv_amt = 2000,
    total_views_cnt = 1000, total_sale_cnt = 40 },
}

local overview_rows = records.overview_rows

describe("report overview #novalgrind", function()
  it("compares each shop's last period with the one of equal length before it", function()
    local shops = figures.shops(RECS, { "1", "2", "3" })
    local p = figures.compare_periods(shops, END, 7)
    assert.equals(END - 7 * DAY, p.from)
    local one = shops[1].periods.US
    assert.same({ 3, 600, 1, 400 }, { one.n, one.gmv, one.prev_n, one.prev_gmv })
    assert.equals(0.5, one.change)
    assert.is_nil(shops[2].periods.US.change) -- nothing before to compare with
    assert.same({}, shops[3].periods)
  end)

  it("comes first, after a table of contents linking every section", function()
    local doc = shoplive.report(RECS, { shops = { "1", "2", "3" }, period = 7, generated_at = END })
    local toc = assert(doc:match('<nav class="toc" aria%-label="Contents">.-</nav>'))
    local ids = {}
    for id in toc:gmatch('href="#([%w-]+)"') do ids[#ids + 1] = id end
    assert.same({ "overview", "shops", "timeline", "weekly", "heatmap", "histogram", "top", "hosts", "quality" }, ids)
    for _, id in ipairs(ids) do assert.truthy(doc:find('<section id="' .. id .. '"', 1, true), id) end
    assert.truthy(doc:find("<main>\n<section id=\"overview\">", 1, true))
    local sec, rows = overview_rows(doc)
    -- one row per shop, by GMV (one region: one currency), the empty shop last
    assert.equals(3, #rows)
    assert.same({ "1", "Shop 1 (host)", "5", "5.0", "6K USD", "600 USD", "+50.0%", "500", "25", "5.00%" }, rows[1])
    assert.same({ "2", "Shop 2 (two)", "1", "1.0", "2K USD", "2K USD", "none before", "1,000", "40",
      "4.00%" }, rows[2])
    assert.same({ "3", "Shop 3", "0", "0.0", "–", "–", "–", "0", "0", "–" }, rows[3])
    assert.truthy(sec:find("Last 7 days: 2023-11-07 22:13 to 2023-11-14 22:13 (UTC)", 1, true))
    assert.truthy(sec:find("change = (GMV of those days − GMV of the 7 days before) / GMV of the 7 days before", 1,
      true))
  end)

  it("orders shops of different currencies by livestreams, and says why", function()
    local recs = { rec{ room_id = "x", seller_id = "8", region = "VN", total_sale_gmv_amt = 436.2e9 },
      rec{ room_id = "y", seller_id = "9" }, rec{ room_id = "z", seller_id = "9" } }
    local sec, rows = overview_rows(shoplive.report(recs, { generated_at = END }))
    assert.truthy(rows[1][2]:find("Shop 9", 1, true))
    assert.equals("436.2B VND", rows[2][5])
    assert.truthy(sec:find("by livestreams (GMV of different currencies is not compared)", 1, true))
    assert.truthy(sec:find("Last 28 days", 1, true)) -- the default period
  end)

  it("refuses a bad period, in the library and the CLI, before sending anything", function()
    for _, bad in ipairs({ 0, 1.5, "7", 3661 }) do
      assert.error_matches(function() shoplive.report(RECS, { period = bad }) end,
        "option 'period' must be a whole number of days from 1 to 3660")
    end
    env.reset()
    local status, _, err = cli.run("report 25 --period 0 -o /dev/null")
    assert.equals(2, status)
    assert.truthy(err:find("option '--period' must be a whole number of days from 1 to 3660, got '0'", 1, true), err)
    assert.equals(0, env.requests())
  end)
end)
