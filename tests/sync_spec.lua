-- client:sync: whole shops into the store, resumable. Every credit is
-- counted by the sandbox server; the databases are real SQLite files.
local env = require("support.env")
local shoplive = env.shoplive
local store = shoplive.store

local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local credits = env.credits

-- pages per shop: a full last page is followed by an empty one
local SHOPS = { "237", "10", "0", "7494818275540568755" }
local TOTAL = 24 + 2 + 1 + 76

local function pages_held(s)
  local total = 0
  for _, shop in ipairs(assert(s:shops())) do total = total + shop.pages end
  return total
end

-- A Lua subprocess syncing sellers into db; returns the shell command.
local function sync_cmd(db, sellers, extra)
  local script = tmp .. "/sync_" .. sellers[1] .. ".lua"
  local f = assert(io.open(script, "w"))
  f:write(([[
local shoplive = require("shoplive")
local s = shoplive.store.open(%q)
local c = shoplive.new{ api_key = "sk_test_sync", base_url = %q, store = s }
local r, err = c:sync{ sellers = { %s }, concurrency = 2 }
if not r then io.stderr:write(tostring(err), "\n") os.exit(1) end
print("shops=" .. r.shops .. " pages=" .. r.pages .. " credits=" .. c:stats().credits)
]]):format(db, env.sandbox().url, '"' .. table.concat(sellers, '", "') .. '"'))
  f:close()
  return (extra or "") .. env.lua_env() .. " " .. env.LUA .. " " .. script
end

