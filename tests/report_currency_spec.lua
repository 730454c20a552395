-- Money with its currency (issue 19 c): each region's ISO 4217 code on
-- every GMV figure, axis and legend ("currency unknown" for a region not
-- in shoplive.currency), compact amounts (436.2B VND), and an optional
-- conversion at rates the user gives (a table, or a file with --rates),
-- printed with their date; nothing is fetched.
local shoplive = require("shoplive")
local currency = require("shoplive.currency")
local env = require("support.env")
local cli = require("support.cli_run")
local records = require("support.report_records")

local rec = records.record

local RECS = {
  rec{ room_id = "v1", seller_id = "8", region = "VN", total_sale_gmv_amt = 436.2e9 },
  rec{ room_id = "u1", seller_id = "9", region = "US", total_sale_gmv_amt = 20000 },
  rec{ room_id = "u2", seller_id = "9", region = "US", total_sale_gmv_amt = 1000 },
  rec{ room_id = "z1", seller_id = "7", region = "ZZ", total_sale_gmv_amt = 5 },
  -- second livestreams, GMV 0: a region of one livestream is not charted
  rec{ room_id = "v2", seller_id = "8", region = "VN", total_sale_gmv_amt = 0 },
  rec{ room_id = "u3", seller_id = "9", region = "US", total_sale_gmv_amt = 0 },
  rec{ room_id = "z2", seller_id = "7", region = "ZZ", total_sale_gmv_amt = 0 },
}

local overview_rows = records.overview_rows

describe("report currencies #novalgrind", function()
  it("names the currency of the markets TikTok Shop sells in, and no other", function()
    assert.equals("VND", currency.of("VN"))
    assert.equals("GBP", currency.of("GB"))
    assert.equals("USD", currency.of("us"))
    assert.is_nil(currency.of("ZZ"))
    assert.is_nil(currency.of(nil))
  end)

  it("puts the code on every GMV figure, axis and legend, and says when it is unknown", function()
    local doc = shoplive.report(RECS, { generated_at = 1700100000 })
    for _, s in ipairs({ '<dd id="h-regions">US (USD), VN (VND), ZZ (currency unknown)</dd>',
      "GMV per week (VND)", "GMV per hour live (VND)", " GMV / hour (VND)", "Region VN (VND): GMV per week",
      '<h3 id="top-2">Region VN (VND)</h3>', '<span class="v-gmv">436,200,000,000</span> VND',
      "GMV per week (currency unknown)", "5 (currency of ZZ unknown)" }) do
      assert.truthy(doc:find(s, 1, true), s)
    end
    local _, rows = overview_rows(doc)
    assert.equals("436.2B VND", rows[2][5])
    assert.equals("21K USD", rows[1][5])
  end)

  it("converts the overview's GMV at the user's rates, printing them and their date", function()
    local rates = { to = "USD", date = "2026-12-01", VND = 0.00004, GBP = 1.27 }
    local doc = shoplive.report(RECS, { generated_at = 1700100000, rates = rates })
    assert.truthy(doc:find('<dd id="h-rates">given by the user, of 2026-12-01: 1 GBP = 1.27 USD, 1 VND = 0.00004 USD',
      1, true))
    local sec, rows = overview_rows(doc)
    assert.truthy(sec:find(">GMV in USD (converted)</th>", 1, true))
    -- ZZ has no rate: not every shop converts, so the order stays by livestreams
    assert.truthy(sec:find("by livestreams", 1, true))
    assert.equals("21K USD", rows[1][6])
    assert.equals("17.4M USD", rows[2][6]) -- 436.2e9 * 0.00004 = 17,448,000
    assert.equals("–", rows[3][6])
    -- every shop converts: ordered by the converted GMV
    local two = shoplive.report({ RECS[1], RECS[2], RECS[3], RECS[5], RECS[6] }, { rates = rates })
    local sec2, rows2 = overview_rows(two)
    assert.truthy(sec2:find("by GMV converted to USD", 1, true))
    assert.truthy(rows2[1][2]:find("Shop 8", 1, true))
    for _, bad in ipairs({ { date = "2026-12-01" }, { to = "USD" }, { to = "USD", date = "1 Dec" },
      { to = "USD", date = "2026-12-01", VND = -1 }, { to = "USD", date = "2026-12-01", dong = 1 }, "USD" }) do
      assert.error_matches(function() shoplive.report(RECS, { rates = bad }) end, "option 'rates' ")
    end
  end)
end)

describe("shoplive report --rates #novalgrind", function()
  local tmp = cli.tmpdir_each(before_each, after_each)

  it("reads the rates from a file, and refuses a bad one before sending anything", function()
    local file = tmp.dir .. "/rates.txt"
    cli.write(file, "# the day's rates\nto USD\ndate 2026-12-01\nVND 0.00004\nGBP 1.27\n")
    local path = tmp.dir .. "/r.html"
    local status, _, err = cli.run("report 25 --rates " .. env.sh_quote(file) .. " -o " .. env.sh_quote(path))
    assert.equals(0, status, err)
    local doc = assert(cli.read(path))
    assert.truthy(doc:find('<dd id="h-rates">given by the user, of 2026-12-01: 1 GBP = 1.27 USD', 1, true))
    assert.truthy(doc:find(">GMV in USD (converted)</th>", 1, true))
    env.reset()
    cli.write(file, "to USD\nVND 0.00004\n")
    status, _, err = cli.run("report 25 --rates " .. env.sh_quote(file) .. " -o " .. env.sh_quote(path))
    assert.equals(2, status)
    assert.truthy(err:find("option '--rates': " .. file .. " needs 'date'", 1, true), err)
    status, _, err = cli.run("report 25 --rates " .. env.sh_quote(tmp.dir .. "/none") .. " -o " .. env.sh_quote(path))
    assert.equals(2, status)
    assert.truthy(err:find("option '--rates': cannot read", 1, true), err)
    assert.equals(0, env.requests())
  end)
end)
