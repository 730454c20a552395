-- A shop is done only when every page up to its last is stored. A trigger
-- that refuses to save page 1 stands in for a full disk: the page asked
-- ahead (page 2, the shop's last) still saves, and the shop must end failed,
-- never done, in the library, the CLI and a PostgreSQL queue. Every credit
-- is counted by the sandbox server.
local env = require("support.env")
local cli = require("support.cli_run")
local pgsupport = require("support.postgres")
local shoplive = env.shoplive
local store = shoplive.store

local pg, pg_why, tmp = pgsupport.start_with_tmpdir(teardown)

local credits = env.credits
-- shop "10": a full page 1, then an empty page 2 (its last)
local SHOP = "10"

local SQLITE_TRIGGER = "CREATE TRIGGER no_page_1 BEFORE INSERT ON pages WHEN NEW.page = 1 "
  .. "BEGIN SELECT RAISE(ABORT, 'disk full (a trigger standing in)'); END"

local function sqlite_exec(path, sql)
  local db = assert(require("shoplive.sqlite3").open(path))
  assert(db:exec(sql))
  db:close()
end

local function pages_held(s)
  local total = 0
  for _, shop in ipairs(assert(s:shops())) do total = total + shop.pages end
  return total
end

local n = 0
local function fresh_db()
  n = n + 1
  local path = tmp .. "/m" .. n .. ".db"
  store.open(path):close()
  sqlite_exec(path, SQLITE_TRIGGER)
  return path
end

describe("a shop with a page that failed to save", function()
  before_each(function() env.sandbox():reset() end)

  it("is reported failed with the store err, not done; the next sync buys exactly the missing page", function()
    local db = fresh_db()
    local s = store.open(db)
    local client = env.client{ store = s }
    local r, err = client:sync{ sellers = { SHOP }, concurrency = 1 }
    assert.is_nil(r)
    assert.equals("store", err.kind)
    assert.equals(0, err.report.shops)
    assert.equals("store", err.report.failed[SHOP].kind)
    assert.matches("disk full", tostring(err.report.failed[SHOP]), 1, true)
    assert.equals(2, credits())
    assert.equals(1, pages_held(s)) -- page 2 only
    sqlite_exec(db, "DROP TRIGGER no_page_1")
    local report = assert(client:sync{ sellers = { SHOP } })
    assert.same({ shops = 1, pages = 2, credits = 1, cache_hits = 1, new = 10, changed = 0, failed = {} }, report)
    assert.equals(3, credits())
    client:close()
    s:close()
  end)

  it("makes `shoplive sync` say 0/1 shop done, name the shop and exit 1", function()
    local db = fresh_db()
    local status, out, err = cli.run("sync " .. SHOP .. " --db " .. db)
    assert.equals(1, status)
    assert.matches("^sync: 0/1 shop done, 2 pages, 2 credits, .*, 1 failed, stopped %(store%)\n$", out)
    assert.matches("shop " .. SHOP .. ": .*disk full", err)
    sqlite_exec(db, "DROP TRIGGER no_page_1")
    status, out = cli.run("sync " .. SHOP .. " --db " .. db)
    assert.equals(0, status)
    assert.matches("^sync: 1/1 shop done, 2 pages, 1 credit, 1 cache hit", out)
    assert.equals(3, credits())
  end)

  it("is handed back to the queue (pending), never marked done, and a worker later buys only the missing page",
    function()
    if not pg then error(pg_why) end
    local url = pg:database("missing_page")
    local s = store.open(url)
    assert(pg:psql("CREATE FUNCTION no_page_1() RETURNS trigger LANGUAGE plpgsql AS "
      .. "'BEGIN IF NEW.page = 1 THEN RAISE EXCEPTION ''disk full (a trigger standing in)''; END IF; "
      .. "RETURN NEW; END'; CREATE TRIGGER no_page_1 BEFORE INSERT ON pages FOR EACH ROW "
      .. "EXECUTE FUNCTION no_page_1()", "missing_page") == 0)
    local client = env.client{ store = s }
    local r, err = client:sync{ queue = "daily", sellers = { SHOP }, enqueue = true, concurrency = 1 }
    assert.is_nil(r)
    assert.equals("store", err.kind)
    assert.equals(0, err.report.shops)
    assert.equals("store", err.report.failed[SHOP].kind)
    local q = assert(s:queue_status("daily"))
    assert.same({ 1, 1, 0, 0 }, { q.total, q.pending, q.done, #q.failed })
    assert(pg:psql("DROP TRIGGER no_page_1 ON pages", "missing_page") == 0)
    local report = assert(client:sync{ queue = "daily" })
    assert.equals(1, report.shops)
    assert.equals(1, report.credits)
    assert.equals(3, credits())
    q = assert(s:queue_status("daily"))
    assert.same({ 1, 0, 1 }, { q.total, q.pending, q.done })
    client:close()
    s:close()
  end)
end)
