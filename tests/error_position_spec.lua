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
      assert_raised_here(case[2])
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
