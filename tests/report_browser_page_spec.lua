-- The report as a person sees it: a 3-shop report (shops 237, 999 and 0 of
-- the sandbox: 237 livestreams, 999, and an empty shop) opened in headless
-- Chromium (Debian's chromium, driven by tests/support/browser.js over the
-- DevTools protocol). Everything asserted here is read from the rendered
-- page. Screenshots at 1280 and 390 px and an A4 PDF are left under
-- build/report-browser/ for a person to look at.
-- This file: the plain report (every figure, chart, width, axe-core and the
-- screenshots) and its CSP; report_browser_hostile_spec.lua: a report of
-- hostile titles and records. Helpers: tests/support/report_browser.lua.
local env = require("support.env")
local browser = require("support.report_browser")
local shoplive = env.shoplive
local cjson = require("cjson")
local files = require("support.files")
local OUT, SHOPS = browser.OUT, browser.SHOPS
local digits, int_text, render, listener = browser.digits, browser.int_text, browser.render, browser.listener
local assert_quiet, assert_charts_drawn = browser.assert_quiet, browser.assert_charts_drawn
local assert_fits, assert_accessible = browser.assert_fits, browser.assert_accessible

-- #novalgrind: what runs here is Chromium (not traced by valgrind) and the
-- report's pure Lua; the core's fetches are memchecked by every other spec
describe("report in Chromium #browser #novalgrind", function()
  local records, by_shop, credits, pages
  local plain, plain_doc

  setup(function()
    records, by_shop, credits, pages = browser.fetch_shops()
    plain_doc = shoplive.report(records, { title = "Shops 237, 999 and 0", tz = "+07:00", shops = SHOPS,
      credits = credits, pages = pages })
    plain = render(plain_doc, "plain")
  end)

  it("fetched the three shops", function()
    assert.equals(237, #by_shop["237"])
    assert.equals(999, #by_shop["999"])
    assert.equals(0, #by_shop["0"])
  end)

  it("draws every chart with a non-zero size at 1280 and 390 px, with no error", function()
    assert_quiet(plain)
    local _, n_svg = plain_doc:gsub("<svg", "")
    assert.is_true(n_svg >= 4)
    assert_charts_drawn(plain, n_svg)
    assert.same({ "overview", "shops", "timeline", "weekly", "heatmap", "histogram", "top", "hosts", "quality" },
      plain.widths["1280"].sections)
  end)

  it("shows the numbers shoplive.summarize gives for the same records", function()
    local all = shoplive.summarize(records)
    for _, w in ipairs({ "1280", "390" }) do
      local p = plain.widths[w]
      assert.equals(int_text(all.count), digits(p.livestreams))
      assert.equals(string.format("%.1f", all.hours_live), digits(p.hours))
      assert.equals(string.format("%d credits for %d pages", credits, pages), digits(p.credits))
      assert.equals(3, #p.cards)
      local seen = {}
      for _, card in ipairs(p.cards) do
        seen[#seen + 1] = card.seller
        local recs = by_shop[card.seller]
        if #recs == 0 then
          assert.is_true(card.empty)
        else
          local s = shoplive.summarize(recs)
          assert.equals(int_text(s.count), digits(card.count))
          assert.equals(string.format("%.1f", s.hours_live), digits(card.hours))
          assert.equals(int_text(s.total_views), digits(card.views))
          assert.equals(int_text(s.total_sales), digits(card.sales))
          -- GMV per region: the regions' own records, summarized
          local n = 0
          for _, row in ipairs(card.regions) do
            local subset = {}
            for _, r in ipairs(recs) do if r.region == row.region then subset[#subset + 1] = r end end
            assert.is_true(#subset > 0, "region " .. tostring(row.region))
            assert.equals(int_text(shoplive.summarize(subset).total_gmv), digits(row.gmv))
            n = n + #subset
          end
          assert.equals(#recs, n) -- every livestream is in one region row
        end
      end
      assert.same(SHOPS, seen)
    end
  end)

  it("ranks each region's top livestreams by GMV, as the records' own figures order them", function()
    for _, w in ipairs({ "1280", "390" }) do
      local tops = plain.widths[w].tops
      assert.is_true(#tops > 0)
      for _, t in ipairs(tops) do
        assert.equals("gmv", t.rank)
        local region = assert(t.region:match("^Region (%S+)"), t.region)
        local gmv = {}
        for _, r in ipairs(records) do
          if r.region == region then gmv[#gmv + 1] = r.total_sale_gmv_amt end
        end
        table.sort(gmv, function(a, b) return a > b end)
        assert.equals(math.min(10, #gmv), #t.rows)
        for i, row in ipairs(t.rows) do
          assert.equals(tostring(i), row[1])
          -- GMV is the 12th column; every row's views, units and GPM agree
          assert.equals(int_text(gmv[i]), digits(row[12]), region .. " row " .. i)
          local views, units = tonumber((digits(row[7]))), tonumber((digits(row[9])))
          if views > 0 then
            assert.equals(string.format("%.2f%%", units / views * 100), row[10])
            local gpm = gmv[i] * 1000 / views
            assert.equals(string.format(gpm >= 100 and "%.0f" or "%.2f", gpm), digits(row[11]))
          else
            assert.equals("–", row[10])
          end
        end
      end
    end
  end)

  it("fits 390 px without widening the page, and A4 in print", function()
    local p = plain.widths["390"]
    assert.is_true(p.scrollWidth <= p.clientWidth, "page is " .. p.scrollWidth .. " px wide at 390")
    -- A4's printable width is 703 CSS px; 120 mm is 454 px: a chart fits on a page
    for _, c in ipairs(plain.print.charts) do
      assert.is_true(c.width > 0 and c.width <= 703.5, "print width of " .. tostring(c.id) .. ": " .. c.width)
      assert.is_true(c.height > 0 and c.height <= 454, "print height of " .. tostring(c.id) .. ": " .. c.height)
    end
    assert.is_true(plain.pdf_pages >= 1)
  end)

  it("fits every width from 360 to 1920 px, with no text under 10 px, details open or closed", function()
    assert_fits(plain)
  end)

  it("has no accessibility violation axe-core finds, at 1280 and 390 px, details open or closed", function()
    assert_accessible(plain)
  end)

  it("saved screenshots at 1280 and 390 px", function()
    for _, name in ipairs({ "report-1280.png", "report-390.png", "report-1280-full.png", "report-390-full.png" }) do
      local png = files.read(OUT .. "/plain/" .. name)
      assert.truthy(png, name)
      assert.equals("\137PNG\r\n\26\n", png:sub(1, 8))
      -- the IHDR width
      local w = png:byte(17) * 2 ^ 24 + png:byte(18) * 2 ^ 16 + png:byte(19) * 2 ^ 8 + png:byte(20)
      assert.equals(tonumber(name:match("%-(%d+)")), w)
    end
  end)

  it("blocks a load by its Content-Security-Policy even if markup got through", function()
    -- as if escaping had failed: raw tags that would load from a listener
    local base, hits = listener()
    local doc = plain_doc:gsub("<main>", "<main><img src=\"" .. base .. "/img\" alt=\"\"><link rel=\"stylesheet\" href=\""
      .. base .. "/css\"><div style=\"background:url(" .. base .. "/bg)\">x</div>", 1)
    -- one load shows what the page tried to fetch
    local ok, res = pcall(render, doc, "csp", true)
    local n_hits = hits()
    assert(ok, res)
    assert.equals(0, n_hits)
    -- Chromium reports each refused load; the page loaded nothing
    local refused = 0
    for _, e in ipairs(res.log) do
      if tostring(e.text):find("Content Security Policy", 1, true) then refused = refused + 1 end
    end
    for _, m in ipairs(res.console) do
      if tostring(m.text):find("Content Security Policy", 1, true) then refused = refused + 1 end
    end
    assert.is_true(refused > 0, "no CSP report in " .. cjson.encode(res.log))
    -- what Chromium tried to fetch, it blocked for the CSP before sending
    local blocked = {}
    for _, b in ipairs(res.blocked) do if b.reason == "csp" then blocked[b.url] = true end end
    for _, u in ipairs(res.requests) do assert.is_true(blocked[u] == true, u .. " was not blocked by the CSP") end
  end)
end)
