-- `shoplive report`: fetches the shops (requests counted by the sandbox),
-- writes the HTML report, prints the path; bad usage sends nothing.
local env = require("support.env")
local cli = require("support.cli_run")

local sh_quote = env.sh_quote
local run, slurp = cli.run, cli.read

describe("shoplive report #novalgrind", function()
  local sb, dir
  before_each(function()
    sb = env.reset()
    dir = cli.tmpdir()
  end)
  after_each(function()
    env.sh_ok("rm -rf " .. sh_quote(dir))
  end)

  it("fetches every shop, writes the report and prints its path", function()
    local path = dir .. "/r.html"
    local status, out, err = run("report 237 999 0 -o " .. sh_quote(path) .. " --tz +07:00 --title 'Three shops'")
    assert.equals(0, status, err)
    assert.equals(path .. "\n", out)
    -- stderr is not a terminal: no progress, one key=value line for logs
    assert.matches("^shoplive: command=report pages=125 records=%d+ credits=125 seconds=[%d.]+\n$", err)
    -- 24 pages for 237, 100 for 999, 1 (empty) for 0
    assert.equals(125, env.requests())
    local doc = assert(slurp(path))
    assert.truthy(doc:find('<h1 id="title">Three shops</h1>', 1, true))
    assert.truthy(doc:find('<dd id="h-livestreams">1,236</dd>', 1, true))
    assert.truthy(doc:find('<dd id="h-credits">125 credits for 125 pages</dd>', 1, true))
    assert.truthy(doc:find('id="shop-0"', 1, true))
    assert.truthy(doc:find("start hour (UTC+07:00)", 1, true))
    assert.is_nil(slurp(path .. ".tmp"))
  end)

  it("reads shop ids from --from (a file or standard input), with --limit and --sort", function()
    local list = dir .. "/shops.txt"
    local f = assert(io.open(list, "wb"))
    f:write("25\n# a comment\n\n  10   # another\n25\n")
    f:close()
    local path = dir .. "/r.html"
    local status, out, err = run("report --from " .. sh_quote(list) .. " -o " .. sh_quote(path)
      .. " --limit 5 --sort gmv")
    assert.equals(0, status, err)
    assert.equals(path .. "\n", out)
    -- one page of 10 per shop covers --limit 5; 25 is listed (and fetched) twice
    assert.equals(3, env.requests())
    local doc = assert(slurp(path))
    assert.truthy(doc:find('<dd id="h-livestreams">10</dd>', 1, true)) -- each livestream once
    assert.truthy(doc:find('<dd id="h-credits">3 credits for 3 pages</dd>', 1, true))
    sb:reset()
    status, out, err = run("report 237 --from - -o " .. sh_quote(path) .. " --limit 3", nil, { stdin = "10\n" })
    assert.equals(path .. "\n", out)
    assert.equals(0, status, err)
    assert.equals(2, env.requests())
    assert.truthy(assert(slurp(path)):find('<dd id="h-livestreams">6</dd>', 1, true))
  end)

  it("refuses bad usage before sending anything", function()
    for _, case in ipairs({
      { "report", "give at least one SELLER_ID" },
      { "report 12a", "SELLER_ID must be 1 to 32 digits, got '12a'" },
      { "report 1 --tz Mars", "option '--tz' must be \"UTC\" or an offset" },
      { "report 1 --top 0", "option '--top' must be an integer from 1 to 1000" },
      { "report 1 --limit 0", "option '--limit' must be an integer from 1 to" },
      { "report 1 --sort price", "argument for option '--sort' must be one of" },
      { "report --from " .. sh_quote(dir .. "/none.txt"), "--from: cannot read" },
    }) do
      local status, out, err = run(case[1] .. " -o " .. sh_quote(dir .. "/x.html"))
      assert.equals(2, status, case[1])
      assert.equals("", out)
      assert.truthy(err:find(case[2], 1, true), err)
      assert.truthy(err:find("\ntry shoplive report --help\n", 1, true))
    end
    assert.equals(0, env.requests())
    assert.is_nil(slurp(dir .. "/x.html"))
  end)

  it("exits 1 with one line and writes nothing when the API fails", function()
    local path = dir .. "/r.html"
    local status, out, err = run("report 25 -o " .. sh_quote(path), { KEYAPI_API_KEY = "sk_test_invalid" })
    assert.equals(1, status)
    assert.equals("", out)
    assert.matches("^[^\n]*apiKey is invalid[^\n]*\n$", err)
    assert.is_nil(slurp(path))
    status, out, err = run("report 25 -o " .. sh_quote(path), { KEYAPI_API_KEY = "" })
    assert.equals(1, status)
    assert.truthy(err:find("KEYAPI_API_KEY", 1, true))
    assert.equals("", out)
    assert.equals(1, env.requests()) -- the invalid key's one request; none without a key
  end)

  it("exits 1 when the report cannot be written, before fetching", function()
    local status, out, err = run("report 10 -o " .. sh_quote(dir .. "/no/such/dir/r.html"))
    assert.equals(1, status)
    assert.equals("", out)
    assert.truthy(err:find("cannot write", 1, true))
    assert.equals(0, env.requests())
  end)

  it("keeps the report of the shops it got as FILE.partial when a shop fails", function()
    local path = dir .. "/r.html"
    sb:fault{ type = "status", status = 400, count = 1 } -- the first request: shop 10's only page
    local status, out, err = run("report 10 25 -o " .. sh_quote(path))
    assert.equals(1, status)
    assert.equals("", out)
    assert.truthy(err:find("incomplete (1 of 2 shops failed)", 1, true), err)
    assert.is_nil(slurp(path))
    local doc = assert(slurp(path .. ".partial"))
    assert.truthy(doc:find('<dd id="h-livestreams">25</dd>', 1, true))
    assert.truthy(doc:find("No livestreams in the data for this shop.", 1, true)) -- shop 10's card
  end)

  it("reports from the store with --db --offline, sending nothing", function()
    local db = dir .. "/shops.db"
    local status, _, err = run("livestreams 25 --db " .. sh_quote(db) .. " -o " .. sh_quote(dir .. "/l.csv")
      .. " -f csv")
    assert.equals(0, status, err)
    assert.equals(3, env.requests())
    sb:reset()
    local path = dir .. "/r.html"
    local out
    status, out, err = run("report 25 --db " .. sh_quote(db) .. " --offline -o " .. sh_quote(path),
      { KEYAPI_API_KEY = "" })
    assert.equals(0, status, err)
    assert.equals(path .. "\n", out)
    assert.equals(0, env.requests())
    local doc = assert(slurp(path))
    assert.truthy(doc:find('<dd id="h-livestreams">25</dd>', 1, true))
    assert.matches('<dd id="h%-credits">0 credits for %d+ pages?; pages answered from the store cost nothing</dd>', doc)
  end)

  it("prints the requests with --dry-run and sends none", function()
    local status, out, err = run("report 237 --pages 2 --dry-run")
    assert.equals(0, status, err)
    assert.truthy(out:find("seller_id=237&page_num=2", 1, true))
    assert.equals(0, env.requests())
  end)
end)
