-- What the report says about its data and its cost (issue 19 g, h, i):
-- impossible combinations of figures counted and listed; the header's
-- credits, pages and requests as the CLI sent them, the store named only
-- when one was used; a <title> naming the shops; a small report small.
local shoplive = require("shoplive")
local env = require("support.env")
local cli = require("support.cli_run")
local records = require("support.report_records")

local SELLER = "7494818275540568755"

local rec = records.maker{ seller_id = SELLER, avatar = "https://p16.example/a.webp",
  cover_url = "https://p16.example/c.webp" }

-- The odd-values table's rows as "room_id|field|effect".
local function odd_rows(doc)
  local out = {}
  for row in assert(doc:match('<h3 id="odd%-values">.-</table>')):gmatch("<tr>(.-)</tr>") do
    local cells = {}
    for c in row:gmatch("<td[^>]*>(.-)</td>") do cells[#cells + 1] = c end
    if #cells > 0 then out[cells[2] .. "|" .. cells[4] .. "|" .. cells[7]] = cells[6] end
  end
  return out
end

describe("report text #novalgrind", function()
  it("counts and lists units sold with no views and more units than views, keeping the records", function()
    local doc = shoplive.report({ rec{ room_id = "ok" }, rec{ room_id = "noviews", total_views_cnt = 0,
      total_sale_cnt = 3 }, rec{ room_id = "over", total_views_cnt = 5, total_sale_cnt = 9 } })
    assert.truthy(doc:find('<dd id="h-livestreams">3</dd>', 1, true))
    assert.truthy(doc:find("units sold with 0 views (listed below)</td><td class=\"n\" data-label=\"Livestreams\">1<",
      1, true))
    assert.truthy(doc:find("more units sold than views (listed below)</td><td class=\"n\" data-label=\"Livestreams\">1<",
      1, true))
    local rows = odd_rows(doc)
    assert.equals("units sold with total_views_cnt 0", rows["noviews|total_sale_cnt|kept as given"])
    assert.equals("more units sold than views (total_sale_cnt &gt; total_views_cnt)",
      rows["over|total_sale_cnt|kept as given"])
    assert.is_nil(next(rows, next(rows, next(rows)))) -- those two only
  end)

  it("names a store only when the pages came through one", function()
    local plain = shoplive.report({ rec{} }, { credits = 0, pages = 3 })
    assert.truthy(plain:find('<dd id="h-credits">0 credits for 3 pages</dd>', 1, true))
    local stored = shoplive.report({ rec{} }, { credits = 0, pages = 3, store = true })
    assert.truthy(stored:find('<dd id="h-credits">0 credits for 3 pages; pages answered from the store cost nothing',
      1, true))
  end)

  it("keeps a report of 3 livestreams under 40 kB, in one region or three", function()
    for _, regions in ipairs({ { "US", "US", "US" }, { "US", "GB", "VN" } }) do
      local recs = {}
      for i = 1, 3 do
        recs[i] = rec{ room_id = "r" .. i, region = regions[i], create_time = 1700000000 - i * 86400,
          finish_time = 1700003600 - i * 86400, total_sale_gmv_amt = i * 12345 }
      end
      local doc = shoplive.report(recs, { shops = { SELLER }, credits = 1, pages = 1 })
      assert.is_true(#doc <= 40 * 1024, regions[2] .. ": " .. #doc .. " bytes")
    end
  end)
end)

describe("shoplive report's header and title #novalgrind", function()
  local tmp = cli.tmpdir_each(before_each, after_each)

  it("counts the requests --concurrency sent, claims no store, and names the shops in <title>", function()
    local path = tmp.dir .. "/r.html"
    local status, _, err = cli.run("report 0 --concurrency 8 -o " .. env.sh_quote(path))
    assert.equals(0, status, err)
    local doc = assert(cli.read(path))
    local sent = env.requests()
    assert.is_true(sent > 1)
    local credits = assert(doc:match('<dd id="h%-credits">(.-)</dd>'))
    assert.matches("^%d+ credits? for 1 page; " .. string.format("%d", sent) .. " requests sent$", credits)
    assert.is_nil(credits:find("store", 1, true))
    assert.truthy(doc:find("<title>TikTok Shop livestreams: shop 0</title>", 1, true))
    status, _, err = cli.run("report 25 10 -o " .. env.sh_quote(path))
    assert.equals(0, status, err)
    assert.truthy(assert(cli.read(path)):find("<title>TikTok Shop livestreams: shop 25, 10</title>", 1, true))
  end)
end)
