-- The HTML report without a browser: escaping, the chart primitives on their
-- own, the figures, and whole reports for the edge cases (no shop, an empty
-- shop, one livestream, all-zero GMV, 10,000 livestreams). The rendered page
-- is checked in Chromium by report_browser_*_spec.lua.
local shoplive = require("shoplive")
local html = require("shoplive.report.html")
local chart = require("shoplive.report.chart")
local figures = require("shoplive.report.figures")

-- Deterministic records of the spec's 16 fields for shop `seller`, newest
-- first two hours apart like the sandbox's (whose generator needs 5.2+), with
-- GMV spread over six orders of magnitude, 30 % without sales and 4 regions.
local REGIONS = { "US", "GB", "TH", "VN" }
local function shop_records(seller, n)
  local out = {}
  local x = tonumber(seller) % 1000 + 12345
  local function rand(m)
    x = (x * 1103515245 + 12345) % 2147483648
    return x % m
  end
  for i = 1, n do
    local start = 1700000000 - i * 7200 - rand(3600)
    local duration = 600 + rand(13800)
    local views = rand(20) == 0 and 0 or rand(5000000)
    local sales = rand(10) < 3 and 0 or rand(100000)
    out[i] = { avatar = "https://example.invalid/a.webp", cover_url = "https://example.invalid/c.webp",
      create_time = start, duration = duration, finish_time = start + duration, max_views_cnt = rand(1000),
      nick_name = "host of " .. seller, region = REGIONS[rand(4) + 1], room_id = seller .. "-" .. i,
      seller_id = seller, title = "live #" .. i, total_joins_cnt = rand(1000), total_sale_cnt = sales,
      total_sale_gmv_amt = sales * (1 + rand(5000)), total_views_cnt = views, user_id = "u" .. seller }
  end
  return out
end

local function rec(t)
  local r = { room_id = "7000", seller_id = "1", user_id = "42", nick_name = "host", region = "US", title = "t",
    avatar = "https://a/b.webp", cover_url = "https://c/d.webp", create_time = 1700000000, duration = 3600,
    finish_time = 1700003600, max_views_cnt = 10, total_joins_cnt = 50, total_views_cnt = 100,
    total_sale_cnt = 5, total_sale_gmv_amt = 500 }
  for k, v in pairs(t or {}) do r[k] = v end
  return r
end

-- Text that would only be there after a division by zero or a NaN.
local function assert_no_bad_numbers(doc)
  for _, pat in ipairs({ "%f[%w]%-?nan%f[%W]", "%f[%w]%-?inf%f[%W]", "NaN", "Infinity", "%-?1%.#IN", "%d[eE]%+%d" }) do
    -- the context only when found: a message argument is built even when the
    -- assertion holds, and ".?" x 10 before the pattern backtracks 2^10 ways
    -- at each byte (minutes for the big documents)
    local at, e = doc:find(pat)
    assert.is_nil(at, at and ("found " .. pat .. " in the report: " .. doc:sub(math.max(1, at - 10), e + 10)))
  end
end

