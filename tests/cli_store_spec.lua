-- The command line's store: --db forms it refuses, store errors it must not
-- hide or garble, and what --offline reads (an empty shop, a read-only
-- snapshot). Run as the real command against the sandbox (credits counted by
-- the server) and real SQLite files in a temp dir.
local env = require("support.env")
local cli = require("support.cli_run")

local sh_quote = env.sh_quote
local files = require("support.files")
local tmp = files.tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local credits = env.credits
local ROOT = io.popen("pwd"):read("*l")

local function run(args, vars, opts)
  return cli.run(args, vars, opts)
end

-- The CLI run from inside dir (a file it creates by mistake lands there).
local function run_in(dir, args)
  local cmd = cli.command(args, { SHOPLIVE_BUILD = ROOT .. "/" .. env.BUILD, SHOPLIVE_DB = dir .. "/default.db" })
    :gsub(" bin/shoplive ", " " .. ROOT .. "/bin/shoplive ", 1)
  local errfile = tmp .. "/stderr"
  local status, out = env.sh("cd " .. sh_quote(dir) .. " && " .. cmd .. " 2>" .. errfile)
  return status, out, cli.read(errfile)
end

local function sqlite_exec(path, sql)
  local db = assert(require("shoplive.sqlite3").open(path))
  assert(db:exec(sql))
  db:close()
end

local n = 0
local function fresh(name)
  n = n + 1
  return tmp .. "/" .. name .. n
end

describe("shoplive --db", function()
  before_each(function() env.sandbox():reset() end)

  local PW = "Pw0rd-s3cr3t"
  for _, target in ipairs{
    "postgresql:/shoplive:" .. PW .. "@127.0.0.1:1/db",       -- one slash: a typo
    "POSTGRES:/shoplive:" .. PW .. "@127.0.0.1:1/db",
    "file::memory:",
    ":memory:",
    "file:x.db?nolock=1",
    "sqlite://x.db",
    "postgresql://shoplive:" .. PW:sub(1, 5) .. "/" .. PW:sub(6) .. "@127.0.0.1:1/db", -- unescaped '/'
    "postgresql://shoplive:" .. PW:sub(1, 5) .. "@" .. PW:sub(6) .. "@127.0.0.1:1/db", -- unescaped '@'
  } do
    it("refuses '" .. target:gsub("%%", "%%%%") .. "' as bad usage, creates nothing and cuts the password", function()
      local dir = fresh("forms")
      os.execute("mkdir -p " .. dir)
      for _, cmd in ipairs{ "sync 237 --db " .. sh_quote(target), "summary 237 --offline --db " .. sh_quote(target) } do
        local status, out, err = run_in(dir, cmd)
        assert.equals(2, status, err)
        assert.equals("", out)
        assert.matches("Error: option '--db': ", err, 1, true)
        for _, part in ipairs{ PW, PW:sub(1, 5), PW:sub(6) } do
          assert.is_nil(err:find(part, 1, true), "password part '" .. part .. "' in: " .. err)
        end
      end
      assert.same({}, cli.ls(dir))
      assert.equals(0, credits())
    end)
  end

  it("refuses the same forms in $SHOPLIVE_DB (no --db), naming the variable", function()
    local status, out, err = run("sync 237", { SHOPLIVE_DB = ":memory:" })
    assert.equals(1, status)
    assert.equals("", out)
    assert.matches("SHOPLIVE_DB: ':memory:' is an in-memory SQLite database", err, 1, true)
    assert.equals(0, credits())
  end)

  it("says a directory is a directory, not read-only", function()
    local status, _, err = run("sync 237 --db " .. tmp)
    assert.equals(1, status)
    assert.matches(tmp .. ": is a directory, not a database file", err, 1, true)
    assert.is_nil(err:find("read-only", 1, true), err)
    assert.equals(0, credits())
  end)

  it("names the database once in an error of its schema", function()
    local db = fresh("foreign") .. ".db"
    sqlite_exec(db, "CREATE TABLE pages (x)")
    local status, _, err = run("sync 237 --db " .. db)
    assert.equals(1, status)
    assert.matches(db .. ": table pages already exists", err, 1, true)
    assert.is_nil(err:find(db .. ": " .. db, 1, true), err)
  end)
end)

