-- An argument error names the caller's file:line, on every Lua version:
-- Lua 5.1 and LuaJIT count stack levels differently from 5.2+ around tail
-- calls and generated methods, so each public entry point is checked here on
-- each interpreter (tests/versions runs this spec on all of them).
local env = require("support.env")
local shoplive = env.shoplive

local SRC = debug.getinfo(1, "S").short_src

-- Every case is a one-line function whose only statement makes the bad call
-- (not a tail call: that would drop the caller's frame on every version), so
-- the line it was defined on is the line the error must name.
local function assert_raised_here(f)
  local ok, msg = pcall(f)
  assert.is_false(ok, "no error raised")
  assert.is_string(msg)
  local want = SRC .. ":" .. debug.getinfo(f, "S").linedefined .. ": "
  assert.equals(want, msg:sub(1, #want), "error not at the caller's line: " .. msg)
  return msg
end

describe("argument errors point at the caller's file:line", function()
  local client, closed
  setup(function()
    client = env.client()
    closed = env.client()
    closed:close()
  end)
  teardown(function() client:close() end)

  local cases = {
    { "livestreams: bad seller_id", function() client:livestreams{ seller_id = "x" } end },
    { "livestreams: bad page", function() client:livestreams{ seller_id = "1", page = 0 } end },
    { "livestreams: unknown argument", function() client:livestreams{ seller_id = "1", bogus = 1 } end },
    { "livestreams: not a table", function() client:livestreams("1") end },
    { "livestreams: closed client", function() closed:livestreams{ seller_id = "1" } end },
    { "livestreams: called with a dot", function() client.livestreams{ seller_id = "1" } end },
    { "start: bad seller_id", function() client:start{ seller_id = "x" } end },
    { "start: closed client", function() closed:start{ seller_id = "1" } end },
    { "poll: negative seconds", function() client:poll(-1) end },
    { "poll: string seconds", function() client:poll("1") end },
    { "poll: closed client", function() closed:poll() end },
    { "livestreams_many: not a table", function() client:livestreams_many("1") end },
    { "livestreams_many: bad opts", function() client:livestreams_many({}, 4) end },
    { "livestreams_many: bad concurrency", function() client:livestreams_many({}, { concurrency = 0 }) end },
    { "livestreams_many: bad query", function() client:livestreams_many{ { seller_id = "1" }, { seller_id = "x" } } end },
    { "livestreams_many: closed client", function() closed:livestreams_many{} end },
    { "pages: bad seller_id", function() for _ in client:pages{ seller_id = "x" } do end end },
    { "pages: bad max_pages", function() for _ in client:pages{ seller_id = "1", max_pages = 0 } do end end },
    { "pages: bad concurrency", function() for _ in client:pages{ seller_id = "1", concurrency = 1000 } do end end },
    { "pages: bad dedup", function() for _ in client:pages{ seller_id = "1", dedup = "yes" } do end end },
    { "pages: not a table", function() for _ in client:pages(7) do end end },
    { "pages: closed client", function() for _ in closed:pages{ seller_id = "1" } do end end },
    { "pages: called with a dot", function() for _ in client.pages{ seller_id = "1" } do end end },
    { "each_livestream: bad seller_id", function() for _ in client:each_livestream{ seller_id = "x" } do end end },
    { "each_livestream: bad limit", function() for _ in client:each_livestream{ seller_id = "1", limit = 0 } do end end },
    { "each_livestream: bad dedup", function() for _ in client:each_livestream{ seller_id = "1", dedup = 1 } do end end },
    { "each_livestream: unknown argument", function() for _ in client:each_livestream{ seller_id = "1", x = 1 } do end end },
    { "each_livestream: closed client", function() for _ in closed:each_livestream{ seller_id = "1" } do end end },
    { "all_livestreams: bad seller_id", function() local r = client:all_livestreams{ seller_id = "x" }; return r end },
    { "all_livestreams: bad max_pages", function() client:all_livestreams{ seller_id = "1", max_pages = -1 } end },
    { "all_livestreams: bad dedup", function() client:all_livestreams{ seller_id = "1", dedup = {} } end },
    { "all_livestreams: closed client", function() closed:all_livestreams{ seller_id = "1" } end },
    { "stats: called with a dot", function() client.stats() end },
    { "close: called with a dot", function() client.close() end },
    { "shoplive.new: not a table", function() shoplive.new("key") end },
    { "shoplive.new: bad option", function() shoplive.new{ api_key = env.KEY, timeout = -1 } end },
    { "shoplive.new: unknown option", function() shoplive.new{ api_key = env.KEY, retries = 3 } end },
    { "shoplive.new: bad api_key", function() shoplive.new{ api_key = 5 } end },
    { "shoplive.new: bad base_url", function() shoplive.new{ api_key = env.KEY, base_url = "ftp://x" } end },
    { "shoplive.new: bad interrupt", function() shoplive.new{ api_key = env.KEY, interrupt = true } end },
    { "to_csv: not a table", function() shoplive.to_csv("x") end },
    { "to_csv: bad field", function() shoplive.to_csv({}, { "nope" }) end },
    { "to_csv: bad option", function() shoplive.to_csv({}, nil, { raw = 1 }) end },
    { "to_csv: unknown key (raised deep)", function() shoplive.to_csv{ { title = "t", bogus = 1 } } end },
    { "to_csv: a function cell (raised deep)", function() shoplive.to_csv{ { title = { f = print } } } end },
    { "csv_writer: not a file", function() shoplive.csv_writer(7) end },
    { "csv_writer: bad fields", function() shoplive.csv_writer(io.stdout, {}) end },
    { "csv_writer:write not a record", function() shoplive.csv_writer(io.stdout):write(5) end },
    { "csv_writer:write unknown key (under pcall)", function() shoplive.csv_writer(io.stdout):write{ zz = 1 } end },
    { "csv_writer.write with a dot", function() local w = shoplive.csv_writer(io.stdout); w.write{} end },
    { "csv_writer.close with a dot", function() local w = shoplive.csv_writer(io.stdout); w.close() end },
    { "to_json: a cycle (raised deep)", function() local t = {}; t.t = t; shoplive.to_json{ { x = t } } end },
    { "to_ndjson: not a table", function() shoplive.to_ndjson(1) end },
    { "encode_record: not a table", function() shoplive.encode_record(1) end },
    { "summarize: not a table", function() shoplive.summarize("x") end },
    { "summarize: a bad record", function() shoplive.summarize{ 1 } end },
    { "group_by: bad key", function() shoplive.group_by({}, 5) end },
    { "group_by: bad tz", function() shoplive.group_by({}, "day", { tz = "x" }) end },
    { "group_by: unknown option", function() shoplive.group_by({}, "day", { zz = 1 }) end },
    { "sort: bad keys", function() shoplive.sort({}, 5) end },
    { "sort: bad key name", function() shoplive.sort({}, { "a b" }) end },
    { "sort: a bad record", function() shoplive.sort({ 1, 2 }, "gmv") end },
    { "top: bad n", function() shoplive.top({}, -1, "gmv") end },
    { "top: bad keys", function() shoplive.top({}, 1, {}) end },
    { "decode: not a string", function() shoplive.decode(5) end },
    { "decode: bad q", function() shoplive.decode("{}", { seller_id = "1", page = 0 }) end },
    { "sort inside a group_by key function", function() shoplive.group_by({ {} }, function() shoplive.sort({}, 5) end) end },
  }
  for _, case in ipairs(cases) do
    it(case[1], function()
      local before = env.requests()
      local msg = assert_raised_here(case[2])
      -- a case may name what its message says (a method that does not
      -- exist fails at the caller's line too, as a nil call)
      if case[3] then assert.truthy(msg:find(case[3], 1, true), msg) end
      assert.equals(before, env.requests()) -- raised before anything was sent
    end)
  end

  describe("request methods", function()
    -- qps 0.001: the first request goes out, the second waits ~1000 s for
    -- the limiter, so it is unfinished and never sent during these cases
    local slow, waiting
    setup(function()
      slow = env.client{ qps = 0.001 }
      slow:start{ seller_id = "1" }
      waiting = slow:start{ seller_id = "1" }
    end)
    teardown(function() slow:close() end)
    local req_cases = {
      { "req:result() before it finished", function() waiting:result() end },
      { "req.result with a dot", function() waiting.result() end },
      { "req.done with a dot", function() waiting.done() end },
      { "req.cancel with a dot", function() waiting.cancel() end },
    }
    for _, case in ipairs(req_cases) do
      it(case[1], function()
        assert.equals("waiting", waiting.state)
        local before = env.requests()
        assert_raised_here(case[2])
        assert.equals(before, env.requests())
        assert.equals("waiting", waiting.state)
      end)
    end
  end)

  it("called through pcall, the error has no position, as from any C function", function()
    local ok, msg = pcall(shoplive.new, "key")
    assert.is_false(ok)
    assert.equals("shoplive.new: expected a table of options, got string", msg)
    ok, msg = pcall(shoplive.to_csv, true)
    assert.is_false(ok)
    assert.equals("shoplive.to_csv: argument 'records' must be an array of records, got boolean", msg)
  end)

  it("the paging methods are written out in client.lua (grep and LDoc see them)", function()
    local path = debug.getinfo(getmetatable(client).livestreams, "S").source:sub(2) -- (5.1 has no searchpath)
    local f = assert(io.open(path, "r"))
    local text = f:read("*a")
    f:close()
    for _, name in ipairs{ "pages", "each_livestream", "all_livestreams" } do
      assert.truthy(text:find("\nfunction Client:" .. name .. "%(q%)"), "no 'function Client:" .. name .. "(q)'")
    end
  end)
end)

-- Each case raised before anything was sent (the sandbox counted nothing).
local function check_cases(cases)
  for _, case in ipairs(cases) do
    it(case[1], function()
      local before = env.requests()
      local msg = assert_raised_here(case[2])
      -- a case may name what its message says (a method that does not
      -- exist fails at the caller's line too, as a nil call)
      if case[3] then assert.truthy(msg:find(case[3], 1, true), msg) end
      assert.equals(before, env.requests())
    end)
  end
end

describe("argument errors of the store, sync, the limiters and the report point at the caller's file:line", function()
  local files = require("support.files")
  local dir = files.tmpdir()
  local path = dir .. "/shops.db"
  local st, closed_st, ro_st, with_store, with_ro, no_store
  setup(function()
    st = shoplive.store.open(path)
    closed_st = shoplive.store.open(dir .. "/closed.db")
    closed_st:close()
    ro_st = shoplive.store.open(path, { readonly = true })
    with_store, with_ro, no_store = env.client{ store = st }, env.client{ store = ro_st }, env.client()
  end)
  teardown(function()
    for _, c in ipairs{ with_store, with_ro, no_store } do c:close() end
    st:close()
    ro_st:close()
    os.execute("rm -rf " .. env.sh_quote(dir))
  end)

  check_cases{
    { "store.open: target not a string", function() shoplive.store.open(5) end },
    { "store.open: empty target", function() shoplive.store.open("") end },
    { "store.open: an SQLite URI", function() shoplive.store.open("file:x.db?mode=ro") end },
    { "store.open: :memory:", function() shoplive.store.open(":memory:") end },
    { "store.open: opts not a table", function() shoplive.store.open(path, 5) end },
    { "store.open: bad clock", function() shoplive.store.open(path, { clock = 1 }) end },
    { "store.open: bad readonly", function() shoplive.store.open(path, { readonly = "yes" }) end },
    { "store.open: bad timeout", function() shoplive.store.open(path, { timeout = -1 }) end },
    { "store.open: bad interrupt", function() shoplive.store.open(path, { interrupt = true }) end },
    { "store:livestreams: not a table", function() st:livestreams(5) end },
    { "store:livestreams: unknown argument", function() st:livestreams{ bogus = 1 } end },
    { "store:livestreams: bad seller_id", function() st:livestreams{ seller_id = "x" } end },
    { "store:livestreams: bad since", function() st:livestreams{ since = "yesterday" } end },
    { "store:livestreams: NaN until", function() st:livestreams{ ["until"] = 0 / 0 } end },
    { "store:livestreams: called with a dot", function() st.livestreams{} end },
    { "store:livestreams: closed store", function() closed_st:livestreams{} end },
    { "store:shops: called with a dot", function() st.shops() end },
    { "store:shops: closed store", function() closed_st:shops() end },
    { "store:history: not a string", function() st:history(5) end },
    { "store:history: empty", function() st:history("") end },
    { "store:history: closed store", function() closed_st:history("1") end },
    { "store:credits: not a table", function() st:credits(5) end },
    { "store:credits: bad since", function() st:credits{ since = {} } end },
    { "store:credits: called with a dot", function() st.credits() end },
    { "store:close: called with a dot", function() st.close() end },
    { "store:enqueue: a SQLite store", function() st:enqueue("daily", { "1" }) end },
    { "store:enqueue: closed store", function() closed_st:enqueue("daily", { "1" }) end },
    { "store:queue_status: a SQLite store", function() st:queue_status("daily") end },
    { "store:claim: a SQLite store", function() st:claim("daily", "w:1", 60) end, "store:claim: a queue needs a PostgreSQL store" },
    { "store:claim: closed store", function() closed_st:claim("daily", "w:1", 60) end, "the store is closed" },
    { "store:renew: a SQLite store", function() st:renew("daily", "1", "w:1", 1, 60) end, "store:renew: a queue needs" },
    { "store:finish: a SQLite store", function() st:finish("daily", "1", "w:1", 1, "done", {}) end, "store:finish: a queue needs" },
    { "store:spent: a SQLite store", function() st:spent("daily", "1", 0, 1) end, "store:spent: a queue needs" },
    { "store:queue_left: a SQLite store", function() st:queue_left("daily") end, "store:queue_left: a queue needs" },
    { "store:queue_left: called with a dot", function() st.queue_left("daily") end, "queue_left called on a string" },
    { "store:check_queue: a SQLite store", function() st:check_queue("sync", "daily") end, "sync: a queue needs" },
    { "store:check_queue: bad name", function() st:check_queue("sync", "no spaces") end, "sync: argument 'queue'" },
    { "store:check_queue: called with a dot", function() st.check_queue("sync", "daily") end, "check_queue called on a string" },
    { "store:has_shop: bad seller_id", function() st:has_shop("x") end, "store:has_shop: argument 'seller_id'" },
    { "store:has_shop: closed store", function() closed_st:has_shop("1") end, "the store is closed" },
    { "store:empty_shop: bad seller_id", function() st:empty_shop("x") end, "store:empty_shop: argument 'seller_id'" },
    { "store:empty_shop: closed store", function() closed_st:empty_shop("1") end, "the store is closed" },
    { "store:empty_shop: called with a dot", function() st.empty_shop("1") end, "empty_shop called on a string" },
    { "shoplive.new: store not a store", function() shoplive.new{ api_key = env.KEY, store = {} } end },
    { "shoplive.new: qps and limiter", function() shoplive.new{ api_key = env.KEY, qps = 1, limiter = shoplive.limiter.new{ qps = 1 } } end },
    { "sync: not a table", function() with_store:sync(5) end },
    { "sync: unknown argument", function() with_store:sync{ sellers = { "1" }, bogus = 1 } end },
    { "sync: no sellers", function() with_store:sync{ sellers = {} } end },
    { "sync: bad seller id", function() with_store:sync{ sellers = { "1", "x" } } end },
    { "sync: bad sort_by", function() with_store:sync{ sellers = { "1" }, sort_by = "nope" } end },
    { "sync: bad concurrency", function() with_store:sync{ sellers = { "1" }, concurrency = 0 } end },
    { "sync: bad max_credits", function() with_store:sync{ sellers = { "1" }, max_credits = -1 } end },
    { "sync: bad on_page", function() with_store:sync{ sellers = { "1" }, on_page = 5 } end },
    { "sync: lease without queue", function() with_store:sync{ sellers = { "1" }, lease = 5 } end },
    { "sync: bad queue name", function() with_store:sync{ queue = "no spaces" } end },
    { "sync: queue on a SQLite store", function() with_store:sync{ queue = "daily" } end },
    { "sync: no store", function() no_store:sync{ sellers = { "1" } } end },
    { "sync: a readonly store", function() with_ro:sync{ sellers = { "1" } } end },
    { "sync: called with a dot", function() with_store.sync{ sellers = { "1" } } end },
    { "limiter.new: unknown option", function() shoplive.limiter.new{ bogus = 1 } end },
    { "limiter.new: bad qps", function() shoplive.limiter.new{ qps = 0 } end },
    { "limiter.new: a bad number", function() shoplive.limiter.new(-1) end },
    { "limiter.shared_dict: outside nginx", function() shoplive.limiter.shared_dict{ dict = "d", qps = 1 } end },
    { "limiter.redis: not a table", function() shoplive.limiter.redis(5) end },
    { "limiter.redis: no url", function() shoplive.limiter.redis{ qps = 1 } end },
    { "limiter.redis: bad qps", function() shoplive.limiter.redis{ url = "redis://127.0.0.1:1/0", qps = 0 } end },
    { "limiter.shared_dict: not a table", function() shoplive.limiter.shared_dict(5) end },
    { "limiter.shared_dict: unknown option", function() shoplive.limiter.shared_dict{ dict = "d", qps = 1, x = 1 } end },
    { "limiter.redis: unknown option", function() shoplive.limiter.redis{ url = "redis://h/0", qps = 1, x = 1 } end },
    { "limiter.redis: not a redis URL", function() shoplive.limiter.redis{ url = "http://h/0", qps = 1 } end },
    { "limiter.redis: a user without password", function() shoplive.limiter.redis{ url = "redis://u@h/0", qps = 1 } end },
    { "limiter.redis: bad port", function() shoplive.limiter.redis{ url = "redis://h:70000/0", qps = 1 } end },
    { "limiter.redis: bad key", function() shoplive.limiter.redis{ url = "redis://h/0", qps = 1, key = "a b" } end },
    { "limiter.redis: bad peers", function() shoplive.limiter.redis{ url = "redis://h/0", qps = 1, peers = 0 } end },
    { "limiter.redis: bad timeout", function() shoplive.limiter.redis{ url = "redis://h/0", qps = 1, timeout = 0 } end },
    { "limiter.redis: bad retry", function() shoplive.limiter.redis{ url = "redis://h/0", qps = 1, retry = -1 } end },
    { "store.open: bad thread_pool", function() shoplive.store.open(dir .. "/tp.db", { thread_pool = 5 }) end },
    { "store.open: thread_pool outside nginx", function() shoplive.store.open(dir .. "/tp.db", { thread_pool = "p" }) end },
    { "report: records not a table", function() shoplive.report(42) end },
    { "report: a record not a table", function() shoplive.report{ 5 } end },
    { "report: opts not a table", function() shoplive.report({}, 5) end },
    { "report: bad top", function() shoplive.report({}, { top = 0 }) end },
    { "report: bad tz", function() shoplive.report({}, { tz = "Mars/Olympus" }) end },
    { "report: bad title", function() shoplive.report({}, { title = 5 }) end },
    { "report_file: bad path", function() shoplive.report_file(5, {}) end },
    { "report_file: records not a table", function() shoplive.report_file(dir .. "/r.html", 42) end },
    { "report_file: bad shops", function() shoplive.report_file(dir .. "/r.html", {}, { shops = 5 }) end },
    { "report: a store with sellers not a table", function() shoplive.report(st, { sellers = 5 }) end },
    { "report: a store with a bad seller id", function() shoplive.report(st, { sellers = { "x1" } }) end },
    { "report: a store with since not an integer", function() shoplive.report(st, { since = 1.5 }) end },
    { "report: sellers without a store", function() shoplive.report({}, { sellers = { "1" } }) end },
    { "report_file: a store with a bad until", function() shoplive.report_file(dir .. "/r.html", st, { ["until"] = "x" }) end },
  }

  it("store.open's failure to open raises an err table (no position to name)", function()
    local ok, err = pcall(shoplive.store.open, dir .. "/no/such/dir/x.db", { readonly = true })
    assert.is_false(ok)
    assert.is_true(shoplive.is_err(err))
    assert.equals("store", err.kind)
  end)
end)

describe("argument errors of a PostgreSQL store's queue point at the caller's file:line", function()
  local pg, why = require("support.postgres").start()
  local pst, pc
  setup(function()
    if not pg then return end
    pst = shoplive.store.open(pg.url)
    pc = env.client{ store = pst }
  end)
  teardown(function()
    for _, o in ipairs{ pc, pst } do o:close() end -- none without pg, both with it
    if pg then pg:stop() end
  end)
  if not pg then
    pending("PostgreSQL is not available: " .. tostring(why))
    return
  end
  check_cases{
    { "store:enqueue: bad queue name", function() pst:enqueue("bad name!", { "1" }) end },
    { "store:enqueue: no sellers", function() pst:enqueue("daily", {}) end },
    { "store:enqueue: bad seller id", function() pst:enqueue("daily", { "1", "x" }) end },
    { "store:queue_status: bad name", function() pst:queue_status(5) end },
    { "store:claim: bad queue name", function() pst:claim("bad name!", "w:1", 60) end, "store:claim: argument 'queue'" },
    { "store:claim: bad worker", function() pst:claim("daily", "", 60) end, "store:claim: argument 'worker'" },
    { "store:claim: bad lease", function() pst:claim("daily", "w:1", 0) end, "store:claim: argument 'lease'" },
    { "store:renew: bad seller", function() pst:renew("daily", "x", "w:1", 1, 60) end, "store:renew: argument 'seller_id'" },
    { "store:renew: bad token", function() pst:renew("daily", "1", "w:1", "1", 60) end, "store:renew: argument 'token'" },
    { "store:renew: bad lease", function() pst:renew("daily", "1", "w:1", 1, 1.5) end, "store:renew: argument 'lease'" },
    { "store:finish: bad state", function() pst:finish("daily", "1", "w:1", 1, "ok", {}) end, "store:finish: argument 'state'" },
    { "store:finish: r not a table", function() pst:finish("daily", "1", "w:1", 1, "done") end, "store:finish: argument 'r'" },
    { "store:finish: bad worker", function() pst:finish("daily", "1", 5, 1, "done", {}) end, "store:finish: argument 'worker'" },
    { "store:spent: bad round", function() pst:spent("daily", "1", -1, 1) end, "store:spent: argument 'round'" },
    { "store:spent: bad credits", function() pst:spent("daily", "1", 0, "2") end, "store:spent: argument 'credits'" },
    { "store:queue_left: bad name", function() pst:queue_left(5) end, "store:queue_left: argument 'queue'" },
    { "store:check_queue: bad fname", function() pst:check_queue(nil, "daily") end, "store:check_queue: argument 'fname'" },
    { "sync: bad enqueue", function() pc:sync{ queue = "daily", enqueue = "yes" } end },
    { "sync: sellers without enqueue", function() pc:sync{ queue = "daily", sellers = { "1" } } end },
    { "sync: bad worker", function() pc:sync{ queue = "daily", worker = "" } end },
    { "sync: bad lease", function() pc:sync{ queue = "daily", lease = 0 } end },
  }
end)

-- The cases above hold only for the calls they make; this holds for every
-- error() the library will ever add: a counted level (error(msg, 2)) is right
-- for one call path and wrong for the next helper or tail call, so an
-- argument error goes through argcheck.raise and error() only re-raises (level
-- 0: an err table, or a message positioned already).
describe("no module counts stack levels", function()
  -- Modules another change still has to convert (issue 17): their remaining
  -- error(msg, N) calls, by file. Remove a line once its file is converted.
  local NOT_YET = {
  }

  -- The text of the Lua file without comments and string contents (so that
  -- "error(" inside a message or a comment is not taken for a call).
  local function code_only(text)
    text = text:gsub("%-%-%[(=*)%[.-%]%1%]", "")
    local out, i, n = {}, 1, #text
    while i <= n do
      local c = text:sub(i, i)
      if c == "-" and text:sub(i + 1, i + 1) == "-" then
        local e = text:find("\n", i, true) or n + 1
        i = e
      elseif c == '"' or c == "'" then
        local j = i + 1
        while j <= n and text:sub(j, j) ~= c do
          if text:sub(j, j) == "\\" then j = j + 1 end
          j = j + 1
        end
        out[#out + 1] = c .. c
        i = j + 1
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
    return table.concat(out)
  end

  -- The level arguments of every error(...) call in code (nil: none given).
  local function error_levels(code)
    local levels = {}
    for args in code:gmatch("%f[%w_.:]error(%b())") do
      local depth, last = 0, nil
      local inner = args:sub(2, -2)
      for k = 1, #inner do
        local ch = inner:sub(k, k)
        if ch == "(" or ch == "{" or ch == "[" then depth = depth + 1
        elseif ch == ")" or ch == "}" or ch == "]" then depth = depth - 1
        elseif ch == "," and depth == 0 then last = k end
      end
      levels[#levels + 1] = last and inner:sub(last + 1):match("^%s*(.-)%s*$") or false
    end
    return levels
  end

  it("every error() in lua/shoplive re-raises (level 0); argument errors use argcheck.raise", function()
    local root = debug.getinfo(1, "S").source:match("^@(.*)tests/[^/]*$") or "./"
    local p = io.popen("cd " .. env.sh_quote(root .. "lua/shoplive") .. " && find . -name '*.lua' | sort")
    local bad, seen = {}, 0
    for f in p:lines() do
      local rel = f:gsub("^%./", "")
      local text = assert(require("support.files").read(root .. "lua/shoplive/" .. rel))
      local counted = 0
      for _, level in ipairs(error_levels(code_only(text))) do
        if level ~= "0" and rel ~= "argcheck.lua" then counted = counted + 1 end
      end
      seen = seen + 1
      if counted ~= (NOT_YET[rel] or 0) then
        bad[#bad + 1] = rel .. ": " .. counted .. " error() with a level other than 0 (allowed: "
          .. (NOT_YET[rel] or 0) .. ")"
      end
    end
    p:close()
    assert.is_true(seen > 30, "lua/shoplive not found from " .. root)
    assert.same({}, bad)
  end)
end)
