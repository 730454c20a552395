-- A database that stops answering never hangs the store (issue 21, item 6):
-- a PostgreSQL backend stopped with SIGSTOP, a lock another transaction
-- holds, a SQLite write lock held by another connection or process. Every
-- statement is bounded by store.open's `timeout`, and its `interrupt`
-- function (the CLI's Ctrl-C) ends the wait at once.
--
-- A stopped process is always continued: by the after_each, and by a
-- watchdog 40 s later (a store that does hang, as before the fix, then
-- finishes and the test fails on what it returned, instead of hanging the
-- suite). The elapsed-time bounds below are hang detectors, far above the
-- few seconds the waits take.
local env = require("support.env")
local cli = require("support.cli_run")
local pgsupport = require("support.postgres")
local shoplive = env.shoplive

local sh_quote = env.sh_quote
local pg, pg_why, tmp = pgsupport.start_with_tmpdir(teardown)

local HANG = 15 -- seconds: far above the bounded waits, far below the watchdog's 40

local stopped = {}
--- SIGSTOP pid, with a watchdog that continues it in 40 s whatever happens.
local function stall(pid)
  stopped[#stopped + 1] = pid
  assert(os.execute("kill -STOP " .. pid))
  os.execute("(sleep 40; kill -CONT " .. pid .. ") >/dev/null 2>&1 &")
end
local function resume_all()
  for _, pid in ipairs(stopped) do os.execute("kill -CONT " .. pid .. " 2>/dev/null") end
  stopped = {}
end

--- The pid of the backend serving store s.
local function backend_pid(s)
  local rows = assert(s:_rows("SELECT pg_backend_pid()"))
  return math.floor(rows[1][1])
end

local n = 0
local function dbname()
  n = n + 1
  return "stall" .. n
end

--- An interrupt function that says "stop" from its second call on, once
-- armed (the first call comes after a whole slice with no answer).
local function interrupter()
  local st = { armed = false, calls = 0 }
  st.fn = function()
    if not st.armed then return false end
    st.calls = st.calls + 1
    return st.calls >= 2
  end
  return st
end

--- Ctrl-C to the CLI spawned in dir; it must exit well before HANG.
local function ctrl_c(pid, dir)
  local t0 = env.now()
  os.execute("kill -INT " .. pid)
  assert(env.wait_for(function() return cli.read(dir .. "/rc") ~= nil end), "the CLI did not exit")
  local took = env.now() - t0
  assert.is_true(took < HANG, "the CLI exited " .. took .. " s after Ctrl-C")
end

--- After the pcall'd wait (ok, e): a CLI left running is ended, then it
-- must have exited 130 saying "interrupted".
local function assert_interrupted(ok, e, pid, dir)
  if not ok then
    if pid then os.execute("kill -TERM " .. pid .. " 2>/dev/null") end
    error(e, 0)
  end
  assert.equals(130, tonumber(cli.read(dir .. "/rc")))
  assert.matches("interrupted\n$", cli.read(dir .. "/stdout"))
end

local function assert_store_err(err, code)
  assert.is_table(err)
  assert.equals("store", err.kind)
  assert.equals(code, err.code, tostring(err))
  assert.is_nil(tostring(err):find(pgsupport.PASSWORD, 1, true))
end

--- Calls f, a store call the armed interrupter stop must end: it returns
-- nil and an "interrupted" store err, after more than one poll of stop,
-- well before HANG.
local function assert_cut_short(stop, f)
  local t0 = env.now()
  local res, err = f()
  local took = env.now() - t0
  assert.is_nil(res)
  assert_store_err(err, "interrupted")
  assert.is_true(stop.calls >= 2)
  assert.is_true(took < HANG, "took " .. took .. " s")
end

describe("store on a stalled PostgreSQL", function()
  before_each(function() assert(pg, "PostgreSQL 15 could not be started: " .. tostring(pg_why)) end)
  after_each(resume_all)

  it("a stopped backend: the statement fails with a store err naming the timeout; later calls fail too", function()
    local s = shoplive.store.open(pg:database(dbname()), { timeout = 1 })
    stall(backend_pid(s))
    local t0 = env.now()
    local recs, err = s:livestreams()
    local took = env.now() - t0
    assert.is_nil(recs)
    assert_store_err(err, "timeout")
    assert.matches("statement timeout (1000 ms)", err.message, 1, true)
    assert.is_true(took < HANG, "took " .. took .. " s")
    resume_all()
    -- the connection was dropped: an err again, never a raise or a hang
    recs, err = s:shops()
    assert.is_nil(recs)
    assert_store_err(err, "connect")
    s:close()
  end)

  it("a lock held by another transaction: the server's statement_timeout, and the connection stays usable", function()
    local name = dbname()
    local url = pg:database(name)
    local s = shoplive.store.open(url, { timeout = 0.5 })
    -- psql holds the lock 20 s, then lets go (without the timeout, the
    -- read waits for it and then succeeds)
    -- (psql without the sanitizer's preload of the ASan run)
    os.execute("unset LD_PRELOAD; psql -X -q " .. sh_quote(url) .. " -c 'BEGIN; "
      .. "LOCK TABLE livestreams IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT' >/dev/null 2>&1 &")
    assert(env.wait_for(function()
      local _, out = pg:psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        .. "WHERE c.relname = 'livestreams' AND l.mode = 'AccessExclusiveLock' AND l.granted", name)
      return tonumber(out:match("%d+")) == 1
    end), "psql did not take the lock")
    local t0 = env.now()
    local recs, err = s:livestreams()
    assert.is_true(env.now() - t0 < HANG)
    assert.is_nil(recs)
    assert_store_err(err, "timeout")
    assert.matches("statement timeout", err.message, 1, true)
    pg:psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' "
      .. "AND pid <> pg_backend_pid()", name)
    assert(env.wait_for(function() return s:livestreams() ~= nil end))
    assert.same({}, s:livestreams())
    s:close()
  end)

  it("interrupt: a stopped backend's statement is cancelled as soon as the interrupt function says so", function()
    local stop = interrupter()
    local s = shoplive.store.open(pg:database(dbname()), { timeout = 60, interrupt = stop.fn })
    stall(backend_pid(s))
    stop.armed = true
    assert_cut_short(stop, function() return s:livestreams() end)
    s:close()
  end)

  it("a stopped server: open fails after the connect timeout, or at once when the interrupt function says so", function()
    local url = pg:database(dbname())
    local postmaster = tonumber(cli.read(pg.dir .. "/data/postmaster.pid"):match("^(%d+)"))
    stall(postmaster)
    local t0 = env.now()
    local ok, err = pcall(shoplive.store.open, url .. "?connect_timeout=1")
    assert.is_false(ok)
    assert_store_err(err, "connect")
    assert.matches("connect timeout (1000 ms)", err.message, 1, true)
    local stop = interrupter()
    stop.armed = true
    ok, err = pcall(shoplive.store.open, url, { interrupt = stop.fn })
    assert.is_false(ok)
    assert_store_err(err, "interrupted")
    assert.is_true(stop.calls >= 2)
    assert.is_true(env.now() - t0 < HANG)
    resume_all()
    shoplive.store.open(url):close()
  end)

  it("shoplive sync with its backend stopped: Ctrl-C exits 130 at once, the cluster lives on", function()
    local sb = env.sandbox()
    sb:reset()
    -- 24 pages take 24 s or more (sync asks one page ahead): room to stop the
    -- backend mid-sync (at 0.5 s a page,
    -- beside a second suite under valgrind, the sync had ended before the
    -- spec's psql calls found its backend)
    sb:config{ latency = 2 }
    local name = dbname()
    local url = pg:database(name) .. "?application_name=stallcli"
    local dir = tmp .. "/pgcli"
    os.execute("mkdir -p " .. sh_quote(dir))
    cli.spawn("sync --db " .. sh_quote(url) .. " 237", dir)
    local pid
    local ok, e = pcall(function()
      assert(env.wait_for(function()
        pid = tonumber(cli.read(dir .. "/pid") or "")
        local _, out = pg:psql("SELECT count(*) FROM pages", name)
        return pid and tonumber(out:match("^%s*(%d+)")) and tonumber(out:match("^%s*(%d+)")) >= 2
      end), "the CLI saved no pages")
      local _, out = pg:psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'stallcli'", name)
      stall(assert(tonumber(out:match("%d+")), "no backend of the CLI (has the sync ended?): " .. out))
      -- the CLI's next statement waits on the stopped backend: its bytes
      -- sit unread in the backend's socket
      assert(env.wait_for(function()
        local _, ss = env.sh("ss -tnH state established '( sport = :" .. pg.port .. " )'")
        for line in ss:gmatch("[^\n]+") do
          if (tonumber(line:match("^%s*(%d+)")) or 0) > 0 then return true end
        end
        return false
      end), "the CLI never waited on the database")
      ctrl_c(pid, dir)
    end)
    resume_all()
    assert_interrupted(ok, e, pid, dir)
    assert.is_nil(cli.read(dir .. "/stderr"):find(pgsupport.PASSWORD, 1, true))
    -- the cluster survived: a new connection reads what was saved
    local s = shoplive.store.open(pg:database(dbname()))
    assert.same({}, s:livestreams())
    s:close()
  end)
end)

describe("store on a locked SQLite file", function()
  local path, holder
  before_each(function()
    n = n + 1
    path = tmp .. "/locked" .. n .. ".db"
    shoplive.store.open(path):close() -- created and migrated, in WAL mode
    env.sandbox():reset()
  end)
  after_each(function()
    if holder then holder:close() holder = nil end
  end)

  local function hold_write_lock()
    holder = assert(require("shoplive.sqlite3").open(path))
    assert(holder:exec("BEGIN EXCLUSIVE"))
  end

  it("another connection's write lock: saving fails after the timeout with a store err naming it", function()
    hold_write_lock()
    local s = shoplive.store.open(path, { timeout = 1 })
    local client = env.client{ store = s }
    local t0 = env.now()
    local report, err = client:sync{ sellers = { "10" } }
    local took = env.now() - t0
    assert.is_nil(report)
    assert_store_err(err, "timeout")
    assert.matches("timeout (1000 ms)", err.message, 1, true)
    assert.is_true(took < HANG, "took " .. took .. " s")
    client:close()
    s:close()
  end)

  it("interrupt: the wait for the lock ends as soon as the interrupt function says so", function()
    hold_write_lock()
    local stop = interrupter()
    local s = shoplive.store.open(path, { timeout = 60, interrupt = stop.fn })
    stop.armed = true
    local client = env.client{ store = s }
    assert_cut_short(stop, function() return client:sync{ sellers = { "10" } } end)
    holder:close()
    holder = nil
    -- the lock gone, the same store writes again
    stop.armed = false
    local report = assert(client:sync{ sellers = { "10" } })
    assert.equals(1, report.shops)
    client:close()
    s:close()
  end)

  it("shoplive sync while another process holds the write lock: Ctrl-C exits 130 at once", function()
    local dir = tmp .. "/sqcli" .. n
    os.execute("mkdir -p " .. sh_quote(dir))
    -- another process holds the lock until told to let go (or 40 s pass)
    local script = dir .. "/holder.lua"
    cli.write(script, 'local db = assert(require("shoplive.sqlite3").open(arg[1]))\n'
      .. 'assert(db:exec("BEGIN EXCLUSIVE"))\nio.open(arg[2], "w"):close()\n'
      .. 'for _ = 1, 400 do if io.open(arg[3]) then break end require("shoplive.core").sleep(0.1) end\n')
    os.execute("env " .. env.lua_env() .. " " .. env.LUA .. " " .. sh_quote(script) .. " " .. sh_quote(path) .. " "
      .. sh_quote(dir .. "/locked") .. " " .. sh_quote(dir .. "/release") .. " >/dev/null 2>&1 &")
    assert(env.wait_for(function() return cli.read(dir .. "/locked") ~= nil end), "the holder took no lock")
    cli.spawn("sync --db " .. sh_quote(path) .. " 237", dir)
    local pid
    local ok, e = pcall(function()
      -- page 1 answered and page 2 asked for: the CLI is saving page 1
      assert(env.wait_for(function()
        pid = tonumber(cli.read(dir .. "/pid") or "")
        return pid ~= nil and env.requests() >= 2
      end), "the CLI fetched nothing")
      ctrl_c(pid, dir)
    end)
    cli.write(dir .. "/release", "")
    assert_interrupted(ok, e, pid, dir)
  end)
end)

describe("store.open's wait options", function()
  it("bad timeout or interrupt raise naming the option, before any database is opened", function()
    local target = tmp .. "/never.db"
    for _, bad in ipairs({ 0, -1, "30", 0 / 0, math.huge, 3e6 }) do
      local ok, msg = pcall(shoplive.store.open, target, { timeout = bad })
      assert.is_false(ok)
      assert.matches("shoplive.store.open: option 'timeout' must be a number of seconds from 0.001 to 2147482",
        msg, 1, true)
    end
    local ok, msg = pcall(shoplive.store.open, target, { interrupt = true })
    assert.is_false(ok)
    assert.matches("option 'interrupt' must be a function", msg, 1, true)
    assert.is_nil(io.open(target))
  end)
end)