-- A fresh SQLite store named label with shops synced into it, and what
-- `sync SHOPS --dry-run` (dry, which must succeed) says on it.
local function synced_dry(label, shops, dry)
  env.sandbox():reset()
  local db = fresh(label) .. ".db"
  assert.equals(0, (run("sync " .. shops .. " --db " .. db)))
  local status, out = run("sync " .. dry .. " --db " .. db .. " --dry-run")
  assert.equals(0, status)
  return db, out
end

describe("shoplive sync --dry-run", function()
  it("reports a store that fails and exits 1, instead of '0 pages held'", function()
    local db, out = synced_dry("dry", "10", "10")
    assert.matches("10: 2 pages held, complete: 0 credits", out, 1, true)
    -- the page cache gone (a damaged or foreign database): every read fails
    sqlite_exec(db, "DROP TABLE pages")
    local status, err
    status, out, err = run("sync 10 --db " .. db .. " --dry-run")
    assert.equals(1, status)
    assert.is_nil(out:find("pages held", 1, true), out)
    assert.matches(db .. ": no such table: pages", err, 1, true)
    assert.equals(2, credits())
  end)
end)

describe("--offline", function()
  it("answers a synced shop with no livestreams with an empty result (report, summary, livestreams)", function()
    local db, out = synced_dry("empty", "237 0", "0")
    assert.matches("0: 1 pages held, complete: 0 credits", out, 1, true)
    local off = { KEYAPI_API_KEY = "" }
    local html = fresh("report") .. ".html"
    local status, err, _
    status, _, err = run("report 237 0 --db " .. db .. " --offline --output " .. html, off)
    assert.equals(0, status, err)
    assert.truthy(cli.read(html))
    assert.is_nil(cli.read(html .. ".partial"))
    status, out, err = run("summary 0 --db " .. db .. " --offline --format json", off)
    assert.equals(0, status, err)
    assert.matches('"count":0', out, 1, true)
    status, out, err = run("livestreams 0 --db " .. db .. " --offline --format ndjson", off)
    assert.equals(0, status, err)
    assert.equals("", out)
    -- a shop never synced is still a miss
    status, _, err = run("summary 1 --db " .. db .. " --offline", off)
    assert.equals(1, status)
    assert.matches("no stored livestreams for shop 1", err, 1, true)
    assert.equals(25, credits())
  end)

  it("reads a read-only snapshot (a read-only file system), which sync still refuses before buying", function()
    env.sandbox():reset()
    local mnt = fresh("snapshot")
    if not files.tmpfs(mnt, "4m", { pending = pending, finally = finally }) then return end
    local db = mnt .. "/shops.db"
    assert.equals(0, (run("sync 237 --db " .. db)))
    assert.truthy(env.sh_ok("mount -o remount,ro " .. mnt))
    local off = { KEYAPI_API_KEY = "" }
    local status, out, err = run("summary 237 --db " .. db .. " --offline --format json", off)
    assert.equals(0, status, err)
    assert.matches('"count":237', out, 1, true)
    local _
    local html = fresh("ro_report") .. ".html"
    status, _, err = run("report 237 --db " .. db .. " --offline --output " .. html, off)
    assert.equals(0, status, err)
    assert.truthy(cli.read(html))
    status, _, err = run("sync 237 --db " .. db .. " --ttl 0")
    assert.equals(1, status)
    assert.matches("read-only", err, 1, true)
    local _, named = err:gsub(db:gsub("%p", "%%%0"), "")
    assert.equals(1, named, err) -- the database named once
    assert.equals(24, credits())
  end)
end)
