-- Issue 21 items 10, 11 and 14: a seller id the library refuses is a usage
-- error in every command (sync, queue add with a real PostgreSQL store
-- too), a failed write to standard output fails the run in every command,
-- and one time-zone parser takes "--tz -05:00" and keeps to -14:00..+14:00.
local env = require("support.env")
local cli = require("support.cli_run")
local pgsupport = require("support.postgres")
local shoplive = require("shoplive")

local run, lines, sh_quote = cli.run, cli.lines, env.sh_quote
local ID33 = string.rep("1", 33)

local tmp = cli.tmpdir()
local pg, pg_why = pgsupport.start()
-- queue status opens the store read-only: the tables must exist first
if pg then shoplive.store.open(pg.url):close() end
teardown(function()
  if pg then pg:stop() end
  os.execute("rm -rf " .. sh_quote(tmp))
end)

-- exit 2, the error first and a hint, no traceback
local function assert_usage(status, out, err, what)
  assert.equals(2, status, what .. ": " .. err)
  assert.equals("", out, what)
  assert.is_truthy(err:find("^Error: [^\n]+\ntry shoplive %a+ %-%-help\n$"), what .. ": " .. err)
  assert.is_nil(err:find("traceback", 1, true), what)
end

describe("a 33-digit seller id (item 10)", function()
  before_each(function() env.reset() end)

  it("is a usage error for sync (arguments and --from), before the store is opened", function()
    local db = tmp .. "/ids.db"
    local status, out, err = run("sync --db " .. sh_quote(db) .. " " .. ID33)
    assert_usage(status, out, err, "sync")
    assert.matches("SELLER_ID must be 1 to 32 digits", err, 1, true)
    status, out, err = run("sync --db " .. sh_quote(db) .. " --from -", nil, { stdin = "237\n" .. ID33 .. "\n" })
    assert_usage(status, out, err, "sync --from")
    assert.matches("(- line 2)", err, 1, true)
    status, out, err = run("sync --db " .. sh_quote(db) .. " --dry-run " .. ID33)
    assert_usage(status, out, err, "sync --dry-run")
    assert.is_nil(io.open(db)) -- refused before the store was created
    assert.equals(0, env.requests())
  end)

  if pgsupport.missing(pg, pg_why, it) then return end

  it("is a usage error for queue add and sync --queue --enqueue with a PostgreSQL store", function()
    local q = " --db " .. sh_quote(pg.url) .. " --queue ids"
    local status, out, err = run("queue add 5 " .. ID33 .. q)
    assert_usage(status, out, err, "queue add")
    assert.is_nil(err:find(pgsupport.PASSWORD, 1, true))
    status, out, err = run("sync --enqueue 5 " .. ID33 .. q)
    assert_usage(status, out, err, "sync --enqueue")
    -- nothing was queued: shop 5 was refused with the bad id
    status, out = run("queue status" .. q)
    assert.equals(0, status)
    assert.matches("^queue ids: 0 shops:", out)
    assert.equals(0, env.requests())
  end)
end)

