-- The report as a person sees it: a 3-shop report (shops 237, 999 and 0 of
-- the sandbox: 237 livestreams, 999, and an empty shop) opened in headless
-- Chromium (Debian's chromium, driven by tests/support/browser.js over the
-- DevTools protocol). Everything asserted here is read from the rendered
-- page. Screenshots at 1280 and 390 px and an A4 PDF are left under
-- build/report-browser/ for a person to look at.
local env = require("support.env")
local cjson = require("cjson")
local socket = require("socket")
local files = require("support.files")
local html = require("shoplive.report.html")
local shoplive = env.shoplive

local ROOT = require("support.sandbox").root
local OUT = ROOT .. "/" .. env.BUILD .. "/report-browser"
local CHROMIUM = os.getenv("SHOPLIVE_CHROMIUM") or "/usr/bin/chromium"
local SHOPS = { "237", "999", "0" }

-- "1,234.5" -> "1234.5"
local function digits(s)
  return (assert(s, "no text on the page")):gsub(",", "")
end

local function int_text(v)
  return string.format(math.type and math.type(v) == "integer" and "%d" or "%.0f", v)
end

-- Open `doc` in Chromium; returns what browser.js reported (decoded). With
-- `once`, at 1280 px only (no other width, axe-core or print).
local function render(doc, name, once)
  local dir = OUT .. "/" .. name
  assert(env.sh_ok("mkdir -p " .. env.sh_quote(dir)))
  local file = dir .. "/report.html"
  files.write(file, doc)
  -- timeout: should Chromium hang, the spec fails instead of the suite stalling (a
  -- generous one: axe-core checks a 1 MB page four times, on a shared machine;
  -- with a load of 20 from two suites and other work one render passed 600 s)
  -- env -u LD_PRELOAD: under the ASan run the sanitizer runtime is preloaded
  -- into the interpreter; node and Chromium are not built for it
  local status, out = env.sh("env -u LD_PRELOAD timeout 1500 node " .. env.sh_quote(ROOT .. "/tests/support/browser.js") .. " "
    .. env.sh_quote(file) .. " " .. env.sh_quote(dir) .. " " .. env.sh_quote(CHROMIUM) .. (once and " once" or "") .. " 2>/dev/null")
  local ok, res = pcall(cjson.decode, out)
  assert(ok and type(res) == "table", "browser.js gave no report (status " .. status .. "): " .. out:sub(1, 500))
  assert(res.error == nil, tostring(res.error) .. "\n" .. tostring(res.chromium_stderr))
  assert.equals(0, status)
  return res, dir
end

-- A local port a page must never reach: its base URL, and a function that
-- closes it and returns how many connections it accepted.
local function listener()
  local sock = assert(socket.bind("127.0.0.1", 0))
  local _, port = sock:getsockname()
  sock:settimeout(0)
  return "http://127.0.0.1:" .. port, function()
    local n = 0
    while true do
      local c = sock:accept()
      if not c then break end
      n = n + 1
      c:close()
    end
    sock:close()
    return n
  end
end

-- Nothing ran, nothing was logged as an error, nothing was fetched.
local function assert_quiet(res)
  assert.same({}, res.console)
  assert.same({}, res.exceptions)
  for _, e in ipairs(res.log) do
    assert.is_not.equals("error", e.level, "logged: " .. tostring(e.text))
  end
  assert.same({}, res.requests)
end

-- Every chart drawn with a size, at every width and in print.
local function assert_charts_drawn(res, n_svg)
  for _, w in ipairs({ "1280", "390" }) do
    local p = res.widths[w]
    assert.equals(n_svg, #p.charts)
    for _, c in ipairs(p.charts) do
      assert.is_true(c.width > 0 and c.height > 0, w .. " px: " .. tostring(c.id) .. " is " .. c.width .. "x"
        .. c.height)
      assert.is_true(c.marks > 0, tostring(c.id) .. " has no marks")
    end
    assert.equals(0, p.images)
    assert.equals(0, p.scripts)
    assert.equals(0, p.iframes)
  end
end

-- No block of the page wider than its box and no text drawn under 10 px,
-- at every width, with the <details> closed and open.
local function assert_fits(res)
  for _, w in ipairs({ "1920", "1280", "768", "390", "360" }) do
    for _, p in ipairs({ res.widths[w], res.widths[w].open }) do
      assert.is_true(p.scrollWidth <= p.clientWidth, "page is " .. p.scrollWidth .. " px wide at " .. w)
      assert.is_true(#p.blocks >= 10)
      for _, b in ipairs(p.blocks) do
        assert.is_true(b.scrollWidth <= b.clientWidth, b.id .. " is " .. b.scrollWidth .. " px in "
          .. b.clientWidth .. " at " .. w)
      end
      assert.is_true(p.minFont.px >= 10, w .. " px: " .. cjson.encode(p.minFont))
    end
  end
end

-- axe-core finds nothing at 1280 and 390 px, details closed and open.
local function assert_accessible(res)
  for _, w in ipairs({ "1280", "390" }) do
    for _, mode in ipairs({ "closed", "open" }) do
      local a = res.axe[w][mode]
      assert.is_nil(a.error, a.error)
      assert.same({}, a.violations, w .. " px, details " .. mode .. ": " .. cjson.encode(a.violations))
    end
  end
end

-- #novalgrind: what runs here is Chromium (not traced by valgrind) and the
-- report's pure Lua; the core's fetches are memchecked by every other spec
describe("report in Chromium #browser #novalgrind", function()
  local records, by_shop, credits, pages
  local plain, plain_doc

  setup(function()
    assert(env.sh_ok("command -v node >/dev/null && test -x " .. env.sh_quote(CHROMIUM)),
      "the browser spec needs node and " .. CHROMIUM .. " (tools/install-deps installs both)")
    local client = env.client()
    records, by_shop = {}, {}
    for _, id in ipairs(SHOPS) do
      local recs = assert(client:all_livestreams{ seller_id = id })
      by_shop[id] = recs
      for _, r in ipairs(recs) do records[#records + 1] = r end
    end
    local st = client:stats()
    credits, pages = st.credits, st.requests
    client:close()
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

  it("loads nothing and runs nothing a hostile title or record carries", function()
    local base, hits = listener()
    local function evil(tag)
      return "<img src=" .. base .. "/" .. tag .. "> <script>fetch('" .. base .. "/s" .. tag .. "')</script>"
        .. "<style>@import url(" .. base .. "/c" .. tag .. ");</style><link rel=stylesheet href=" .. base .. "/l"
        .. tag .. "> \"quoted\" 'single' \255 😀"
    end
    local title = "Hostile " .. evil("title")
    local copy = {}
    for i, r in ipairs(records) do
      local c = {}
      for k, v in pairs(r) do c[k] = v end
      if i <= 3 then c.title, c.nick_name = evil("title" .. i), evil("nick" .. i) end
      copy[i] = c
    end
    local doc = shoplive.report(copy, { title = title, shops = SHOPS })
    local ok, res = pcall(render, doc, "hostile")
    -- count what reached the listener even when rendering failed
    local n_hits = hits()
    assert(ok, res)
    assert.equals(0, n_hits)
    assert_quiet(res)
    local _, n_svg = doc:gsub("<svg", "")
    assert_charts_drawn(res, n_svg)
    assert_fits(res)
    assert_accessible(res)
    for _, w in ipairs({ "1280", "390" }) do
      local p = res.widths[w]
      -- the title is shown as text (the invalid byte as U+FFFD), in the tab too
      assert.equals(html.clean(title), p.h1)
      assert.equals(html.clean(title), p.title)
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
