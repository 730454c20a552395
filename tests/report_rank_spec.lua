-- The report's rankings (issue 19 a): the top table ranks by GMV unless
-- told otherwise (rank = "gmv_per_hour" | "views" | "conversion", CLI
-- --rank), shows every per-livestream figure and states its formulas.
local shoplive = require("shoplive")
local figures = require("shoplive.report.figures")
local env = require("support.env")
local cli = require("support.cli_run")
local records = require("support.report_records")

local rec = records.record

-- a: most GMV; b: most GMV per hour; c: most views; d: best conversion
local RECS = {
  rec{ room_id = "a", title = "A", duration = 36000, total_sale_gmv_amt = 9000, total_views_cnt = 5000,
    total_sale_cnt = 50, max_views_cnt = 700 },
  rec{ room_id = "b", title = "B", duration = 900, total_sale_gmv_amt = 2000, total_views_cnt = 1000,
    total_sale_cnt = 20 },
  rec{ room_id = "c", title = "C", duration = 7200, total_sale_gmv_amt = 100, total_views_cnt = 90000,
    total_sale_cnt = 1 },
  rec{ room_id = "d", title = "D", duration = 7200, total_sale_gmv_amt = 300, total_views_cnt = 10,
    total_sale_cnt = 5 },
  rec{ room_id = "e", title = "E", duration = 0, total_sale_gmv_amt = 0, total_views_cnt = 0,
    total_sale_cnt = 0 },
}

local function order(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.record.room_id end
  return out
end

-- The cells of the top table's rows, as text.
local function top_rows(doc)
  return records.section_rows(doc, '<section id="top".-</section>')
end

describe("report rankings #novalgrind", function()
  it("ranks by each figure, leaving out livestreams without it", function()
    assert.same({ "a", "b", "d", "c", "e" }, order(figures.top(RECS, 10)))
    assert.same({ "b", "a", "d", "c" }, order(figures.top(RECS, 10, "gmv_per_hour")))
    assert.same({ "c", "a", "b", "d", "e" }, order(figures.top(RECS, 10, "views")))
    -- conversion: d 50 %, b 2 %, a 1 %, c 0.0011 %; e has no views
    assert.same({ "d", "b", "a", "c" }, order(figures.top(RECS, 10, "conversion")))
    assert.equals(0.5, figures.top(RECS, 1, "conversion")[1].value)
  end)

  it("shows the top table by GMV by default, with every per-livestream figure", function()
    local doc = shoplive.report(RECS, { generated_at = 1700100000 })
    local sec, rows = top_rows(doc)
    assert.truthy(sec:find("<h2>Top livestreams by GMV</h2>", 1, true))
    assert.truthy(sec:find('data-rank="gmv"', 1, true))
    for _, h in ipairs({ "Views", "Peak viewers", "Units", "Conversion", "GPM", "Duration (h:mm)", "GMV",
      "GMV / hour live" }) do
      assert.truthy(sec:find(">" .. h .. "</th>", 1, true), h)
    end
    assert.equals(5, #rows)
    -- a: 10 h, 5,000 views, peak 700, 50 units (1.00 %), GPM 9000 * 1000 / 5000 = 1,800, 900 / hour
    assert.same({ "1", "A", "host", "1", "2023-11-14 22:13", "10:00", "5,000", "700", "50", "1.00%", "1,800",
      "9,000", "900" }, rows[1])
    assert.equals("e", RECS[5].room_id)
    assert.same({ "5", "E", "–", "–", "0" }, { rows[5][1], rows[5][2], rows[5][10], rows[5][11], rows[5][12] })
    for _, f in ipairs({ "conversion = total_sale_cnt / total_views_cnt", "GPM = total_sale_gmv_amt × 1000 / "
      .. "total_views_cnt", "peak viewers = max_views_cnt", "Ranked by GMV = total_sale_gmv_amt" }) do
      assert.truthy(sec:find(f, 1, true), f)
    end
  end)

  it("ranks by the option rank, saying so", function()
    for rank, want in pairs({ gmv_per_hour = { "B", "GMV per hour live" }, views = { "C", "views" },
      conversion = { "D", "conversion" } }) do
      local sec, rows = top_rows(shoplive.report(RECS, { rank = rank }))
      assert.truthy(sec:find("<h2>Top livestreams by " .. want[2] .. "</h2>", 1, true), rank)
      assert.equals(want[1], rows[1][2], rank)
    end
    assert.error_matches(function() shoplive.report(RECS, { rank = "price" }) end,
      "option 'rank' must be one of gmv, gmv_per_hour, views, conversion, got string \"price\"")
  end)
end)

describe("shoplive report --rank #novalgrind", function()
  local tmp = cli.tmpdir_each(before_each, after_each)

  it("ranks the report's top table, and refuses an unknown figure before sending anything", function()
    local path = tmp.dir .. "/r.html"
    local status, _, err = cli.run("report 25 --rank views -o " .. env.sh_quote(path))
    assert.equals(0, status, err)
    local sec, rows = top_rows(assert(cli.read(path)))
    assert.truthy(sec:find("<h2>Top livestreams by views</h2>", 1, true))
    local prev = math.huge
    for _, row in ipairs(rows) do
      local v = tonumber((row[7]:gsub(",", "")))
      assert.is_true(v <= prev, "views out of order")
      prev = v
    end
    env.reset()
    status, _, err = cli.run("report 25 --rank price -o " .. env.sh_quote(path))
    assert.equals(2, status)
    assert.truthy(err:find("--rank", 1, true), err)
    assert.equals(0, env.requests())
  end)
end)