describe("a failed write to standard output (item 11)", function()
  before_each(function() env.reset() end)

  it("sync and sync --dry-run exit 1 with one line", function()
    local db = tmp .. "/full.db"
    local status, _, err = run("sync --db " .. sh_quote(db) .. " 10", nil, { stdout = ">/dev/full" })
    assert.equals(1, status)
    assert.equals("shoplive: cannot write standard output: No space left on device\n", err)
    assert.equals(2, env.requests()) -- the sync itself was done: its pages are in the store
    status, _, err = run("sync --db " .. sh_quote(db) .. " 10 --dry-run", nil, { stdout = ">/dev/full" })
    assert.equals(1, status)
    assert.equals("shoplive: cannot write standard output: No space left on device\n", err)
    assert.equals(2, env.requests())
    local out
    status, out = run("sync --db " .. sh_quote(db) .. " 10 --dry-run")
    assert.equals(0, status)
    assert.matches("10: 2 pages held, complete", out, 1, true)
  end)

  it("report's path line, completion and --version exit 1 with one line", function()
    local path = tmp .. "/full.html"
    for _, args in ipairs{ "report 5 -q -o " .. sh_quote(path), "completion bash", "--version" } do
      local status, _, err = run(args, nil, { stdout = ">/dev/full" })
      assert.equals(1, status, args)
      assert.equals("shoplive: cannot write standard output: No space left on device\n", err, args)
    end
    assert.truthy(cli.read(path):find("</html>", 1, true)) -- the report itself was written
  end)

  if pg then
    it("queue status and queue add exit 1 with one line", function()
      local q = " --db " .. sh_quote(pg.url) .. " --queue full"
      local status, _, err = run("queue status" .. q, nil, { stdout = ">/dev/full" })
      assert.equals(1, status)
      assert.equals("shoplive: cannot write standard output: No space left on device\n", err)
      status, _, err = run("queue add 7" .. q, nil, { stdout = ">/dev/full" })
      assert.equals(1, status)
      assert.equals(1, #lines(err))
      local out
      status, out = run("queue status" .. q)
      assert.equals(0, status)
      assert.matches("^queue full: 1 shops?: 1 pending", out)
    end)
  end
end)

describe("one time-zone parser (item 14)", function()
  local dir
  before_each(function()
    env.reset()
    dir = cli.tmpdir()
  end)
  after_each(function() os.execute("rm -rf " .. sh_quote(dir)) end)

  it("report --tz -05:00 (a separate argument, as documented) works like --tz=-05:00", function()
    local a, b = dir .. "/a.html", dir .. "/b.html"
    local status, out, err = run("report 5 -q --tz -05:00 -o " .. sh_quote(a))
    assert.equals(0, status, err)
    assert.equals(a .. "\n", out)
    status = run("report 5 -q --tz=-05:00 -o " .. sh_quote(b))
    assert.equals(0, status)
    local ta, tb = cli.read(a), cli.read(b)
    assert.truthy(ta:find("UTC-05:00", 1, true))
    -- the same report but for the time it was generated
    local function strip(s) return (s:gsub('<dd id="h%-generated">.-</dd>', "")) end
    assert.equals(strip(tb), strip(ta))
  end)

  it("refuses offsets past -14:00..+14:00 and takes +07 in the CLI and group_by alike", function()
    for _, tz in ipairs{ "+14:01", "-14:30", "+15", "+07:60", "Mars" } do
      local status, out, err = run("report 5 -q --tz " .. tz .. " -o " .. sh_quote(dir .. "/x.html"))
      assert_usage(status, out, err, tz)
      assert.matches("option '--tz' must be \"UTC\" or an offset like \"+07:00\" (-14:00..+14:00)", err, 1, true)
      assert.has_error(function() shoplive.group_by({}, "day", { tz = tz }) end)
    end
    assert.equals(0, env.requests())
    local recs = { { create_time = 1700000000 } } -- 2023-11-14 22:13 UTC
    for tz, day in pairs{ ["+07"] = "2023-11-15", ["+0700"] = "2023-11-15", ["+14:00"] = "2023-11-15",
        ["-14:00"] = "2023-11-14", Z = "2023-11-14", UTC = "2023-11-14" } do
      local _, keys = shoplive.group_by(recs, "day", { tz = tz })
      assert.same({ day }, keys, tz)
    end
    local status, out, err = run("report 5 -q --tz +07 -o " .. sh_quote(dir .. "/y.html"))
    assert.equals(0, status, err)
    assert.equals(dir .. "/y.html\n", out)
  end)

  it("a negative number for an option is refused by the option's own check", function()
    local status, out, err = run("livestreams 5 --limit -3")
    assert_usage(status, out, err, "--limit -3")
    assert.matches("option '--limit' must be an integer from 1 to", err, 1, true)
    status, out, err = run("sync --db " .. sh_quote(tmp .. "/n.db") .. " --ttl -1 5")
    assert_usage(status, out, err, "--ttl -1")
    assert.matches("option '--ttl' must be a whole number of seconds from 0 to 2147483647, got '-1'", err, 1, true)
    assert.equals(0, env.requests())
  end)
end)
