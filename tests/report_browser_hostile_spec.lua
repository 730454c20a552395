-- The report as a person sees it: a 3-shop report (shops 237, 999 and 0 of
-- the sandbox: 237 livestreams, 999, and an empty shop) opened in headless
-- Chromium (Debian's chromium, driven by tests/support/browser.js over the
-- DevTools protocol). Everything asserted here is read from the rendered
-- page. Screenshots at 1280 and 390 px and an A4 PDF are left under
-- build/report-browser/ for a person to look at.
-- This file: a report of hostile titles and records (split from
-- report_browser_page_spec.lua so that make check's shards balance).
-- Helpers: tests/support/report_browser.lua.
local env = require("support.env")
local browser = require("support.report_browser")
local shoplive = env.shoplive
local html = require("shoplive.report.html")
local SHOPS = browser.SHOPS
local render, listener = browser.render, browser.listener
local assert_quiet, assert_charts_drawn = browser.assert_quiet, browser.assert_charts_drawn
local assert_fits, assert_accessible = browser.assert_fits, browser.assert_accessible

-- #novalgrind: what runs here is Chromium (not traced by valgrind) and the
-- report's pure Lua; the core's fetches are memchecked by every other spec
describe("report in Chromium #browser #novalgrind", function()
  local records

  setup(function()
    records = browser.fetch_shops()
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
end)
