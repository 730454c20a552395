-- The command line people expect (issue 12): --version, several shops and
-- --from, per-shop errors, --fields/--no-header, -q/-v/--debug (completion: cli_completion_spec),
-- the man page, the dry-run estimate, the closing line; and group_by's
-- time zone and zero-filled days.
local env = require("support.env")
local cli = require("support.cli_run")
local core = require("shoplive.core")
local shoplive = require("shoplive")

local sh_quote = env.sh_quote
local run, lines = cli.run, cli.lines

describe("shoplive CLI features", function()
  before_each(function() env.reset() end)

  it("--version", function()
    local status, out = run("--version")
    assert.equals(0, status)
    assert.equals("shoplive " .. shoplive.VERSION .. " (libcurl " .. core.curl_version, out:match("^(.-), "))
  end)

  it("several seller ids and --from FILE|- (comments, blank lines)", function()
    local path = os.tmpname()
    cli.write(path, "# shops\n25\n\n  12  # trailing comment\n")
    local status, out = run("livestreams 5 --from " .. sh_quote(path) .. " -f ndjson")
    assert.equals(0, status)
    local n = {}
    for _, l in ipairs(lines(out)) do
      local r = core.json_decode(l)
      n[r.seller_id] = (n[r.seller_id] or 0) + 1
    end
    assert.same({ ["5"] = 5, ["25"] = 25, ["12"] = 12 }, n)
    status, out = run("summary --from - -f json < " .. sh_quote(path))
    os.remove(path)
    assert.equals(0, status)
    local ls = lines(out)
    assert.equals(2, #ls)
    assert.equals("25", core.json_decode(ls[1]).seller_id)
    assert.equals(12, core.json_decode(ls[2]).count)
    status = run("livestreams --from /nonexistent/x")
    assert.equals(2, status)
    status = run("livestreams")
    assert.equals(2, status)
  end)

  it("a failing shop is reported and the others are still fetched", function()
    local status, out, err = run("summary 25 9990141 12 -f json")
    assert.equals(1, status)
    local ls = lines(out)
    assert.equals(3, #ls)
    local a, b, c = core.json_decode(ls[1]), core.json_decode(ls[2]), core.json_decode(ls[3])
    assert.equals("25", a.seller_id)
    assert.equals("9990141", b.seller_id)
    assert.equals("api", b.error.kind)
    assert.equals(12, c.count)
    assert.matches("shop 9990141: api:", err)
    assert.matches("incomplete %(1 of 3 shops failed%): kept 37 records in standard output", err)
    assert.equals(6, env.requests())
  end)

  it("--fields and --no-header for csv and table", function()
    local status, out = run("livestreams 3 -f csv --fields room_id,gmv --no-header")
    assert.equals(0, status)
    local ls = cli.crlf_lines(out)
    assert.equals(3, #ls)
    assert.matches("^%d+,%d+$", ls[1])
    status, out = run("livestreams 3 --fields views,title")
    assert.equals(0, status)
    assert.matches("^%s*views%s+title\n", out)
    status, out = run("livestreams 3 --fields views,title --no-header")
    assert.equals(0, status)
    assert.equals(3, #lines(out))
  end)

  local in_process = cli.in_process

  it("ends a run on a terminal with one line: pages, records, credits, seconds; -q leaves it out", function()
    local status, out, err = in_process({ "livestreams", "25", "-f", "ndjson" }, true)
    assert.equals(0, status)
    assert.equals(25, #lines(out))
    assert.matches("\r\27%[Kpages 3, records 25, credits 3, %d+%.%ds\n$", err)
    local quiet_status, _, quiet_err = in_process({ "livestreams", "25", "-f", "ndjson", "-q" }, true)
    assert.equals(0, quiet_status)
    assert.equals("", quiet_err)
    local pipe_status, _, pipe_err = in_process({ "livestreams", "25", "-f", "ndjson" }, false)
    assert.equals(0, pipe_status)
    assert.matches("^shoplive: command=livestreams pages=3 records=25 credits=3 seconds=[%d.]+\n$", pipe_err)
    local qpipe_status, _, qpipe_err = in_process({ "livestreams", "25", "-f", "ndjson", "-q" }, false)
    assert.equals(0, qpipe_status)
    assert.equals("", qpipe_err)
  end)

  it("-v says what each shop cost; --debug shows the protocol without the key", function()
    local status, _, err = run("livestreams 25 12 1 -f ndjson -v -q")
    assert.equals(0, status)
    assert.equals("shoplive: shop 25: 3 pages, 25 records\nshoplive: shop 12: 2 pages, 12 records\n"
      .. "shoplive: shop 1: 1 page, 1 record\n", err)
    status, _, err = run("livestreams 5 -f ndjson --debug")
    assert.equals(0, status)
    assert.matches("debug: > GET /v1/tiktok/shop/livestreams/analytics%?seller_id=5", err)
    assert.is_nil(err:find(env.KEY, 1, true))
    assert.is_nil(err:find("[\r\27]"))
  end)

  it("the man page (make man) comes from the same definitions as --help and formats cleanly", function()
    local page = require("shoplive.cli").man()
    local _, help = run("livestreams --help")
    for opt in help:gmatch("%-%-[%w-]+") do
      if opt ~= "--help" then assert.truthy(page:find((opt:gsub("%-", "\\-")), 1, true), opt) end
    end
    local path = os.tmpname()
    cli.write(path, page)
    local status, warnings = env.sh("env -u LD_PRELOAD groff -man -ww -z " .. sh_quote(path) .. " 2>&1")
    os.remove(path)
    assert.equals(0, status)
    assert.equals("", warnings)
    -- the Makefile target writes the same text (the core is taken as built)
    local so = env.BUILD .. "/shoplive/core.so"
    local target = env.BUILD .. "/shoplive.1"
    os.remove(target)
    status = env.sh("make -s BUILD=" .. sh_quote(env.BUILD) .. " LUA_BIN=" .. sh_quote(env.LUA) .. " -o " .. sh_quote(so)
      .. " " .. sh_quote(target) .. " >/dev/null 2>&1")
    assert.equals(0, status)
    assert.equals(page, cli.read(target))
  end)

  it("--dry-run: the bound without a limit, the prefetch of --concurrency, several shops", function()
    local status, out = run("livestreams 237 --dry-run")
    assert.equals(0, status)
    assert.matches("up to 100000 credits: 1 credit per page until the first page shorter than 10", out)
    status, out = run("livestreams 237 5 --pages 3 --concurrency 4 --dry-run")
    assert.equals(0, status)
    assert.equals(8, #lines(out))
    assert.matches("at most 6 requests, at most 6 credits %(3 credits per shop, 2 shops%)", out)
    assert.matches("with %-%-concurrency 4, up to 2 pages past a shop's last page", out)
    assert.equals(0, env.requests())
  end)
end)

describe("group_by day with a time zone", function()
  local recs = {
    { create_time = 1700000000 },               -- 2023-11-14 22:13 UTC
    { create_time = 1700000000 + 3 * 86400 },   -- 2023-11-17 22:13 UTC
    { create_time = 1699938799 },               -- 2023-11-14 05:13 UTC
  }

  it("dates at a UTC offset", function()
    local g, keys = shoplive.group_by(recs, "day")
    assert.same({ "2023-11-14", "2023-11-17" }, keys)
    assert.equals(2, g["2023-11-14"].count)
    local g7, keys7 = shoplive.group_by(recs, "day", { tz = "+07:00" })
    assert.same({ "2023-11-14", "2023-11-15", "2023-11-18" }, keys7)
    assert.equals(1, g7["2023-11-14"].count)
    g, keys = shoplive.group_by(recs, "day", { tz = "-08:00" })
    assert.same({ "2023-11-13", "2023-11-14", "2023-11-17" }, keys)
    assert.equals(1, g["2023-11-13"].count)
  end)

  it("zero-fills the days between", function()
    local g, keys = shoplive.group_by(recs, "day", { tz = "+07:00", fill = true })
    assert.same({ "2023-11-14", "2023-11-15", "2023-11-16", "2023-11-17", "2023-11-18" }, keys)
    assert.equals(0, g["2023-11-16"].count)
    assert.equals(1, g["2023-11-18"].count)
  end)

  it("rejects a bad offset or options for other keys", function()
    assert.has_error(function() shoplive.group_by(recs, "day", { tz = "+25:00" }) end)
    assert.has_error(function() shoplive.group_by(recs, "day", { tz = "Asia/Bangkok" }) end)
    assert.has_error(function() shoplive.group_by(recs, "region", { fill = true }) end)
    assert.has_error(function() shoplive.group_by(recs, "day", { zone = "Z" }) end)
  end)
end)
