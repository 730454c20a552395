-- What the report_browser_*_spec files share (one spec file was split in
-- two so that make check's shards balance: each opens Chromium on a full
-- report, minutes of CPU): opening a report in Chromium, the checks on
-- what it reported, and the three shops the report shows.
local M = {}
-- busted gives spec files luassert as assert; a required module gets it here
local assert = require("luassert")
local env = require("support.env")
local cjson = require("cjson")
local socket = require("socket")
local files = require("support.files")

local ROOT = require("support.sandbox").root
local OUT = ROOT .. "/" .. env.BUILD .. "/report-browser"
local CHROMIUM = os.getenv("SHOPLIVE_CHROMIUM") or "/usr/bin/chromium"
local SHOPS = { "237", "999", "0" }
M.OUT, M.SHOPS = OUT, SHOPS

-- "1,234.5" -> "1234.5"
function M.digits(s)
  return (assert(s, "no text on the page")):gsub(",", "")
end

function M.int_text(v)
  return string.format(math.type and math.type(v) == "integer" and "%d" or "%.0f", v)
end

-- Open `doc` in Chromium; returns what browser.js reported (decoded). With
-- `once`, at 1280 px only (no other width, axe-core or print).
function M.render(doc, name, once)
  local dir = OUT .. "/" .. name
  assert(env.sh_ok("mkdir -p " .. env.sh_quote(dir)))
  local file = dir .. "/report.html"
  files.write(file, doc)
  -- timeout: should Chromium hang, the spec fails instead of the suite stalling (a
  -- generous one: axe-core checks a 1 MB page four times, on a shared machine;
  -- with a load of 20 from two suites and other work one render passed 600 s,
  -- and at a load of 35-40 (two suites and two engineers' benches) the plain
  -- report's render passed 1,500 s; at load 18 the two axe-core passes at
  -- 1280 px took 232 s of its first 304 s)
  -- env -u LD_PRELOAD: under the ASan run the sanitizer runtime is preloaded
  -- into the interpreter; node and Chromium are not built for it
  local status, out = env.sh("env -u LD_PRELOAD timeout 3000 node " .. env.sh_quote(ROOT .. "/tests/support/browser.js") .. " "
    .. env.sh_quote(file) .. " " .. env.sh_quote(dir) .. " " .. env.sh_quote(CHROMIUM) .. (once and " once" or "") .. " 2>/dev/null")
  local ok, res = pcall(cjson.decode, out)
  assert(ok and type(res) == "table", "browser.js gave no report (status " .. status .. "): " .. out:sub(1, 500))
  assert(res.error == nil, tostring(res.error) .. "\n" .. tostring(res.chromium_stderr))
  assert.equals(0, status)
  return res, dir
end

-- A local port a page must never reach: its base URL, and a function that
-- closes it and returns how many connections it accepted.
function M.listener()
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
function M.assert_quiet(res)
  assert.same({}, res.console)
  assert.same({}, res.exceptions)
  for _, e in ipairs(res.log) do
    assert.is_not.equals("error", e.level, "logged: " .. tostring(e.text))
  end
  assert.same({}, res.requests)
end

-- Every chart drawn with a size, at every width and in print.
function M.assert_charts_drawn(res, n_svg)
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
function M.assert_fits(res)
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
function M.assert_accessible(res)
  for _, w in ipairs({ "1280", "390" }) do
    for _, mode in ipairs({ "closed", "open" }) do
      local a = res.axe[w][mode]
      assert.is_nil(a.error, a.error)
      assert.same({}, a.violations, w .. " px, details " .. mode .. ": " .. cjson.encode(a.violations))
    end
  end
end

-- The records of the three shops from the sandbox: all of them, by shop,
-- and the credits and pages the fetch cost.
function M.fetch_shops()
  assert(env.sh_ok("command -v node >/dev/null && test -x " .. env.sh_quote(CHROMIUM)),
    "the browser spec needs node and " .. CHROMIUM .. " (tools/install-deps installs both)")
  local client = env.client()
  local records, by_shop = {}, {}
  for _, id in ipairs(SHOPS) do
    local recs = assert(client:all_livestreams{ seller_id = id })
    by_shop[id] = recs
    for _, r in ipairs(recs) do records[#records + 1] = r end
  end
  local st = client:stats()
  client:close()
  return records, by_shop, st.credits, st.requests
end

return M
