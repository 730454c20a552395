-- shoplive.store against real databases: SQLite files in a temp dir and a
-- PostgreSQL 15 cluster this spec starts itself (tests/support/postgres.lua)
-- and stops at the end. Credits are counted by the sandbox server.
local env = require("support.env")
local files = require("support.files")
local pgsupport = require("support.postgres")
local shoplive = env.shoplive
local store = shoplive.store

local tmp = files.tmpdir()

local credits = env.credits

local file_bytes = files.read

local TRICKY = {
  "it's \"quoted\" ''; --",
  "'; DROP TABLE livestreams; --",
  "NUL\0inside\0\0",
  "emoji 😀🛍 é 中文",
  "",
  "tab\tnewline\nbackslash\\",
}

local pg, pg_why
local backends = {
  { name = "sqlite", new = function(label) return tmp .. "/" .. label .. ".db" end },
  { name = "postgresql", new = function(label)
    if not pg then return nil end
    return pg:database(label:gsub("%W", "_"):lower())
  end },
}

setup(function()
  pg, pg_why = pgsupport.start()
end)

teardown(function()
  if pg then pg:stop() end
  os.execute("rm -rf " .. tmp)
end)

local n = 0
for _, backend in ipairs(backends) do
  describe("store on " .. backend.name, function()
    local target, s, client
    before_each(function()
      n = n + 1
      target = backend.new("t" .. n)
      assert(target, "PostgreSQL 15 could not be started: " .. tostring(pg_why))
      s = store.open(target)
      client = env.client{ store = s }
      env.reset()
    end)
    after_each(function()
      client:close()
      s:close()
    end)

    it("answers a query fetched within the TTL from the store: no request, no credit", function()
      local p1 = assert(client:livestreams{ seller_id = "237", page = 3 })
      assert.is_nil(p1.cached)
      assert.equals("number", type(p1.fetched_at))
      assert.equals(1, credits())
      local p2 = assert(client:livestreams{ seller_id = "237", page = 3 })
      assert.is_true(p2.cached)
      assert.equals(p1.fetched_at, p2.fetched_at)
      assert.equals(p1.request_id, p2.request_id)
      assert.same(p1.records, p2.records)
      assert.equals(1, credits())
      assert.equals(1, client:stats().cache_hits)
      -- another page, page size or order is another query
      assert(client:livestreams{ seller_id = "237", page = 3, page_size = 5 })
      assert(client:livestreams{ seller_id = "237", page = 3, sort_by = "gmv" })
      assert.equals(3, credits())
    end)

    it("keeps integers exact and strings byte-exact (the edge-case fixture)", function()
      local fetched = assert(client:livestreams{ seller_id = "9990001" })
      local cached = assert(client:livestreams{ seller_id = "9990001" })
      assert.is_true(cached.cached)
      assert.same(fetched.records, cached.records)
      local r = cached.records[1]
      assert.equals("NUL\0here caf\195\169 \240\159\152\128 raw \240\159\152\128 quote\" backslash\\ newline\nend", r.title)
      if env.INT64 then
        assert.equals(9007199254740993, r.total_sale_gmv_amt)
        assert.equals(math.maxinteger, r.total_views_cnt)
        assert.equals(math.mininteger, r.total_joins_cnt)
      else
        assert.equals("9007199254740993", r.total_sale_gmv_amt)
      end
      assert.equals(12.5, cached.records[2].total_sale_cnt)
      assert.same({ tags = { "a", 1, true } }, cached.records[2].extra)
      assert.is_nil(cached.records[2].title)
      local back = assert(s:livestreams{ seller_id = "9990001" })
      assert.equals(3, #back)
    end)

    it("stores quotes, SQL, NUL and emoji exactly, and reads them back", function()
      local recs = {}
      for i, t in ipairs(TRICKY) do
        recs[i] = { room_id = "r" .. i .. "'\";", seller_id = "42", title = t, nick_name = t, create_time = 1000 + i,
          total_sale_gmv_amt = env.INT64 and 9007199254740992 + i or 2 ^ 40 + i }
      end
      assert(s:save_page({ seller_id = "42", page = 1, page_size = 10 }, { request_id = "x", records = recs }, 1))
      local back = assert(s:livestreams{ seller_id = "42" })
      assert.equals(#TRICKY, #back)
      for _, r in ipairs(back) do
        local i = r.create_time - 1000
        assert.equals(TRICKY[i], r.title)
        assert.equals(TRICKY[i], r.nick_name)
        assert.equals(recs[i].room_id, r.room_id)
        assert.equals(recs[i].total_sale_gmv_amt, r.total_sale_gmv_amt)
      end
      -- the tables are all still there
      assert.equals(1, #assert(s:shops()))
    end)

    it("round-trips 9007199254740993 exactly #int64", function()
      local v = 9007199254740993
      assert(s:save_page({ seller_id = "7", page = 1, page_size = 10 },
        { records = { { room_id = "1", total_views_cnt = v, duration = math.mininteger } } }, 1))
      local r = assert(s:livestreams{ seller_id = nil })[1]
      assert.equals(v, r.total_views_cnt)
      assert.equals("integer", math.type(r.total_views_cnt))
      assert.equals(math.mininteger, r.duration)
    end)

    it("records every change of a livestream's figures (revisions) and credits per day", function()
      local p = { seller_id = "5", page = 1, page_size = 10 }
      local rec = { room_id = "77", seller_id = "5", total_views_cnt = 10, create_time = 100 }
      assert.same({ new = 1, changed = 0 }, s:save_page(p, { request_id = "a", records = { rec } }, 1))
      assert.same({ new = 0, changed = 0 }, s:save_page(p, { request_id = "b", records = { rec } }, 1))
      rec.total_views_cnt = 25
      assert.same({ new = 0, changed = 1 }, s:save_page(p, { request_id = "c", records = { rec } }, 1))
      local h = assert(s:history("77"))
      assert.equals(2, #h)
      assert.equals(10, h[1].total_views_cnt)
      assert.equals(25, h[2].total_views_cnt)
      assert.equals("c", h[2].request_id)
      local c = assert(s:credits{ since = 0 })
      assert.equals(3, c.total)
      assert.equals(os.date("!%Y-%m-%d"), c[#c].day)
      assert.equals(0, assert(s:credits{ since = os.time() + 86400 }).total)
      local shops = assert(s:shops())
      assert.equals("5", shops[1].seller_id)
      assert.equals(1, shops[1].livestreams)
      assert.equals(3, shops[1].pages)
      assert.equals(3, shops[1].credits)
    end)

    it("keeps one row for a room that appears twice in one page (its last record)", function()
      local recs = { { room_id = "9", seller_id = "3", total_views_cnt = 1 }, { room_id = "9", seller_id = "3", total_views_cnt = 2 } }
      assert.same({ new = 1, changed = 0 }, s:save_page({ seller_id = "3", page = 1, page_size = 10 }, { records = recs }, 1))
      local back = assert(s:livestreams{ seller_id = "3" })
      assert.equals(1, #back)
      assert.equals(2, back[1].total_views_cnt)
    end)

    it("filters stored livestreams by seller and create_time", function()
      assert(client:all_livestreams{ seller_id = "237" })
      assert(client:all_livestreams{ seller_id = "10" })
      local all = assert(s:livestreams{})
      assert.equals(247, #all)
      local shop = assert(s:livestreams{ seller_id = "237" })
      assert.equals(237, #shop)
      local t = shop[100].create_time
      local newer = assert(s:livestreams{ seller_id = "237", since = t })
      assert.equals(100, #newer)
      local older = assert(s:livestreams{ seller_id = 237, ["until"] = t })
      assert.equals(137, #older)
      assert.has_error(function() s:livestreams{ seller = "1" } end,
        "store:livestreams: unknown argument 'seller' (accepted: seller_id, since, until)")
    end)

    it("expires cached pages after cache_ttl (injected clock) and always fetches with cache_ttl = 0", function()
      local now = 1800000000
      local s2 = store.open(target, { clock = function() return now end })
      local c2 = env.client{ store = s2, cache_ttl = 60 }
      assert(c2:livestreams{ seller_id = "10" })
      now = now + 60
      assert.is_true(assert(c2:livestreams{ seller_id = "10" }).cached)
      now = now + 1
      assert.is_nil(assert(c2:livestreams{ seller_id = "10" }).cached)
      assert.equals(2, credits())
      local c0 = env.client{ store = s2, cache_ttl = 0 }
      assert.is_nil(assert(c0:livestreams{ seller_id = "10" }).cached)
      assert.equals(3, credits())
      assert.equals(3, assert(s2:shops())[1].pages) -- recorded all the same
      c2:close(); c0:close(); s2:close()
    end)

    it("refuses a database written by a newer schema, untouched", function()
      s:close()
      if backend.name == "sqlite" then
        local raw = require("shoplive.sqlite3").open(target)
        assert(raw:exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"))
        raw:close()
        local before = file_bytes(target)
        local ok, err = pcall(store.open, target)
        assert.is_false(ok)
        assert.equals("store", err.kind)
        assert.matches(target, err.message, 1, true)
        assert.matches("schema version 99", err.message, 1, true)
        assert.equals(before, file_bytes(target))
      else
        assert.equals(0, (pg:psql("UPDATE meta SET value = '99'", target:match("/(%w+)$"))))
        local ok, err = pcall(store.open, target)
        assert.is_false(ok)
        assert.equals("store", err.kind)
        assert.matches("schema version 99", err.message, 1, true)
        local _, v = pg:psql("SELECT value FROM meta", target:match("/(%w+)$"))
        assert.equals("99", v:match("%S+"))
      end
      s = store.open(backend.new("t" .. n .. "b"))
    end)

    it("empty_shop: true for a shop synced with no livestreams, false for one with some or unknown", function()
      assert(client:livestreams{ seller_id = "0" })
      assert(client:livestreams{ seller_id = "237" })
      assert.same({ true, false, false }, { s:empty_shop("0"), s:empty_shop("237"), s:empty_shop(1) })
      assert.equals(2, credits())
    end)

    it("has_shop: true for a shop with stored livestreams or synced empty, false for one never fetched", function()
      assert(client:livestreams{ seller_id = "0" })
      assert(client:livestreams{ seller_id = "237" })
      assert.same({ true, true, false }, { s:has_shop("0"), s:has_shop("237"), s:has_shop("10") })
      assert.equals(2, credits())
    end)

    it("keeps what it stored across close and reopen", function()
      assert(client:all_livestreams{ seller_id = "237" })
      s:close()
      s = store.open(target)
      local c2 = env.client{ store = s }
      local before = credits()
      assert.equals(237, #assert(c2:all_livestreams{ seller_id = "237" }))
      assert.equals(before, credits())
      c2:close()
    end)
  end)
end

describe("store.open errors name the database, before any credit", function()
  it("a directory that cannot be created", function()
    local f = assert(io.open(tmp .. "/afile", "w"))
    f:close()
    local ok, err = pcall(store.open, tmp .. "/afile/sub/x.db")
    assert.is_false(ok)
    assert.equals("store", err.kind)
    assert.matches(tmp .. "/afile/sub/x.db", tostring(err), 1, true)
    assert.matches("cannot create directory", tostring(err), 1, true)
  end)

  it("creates missing directories, and the default path under XDG_DATA_HOME", function()
    local s = store.open(tmp .. "/new/deeper/x.db")
    s:close()
    assert.truthy(file_bytes(tmp .. "/new/deeper/x.db"))
    local path = store.default_path(function(k) return ({ XDG_DATA_HOME = tmp .. "/xdg", HOME = "/nonexistent" })[k] end)
    assert.equals(tmp .. "/xdg/shoplive/shoplive.db", path)
    assert.equals("/h/.local/share/shoplive/shoplive.db", store.default_path(function(k) return k == "HOME" and "/h" or nil end))
    assert.equals("/x.db", store.default_path(function(k) return k == "SHOPLIVE_DB" and "/x.db" or "/h" end))
    local status, out = env.sh("SHOPLIVE_DB= XDG_DATA_HOME=" .. tmp .. "/xdg2 " .. env.lua_env() .. " " .. env.LUA
      .. " -e 'require(\"shoplive\").store.open():close() print(\"ok\")'")
    assert.equals(0, status, out)
    assert.truthy(file_bytes(tmp .. "/xdg2/shoplive/shoplive.db"))
  end)

  it("a file that is not a database", function()
    local f = assert(io.open(tmp .. "/junk.db", "wb"))
    f:write(string.rep("this is not sqlite\n", 100))
    f:close()
    local ok, err = pcall(store.open, tmp .. "/junk.db")
    assert.is_false(ok)
    assert.equals("store", err.kind)
    assert.matches(tmp .. "/junk.db", err.message, 1, true)
    assert.matches("not a database", err.message, 1, true)
  end)

  it("a read-only database (a read-only mount)", function()
    local mnt = tmp .. "/ro"
    if not files.tmpfs(mnt, "1m", { pending = pending, finally = finally }) then return end
    store.open(mnt .. "/x.db"):close()
    assert(env.sh_ok("mount -o remount,ro " .. mnt))
    local ok, err = pcall(store.open, mnt .. "/x.db")
    assert.is_false(ok)
    assert.equals("store", err.kind)
    assert.matches(mnt .. "/x.db", err.message, 1, true)
    assert.matches("read%-only", err.message)
  end)

  it("a PostgreSQL that does not answer, or refuses the password (never echoed)", function()
    assert(pg, "PostgreSQL 15 could not be started: " .. tostring(pg_why))
    local bad = pg.url:gsub(pgsupport.PASSWORD:gsub("%p", "%%%0"), "wrong-secret-pw")
    local ok, err = pcall(store.open, bad)
    assert.is_false(ok)
    assert.equals("store", err.kind)
    assert.matches("password authentication failed", err.message, 1, true)
    assert.matches("postgresql://shoplive:***@127.0.0.1:" .. pg.port, err.message, 1, true)
    assert.is_nil(tostring(err):find("wrong-secret-pw", 1, true))
    local sock = require("socket").bind("127.0.0.1", 0)
    local _, port = sock:getsockname()
    sock:close()
    ok, err = pcall(store.open, "postgresql://u:hunter2@127.0.0.1:" .. port .. "/db")
    assert.is_false(ok)
    assert.equals("store", err.kind)
    assert.matches("127.0.0.1:" .. port, err.message, 1, true)
    assert.is_nil(tostring(err):find("hunter2", 1, true))
  end)

  it("bad arguments raise naming the argument", function()
    local ok, msg = pcall(store.open, 42)
    assert.is_false(ok)
    assert.matches("shoplive.store.open: argument 'target' must be a file path or a postgresql:// URL, got", msg, 1, true)
    assert.has_error(function() shoplive.new{ api_key = "k", store = {} } end)
    assert.has_error(function() shoplive.new{ api_key = "k", cache_ttl = -1 } end)
  end)
end)
