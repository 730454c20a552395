-- A crawl split across machines: workers (separate Lua processes, as on
-- separate hosts) sync the shops of one queue in a PostgreSQL 15 cluster
-- this spec starts itself. Every page is counted by the sandbox server.
local env = require("support.env")
local pgsupport = require("support.postgres")
local shoplive = env.shoplive
local store = shoplive.store

local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local pg, pg_why = pgsupport.start()
teardown(function()
  if pg then pg:stop() end
  os.execute("rm -rf " .. tmp)
end)

--- Sellers whose last 3 digits are their record count: k shops of 0..19
-- records, i.e. 1 page (0..9 records) or 2 (10..19: a full page, then an
-- empty one).
local function shops(k, prefix)
  local out, pages = {}, 0
  for i = 1, k do
    local n = i % 20
    out[i] = string.format("%s%06d%03d", prefix or "7", i, n)
    pages = pages + (n >= 10 and 2 or 1)
  end
  return out, pages
end

--- (seller, page) -> times the sandbox served it a 200, from its request log.
local function served()
  local st = env.sandbox():stats()
  local by, total = {}, 0
  for _, e in ipairs(st.log) do
    if e.status == 200 then
      local seller, page = e.args:match("seller_id=(%d+)"), e.args:match("page_num=(%d+)")
      local k = seller .. "/" .. page
      by[k] = (by[k] or 0) + 1
      total = total + 1
    end
  end
  return by, total, st
end

local function worker_cmd(db, queue, lease, conc, stuck, qps)
  return env.lua_env() .. " " .. env.LUA .. " tests/support/queue_worker.lua " .. env.sh_quote(env.sandbox().url)
    .. " " .. env.sh_quote(db) .. " " .. queue .. " " .. lease .. " " .. conc .. " " .. (stuck or 0)
    .. (qps and (" - " .. qps) or "")
end

--- Run n workers at once until they all end; returns their outputs.
local function run_workers(n, db, queue, lease, conc)
  local parts = {}
  for i = 1, n do
    parts[i] = "timeout 300 env " .. worker_cmd(db, queue, lease, conc) .. " > " .. tmp .. "/w" .. i .. " 2>&1 &"
  end
  env.sh(table.concat(parts, "\n") .. "\nwait")
  local out = {}
  for i = 1, n do
    local f = assert(io.open(tmp .. "/w" .. i))
    out[i] = f:read("*a")
    f:close()
  end
  return out
end

local function field(out, name)
  return tonumber(out:match(name .. "=(%d+)"))
end

