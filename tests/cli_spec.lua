local env = require("support.env")
local core = require("shoplive.core")
local cli_run = require("support.cli_run")

local run, lines = cli_run.run, cli_run.lines

describe("the shoplive command", function()
  local sb
  before_each(function() sb = env.reset() end)

  it("prints an aligned table that fits the terminal", function()
    local status, out, err = run("livestreams 25 --sort gmv", { COLUMNS = "100" })
    assert.equals(0, status, err)
    -- stderr is not a terminal: no progress line, one key=value line for logs
    assert.matches("^shoplive: command=livestreams pages=3 records=25 credits=3 seconds=%d+%.%d%d\n$", err)
    local ls = lines(out)
    assert.equals(27, #ls) -- header, rule, 25 rows
    assert.matches("^room_id%s+started %(UTC%)%s+hours%s+views%s+sales%s+gmv%s+region%s+title$", ls[1])
    for i = 1, #ls do assert.is_true(require("shoplive.textable").width(ls[i]) <= 100, ls[i]) end
    local gmv_col = ls[2]:find("%-+%s+%-+%s+%-+$") -- rule under gmv, region, title
    assert.truthy(gmv_col)
    assert.equals(3, env.requests())
  end)

  it("drops region, hours and start time, in that order, on narrow terminals", function()
    for _, case in ipairs{
      { 85, "^room_id%s+started %(UTC%)%s+hours%s+views%s+sales%s+gmv%s+title$" },
      { 80, "^room_id%s+started %(UTC%)%s+views%s+sales%s+gmv%s+title$" },
      { 62, "^room_id%s+views%s+sales%s+gmv%s+title$" },
    } do
      local status, out = run("livestreams 25 --sort gmv --limit 5", { COLUMNS = tostring(case[1]) })
      assert.equals(0, status)
      local ls = lines(out)
      assert.matches(case[2], ls[1])
      for i = 1, #ls do
        assert.is_true(require("shoplive.textable").width(ls[i]) <= case[1], case[1] .. ": " .. ls[i])
      end
    end
  end)

  it("writes RFC 4180 CSV with ids as text", function()
    local out = cli_run.expect({ status = 0 }, "livestreams 12 --format csv")
    local ls = cli_run.crlf_lines(out)
    assert.matches("^room_id,seller_id,user_id,", ls[1])
    assert.matches("^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d,12,", ls[2])
    assert.truthy(out:find('"', 1, true)) -- some titles need quoting
  end)

  it("writes JSON and NDJSON with exact integers", function()
    local status, out = run("livestreams 9990001 --format json --pages 1")
    assert.equals(0, status)
    local recs = assert(core.json_decode(out))
    assert.equals(3, #recs)
    local big = false
    -- 5.1/5.2/LuaJIT have no integer subtype: core.json_decode gives the
    -- integer past 2^53 as the string of its exact digits there
    local want = env.INT64 and 9007199254740993 or "9007199254740993"
    for _, r in ipairs(recs) do
      if r.total_sale_gmv_amt == want then big = true end
    end
    assert.is_true(big)
    assert.matches("9007199254740993", out)
    local s2, nd = run("livestreams 23 --format ndjson")
    assert.equals(0, s2)
    local ls = lines(nd)
    assert.equals(23, #ls)
    for _, l in ipairs(ls) do assert.is_table(core.json_decode(l)) end
  end)

  it("honours --page, --pages and --limit", function()
    local status, out = run("livestreams 237 --format ndjson --page 2 --pages 2")
    assert.equals(0, status)
    assert.equals(20, #lines(out))
    assert.equals(2, env.requests())
    assert.matches("page_num=2", sb:stats().log[1].args)
    sb:reset()
    status, out = run("livestreams 237 --format ndjson --limit 13")
    assert.equals(0, status)
    assert.equals(13, #lines(out))
    assert.equals(2, env.requests())
  end)

  it("--output writes the file", function()
    local path = os.tmpname()
    local status, out = run("livestreams 5 --format csv --output " .. path)
    assert.equals(0, status)
    assert.equals("", out)
    local f = io.open(path, "rb")
    local text = f:read("*a")
    f:close()
    os.remove(path)
    local n = select(2, text:gsub("\r\n", ""))
    assert.equals(6, n)
  end)

  it("--dry-run prints the requests and credits and sends nothing", function()
    local status, out = run("livestreams 237 --pages 3 --sort views --order asc --dry-run")
    assert.equals(0, status)
    local ls = lines(out)
    assert.equals(4, #ls)
    assert.matches("^GET http://.*seller_id=237&seller_live_sort_field=1&sort_type=0&page_num=1&page_size=10$", ls[1])
    assert.matches("page_num=3", ls[3])
    assert.matches("3 credits", ls[4])
    assert.equals(0, env.requests())
    status, out = run("livestreams 237 --dry-run", { KEYAPI_API_KEY = "" })
    assert.equals(0, status)
    assert.matches("100000 credits", out)
    assert.equals(0, env.requests())
    -- the base URL is checked as shoplive.new checks it
    local _, e3 = cli_run.expect({ status = 1, out = "" }, "livestreams 237 --dry-run",
      { KEYAPI_BASE_URL = "ftp://example.com" })
    assert.matches("^shoplive.new: option 'base_url' must be an http:// or https:// URL", e3)
  end)

  it("summary prints the summarize() figures", function()
    -- shop 1: one livestream, one region (shop 25's 8 regions: cli_regions_spec)
    local status, out = run("summary 1")
    assert.equals(0, status)
    assert.matches("livestreams%s+1\n", out)
    for _, label in ipairs{ "total views", "total GMV", "GMV per hour live", "sales per 1000 views", "best by GMV",
        "first start", "last start" } do
      assert.truthy(out:find(label, 1, true), label)
    end
    local s2, js = run("summary 25 --format json")
    assert.equals(0, s2)
    local t = assert(core.json_decode(js))
    assert.equals(25, t.count)
  end)

  it("exits 1 with one line from tostring(err) when the API fails", function()
    cli_run.expect({ status = 1, out = "", err = "shoplive: auth: apiKey is invalid (HTTP 401, 1 attempt)\n" },
      "livestreams 1", { KEYAPI_API_KEY = "sk_test_invalid" })
  end)

  it("exits 1 and names KEYAPI_API_KEY when there is no key", function()
    local status, _, err = run("livestreams 1", { KEYAPI_API_KEY = "" })
    assert.equals(1, status)
    assert.matches("KEYAPI_API_KEY", err)
    assert.equals(0, env.requests())
  end)

  it("exits 2 on bad usage: the error first, then where the usage is", function()
    for _, args in ipairs{ "", "livestreams", "livestreams abc", "livestreams 1 --format xml", "livestreams 1 --page 0",
        "livestreams 1 --pages x", "bogus 1", "livestreams 1 --sort likes" } do
      local status, out, err = run(args)
      assert.equals(2, status, args)
      assert.equals("", out)
      assert.matches("^Error: [^\n]+\ntry shoplive[%a ]* %-%-help\n$", err)
    end
    assert.equals(0, env.requests())
  end)

  it("shows a progress line on a terminal", function()
    local status, out, e = cli_run.in_process({ "livestreams", "25", "--format", "ndjson" }, true)
    assert.equals(0, status)
    assert.matches("\r\27%[Kpages 3, records 25, credits 3, %d+%.%ds", e)
    assert.equals(25, #lines(out))
  end)
end)
