-- Issue 17 item 1: one reader of option values (lua/shoplive/cli/args.lua)
-- for every command. sync's --ttl, --max-credits and --lease took what
-- tonumber() takes (0x10, 1e3) while livestreams' --page refused it; now
-- every number is decimal digits, bounded, and a bad one exits 2 naming
-- its option before a store is opened or a request sent.
local env = require("support.env")
local cli = require("support.cli_run")
local check = require("shoplive.cli.args")

local run, sh_quote = cli.run, env.sh_quote

local tmp = cli.tmpdir()
teardown(function() os.execute("rm -rf " .. sh_quote(tmp)) end)

local function assert_usage(status, out, err, option, what)
  assert.equals(2, status, what .. ": " .. err)
  assert.equals("", out, what)
  assert.is_truthy(err:find("^Error: [^\n]+\ntry shoplive %a+ %-%-help\n$"), what .. ": " .. err)
  assert.is_truthy(err:find("option '" .. option .. "'", 1, true), what .. ": " .. err)
end

describe("option values on the command line #novalgrind", function()
  before_each(function() env.reset() end)

  it("sync --ttl 0x10 / 1e3 / 2.0 / -1 are refused like livestreams --page 0x10", function()
    local db = tmp .. "/ttl.db"
    for _, bad in ipairs{ "0x10", "1e3", "2.0", "-1", "99999999999999999999" } do
      local status, out, err = run("sync --db " .. sh_quote(db) .. " --ttl " .. bad .. " 5")
      assert_usage(status, out, err, "--ttl", "sync --ttl " .. bad)
      status, out, err = run("livestreams 5 -q --page " .. bad)
      assert_usage(status, out, err, "--page", "livestreams --page " .. bad)
    end
    -- nothing was opened or sent
    assert.is_nil(io.open(db, "rb"))
    assert.equals(0, env.requests())
    -- the decimal spelling still works
    local status, out, err = run("sync -q --db " .. sh_quote(db) .. " --ttl 16 5")
    assert.equals(0, status, err)
    assert.matches("^sync: 1/1 shop done", out)
  end)

  it("sync --max-credits 1e3 and --lease 0x10 are refused by name", function()
    local db = tmp .. "/credits.db"
    local status, out, err = run("sync --db " .. sh_quote(db) .. " --max-credits 1e3 5")
    assert_usage(status, out, err, "--max-credits", "--max-credits 1e3")
    -- checked before the store (a SQLite store would be a different error)
    status, out, err = run("sync --db " .. sh_quote(db) .. " --queue q --lease 0x10")
    assert_usage(status, out, err, "--lease", "--lease 0x10")
    assert.matches("whole number of seconds from 1 to 86400, got '0x10'", err, 1, true)
  end)

  it("report --top and --tz go through the same reader", function()
    local status, out, err = run("report 5 -q --top 0x10 -o " .. sh_quote(tmp .. "/r.html"))
    assert_usage(status, out, err, "--top", "--top 0x10")
    status, out, err = run("report 5 -q --tz +15:00 -o " .. sh_quote(tmp .. "/r.html"))
    assert_usage(status, out, err, "--tz", "--tz +15:00")
    assert.equals(0, env.requests())
  end)

  it("sync and queue refuse a bad queue name with the same words", function()
    local db = tmp .. "/q.db"
    local _, _, e1 = run("sync --db " .. sh_quote(db) .. " --queue 'a b'")
    local _, _, e2 = run("queue status --db " .. sh_quote(db) .. " --queue 'a b'")
    assert.matches("^Error: %-%-queue must be a name of 1 to 64", e1)
    assert.equals(e1:match("^[^\n]*"), e2:match("^[^\n]*"))
  end)
end)

describe("shoplive.cli.args #novalgrind", function()
  local function refused(f, ...)
    local ok, e = pcall(f, ...)
    return not ok and check.is_usage(e) and e.msg
  end

  it("compares bounds as decimal text, so no float rounding lets 2^53 + 1 through", function()
    assert.equals(2 ^ 53, check.integer("9007199254740992", "--max-credits", 0, 2 ^ 53))
    assert.matches("from 0 to 9007199254740992, got '9007199254740993'",
      refused(check.integer, "9007199254740993", "--max-credits", 0, 2 ^ 53), 1, true)
    assert.equals(16, check.integer(" 016 ", "--page", 1, 1000))
    assert.is_nil(check.integer(nil, "--page", 1, 1000))
    for _, bad in ipairs{ "", " ", "+1", "0x10", "1e3", "1.0", "0", "1001", "１" } do
      assert.is_truthy(refused(check.integer, bad, "--page", 1, 1000), bad)
    end
  end)
end)