describe("client:sync{ queue = }", function()
  if pgsupport.missing(pg, pg_why, it) then return end

  local fx = pgsupport.store_each(pg, "queue", { before_each = before_each, after_each = after_each })

  it("3 workers sync 300 shops through one queue: every page requested exactly once, every shop done", function()
    local sellers, pages = shops(300)
    assert.equals(300, fx.s:enqueue("daily", sellers))
    local out = run_workers(3, fx.url, "daily", 30, 2)
    local by, total, st = served()
    assert.equals(pages, st.requests)   -- nothing else was sent: no retry, no 429
    assert.equals(pages, total)
    for _, seller in ipairs(sellers) do
      local n = tonumber(seller:sub(-3))
      assert.equals(1, by[seller .. "/1"], seller)
      if n >= 10 then assert.equals(1, by[seller .. "/2"], seller) end
    end
    local done, credits = 0, 0
    for i = 1, 3 do
      assert.truthy(out[i]:find("failed=0 lost=0", 1, true), out[i])
      -- each process took part: 300 shops do not fit in one worker's start-up
      assert.is_true(field(out[i], "shops") > 0, out[i])
      done, credits = done + field(out[i], "shops"), credits + field(out[i], "credits")
    end
    assert.equals(300, done)
    assert.equals(pages, credits)
    local q = assert(fx.s:queue_status("daily"))
    assert.same({ 300, 0, 300, 0, 0, pages, pages }, { q.total, q.pending, q.done, #q.claimed, #q.failed, q.pages,
      q.credits })
    local _, distinct = pg:psql("SELECT COUNT(DISTINCT claimed_by) FROM queue WHERE queue = 'daily'", fx.name)
    assert.equals("3", distinct:match("%d+"))
  end)

  it("kill -9 of a worker mid-shop: another finishes it after the lease, no page bought twice", function()
    local big = "7999999055" -- 55 records: 6 pages
    local sellers, pages = shops(60)
    table.insert(sellers, 1, big)
    pages = pages + 6
    assert.equals(61, fx.s:enqueue("daily", sellers))
    -- the victim claims the first shop and hangs after its 2nd page, saved;
    -- at 2 requests a second its 3rd page is still held back by its limiter
    -- (a page asked for before the kill would be bought twice)
    local outf = tmp .. "/victim"
    local _, pid = env.sh(worker_cmd(fx.url, "daily", 2, 1, 2, 2) .. " > " .. outf .. " 2>&1 & echo $!")
    pid = assert(tonumber(pid:match("%d+")))
    local line
    for _ = 1, 600 do
      local f = io.open(outf)
      line = f and f:read("*l")
      if f then f:close() end
      if line then break end
      env.sh("sleep 0.05")
    end
    local q = assert(fx.s:queue_status("daily"))
    os.execute("kill -9 " .. pid .. " 2>/dev/null")
    assert.equals("stuck " .. big .. " 2", line)
    assert.equals(1, #q.claimed)
    local victim = q.claimed[1].claimed_by
    assert.equals(big, q.claimed[1].seller_id)
    assert.truthy(victim:find(":" .. pid .. "$"), victim)

    local out = run_workers(2, fx.url, "daily", 2, 2)
    local by, total = served()
    assert.equals(pages, total)
    for k, n in pairs(by) do assert.equals(1, n, k) end
    for p = 1, 6 do assert.equals(1, by[big .. "/" .. p], p) end
    local hits = 0
    for i = 1, 2 do
      assert.truthy(out[i]:find("failed=0", 1, true), out[i])
      hits = hits + field(out[i], "cache_hits")
    end
    assert.equals(2, hits) -- the victim's two saved pages, from the store
    q = assert(fx.s:queue_status("daily"))
    assert.same({ 61, 0, 0, 0 }, { q.done, q.pending, #q.claimed, #q.failed })
    local _, row = pg:psql("SELECT claimed_by || ' ' || attempts || ' ' || pages || ' ' || credits FROM queue "
      .. "WHERE seller_id = '" .. big .. "'", fx.name)
    local by_whom, attempts, shop_pages, shop_credits = row:match("^(%S+) (%d+) (%d+) (%d+)")
    assert.are_not.equal(victim, by_whom)
    assert.same({ "2", "6", "4" }, { attempts, shop_pages, shop_credits })
  end)

  it("a worker renews its lease while paging: a shop longer than the lease is never taken over", function()
    local big = "7999999095" -- 95 records: 10 pages, 4 s at 0.4 s each, twice the 2 s lease
    local sellers = { big, "7000001003", "7000002004", "7000003005" }
    assert.equals(4, fx.s:enqueue("daily", sellers))
    env.sandbox():config{ latency = 0.4 }
    local out = run_workers(2, fx.url, "daily", 2, 1)
    local by, total = served()
    assert.equals(13, total)
    for k, n in pairs(by) do assert.equals(1, n, k) end
    for i = 1, 2 do assert.truthy(out[i]:find("failed=0 lost=0", 1, true), out[i]) end
    local _, row = pg:psql("SELECT attempts || ' ' || pages || ' ' || credits FROM queue WHERE seller_id = '" .. big
      .. "'", fx.name)
    assert.equals("1 10 10", row:match("[%d ]+%d"))
    local q = assert(fx.s:queue_status("daily"))
    assert.same({ 4, 0, 0 }, { q.done, q.pending, #q.claimed })
  end)

  it("records a failed shop with its err text, never the key; enqueue again re-queues done and failed shops", function()
    local key = "sk_test_queue_key_0123456789"
    local c = shoplive.new{ api_key = key, base_url = env.sandbox().url, store = fx.s, max_retries = 0 }
    env.sandbox():fault{ type = "status", status = 400, count = 1 }
    local r = assert(c:sync{ queue = "q1", sellers = { "5", "3" }, enqueue = true, concurrency = 1 })
    assert.equals(1, r.shops)
    assert.equals("bad_request", r.failed["5"].kind)
    local q = assert(fx.s:queue_status("q1"))
    assert.equals(1, q.done)
    assert.equals(1, #q.failed)
    assert.equals("5", q.failed[1].seller_id)
    assert.equals("bad_request", q.failed[1].err_kind)
    assert.equals(tostring(r.failed["5"]), q.failed[1].err)
    assert.falsy(q.failed[1].err:find(key:sub(9, 20), 1, true))
    -- a pending or claimed shop is left alone; done and failed ones go back
    assert.equals(2, fx.s:enqueue("q1", { "5", "3" }))
    assert.equals(0, fx.s:enqueue("q1", { "5" }))
    r = assert(c:sync{ queue = "q1" })
    assert.same({ 2, 2, 1, 1 }, { r.shops, r.pages, r.credits, r.cache_hits }) -- "3" from the cache
    q = assert(fx.s:queue_status("q1"))
    assert.same({ 2, 0 }, { q.done, #q.failed })
    -- a queue is named: another queue's shops are not touched
    r = assert(c:sync{ queue = "other" })
    assert.same({ 0, 0 }, { r.shops, r.pages })
    c:close()
  end)

  it("shoplive sync --queue [--enqueue] and shoplive queue status|add, as the real command", function()
    local cli = require("support.cli_run")
    local q = " --db " .. env.sh_quote(fx.url) .. " --queue daily"
    local status, out, err = cli.run("sync" .. q .. " --enqueue 5 3 15")
    assert.equals(0, status, err)
    assert.equals("sync: queue daily: this worker did 3 shops, 4 pages, 4 credits, 0 cache hits, 23 new, 0 changed, "
      .. "0 failed\n", out)
    status, out = cli.run("queue status" .. q)
    assert.equals(0, status)
    assert.equals("queue daily: 3 shops: 0 pending, 0 claimed, 3 done, 0 failed; 4 pages, 4 credits (done and failed "
      .. "shops)\n", out)
    -- a failing shop, and one claimed by a worker elsewhere
    status, out = cli.run("queue add 8 5" .. q)
    assert.equals(0, status)
    assert.equals("queue daily: 2 of 2 shops queued\n", out)
    env.sandbox():fault{ type = "status", status = 400, count = 1 }
    status, out, err = cli.run("sync" .. q .. " --lease 30")
    assert.equals(1, status)
    assert.matches("shop 8: bad_request", err, 1, true)
    assert.matches("this worker did 1 shop, 1 page, 0 credits, 1 cache hit,", out, 1, true)
    -- a worker elsewhere holds shop 7 (a worker would wait for its claim)
    status, out = cli.run("queue add 7" .. q)
    assert.equals(0, status)
    assert.equals("queue daily: 1 of 1 shop queued\n", out)
    assert.equals("7", (fx.s:claim("daily", "otherhost:4242", 600)))
    status, out = cli.run("queue status" .. q)
    assert.equals(0, status)
    local lines = cli.lines(out)
    assert.equals("queue daily: 5 shops: 0 pending, 1 claimed, 3 done, 1 failed; 4 pages, 3 credits (done and failed "
      .. "shops)", lines[1])
    assert.matches("^claimed 7 by otherhost:4242 since %d+%-%d+%-%d+ %d+:%d+:%d+ UTC %(%d+s%), lease until .* "
      .. "%(attempt 1%)$", lines[2])
    assert.matches("^failed 8 at .* UTC by .*:%d+ %(attempt 1%): shoplive: bad_request: ", lines[3])
    assert.is_nil(out:find(env.KEY, 1, true))
    -- bad usage: exit 2, nothing sent
    env.sandbox():reset()
    assert.equals(2, (cli.run("queue status --db " .. env.sh_quote(fx.url))))
    assert.equals(2, (cli.run("sync" .. q .. " 5")))
    assert.equals(2, (cli.run("sync" .. q .. " --dry-run")))
    assert.equals(2, (cli.run("sync --enqueue 5 --db " .. env.sh_quote(fx.url))))
    assert.equals(2, (cli.run("sync --queue daily --db " .. env.sh_quote(tmp .. "/lite2.db"))))
    assert.equals(2, (cli.run("queue status --queue daily --db " .. env.sh_quote(tmp .. "/lite2.db"))))
    assert.equals(0, env.requests())
  end)

  it("refuses bad arguments before anything is sent, and SQLite stores with a message naming PostgreSQL", function()
    local c = env.client{ store = fx.s }
    local function msg(a)
      local ok, e = pcall(c.sync, c, a)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.matches("to add 'sellers' to it pass enqueue = true", msg{ queue = "q", sellers = { "1" } }, 1, true)
    assert.matches("argument 'queue' must be a name", msg{ queue = "no spaces" }, 1, true)
    assert.matches("argument 'queue' must be a name", msg{ queue = 7 }, 1, true)
    assert.matches("argument 'lease' must be an integer >= 1", msg{ queue = "q", lease = 0 }, 1, true)
    assert.matches("argument 'enqueue' goes with 'queue'", msg{ sellers = { "1" }, enqueue = true }, 1, true)
    assert.matches("argument 'enqueue' must be a boolean", msg{ queue = "q", enqueue = "yes" }, 1, true)
    assert.matches("argument 'sellers' must be a non-empty array", msg{ queue = "q", enqueue = true }, 1, true)
    c:close()
    local lite = store.open(tmp .. "/lite.db")
    c = env.client{ store = lite }
    assert.matches("a queue needs a PostgreSQL store", msg{ queue = "q" }, 1, true)
    assert.matches("a queue needs a PostgreSQL store", select(2, pcall(lite.enqueue, lite, "q", { "1" })), 1, true)
    c:close()
    lite:close()
    assert.equals(0, env.requests())
  end)
end)
