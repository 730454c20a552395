-- `shoplive sync` and --db / --offline, run as the real command against the
-- sandbox (credits counted by the server) and a SQLite file in a temp dir.
local env = require("support.env")
local cli = require("support.cli_run")

local sh_quote = env.sh_quote
local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

-- The CLI with its default database in the temp dir (vars may name another).
local function run(args, vars, opts)
  local all = { SHOPLIVE_DB = tmp .. "/default.db" }
  for k, v in pairs(vars or {}) do all[k] = v end
  return cli.run(args, all, opts)
end

local credits = env.credits

local n = 0
describe("shoplive sync", function()
  local db
  before_each(function()
    n = n + 1
    db = tmp .. "/cli" .. n .. ".db"
    env.sandbox():reset()
  end)

  it("syncs shops from arguments and a file, ends with one summary line; a re-run costs 0", function()
    local ids = tmp .. "/ids" .. n
    local f = assert(io.open(ids, "w"))
    f:write("237  # the big one\n\n# a comment\n10\n")
    f:close()
    local status, out, err = run("sync --db " .. db .. " --from " .. ids .. " 0")
    assert.equals(0, status, err)
    assert.equals("sync: 3/3 shops done, 27 pages, 27 credits, 0 cache hits, 247 new, 0 changed, 0 failed\n", out)
    assert.equals("", err) -- no progress line when stderr is not a terminal
    status, out = run("sync --db " .. db .. " 237 10 0")
    assert.equals(0, status)
    assert.equals("sync: 3/3 shops done, 27 pages, 0 credits, 27 cache hits, 0 new, 0 changed, 0 failed\n", out)
    assert.equals(27, credits())
  end)

  it("reads ids from stdin, and prints the cost of a dry run from what the store holds", function()
    assert.equals(0, (run("sync --db " .. db .. " 237")))
    local status, out = run("sync --db " .. db .. " --dry-run --from -", nil, { stdin = "237\n10\n" })
    assert.equals(0, status)
    assert.matches("237: 24 pages held, complete: 0 credits", out, 1, true)
    assert.matches("10: 0 pages held; fetching from page 1 costs at least 1 credit", out, 1, true)
    assert.matches("the sync would cost at least 1 credit ", out, 1, true)
    assert.equals(24, credits())
  end)

  it("uses $SHOPLIVE_DB without --db, and exits 1 naming a failed shop", function()
    env.sandbox():fault{ type = "status", status = 400, count = 1 }
    local status, out, err = run("sync --concurrency 1 237 10")
    assert.equals(1, status)
    assert.matches("1/2 shops done", out, 1, true)
    -- one prefix: not "shop 237: shoplive: ..."
    assert.matches("^shoplive: shop 237: bad_request: ", err)
    assert.truthy(io.open(tmp .. "/default.db"))
  end)

  it("stops at --max-credits and a re-run pays only the rest", function()
    local status, out = run("sync --db " .. db .. " --max-credits 5 237")
    assert.equals(1, status)
    assert.matches("5 credits", out, 1, true)
    assert.matches("stopped (budget)", out, 1, true)
    status, out = run("sync --db " .. db .. " 237")
    assert.equals(0, status)
    assert.matches("19 credits, 5 cache hits", out, 1, true)
    assert.equals(24, credits())
  end)

  it("Ctrl-C: exit 130, the pages fetched are kept, a re-run pays exactly the missing ones", function()
    local sb = env.sandbox()
    sb:config{ latency = 0.3 }
    local dir = tmp .. "/int" .. n
    os.execute("mkdir -p " .. sh_quote(dir))
    os.execute("(" .. cli.command("sync --db " .. sh_quote(db) .. " 237") .. " >" .. sh_quote(dir .. "/stdout")
      .. " 2>" .. sh_quote(dir .. "/stderr") .. " & echo $! >" .. sh_quote(dir .. "/pid.tmp") .. "; mv "
      .. sh_quote(dir .. "/pid.tmp") .. " " .. sh_quote(dir .. "/pid") .. "; wait $!; echo $? >"
      .. sh_quote(dir .. "/rc.tmp") .. "; mv " .. sh_quote(dir .. "/rc.tmp") .. " " .. sh_quote(dir .. "/rc")
      .. ") >/dev/null 2>&1 &")
    assert(env.wait_for(function() return cli.read(dir .. "/pid") ~= nil end))
    local pid = tonumber(cli.read(dir .. "/pid"))
    local ok, e = pcall(function()
      -- three pages in the store, saved by the CLI itself (read alongside
      -- it: WAL), not just answered by the server: on a loaded machine the
      -- third answer could still sit unread when Ctrl-C came
      assert(env.wait_for(function()
        local f = io.open(db)
        if not f then return false end -- not made by the CLI yet
        f:close()
        -- read-only: a reader that creates the schema too can lock the
        -- CLI out of the file it is creating (it then exits at once)
        local ok, s = pcall(env.shoplive.store.open, db, { readonly = true })
        if not ok or not s then return false end
        local held = 0
        for _, shop in ipairs(s:shops() or {}) do held = held + shop.pages end
        s:close()
        return held >= 3
      end))
      os.execute("kill -INT " .. pid)
      assert(env.wait_for(function() return cli.read(dir .. "/rc") ~= nil end), "the CLI did not exit")
    end)
    if not ok then
      os.execute("kill -TERM " .. pid .. " 2>/dev/null")
      error(e, 0)
    end
    assert.equals(130, tonumber(cli.read(dir .. "/rc")))
    local paid = credits()
    local out, err = cli.read(dir .. "/stdout"), cli.read(dir .. "/stderr")
    assert.equals("", err)
    local pages, spent = out:match("^sync: 0/1 shop done, (%d+) pages?, (%d+) credits?, 0 cache hits, %d+ new, "
      .. "0 changed, 0 failed, interrupted\n$")
    assert.is_string(pages, out)
    pages = tonumber(pages)
    -- every page paid for is in the store; a page cut off in flight may be
    -- counted by the server but never reached the client
    assert.equals(pages, tonumber(spent))
    assert.is_true(pages >= 3 and pages < 24 and paid >= pages and paid <= pages + 1, out)
    local status, dry = run("sync --db " .. db .. " --dry-run 237")
    assert.equals(0, status)
    assert.matches("237: " .. pages .. " pages held; fetching from page " .. (pages + 1), dry, 1, true)
    sb:reset()
    local rout
    status, rout = run("sync --db " .. db .. " 237")
    assert.equals(0, status)
    local function n_of(k, word) return k .. " " .. word .. (k == 1 and "" or "s") end
    assert.equals(string.format("sync: 1/1 shop done, 24 pages, %s, %s, %d new, 0 changed, 0 failed\n",
      n_of(24 - pages, "credit"), n_of(pages, "cache hit"), 237 - 10 * pages), rout)
    assert.equals(24 - pages, credits())
  end)

  it("bad usage exits 2; a database that cannot be opened exits 1 naming it", function()
    local status, _, err = run("sync --db " .. db .. " 12x")
    assert.equals(2, status)
    assert.matches("SELLER_ID must be 1 to 32 digits", err, 1, true)
    status, _, err = run("sync --db " .. db)
    assert.equals(2, status)
    assert.matches("no seller ids", err, 1, true)
    status = run("sync --db " .. db .. " --ttl -1 5")
    assert.equals(2, status)
    status, _, err = run("sync --db /etc/passwd/x.db 5")
    assert.equals(1, status)
    assert.matches("/etc/passwd/x.db", err, 1, true)
    assert.equals(0, env.sandbox():stats().requests)
  end)
end)

describe("livestreams and summary with --db / --offline", function()
  it("read through the cache with --db, and from the store alone with --offline (no key)", function()
    env.sandbox():reset()
    local db = tmp .. "/read.db"
    local status, out = run("livestreams 237 --db " .. db .. " --format ndjson")
    assert.equals(0, status)
    assert.equals(237, select(2, out:gsub("\n", "")))
    status = run("livestreams 237 --db " .. db .. " --format ndjson")
    assert.equals(0, status)
    assert.equals(24, credits())
    local err
    status, out, err = run("summary 237 --db " .. db .. " --offline --format json", { KEYAPI_API_KEY = "" })
    assert.equals(0, status, err)
    assert.matches('"count":237', out, 1, true)
    status, out = run("livestreams 237 --db " .. db .. " --offline --sort gmv --limit 2 --format csv",
      { KEYAPI_API_KEY = "" })
    assert.equals(0, status)
    assert.equals(3, select(2, out:gsub("\n", "")))
    local _
    status, _, err = run("livestreams 238 --db " .. db .. " --offline", { KEYAPI_API_KEY = "" })
    assert.equals(1, status)
    assert.matches("no stored livestreams for shop 238", err, 1, true)
    assert.equals(24, credits())
  end)
end)