-- Nothing in the document can load or run anything.
local function assert_inert(doc)
  assert.truthy(doc:find([[<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ]]
    .. [[style-src 'unsafe-inline'; img-src data:">]], 1, true))
  assert.is_nil(doc:lower():find("<script", 1, true))
  assert.is_nil(doc:lower():find("<img", 1, true))
  -- attributes that load something, in any tag (escaped text has no "<")
  assert.is_nil(doc:lower():find("<[^>]-%ssrc%s*="))
  -- links only within the page (the table of contents)
  assert.is_nil(doc:lower():find("<[^>]-%shref%s*=%s*[^\"]"))
  assert.is_nil(doc:lower():find("<[^>]-%shref%s*=%s*\"[^#]"))
  local css = assert(doc:match("<style>(.-)</style>"))
  assert.is_nil(css:find("url%s*%("))
  assert.is_nil(css:find("@import", 1, true))
  assert.is_nil(doc:find("https://", 1, true))
end

local FIXED = { generated_at = 1700000000 }

local function report(records, opts)
  local o = {}
  for k, v in pairs(FIXED) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  return shoplive.report(records, o)
end

describe("report.html #novalgrind", function()
  it("keeps well-formed UTF-8 and replaces every invalid byte with U+FFFD", function()
    local ok = "caf\195\169 \240\159\152\128 \228\184\173 tab\tnl\n"
    assert.equals(ok, html.clean(ok))
    local R = html.REPLACEMENT
    assert.equals("a" .. R .. R .. "b", html.clean("a\255\254b"))
    assert.equals(R .. R, html.clean("\192\128"))            -- overlong NUL
    assert.equals(R .. R .. R, html.clean("\237\160\128"))   -- a UTF-16 surrogate
    assert.equals(R .. R .. R .. R, html.clean("\244\144\128\128")) -- past U+10FFFF
    assert.equals("x" .. R, html.clean("x\240\159\152"))      -- cut short at the end
    assert.equals("NUL" .. R .. "here", html.clean("NUL\0here"))
    assert.equals(R, html.clean("\27"))
  end)

  it("escapes markup and both quotes, for text and attributes", function()
    assert.equals("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;",
      html.escape("<script>alert(\"x\")</script> & '"))
    assert.equals("", html.escape(nil))
    assert.equals("12", html.escape(12))
    assert.equals("a b c", html.text("a\n\tb  c"))
  end)

  it("builds strings", function()
    local b = html.buffer()
    b("a", "b")
    b("c")
    assert.equals("abc", b())
  end)
end)

describe("report.chart #novalgrind", function()
  it("picks round steps and ticks", function()
    assert.equals(200, chart.nice_step(937, 5))
    assert.equals(1, chart.nice_step(0, 5))
    assert.equals(1000, chart.nice_step(4000, 4))
    local t, lo, hi = chart.ticks(0, 937, 5)
    assert.same({ 0, 200, 400, 600, 800, 1000 }, t)
    assert.equals(0, lo)
    assert.equals(1000, hi)
    t, lo, hi = chart.ticks(0, 0, 5) -- all zero: still a domain of non-zero width
    assert.equals(0, lo)
    assert.is_true(hi > lo)
    assert.is_true(#t >= 2)
    t, lo, hi = chart.ticks(0 / 0, 1 / 0, 5)
    assert.is_true(#t >= 2)
    assert.is_true(chart.finite(lo) and chart.finite(hi) and hi > lo)
  end)

  it("maps linearly and survives a zero-width domain", function()
    local s = chart.linear(0, 100, 200, 0)
    assert.equals(200, s(0))
    assert.equals(100, s(50))
    assert.equals(0, s(100))
    local flat = chart.linear(5, 5, 0, 10)
    assert.equals(5, flat(5))
    assert.equals(5, flat(1e9))
    local bx, bw = chart.band(4, 0, 100, 0.2)
    assert.equals(20, bw)
    assert.equals(2.5, bx(1))
    assert.equals(77.5, bx(4))
  end)

  it("abbreviates and writes numbers in full", function()
    assert.equals("0", chart.abbrev(0))
    assert.equals("950", chart.abbrev(950))
    assert.equals("2.5", chart.abbrev(2.5))
    assert.equals("1.2K", chart.abbrev(1234))
    assert.equals("12K", chart.abbrev(12345))
    assert.equals("1M", chart.abbrev(999999))
    assert.equals("1.2M", chart.abbrev(1.2e6))
    assert.equals("3.4B", chart.abbrev(3.4e9))
    assert.equals("-5.6T", chart.abbrev(-5.6e12))
    assert.equals("–", chart.abbrev(0 / 0))
    assert.equals("–", chart.abbrev(1 / 0))
    assert.equals("–", chart.abbrev(nil))
    assert.equals("1,234,567", chart.number(1234567))
    assert.equals("-1,234.50", chart.number(-1234.5))
    assert.equals("999", chart.number(999))
    assert.equals("–", chart.number(0 / 0))
    assert.equals("12.5%", chart.percent(0.125))
    assert.equals("–", chart.percent(nil))
  end)

  it("writes int64 integers exactly #int64", function()
    assert.equals("9,223,372,036,854,775,807", chart.number(math.maxinteger))
    assert.equals("9,007,199,254,740,993", chart.number(9007199254740993))
  end)

  it("puts time ticks on local midnights and Mondays", function()
    -- 2023-11-13 is a Monday; a 10-week span gets weekly (or longer) steps
    local t0 = 1699833600 -- 2023-11-13 00:00 UTC
    local ticks = chart.time_ticks(t0 - 3600, t0 + 70 * 86400, 6, 0)
    assert.is_true(#ticks >= 3)
    for _, t in ipairs(ticks) do
      assert.equals(1, tonumber(os.date("!%w", t.t))) -- a Monday
      assert.equals("00:00", os.date("!%H:%M", t.t))
    end
    -- at UTC+07:00 a day step lands on 17:00 UTC, labelled with the local date
    ticks = chart.time_ticks(t0, t0 + 5 * 86400, 6, 7 * 3600)
    assert.equals("17:00", os.date("!%H:%M", ticks[1].t))
    assert.equals(os.date("!%Y-%m-%d", ticks[1].t + 7 * 3600), ticks[1].label)
    assert.same({}, chart.time_ticks(0 / 0, 1, 6, 0))
  end)

  it("draws marks, axes and legends as escaped SVG", function()
    assert.equals('<rect x="10" y="20" width="5" height="30" fill="#000"/>', chart.rect(15, 50, -5, -30, "#000"))
    local r = chart.rect(0, 0, 1, 1, "#fff", "<b>&")
    assert.truthy(r:find("<title>&lt;b&gt;&amp;</title>", 1, true))
    assert.equals("0", chart.coord(0 / 0))
    assert.equals("1.3", chart.coord(1.25001))
    local ax = chart.axis_left(chart.linear(0, 100, 100, 0), { 0, 50, 100 }, 40, 400, chart.abbrev, "GMV")
    local labels = {}
    for l in ax:gmatch('class="tick">([^<]*)<') do labels[#labels + 1] = l end
    assert.same({ "0", "50", "100" }, labels)
    assert.truthy(ax:find(">GMV</text>", 1, true))
    local bottom = chart.axis_bottom({ { x = 10, label = "<x>" } }, 100, 0, 200, "t")
    assert.truthy(bottom:find("&lt;x&gt;", 1, true))
    local items = {}
    for i = 1, 12 do items[i] = { label = "shop number " .. i, color = chart.color(i) } end
    local svg, h = chart.legend(items, 0, 10, 300)
    assert.is_true(h > 18) -- wrapped onto several lines
    assert.equals(12, select(2, svg:gsub("<rect", "")))
    assert.equals(chart.color(1), chart.color(chart.SERIES + 1))
    assert.equals("#b35806", chart.heat(0))
    assert.equals("#4a1500", chart.heat(1))
    assert.equals("#b35806", chart.heat(0 / 0))
    assert.truthy(chart.svg_open(800, 300, 'a "b"'):find('viewBox="0 0 800 300"', 1, true))
  end)
end)

describe("report.figures #novalgrind", function()
  it("parses time zones", function()
    assert.same({ 0, "UTC" }, { figures.parse_tz(nil) })
    assert.same({ 0, "UTC" }, { figures.parse_tz("UTC") })
    assert.same({ 25200, "UTC+07:00" }, { figures.parse_tz("+07:00") })
    assert.same({ -19800, "UTC-05:30" }, { figures.parse_tz("-0530") })
    assert.same({ 28800, "UTC+08:00" }, { figures.parse_tz("+08") })
    assert.is_nil((figures.parse_tz("Asia/Bangkok")))
    assert.is_nil((figures.parse_tz("+15:00")))
  end)

  it("places times on weekdays, hours and Monday weeks in the zone", function()
    -- 1700000000 = Tue 2023-11-14 22:13:20 UTC = Wed 05:13 at UTC+07:00
    assert.same({ 2, 22 }, { figures.weekday_hour(1700000000, 0) })
    assert.same({ 3, 5 }, { figures.weekday_hour(1700000000, 25200) })
    local _, monday = figures.week_of(1700000000, 0)
    assert.equals("2023-11-13", monday)
    -- Sunday 23:30 UTC is already next Monday at UTC+07:00
    local sunday = 1699831800 -- 2023-11-12 23:30 UTC
    assert.equals("2023-11-06", select(2, figures.week_of(sunday, 0)))
    assert.equals("2023-11-13", select(2, figures.week_of(sunday, 25200)))
  end)

  it("totals weeks, with empty weeks as zeros and the change from the week before", function()
    local w1 = 1699833600 -- Monday 2023-11-13 00:00 UTC
    local recs = {
      rec{ create_time = w1, duration = 3600, total_sale_gmv_amt = 100 },
      rec{ create_time = w1 + 3600, duration = 3600, total_sale_gmv_amt = 300 },
      rec{ create_time = w1 + 14 * 86400, duration = 7200, total_sale_gmv_amt = 600 },
    }
    local weeks = figures.weekly(recs, 0)
    assert.equals(3, #weeks)
    assert.same({ "2023-11-13", "2023-11-20", "2023-11-27" }, { weeks[1].start, weeks[2].start, weeks[3].start })
    assert.equals(400, weeks[1].gmv)
    assert.equals(200, weeks[1].gmv_per_hour)
    assert.is_nil(weeks[1].change)
    assert.equals(0, weeks[2].gmv)
    assert.equals(-1, weeks[2].change)
    assert.is_nil(weeks[3].change) -- after a week of 0 there is no ratio
    assert.equals(300, weeks[3].gmv_per_hour)
    assert.same({}, figures.weekly({ rec{ create_time = false } }, 0))
  end)

  it("fills the heatmap with GMV per hour live per weekday and hour", function()
    local tue22 = 1700000000
    local recs = {
      rec{ create_time = tue22, duration = 1800, total_sale_gmv_amt = 100 },
      rec{ create_time = tue22 + 60, duration = 1800, total_sale_gmv_amt = 300 },
      rec{ create_time = tue22 + 3600, duration = 0, total_sale_gmv_amt = 50 },
    }
    local hm = figures.heatmap(recs, 0)
    local c = hm.cells[2][22]
    assert.equals(2, c.n)
    assert.equals(400, c.value) -- 400 GMV over 1 hour
    assert.equals(1, hm.cells[2][23].n)
    assert.is_nil(hm.cells[2][23].value) -- no duration: no rate, not inf
    assert.equals(400, hm.max)
    assert.equals(0, hm.cells[1][0].n)
  end)

  it("bins GMV per hour from 0 with round widths, counting every livestream once", function()
    local recs = {}
    for i = 1, 100 do recs[i] = rec{ duration = 3600, total_sale_gmv_amt = i * 10 } end
    recs[#recs + 1] = rec{ duration = 0 }
    recs[#recs + 1] = rec{ total_sale_gmv_amt = false }
    local h = figures.histogram(recs)
    assert.equals(100, h.n)
    assert.equals(2, h.skipped)
    assert.equals(505, h.median)
    assert.equals(0, h.from)
    local total = 0
    for _, b in ipairs(h.bins) do
      total = total + b.n
      assert.equals(h.width, b.to - b.from)
    end
    assert.equals(100, total)
    local zero = figures.histogram({ rec{ total_sale_gmv_amt = 0 }, rec{ total_sale_gmv_amt = 0 } })
    assert.equals(2, zero.n)
    assert.equals(0, zero.median)
    assert.equals(2, zero.bins[1].n)
  end)

  it("bins by powers of ten when a few livestreams dwarf the rest", function()
    local recs = { rec{ total_sale_gmv_amt = 0 } }
    for i = 1, 50 do recs[#recs + 1] = rec{ total_sale_gmv_amt = 100 + i } end -- 101..150 per hour
    recs[#recs + 1] = rec{ total_sale_gmv_amt = 5e6 }
    local h = figures.histogram(recs)
    assert.is_true(h.log)
    assert.equals(52, h.n)
    assert.is_true(h.bins[1].zero)
    assert.equals(1, h.bins[1].n)
    assert.equals(100, h.bins[2].from)
    assert.equals(1000, h.bins[2].to)
    assert.equals(50, h.bins[2].n)
    assert.equals(1e6, h.bins[#h.bins].from)
    assert.equals(1, h.bins[#h.bins].n)
    local total = 0
    for _, b in ipairs(h.bins) do total = total + b.n end
    assert.equals(52, total)
    -- positions: the zero bin is [0, 1), then a unit per decade
    assert.equals(1, h.pos(100))
    assert.is_true(math.abs(h.pos(1e6) - 5) < 1e-9)
    assert.is_nil(figures.histogram({ rec{}, rec{ total_sale_gmv_amt = 200 } }).log)
  end)

  it("ranks the top livestreams by GMV per hour", function()
    local recs = {
      rec{ room_id = "a", duration = 7200, total_sale_gmv_amt = 1000 }, -- 500/h
      rec{ room_id = "b", duration = 600, total_sale_gmv_amt = 200 },   -- 1200/h
      rec{ room_id = "c", duration = 3600, total_sale_gmv_amt = 500 },  -- 500/h, same rate as a, less GMV
      rec{ room_id = "d", duration = 0, total_sale_gmv_amt = 9999 },    -- no rate
    }
    local top = figures.top(recs, 10, "gmv_per_hour")
    assert.same({ "b", "a", "c" }, { top[1].record.room_id, top[2].record.room_id, top[3].record.room_id })
    assert.equals(3, #top)
    assert.equals(1200, top[1].value)
    assert.equals(1, #figures.top(recs, 1, "gmv_per_hour"))
  end)

  it("gives hosts their share of livestreams and of each region's GMV", function()
    local recs = {
      rec{ user_id = "1", region = "US", total_sale_gmv_amt = 300 },
      rec{ user_id = "1", region = "GB", total_sale_gmv_amt = 50 },
      rec{ user_id = "2", region = "US", total_sale_gmv_amt = 100 },
      rec{ user_id = "1", region = "US", total_sale_gmv_amt = 0 },
    }
    local F = figures.compute(recs, {})
    local h1 = F.hosts[1]
    assert.equals("1", h1.user_id)
    assert.equals(3, h1.n)
    assert.equals(0.75, h1.share)
    assert.equals("US", h1.regions[1].region)
    assert.equals(300, h1.regions[1].gmv)
    assert.equals(0.75, h1.regions[1].share)
    assert.equals(1, h1.regions[2].share) -- all of GB's GMV
    assert.equals(0.25, F.hosts[2].share)
  end)

  it("counts data quality problems", function()
    local odd = rec{ max_views_cnt = 0, finish_time = 1700009999, extra = { tags = {} } }
    odd.padding = "x"
    odd.title = nil
    local recs = { odd, rec{ total_sale_cnt = "n/a" }, rec() }
    local q = figures.quality(recs)
    assert.equals(3, q.n)
    assert.equals(1, q.zero_peak)
    assert.equals(1, q.duration_mismatch)
    assert.equals(1, q.missing.title)
    assert.equals(1, q.any_missing)
    assert.equals(1, q.extra.extra)
    assert.equals(1, q.extra.padding)
    assert.equals(1, q.not_number.total_sale_cnt)
  end)

  it("thins the timeline to its budget, keeping each slot's highest GMV per shop", function()
    local recs = shop_records("500", 500)
    local shops = figures.shops(recs, {})
    local tl = figures.timeline(shops, 100)
    assert.equals(500, tl.total)
    assert.is_true(tl.shown <= 100 and tl.shown > 0, "shown " .. tl.shown)
    assert.is_number(tl.slot)
    -- every record's slot is represented by one with at least its GMV
    local best = {}
    for _, m in ipairs(tl.marks) do
      best[math.floor((m.record.create_time - tl.first) / tl.slot)] = m.gmv
    end
    for _, r in ipairs(recs) do
      local b = best[math.floor((r.create_time - tl.first) / tl.slot)]
      assert.is_true(b ~= nil and b >= r.total_sale_gmv_amt)
    end
    local few = figures.timeline(figures.shops(shop_records("10", 10), {}), 100)
    assert.equals(10, few.shown)
    assert.is_nil(few.slot)
  end)

  it("gives each shop its figures per region, from shoplive.summarize", function()
    local recs = {
      rec{ seller_id = "1", region = "US", total_sale_gmv_amt = 1000, total_sale_cnt = 10, total_views_cnt = 2000 },
      rec{ seller_id = "1", region = "GB", total_sale_gmv_amt = 7 },
      rec{ seller_id = "2", region = "US", total_sale_gmv_amt = 0, total_sale_cnt = 0, total_views_cnt = 0 },
    }
    local shops = figures.shops(recs, { "3", "2" })
    assert.same({ "3", "2", "1" }, { shops[1].id, shops[2].id, shops[3].id })
    assert.equals(0, shops[1].summary.count)
    -- regions with as many livestreams come in name order
    assert.same({ "GB", "US" }, { shops[3].regions[1].region, shops[3].regions[2].region })
    local us = shops[3].regions[2]
    assert.equals(1000, us.summary.total_gmv)
    assert.equals(500, us.gpm)
    assert.equals(100, us.unit_price)
    assert.equals(5, us.units_per_1000_views)
    assert.equals(1000, us.gmv_per_hour)
    local zero = shops[2].regions[1]
    assert.is_nil(zero.gpm)
    assert.is_nil(zero.unit_price)
    assert.is_nil(zero.units_per_1000_views)
    assert.equals(0, zero.gmv_per_hour)
  end)
end)

describe("shoplive.report #novalgrind", function()
  it("refuses bad arguments, naming them", function()
    assert.has_error(function() shoplive.report("x") end,
      "shoplive.report: argument 'records' must be an array of records, got string \"x\"")
    assert.has_error(function() shoplive.report({ 1 }) end,
      "shoplive.report: records[1] is a number, expected a record table")
    assert.error_matches(function() shoplive.report({}, { tz = "Mars" }) end, "option 'tz'")
    assert.error_matches(function() shoplive.report({}, { top = 0 }) end, "option 'top'")
    assert.error_matches(function() shoplive.report({}, { title = 5 }) end, "option 'title'")
    assert.error_matches(function() shoplive.report({}, 5) end, "argument 'opts'")
    assert.error_matches(function() shoplive.report_file(nil, {}) end, "argument 'path'")
  end)

  it("makes a sensible page with no record at all", function()
    local doc = report({})
    assert.matches("^<!DOCTYPE html>", doc)
    assert.truthy(doc:find("No livestreams: no hosts.", 1, true))
    assert.truthy(doc:find("nothing to place on a timeline", 1, true))
    assert.is_nil(doc:find("<svg", 1, true)) -- no empty chart without a word why
    assert_no_bad_numbers(doc)
    assert_inert(doc)
  end)

  it("shows an empty shop's card saying so", function()
    local doc = report(shop_records("3", 3), { shops = { "0", "3" } })
    assert.truthy(doc:find('id="shop-0"', 1, true))
    assert.truthy(doc:find("No livestreams in the data for this shop.", 1, true))
    assert.truthy(doc:find('id="shop-3"', 1, true))
    assert_no_bad_numbers(doc)
  end)

  it("handles one livestream", function()
    local doc = report({ rec() })
    assert.truthy(doc:find("All 1 livestreams drawn.", 1, true))
    -- a chart of one livestream says no more than the top table: none, said so
    assert.is_nil(doc:find('id="fig-weekly-1"', 1, true))
    assert.is_nil(doc:find('id="fig-histogram-1"', 1, true))
    assert.truthy(doc:find("Not charted: region US (USD), with one livestream (see Top livestreams).", 1, true))
    assert.truthy(doc:find('<h3 id="top-1">Region US (USD)</h3>', 1, true))
    assert.is_true(#doc < 40 * 1024, "size " .. #doc)
    assert_no_bad_numbers(doc)
    assert_inert(doc)
  end)

  it("handles a shop whose livestreams all have 0 GMV and 0 views", function()
    local recs = {}
    for i = 1, 20 do
      recs[i] = rec{ create_time = 1700000000 + i * 7200, total_sale_gmv_amt = 0, total_sale_cnt = 0,
        total_views_cnt = 0, max_views_cnt = 0, duration = i % 3 == 0 and 0 or 3600 }
    end
    local doc = report(recs)
    assert.truthy(doc:find("Every livestream here has a GMV of 0.", 1, true))
    assert_no_bad_numbers(doc)
    assert_inert(doc)
  end)

  it("handles records with every field missing or of the wrong type", function()
    local doc = report({ {}, { create_time = "soon", duration = {}, region = 5, title = true },
      { total_sale_gmv_amt = 0 / 0, duration = 1 / 0, create_time = -1 / 0 } })
    assert.truthy(doc:find("missing create_time", 1, true))
    assert_no_bad_numbers(doc)
    assert_inert(doc)
  end)

  it("escapes hostile text from the API and the caller", function()
    local evil = "<script>alert(1)</script><img src=http://127.0.0.1:1/x onerror=alert(2)> \"q\" 'q' \255\254 😀"
    local doc = report({ rec{ title = evil, nick_name = evil, region = "<b>US</b>", seller_id = "<i>1" } },
      { title = evil })
    assert_inert(doc)
    assert.truthy(doc:find("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=http://127.0.0.1:1/x", 1, true))
    assert.truthy(doc:find("&quot;q&quot; &#39;q&#39; " .. html.REPLACEMENT .. html.REPLACEMENT .. " 😀", 1, true))
    assert.truthy(doc:find("&lt;b&gt;US&lt;/b&gt;", 1, true))
    assert.is_nil(doc:find("\255", 1, true))
  end)

  it("never sums GMV across regions", function()
    local recs = {
      rec{ region = "US", total_sale_gmv_amt = 1000 },
      rec{ region = "GB", total_sale_gmv_amt = 234 },
    }
    local doc = report(recs)
    assert.truthy(doc:find(">1,000<", 1, true))
    assert.truthy(doc:find(">234<", 1, true))
    assert.is_nil(doc:find("1,234", 1, true))
    assert.truthy(doc:find("never summed across regions", 1, true))
  end)

  it("charts at most 12 regions, and says so", function()
    local recs = {}
    for i = 1, 80 do recs[i] = rec{ region = "R" .. math.floor((i + 1) / 2), room_id = tostring(i) } end
    local doc = report(recs)
    assert.truthy(doc:find('id="fig-weekly-12"', 1, true))
    assert.is_nil(doc:find('id="fig-weekly-13"', 1, true))
    assert.truthy(doc:find("28 more regions (56 livestreams) are not charted here", 1, true))
    assert.truthy(doc:find(">R40<", 1, true)) -- still in the shop's card
    assert_no_bad_numbers(doc)
  end)

  it("states each figure's formula and gives each chart its data table", function()
    local doc = report(shop_records("237", 237), { shops = { "237" } })
    for _, f in ipairs({ "GPM = GMV × 1000 / Σ total_views_cnt", "Σ duration / 3600", "avg unit price = GMV / Σ total_sale_cnt",
      "units / 1,000 views = Σ total_sale_cnt × 1000 / Σ total_views_cnt" }) do
      assert.truthy(doc:find(f, 1, true), f)
    end
    local charts, tables = 0, 0
    for fig in doc:gmatch("<figure.-</figure>") do
      charts = charts + select(2, fig:gsub("<svg", ""))
      if fig:find("<details><summary>", 1, true) or fig:find("<table", 1, true) then tables = tables + 1 end
    end
    assert.is_true(charts >= 4)
    assert.equals(charts, tables)
    -- every mark carries its tooltip
    local marks = select(2, doc:gsub('class="mark">', ""))
    assert.is_true(marks > 237)
    assert.equals(marks, select(2, doc:gsub('class="mark"><title>[^<]+</title></rect>', "")))
    assert.is_nil(doc:find('class="mark"/>', 1, true))
    assert.equals(select(2, doc:gsub("<svg", "")), charts)
    assert_no_bad_numbers(doc)
  end)

  it("uses the time zone it is given and says which", function()
    -- 22:13 UTC, 05:13 next day at +07:00
    local one = { rec{ create_time = 1700000000 }, rec{ room_id = "2", create_time = 1700000000 } }
    local utc = report(one)
    local bkk = report(one, { tz = "+07:00" })
    assert.truthy(utc:find("2023-11-14 22:13", 1, true))
    assert.truthy(bkk:find("2023-11-15 05:13", 1, true))
    assert.truthy(bkk:find("start hour (UTC+07:00)", 1, true))
    assert.truthy(utc:find("start hour (UTC)", 1, true))
  end)

  it("shows opts.top livestreams per region", function()
    local recs = {}
    for i = 1, 30 do recs[i] = rec{ room_id = tostring(i), total_sale_gmv_amt = i } end
    local doc = report(recs, { top = 3 })
    assert.truthy(doc:find("The 3 livestreams with the highest GMV of 30 in region US", 1, true))
  end)

  it("shows the credits and who made it", function()
    local doc = report({ rec() }, { credits = 125, pages = 125 })
    assert.truthy(doc:find("125 credits for 125 pages", 1, true))
    assert.truthy(doc:find("by shoplive " .. shoplive.VERSION, 1, true))
    assert.truthy(doc:find("2023-11-14 22:13 UTC by shoplive", 1, true)) -- generated_at
    assert.is_nil(report({ rec() }):find('id="h-credits"', 1, true))
  end)

  it("is deterministic and report_file writes the same document", function()
    local recs = shop_records("77", 77)
    local a, b = report(recs), report(recs)
    assert.equals(a, b)
    local path = os.tmpname()
    local o = { generated_at = FIXED.generated_at }
    assert.is_true(shoplive.report_file(path, recs, o))
    local f = assert(io.open(path, "rb"))
    local written = f:read("*a")
    f:close()
    os.remove(path)
    assert.equals(a, written)
    local ok, err = shoplive.report_file("/nonexistent-dir/x.html", recs, o)
    assert.is_nil(ok)
    assert.matches("nonexistent", err)
  end)

  it("stays small for 10,000 livestreams over 20 shops", function()
    local recs, ids = {}, {}
    for s = 1, 20 do
      local id = tostring(9000 + s)
      ids[#ids + 1] = id
      for _, r in ipairs(shop_records(id, 500)) do recs[#recs + 1] = r end
    end
    local doc = report(recs, { shops = ids, tz = "+07:00" })
    assert.is_true(#doc < 3 * 1024 * 1024, "size " .. #doc)
    assert.truthy(doc:find("Thinned: ", 1, true))
    assert.truthy(doc:find(">10,000<", 1, true))
    assert_no_bad_numbers(doc)
    assert_inert(doc)
  end)
end)