local n = 0
describe("client:sync", function()
  local db, s, client
  before_each(function()
    n = n + 1
    db = tmp .. "/s" .. n .. ".db"
    s = store.open(db)
    client = env.client{ store = s }
    env.sandbox():reset()
  end)
  after_each(function()
    client:close()
    s:close()
    env.sandbox():reset()
  end)

  it("pages every shop to its end; a second sync within the TTL costs 0", function()
    local seen = 0
    local report = assert(client:sync{ sellers = SHOPS, on_page = function(page, seller)
      assert.equals("string", type(seller))
      assert.truthy(page.records)
      seen = seen + 1
    end })
    assert.equals(TOTAL, seen)
    assert.same({ shops = 4, pages = TOTAL, credits = TOTAL, cache_hits = 0, new = 237 + 10 + 755, changed = 0,
      failed = {} }, report)
    assert.equals(TOTAL, credits())
    report = assert(client:sync{ sellers = SHOPS })
    assert.same({ shops = 4, pages = TOTAL, credits = 0, cache_hits = TOTAL, new = 0, changed = 0, failed = {} },
      report)
    assert.equals(TOTAL, credits())
    assert.equals(TOTAL, pages_held(s))
  end)

  it("stopped by max_credits, a resumed sync pays exactly for the pages not yet held", function()
    local r, err = client:sync{ sellers = SHOPS, max_credits = 30, concurrency = 4 }
    assert.is_nil(r)
    assert.equals("budget", err.kind)
    assert.equals(30, err.report.credits)
    assert.equals(30, credits())
    assert.equals(30, pages_held(s))
    local report = assert(client:sync{ sellers = SHOPS, concurrency = 3 })
    assert.equals(TOTAL - 30, report.credits)
    assert.equals(30, report.cache_hits)
    assert.equals(TOTAL, credits())
    assert.equals(4, report.shops)
  end)

  it("goes on past one failing shop and reports it", function()
    env.sandbox():fault{ type = "status", status = 400, count = 1 }
    local report = assert(client:sync{ sellers = SHOPS, concurrency = 1 })
    assert.equals(3, report.shops)
    assert.equals("bad_request", report.failed["237"].kind)
    assert.is_nil(report.failed["10"])
  end)

  it("stops every shop on auth and quota errors", function()
    for key, kind in pairs{ sk_test_invalid = "auth", sk_test_noquota = "quota" } do
      local c = env.client{ api_key = key, store = s }
      local r, err = c:sync{ sellers = SHOPS, concurrency = 1 }
      assert.is_nil(r)
      assert.equals(kind, err.kind)
      assert.equals(0, err.report.shops)
      assert.equals(0, err.report.pages)
      assert.is_nil(next(err.report.failed))
      c:close()
    end
    assert.equals(2, env.sandbox():stats().requests)
  end)

  it("two processes syncing different shops into one SQLite file lose no row", function()
    local a = sync_cmd(db, { "301", "57" })
    local b = sync_cmd(db, { "302", "8" })
    local status, out = env.sh("(" .. a .. " > " .. tmp .. "/a.out 2>&1 & " .. b .. " > " .. tmp .. "/b.out 2>&1 & wait); cat "
      .. tmp .. "/a.out " .. tmp .. "/b.out")
    assert.equals(0, status, out)
    assert.matches("shops=2 pages=37", out, 1, true)
    assert.matches("shops=2 pages=32", out, 1, true)
    assert.equals(301 + 57 + 302 + 8, #assert(s:livestreams{}))
    assert.equals(37 + 32, pages_held(s))
    -- every credit the server billed is one the two clients counted: on a
    -- loaded machine a page may be paid twice (a retried attempt), never
    -- without the client knowing
    local counted = 0
    for c in out:gmatch("credits=(%d+)") do counted = counted + tonumber(c) end
    assert.is_true(counted >= 37 + 32, out)
    -- on a mismatch, the requests the server answered more than once
    local seen, twice = {}, {}
    for _, e in ipairs(env.sandbox():stats().log) do
      local line = ("%s status=%s conn=%s/%s t=%.3f"):format(e.args, e.status, e.connection,
        e.connection_requests, e.t)
      if seen[e.args] then twice[#twice + 1] = seen[e.args] .. "\n  " .. line end
      seen[e.args] = line
    end
    local logged = 0
    for _, e in ipairs(env.sandbox():stats().log) do if e.status == 200 then logged = logged + 1 end end
    assert.equals(counted, credits(), out .. "\n200s in the log: " .. logged
      .. "\nasked more than once:\n  " .. table.concat(twice, "\n  "))
  end)

  it("killed with SIGKILL mid-run, loses at most the pages in flight and resumes paying only for the rest", function()
    env.sandbox():config{ latency = 0.01 }
    local cmd = sync_cmd(db, { "1500" }) -- 151 pages
    -- killed once it has paid for some pages (counted by the server, not
    -- guessed from a sleep: a loaded machine starts the process late)
    local p = io.popen("(" .. cmd .. " >/dev/null 2>&1 & echo $!) 2>/dev/null")
    local pid = assert(tonumber(p:read("*l")))
    p:close()
    assert.is_true(env.wait_for(function() return credits() >= 10 end), "the sync paid nothing")
    local status, out = env.sh("kill -9 " .. pid .. "; for _ in $(seq 1 200); do kill -0 " .. pid
      .. " 2>/dev/null || break; sleep 0.05; done; echo killed")
    assert.equals(0, status, out)
    assert.matches("killed", out, 1, true)
    env.sandbox():config{ latency = 0 }
    local paid = credits()
    local held = pages_held(s)
    assert.is_true(paid > 0 and paid < 151, "paid " .. paid)
    assert.is_true(held >= paid - 2, "held " .. held .. " of " .. paid) -- concurrency 2: at most 2 in flight
    local report = assert(client:sync{ sellers = { "1500" } })
    assert.equals(151 - held, report.credits)
    assert.equals(1500, #assert(s:livestreams{ seller_id = "1500" }))
  end)

  it("a full disk stops the sync with kind store and keeps every page written before", function()
    local mnt = tmp .. "/full"
    os.execute("mkdir -p " .. mnt)
    if not env.sh_ok("mount -t tmpfs -o size=1m tmpfs " .. mnt .. " 2>/dev/null") then
      pending("cannot mount a tmpfs here (not root)")
      return
    end
    local fs, c
    finally(function()
      if c then c:close() end
      if fs then fs:close() end
      collectgarbage()
      os.execute("umount " .. mnt)
    end)
    fs = store.open(mnt .. "/x.db")
    c = env.client{ store = fs }
    local failed_saves = 0
    local r, err = c:sync{ sellers = { "100000" }, concurrency = 1, on_page = function(page)
      if page.store_err then failed_saves = failed_saves + 1 end
    end }
    assert.is_nil(r)
    assert.equals("store", err.kind)
    assert.matches("full", tostring(err))
    -- the page whose save failed, and the next one, asked for before that
    -- save: paid for, so it still lands (and its save fails too)
    assert.equals(2, failed_saves)
    local paid = credits()
    assert.equals(paid, err.report.credits)
    assert.is_true(paid > 10, "paid " .. paid)
    c:close()
    fs:close()
    -- everything before the failure is there, readable, and served from the cache
    fs = store.open(mnt .. "/x.db")
    assert.equals(paid - 2, pages_held(fs))
    assert.equals((paid - 2) * 10, #assert(fs:livestreams{ seller_id = "100000" }))
    fs:close()
  end)

  it("asks for a shop's next page before it saves and shows the page it has", function()
    local seen = {}
    local report = assert(client:sync{ sellers = { "237" }, concurrency = 1, on_page = function(page)
      seen[#seen + 1] = { page = page.page, sent = client:stats().requests, saved = page.fetched_at ~= nil,
        more = page.has_more }
    end })
    assert.equals(24, report.pages)
    assert.equals(24, #seen)
    for i, v in ipairs(seen) do
      assert.equals(i, v.page)
      assert.is_true(v.saved, "page " .. i .. " shown before it was saved")
      -- a full page: its next one was already sent; the last: nothing more
      assert.equals(v.more and i + 1 or i, v.sent, "page " .. i)
    end
    assert.equals(24, credits())
    assert.equals(24, pages_held(s))
    assert.equals(237, #assert(s:livestreams{ seller_id = "237" }))
  end)

  for _, case in ipairs{
    { fault = { type = "clamp", count = 300 }, why = "is identical to page 1" },
    { fault = { type = "clamp", rotate = "1", count = 300 }, why = "holds only records already seen %(10 of them%)" },
  } do
    it("ends a shop whose server ignores page_num at the first repeat (" .. case.why:gsub("%%", "") .. ")", function()
      env.sandbox():fault(case.fault)
      local shown = 0
      local report = assert(client:sync{ sellers = { "237" }, concurrency = 1,
        on_page = function() shown = shown + 1 end })
      -- 0.4.0 before this check bought a page for every repeat the server sent
      assert.equals(2, env.requests())
      assert.equals(2, credits())
      assert.same({ 2, 2, 0 }, { report.pages, report.credits, report.shops })
      local err = report.failed["237"]
      assert.equals("repeated_page", err.kind)
      assert.equals(2, err.page)
      assert.matches(case.why, err.message)
      assert.equals(1, shown) -- the repeated page is saved (paid for), not handed out
      assert.equals(2, pages_held(s))
      -- a re-run within the TTL reads both from the store and stops again, for 0
      env.sandbox():reset()
      report = assert(client:sync{ sellers = { "237" } })
      assert.equals(0, env.requests())
      assert.equals("repeated_page", report.failed["237"].kind)
      assert.equals(2, report.cache_hits)
    end)
  end

  it("validates its arguments before sending anything", function()
    local function msg(a)
      local ok, e = pcall(client.sync, client, a)
      assert.is_false(ok)
      return e
    end
    assert.matches("argument 'sellers' must be a non-empty array", msg{ sellers = {} }, 1, true)
    assert.matches("unknown argument 'seller'", msg{ seller = "1" }, 1, true)
    assert.matches("seller_id", msg{ sellers = { "12a" } }, 1, true)
    assert.matches("argument 'concurrency'", msg{ sellers = { "1" }, concurrency = 0 }, 1, true)
    local bare = env.client()
    local ok, e = pcall(bare.sync, bare, { sellers = { "1" } })
    assert.is_false(ok)
    assert.matches("the client has no store", e, 1, true)
    bare:close()
    assert.equals(0, env.sandbox():stats().requests)
  end)
end)
