-- The cosocket transport (shoplive.transport.cosocket) inside a real nginx +
-- lua module, through the client, against the sandbox: keep-alive reuse and
-- TLS session resumption (counted by the sandbox), a connection the server
-- closed, no wait-hook call while a transfer is in flight (nginx wakes the
-- request), the key in no field, the transport chosen by default and the
-- options it refuses, libcurl where nginx cannot yield, cancel (from another
-- light thread too: it wakes the waiting coroutine). Also the
-- worker-thread prototype. Err kinds and fields against libcurl's:
-- openresty_parity_spec.lua.
local env = require("support.env")
local sandbox = require("support.sandbox")
local nginx_tls = require("support.nginx_tls")
local core = require("shoplive.core")

-- GET /t?case=NAME&base=URL: one case of CASES below, run inside nginx,
-- its outcome as JSON. /set?base=URL: a page fetched in set_by_lua.
local LOCATIONS = [[
    location = /t { content_by_lua_block {
      local shoplive = require("shoplive")
      local a = ngx.req.get_uri_args()
      local key = os.getenv("KEYAPI_API_KEY")
      local waits = 0
      local function new(o)
        o = o or {}
        o.api_key, o.base_url, o.max_retries = key, a.base, o.max_retries or 0
        o.wait = o.wait == nil and function(s) waits = waits + 1; ngx.sleep(s) end or o.wait
        return shoplive.new(o)
      end
      local function page(c, n) return c:livestreams{ seller_id = "237", page = n or 1 } end
      local CASES = {}
      function CASES.pages(n, transport)
        local c = new{ transport = transport }
        local got = {}
        for i = 1, n do got[i] = #assert(page(c, i)).records end
        return { got = got, waits = waits, event_driven = c._core.event_driven == true }
      end
      function CASES.many(transport)
        local c = new{ transport = transport }
        local qs = {}
        for i = 1, 4 do qs[i] = { seller_id = "237", page = i } end
        local pages, errs = c:livestreams_many(qs, { concurrency = 4 })
        return { n = #pages, errs = errs and #errs, waits = waits }
      end
      function CASES.fields()
        local c = new{ transport = "cosocket" }
        local req = c:start{ seller_id = "237" }
        local seen = {}
        local function strings(t, depth)
          for k, v in pairs(t) do
            if type(v) == "string" then seen[#seen + 1] = tostring(k) .. "=" .. v
            elseif type(v) == "table" and depth < 3 then strings(v, depth + 1) end
          end
        end
        strings(c._core, 1)
        strings(req.xfer, 1)
        local p = c:livestreams{ seller_id = "237" }
        local r = req:result()
        return { fields = table.concat(seen, "\n"), ok = p ~= nil and r ~= nil }
      end
      function CASES.default(o)
        local ok, c = pcall(new, o)
        if not ok then return { err = c } end
        return { event_driven = c._core.event_driven == true }
      end
      function CASES.cancel()
        local c = new{ transport = "cosocket" }
        local req = c:start{ seller_id = "237" }
        req:cancel()
        local _, err = req:result()
        local p = page(c)
        return { kind = err.kind, records = #p.records, cancelled = c:stats().errors.cancelled }
      end
      -- light threads spawned while one coroutine fetches n pages, one at a
      -- time, and then 4 at once (livestreams_many)
      function CASES.spawns(n)
        local c = new{ transport = "cosocket" }
        local spawn, count = ngx.thread.spawn, 0
        ngx.thread.spawn = function(...) count = count + 1; return spawn(...) end
        local ok, err = pcall(function()
          for i = 1, n do assert(page(c, i)) end
        end)
        local alone = count
        local pages = ok and c:livestreams_many({ { seller_id = "237" }, { seller_id = "237", page = 2 },
          { seller_id = "237", page = 3 }, { seller_id = "237", page = 4 } }, { concurrency = 4 })
        ngx.thread.spawn = spawn
        assert(ok, err)
        return { alone = alone, many = count - alone, pages = #pages }
      end
      -- two held pages, waited for together; another light thread cancels
      -- both: in what order the cancel, the run's return and a mark 2 s
      -- later come (the answers are held 4 s, the client's timeout is 20 s)
      function CASES.cancel_other()
        local c = new{ transport = "cosocket", timeout = 20 }
        local r1, r2 = c:start{ seller_id = "237" }, c:start{ seller_id = "237", page = 2 }
        local events = {}
        local canceller = ngx.thread.spawn(function()
          ngx.sleep(0.2)
          r1:cancel()
          r2:cancel()
          events[#events + 1] = "cancelled"
        end)
        local mark = ngx.thread.spawn(function()
          ngx.sleep(2)
          events[#events + 1] = "2 s later"
        end)
        local ok = c:run(function() return r1:done() and r2:done() end)
        events[#events + 1] = "run returned"
        ngx.thread.wait(canceller)
        ngx.thread.wait(mark)
        local _, err = r1:result()
        return { ok = ok, events = table.concat(events, ", "), kind = err.kind }
      end
      -- the transport's clock between two reads of core.now, many times
      function CASES.clock()
        local core, clock = require("shoplive.core"), require("shoplive.transport.clock")
        local ordered = 0
        for _ = 1, 1000 do
          local t0, t, t1 = core.now(), clock(), core.now()
          if t0 <= t and t <= t1 then ordered = ordered + 1 end
        end
        return { ordered = ordered, ffi = clock ~= core.now }
      end
      local case = a.case
      local out
      if case == "pages" then out = CASES.pages(tonumber(a.n), a.transport)
      elseif case == "spawns" then out = CASES.spawns(tonumber(a.n))
      elseif case == "many" then out = CASES.many(a.transport)
      elseif case == "default" then
        local o = { proxy = a.proxy, ca_file = a.ca_file, transport = a.transport, allow_http = true }
        if a.wait == "false" then o.wait = false end
        out = CASES.default(o)
      else out = CASES[case]() end
      ngx.say(require("cjson").encode(out))
    } }
    location = /set {
      set_by_lua_block $n {
        local c = require("shoplive").new{ api_key = os.getenv("KEYAPI_API_KEY"), base_url = ngx.unescape_uri(ngx.var.arg_base),
          transport = "cosocket", max_retries = 0 }
        local p, err = c:livestreams{ seller_id = "237" }
        return p and #p.records or tostring(err)
      }
      return 200 $n;
    }
    location = /wt { content_by_lua_block {
      local a = ngx.req.get_uri_args()
      local ok, st, b, connects = ngx.run_worker_thread("shoplive", "shoplive.transport.worker_thread", "get",
        a.url, { api_key = os.getenv("KEYAPI_API_KEY"), timeout = 10 })
      if not ok then error(st) end
      local page = require("shoplive").decode(b)
      ngx.say(require("cjson").encode{ status = st, records = #page.records, connects = connects })
    } }
]]

describe("OpenResty: the cosocket transport #novalgrind #nginx", function()
  local servers, sb, srv, cert
  setup(function()
    servers = nginx_tls.start{ locations = LOCATIONS, main = "thread_pool shoplive threads=1;" }
    sb, srv, cert = servers.sb, servers.srv, servers.cert
  end)
  teardown(function()
    if servers then servers.stop() end
  end)

  local function get(path, args)
    local q = {}
    for k, v in pairs(args) do q[#q + 1] = k .. "=" .. sandbox.urlencode(tostring(v)) end
    local res = sandbox.raw_get(srv.url, path .. "?" .. table.concat(q, "&"), nil, 60)
    assert.equals(200, res.status, res.body .. srv.log())
    return res.body
  end
  local function t(args)
    args.base = args.base or sb.url
    return core.json_decode(get("/t", args))
  end
  -- a fresh sandbox holding its next `count` answers `seconds` each
  local function held(seconds, count)
    sb:reset()
    sb:fault{ type = "latency", seconds = seconds, count = count }
  end
  local tls_base = function() return (sb.tls_url:gsub("127%.0%.0%.1", "localhost")) end

  -- n pages through one cosocket client after an optional fault: the sandbox's counts
  local function pages(n, fault, base)
    sb:reset()
    if fault then sb:fault(fault) end
    local r = t{ case = "pages", n = n, transport = "cosocket", base = base }
    assert.equals(n, #r.got)
    for i = 1, n do assert.equals(10, r.got[i]) end
    return sb:stats()
  end
  local CLOSE_AFTER = { type = "raw", name = "close_after" }

  it("keep-alive: five pages over one connection", function()
    local st = pages(5)
    assert.equals(5, st.requests)
    assert.equals(1, st.connections)
  end)

  it("a connection the server closed after its answer is not used again", function()
    local st = pages(2, CLOSE_AFTER)
    assert.equals(2, st.requests)
    assert.equals(2, st.connections)
  end)

  it("TLS verified against nginx's CA, the session resumed on a new connection", function()
    local st = pages(3, CLOSE_AFTER, tls_base())
    assert.equals(2, st.tls_handshakes)
    assert.equals(1, st.tls_resumed)
  end)

  it("nginx wakes the waiting request: no wait-hook call while a page is in flight (libcurl: some)", function()
    held(0.3, 6)
    local co = t{ case = "pages", n = 1, transport = "cosocket" }
    local curl = t{ case = "pages", n = 1, transport = "curl" }
    assert.is_true(co.event_driven)
    assert.equals(0, co.waits)
    assert.is_false(curl.event_driven)
    assert.is_true(curl.waits > 0)
    local many = t{ case = "many", transport = "cosocket" }
    assert.equals(4, many.n)
    assert.equals(0, many.waits)
  end)

  it("a page the caller waits for alone runs in its coroutine: no light thread; pages at once each get one", function()
    sb:reset()
    local r = t{ case = "spawns", n = 3 }
    assert.equals(0, r.alone)
    assert.equals(4, r.pages)
    assert.equals(4, r.many)
  end)

  it("the transport reads core.now's clock, through the FFI inside nginx", function()
    local r = t{ case = "clock" }
    assert.equals(1000, r.ordered)
    assert.is_true(r.ffi)
  end)

  it("the key is in no field of the transport or of a transfer", function()
    local r = t{ case = "fields" }
    assert.is_true(r.ok)
    assert.truthy(r.fields:find("state=", 1, true), r.fields) -- the walk saw the transfer's fields
    assert.is_nil(r.fields:find(env.KEY, 1, true))
    assert.is_nil(r.fields:find(env.KEY:sub(1, 12), 1, true))
  end)

  it("the default inside nginx; libcurl with proxy or wait = false; cosocket refuses proxy and ca_file", function()
    assert.is_true(t{ case = "default" }.event_driven)
    assert.is_false(t{ case = "default", proxy = "http://127.0.0.1:9" }.event_driven)
    assert.is_false(t{ case = "default", wait = "false" }.event_driven)
    assert.is_false(t{ case = "default", transport = "curl" }.event_driven)
    assert.matches("option 'proxy' needs transport = \"curl\"",
      t{ case = "default", transport = "cosocket", proxy = "http://127.0.0.1:9" }.err, 1, true)
    assert.matches("option 'ca_file' needs transport = \"curl\"",
      t{ case = "default", transport = "cosocket", ca_file = cert.ca }.err, 1, true)
  end)

  it("where nginx cannot yield (set_by_lua) the request goes through libcurl", function()
    assert.equals("10", get("/set", { base = sb.url }))
  end)

  it("a cancelled transfer ends as cancelled; the client goes on", function()
    sb:reset()
    local r = t{ case = "cancel" }
    assert.equals("cancelled", r.kind)
    assert.equals(10, r.records)
    assert.equals(1, r.cancelled)
  end)

  it("a request cancelled by another light thread wakes the coroutine waiting for it", function()
    held(4, 2)
    local r = t{ case = "cancel_other" }
    assert.is_true(r.ok)
    assert.equals("cancelled", r.kind)
    assert.equals("cancelled, run returned, 2 s later", r.events)
  end)

  it("worker thread prototype: a page, the thread's libcurl connection kept", function()
    sb:reset()
    local url = sb.url .. sandbox.API_PATH .. "?seller_id=237&page_num=2&page_size=10"
    local r1 = core.json_decode(get("/wt", { url = url }))
    local r2 = core.json_decode(get("/wt", { url = url }))
    assert.equals(200, r1.status)
    assert.equals(10, r1.records)
    assert.equals(10, r2.records)
    assert.equals(0, r2.connects)
    assert.equals(1, sb:stats().connections)
  end)
end)
