-- Tests of the sandbox server itself (luasocket only, no shoplive).
--   busted --lua=lua5.4 tests/sandbox_spec.lua   (from the checkout's root)
do
  local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "tests"
  package.path = here .. "/?.lua;tests/?.lua;" .. package.path
end
local sandbox = require "support.sandbox"
local socket = require "socket"
local cjson = require "cjson"

local API = sandbox.API_PATH
local FIELDS = { "avatar", "cover_url", "create_time", "duration", "finish_time",
  "max_views_cnt", "nick_name", "region", "room_id", "seller_id", "title",
  "total_joins_cnt", "total_sale_cnt", "total_sale_gmv_amt", "total_views_cnt", "user_id" }
local INT_FIELDS = { "create_time", "duration", "finish_time", "max_views_cnt",
  "total_joins_cnt", "total_sale_cnt", "total_sale_gmv_amt", "total_views_cnt" }
local SORT_FIELD = { [1] = "total_views_cnt", [2] = "total_sale_cnt", [3] = "total_sale_gmv_amt" }

local sb

local function page(seller, num, size, extra, opts)
  local p = { seller_id = seller, page_num = num, page_size = size }
  for k, v in pairs(extra or {}) do p[k] = v end
  return sb:api(p, opts)
end

local function all_records(seller, extra)
  local out, n = {}, 1
  while true do
    local code, body = page(seller, n, 10, extra)
    assert.are.equal(200, code)
    if #body.data == 0 then break end
    for _, r in ipairs(body.data) do out[#out + 1] = r end
    n = n + 1
  end
  return out, n - 1
end

local function raw_target(q)
  return API .. "?" .. q
end
local AUTH = { Authorization = "Bearer sk_test_ok" }

describe("shoplive sandbox #novalgrind", function()
  setup(function()
    sb = sandbox.shared()
  end)

  before_each(function()
    sb:reset()
  end)

  describe("control API", function()
    it("answers health", function()
      assert.are.equal("ok", sb:health())
    end)

    it("sets and resets config", function()
      local s = sb:config{ latency = 0.25, qps = 7, shift = 2 }
      assert.are.equal(0.25, s.latency)
      assert.are.equal(7, s.qps)
      assert.are.equal(2, s.shift)
      s = sb:config{ qps = "none" }
      assert.are.equal(0, s.qps)
      sb:reset()
      s = sb:config{}
      assert.are.same({ latency = 0, qps = 0, shift = 0 }, s)
    end)

    it("rejects bad config and unknown faults", function()
      local code = sandbox.get(sb.url .. "/_sandbox/config?qps=abc")
      assert.are.equal(400, code)
      code = sandbox.get(sb.url .. "/_sandbox/fault?type=nope")
      assert.are.equal(400, code)
      code = sandbox.get(sb.url .. "/_sandbox/fault?type=body&name=nope")
      assert.are.equal(400, code)
    end)
  end)

  describe("auth", function()
    it("401 without Authorization", function()
      local code, body = page("237", 1, 10, nil, { key = false })
      assert.are.equal(401, code)
      assert.are.same({ code = 401, data = cjson.null, message = "apiKey is null" }, body)
    end)

    it("401 for non-Bearer and empty key", function()
      local code, body = page("237", 1, 10, nil, { key = false, headers = { Authorization = "Basic abc" } })
      assert.are.equal(401, code)
      assert.are.equal("apiKey is null", body.message)
      code, body = page("237", 1, 10, nil, { key = "" })
      assert.are.equal(401, code)
      assert.are.equal("apiKey is null", body.message)
    end)

    it("401 invalid and 402 no quota with exact bodies", function()
      local code, _, raw = page("237", 1, 10, nil, { key = "sk_test_invalid" })
      assert.are.equal(401, code)
      assert.are.equal('{"code":401,"data":null,"message":"apiKey is invalid"}', raw)
      code, _, raw = page("237", 1, 10, nil, { key = "sk_test_noquota" })
      assert.are.equal(402, code)
      assert.are.equal('{"code":402,"data":null,"message":"apiKey quota is not enough"}', raw)
    end)
  end)

  describe("parameters", function()
    local function expect400(params, msg)
      local code, body = sb:api(params)
      assert.are.equal(400, code, sandbox.query(params))
      assert.are.equal(400, body.code)
      assert.are.equal(cjson.null, body.data)
      assert.are.equal(msg, body.message)
    end

    it("reports missing parameters", function()
      expect400({ page_num = 1, page_size = 10 }, "Missing required parameter: seller_id")
      expect400({ seller_id = "237", page_size = 10 }, "Missing required parameter: page_num")
      expect400({ seller_id = "237", page_num = 1 }, "Missing required parameter: page_size")
    end)

    it("reports invalid parameters", function()
      expect400({ seller_id = "abc", page_num = 1, page_size = 10 }, "Invalid parameter: seller_id")
      expect400({ seller_id = "237", page_num = 0, page_size = 10 }, "Invalid parameter: page_num")
      expect400({ seller_id = "237", page_num = 100001, page_size = 10 }, "Invalid parameter: page_num")
      expect400({ seller_id = "237", page_num = "x", page_size = 10 }, "Invalid parameter: page_num")
      expect400({ seller_id = "237", page_num = 1, page_size = 11 }, "Invalid parameter: page_size")
      expect400({ seller_id = "237", page_num = 1, page_size = 0 }, "Invalid parameter: page_size")
      expect400({ seller_id = "237", page_num = 1, page_size = 10, seller_live_sort_field = 4 },
        "Invalid parameter: seller_live_sort_field")
      expect400({ seller_id = "237", page_num = 1, page_size = 10, sort_type = 2 },
        "Invalid parameter: sort_type")
    end)

    it("uses the first of repeated parameters", function()
      local code, body = sb:api{ { "seller_id", "237" }, { "page_num", "1" },
        { "page_size", "2" }, { "page_size", "50" } }
      assert.are.equal(200, code)
      assert.are.equal(2, #body.data)
    end)

    it("accepts page_num 100000", function()
      local code, body = page("100000", 100000, 10)
      assert.are.equal(200, code)
      assert.are.same({}, body.data)
    end)
  end)

  describe("pages", function()
    it("have the documented shape and exact integers", function()
      local code, body, raw, headers = page("237", 1, 10)
      assert.are.equal(200, code)
      assert.truthy(headers["content-type"]:find("application/json", 1, true))
      assert.are.equal(0, body.code)
      assert.are.equal("success", body.message)
      assert.are.equal("string", type(body.requestId))
      assert.are.equal(10, #body.data)
      for _, r in ipairs(body.data) do
        local n = 0
        for _ in pairs(r) do n = n + 1 end
        assert.are.equal(16, n)
        for _, f in ipairs(FIELDS) do assert.is_not_nil(r[f], f) end
        assert.are.equal("237", r.seller_id)
        assert.are.equal(19, #r.room_id)
        assert.are.equal(19, #r.user_id)
        assert.are.equal(r.create_time + r.duration, r.finish_time)
        assert.is_true(r.duration >= 600 and r.duration <= 14400)
        assert.is_true(r.total_joins_cnt <= r.total_views_cnt)
        assert.is_true(r.max_views_cnt <= r.total_joins_cnt)
        assert.are.equal("🛍shop237🛍", r.nick_name)
        assert.truthy(r.avatar:match("^https://"))
        assert.truthy(r.cover_url:match("^https://"))
      end
      for _, f in ipairs(INT_FIELDS) do
        local count = 0
        for v in raw:gmatch('"' .. f .. '":([^,}]*)') do
          assert.truthy(v:match("^%d+$"), f .. "=" .. v)
          count = count + 1
        end
        assert.are.equal(10, count)
      end
    end)

    it("are deterministic, requestIds unique", function()
      local _, a = page("237", 3, 10)
      local _, b = page("237", 3, 10)
      assert.are.same(a.data, b.data)
      assert.are_not.equal(a.requestId, b.requestId)
    end)

    it("follow N(S): 237 has 24 pages, the last with 7", function()
      local recs, pages = all_records("237")
      assert.are.equal(237, #recs)
      assert.are.equal(24, pages)
      local _, last = page("237", 24, 10)
      assert.are.equal(7, #last.data)
      local seen = {}
      for k, r in ipairs(recs) do
        assert.is_nil(seen[r.room_id])
        seen[r.room_id] = true
        if k > 1 then assert.is_true(recs[k - 1].create_time > r.create_time) end
      end
      -- every 7th title has a comma, a double quote and a newline
      assert.truthy(recs[7].title:find(',', 1, true))
      assert.truthy(recs[7].title:find('"', 1, true))
      assert.truthy(recs[7].title:find('\n', 1, true))
    end)

    it("follow N(S) for small, exact and long shop ids", function()
      local _, b = page("0", 1, 10)
      assert.are.same({}, b.data)
      -- { shop, page, records on it } at the ends of each shop
      for _, c in ipairs{ { "10", 1, 10 }, { "10", 2, 0 }, { "7494818275540568755", 76, 5 },
        { "7494818275540568755", 77, 0 }, { "100000", 10000, 10 }, { "100000", 10001, 0 } } do
        _, b = page(c[1], c[2], 10)
        assert.are.equal(c[3], #b.data, c[1] .. " page " .. c[2])
      end
    end)

    it("page size slices the same ordering", function()
      local _, a = page("237", 2, 10)
      local _, b = page("237", 4, 5)
      assert.are.same(a.data[6], b.data[1])
      assert.are.same(a.data[10], b.data[5])
    end)
  end)

  describe("sorting", function()
    local default_ids
    local function ids(recs)
      local t = {}
      for _, r in ipairs(recs) do t[#t + 1] = r.room_id end
      return t
    end

    for field = 1, 3 do
      for _, st in ipairs({ "0", "1", "omitted" }) do
        it(("by %s %s"):format(SORT_FIELD[field], st), function()
          local extra = { seller_live_sort_field = field }
          if st ~= "omitted" then extra.sort_type = st end
          local recs = all_records("237", extra)
          assert.are.equal(237, #recs)
          local desc = st ~= "0"
          local key = SORT_FIELD[field]
          for k = 2, #recs do
            local a, b = recs[k - 1], recs[k]
            if a[key] == b[key] then
              assert.is_true(a.room_id < b.room_id, "tie order")
            elseif desc then
              assert.is_true(a[key] > b[key])
            else
              assert.is_true(a[key] < b[key])
            end
          end
          if not default_ids then default_ids = ids(all_records("237")) end
          local x, y = ids(recs), { table.unpack(default_ids) }
          table.sort(x); table.sort(y)
          assert.are.same(y, x)
        end)
      end
    end

    it("ignores sort_type without a sort field", function()
      local _, a = page("237", 2, 10)
      local _, b = page("237", 2, 10, { sort_type = 0 })
      assert.are.same(a.data, b.data)
    end)

    it("pages through a sorted 100000-record shop", function()
      local code, b = page("100000", 1, 10, { seller_live_sort_field = 3 })
      assert.are.equal(200, code)
      assert.are.equal(10, #b.data)
      local _, c = page("100000", 10000, 10, { seller_live_sort_field = 3 })
      assert.are.equal(10, #c.data)
      assert.is_true(b.data[1].total_sale_gmv_amt >= c.data[10].total_sale_gmv_amt)
    end)
  end)

  describe("shift mode", function()
    it("pushes new records to the front after each page", function()
      sb:config{ shift = 3 }
      local _, p1 = page("50", 1, 10)
      local _, p2 = page("50", 2, 10)
      -- page 2 starts with the last 3 records of page 1
      for k = 1, 3 do assert.are.same(p1.data[7 + k], p2.data[k]) end
      local _, again = page("50", 1, 10)
      assert.is_true(again.data[1].create_time > p1.data[1].create_time)
      assert.are_not.equal(again.data[1].room_id, p1.data[1].room_id)
      -- sorted orders are unaffected
      local _, s1 = page("50", 1, 10, { seller_live_sort_field = 1 })
      local _, s2 = page("50", 1, 10, { seller_live_sort_field = 1 })
      assert.are.same(s1.data, s2.data)
      sb:reset()
      local _, fresh = page("50", 1, 10)
      assert.are.same(p1.data, fresh.data)
    end)
  end)

  describe("fixtures", function()
    local function read(path)
      local f = assert(io.open(sandbox.root .. "/" .. path, "rb"))
      local s = f:read("*a")
      f:close()
      return s
    end

    it("serves 9990001.json verbatim for every page", function()
      local want = read("sandbox/fixtures/9990001.json")
      local code, _, raw = page("9990001", 1, 10)
      assert.are.equal(200, code)
      assert.are.equal(want, raw)
      local _, _, raw5 = page("9990001", 5, 3, { seller_live_sort_field = 2 })
      assert.are.equal(want, raw5)
      assert.truthy(raw:find("9223372036854775807", 1, true))
      assert.truthy(raw:find("\\u0000", 1, true))
    end)

    it("serves 9990002.json (empty)", function()
      local _, body = page("9990002", 1, 10)
      assert.are.same({}, body.data)
      assert.are.equal("fixture-empty", body.requestId)
    end)

    it("still checks auth and params first", function()
      assert.are.equal(401, (page("9990001", 1, 10, nil, { key = false })))
      assert.are.equal(400, (page("9990001", 0, 10)))
    end)
  end)

  describe("latency and qps", function()
    it("delays every API response", function()
      sb:config{ latency = 0.3 }
      local t0 = socket.gettime()
      assert.are.equal(200, (page("237", 1, 1)))
      assert.is_true(socket.gettime() - t0 >= 0.28)
      t0 = socket.gettime()
      assert.are.equal(401, (page("237", 1, 1, nil, { key = false })))
      assert.is_true(socket.gettime() - t0 >= 0.28)
    end)

    it("limits qps with 429 and Retry-After: 1", function()
      sb:config{ qps = 5 }
      -- Requests until the first 429 (however slow the machine, the limit
      -- holds on the server's clock, which its log shows).
      local ok, retry = 0, nil
      for _ = 1, 100 do
        local code, body, _, h = page("237", 1, 1)
        if code == 429 then
          retry = h["retry-after"]
          assert.are.equal("qps limit exceeded", body.message)
          break
        end
        assert.are.equal(200, code)
        ok = ok + 1
      end
      assert.are.equal("1", retry)
      assert.is_true(ok >= 5, ok .. " accepted before the first 429")
      -- on the server's clock: never more than 5 accepted in one second (the
      -- log's time is nginx's cached clock, read a moment before the
      -- limiter's fresh one: a slower machine only spreads requests further)
      local accepted = {}
      for _, e in ipairs(sb:stats().log) do
        if e.status == 200 then accepted[#accepted + 1] = e.t end
      end
      table.sort(accepted)
      for i = 6, #accepted do
        assert.is_true(accepted[i] - accepted[i - 5] >= 0.95, "6 accepted within a second")
      end
      socket.sleep(1.05)
      assert.are.equal(200, (page("237", 1, 1)))
    end)
  end)

  describe("faults", function()
    local T = raw_target("seller_id=237&page_num=1&page_size=2")

    it("status json with retry_after, count and FIFO", function()
      sb:fault{ type = "status", status = 503, count = 2, retry_after = "7" }
      sb:fault{ type = "status", status = 429 }
      for _ = 1, 2 do
        local code, body, _, h = page("237", 1, 2)
        assert.are.equal(503, code)
        assert.are.equal(503, body.code)
        assert.are.equal("7", h["retry-after"])
      end
      local code, body = page("237", 1, 2)
      assert.are.equal(429, code)
      assert.are.equal("qps limit exceeded", body.message)
      assert.are.equal(200, (page("237", 1, 2)))
    end)

    it("status html and empty bodies, before auth", function()
      sb:fault{ type = "status", status = 502, body = "html" }
      local code, _, raw, h = page("237", 1, 2, nil, { key = false })
      assert.are.equal(502, code)
      assert.truthy(h["content-type"]:find("text/html", 1, true))
      assert.truthy(raw:find("<html>", 1, true))
      sb:fault{ type = "status", status = 500, body = "empty" }
      code, _, raw = page("237", 1, 2)
      assert.are.equal(500, code)
      assert.are.equal("", raw)
    end)

    it("latency", function()
      sb:fault{ type = "latency", seconds = 0.3 }
      local t0 = socket.gettime()
      assert.are.equal(200, (page("237", 1, 2)))
      assert.is_true(socket.gettime() - t0 >= 0.28)
    end)

    it("truncate", function()
      sb:fault{ type = "truncate" }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.are.equal(200, r.status)
      assert.are.equal("closed", r.err)
      assert.is_true(#r.body < tonumber(r.headers["content-length"]))
    end)

    it("close", function()
      sb:fault{ type = "close" }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.is_nil(r.status)
      assert.are.equal("closed", r.err)
    end)

    it("stall", function()
      sb:fault{ type = "stall", seconds = 0.5 }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.are.equal(200, r.status)
      assert.is_true(r.header_time < 0.4)
      assert.is_true(r.time >= 0.45)
      assert.are.equal(0, cjson.decode(r.body).code)
      -- a client that times out sees headers but no body
      sb:fault{ type = "stall", seconds = 5 }
      r = sandbox.raw_get(sb.url, T, AUTH, 0.5)
      assert.are.equal(200, r.status)
      assert.are.equal("timeout", r.err)
    end)

    it("drip", function()
      sb:fault{ type = "drip", interval = 0.02, body = "empty" }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.are.equal(200, r.status)
      assert.is_nil(r.err)
      assert.is_true(r.time >= 0.02 * (#r.body - 1) * 0.9)
      assert.are.same({}, cjson.decode(r.body).data)
    end)

    it("oversize with content-length and chunked", function()
      sb:fault{ type = "oversize", bytes = 300000, length = 1 }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.are.equal("300000", r.headers["content-length"])
      assert.are.equal(300000, #r.body)
      assert.are.equal(2, #cjson.decode(r.body).data)
      sb:fault{ type = "oversize", bytes = 300000, length = 0 }
      r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.is_true(r.chunked)
      assert.are.equal(300000, #r.body)
      assert.are.equal(2, #cjson.decode(r.body).data)
    end)

    it("redirect", function()
      sb:fault{ type = "redirect", status = 307, location = "http://127.0.0.1:9/elsewhere" }
      local r = sandbox.raw_get(sb.url, T, AUTH, 5)
      assert.are.equal(307, r.status)
      assert.are.equal("http://127.0.0.1:9/elsewhere", r.headers["location"])
    end)

    it("canned bodies", function()
      local function body_of(name)
        sb:fault{ type = "body", name = name }
        local code, _, raw, h = page("237", 1, 2)
        assert.are.equal(200, code)
        return raw, h
      end
      assert.is_false(pcall(cjson.decode, body_of("truncated_json")))
      local tg = body_of("trailing_garbage")
      assert.are.equal("xyz", tg:sub(-3))
      local html, h = body_of("html")
      assert.truthy(html:find("<html>", 1, true))
      assert.truthy(h["content-type"]:find("text/html", 1, true))
      assert.are.equal("", body_of("empty"))
      assert.are.equal("[1,2]", body_of("not_object"))
      local deep = body_of("deep_nesting")
      assert.truthy(deep:find(string.rep("[", 100000), 1, true))
      assert.truthy(body_of("invalid_utf8"):find("\255\254", 1, true))
      assert.are.equal(1001, cjson.decode((body_of("code_nonzero"))).code)
      assert.are.equal(1, cjson.decode((body_of("data_not_array"))).data.a)
      assert.is_nil(cjson.decode((body_of("missing_data"))).data)
      local fp = body_of("float_page")
      assert.truthy(fp:find('"total_sale_cnt":12.5', 1, true))
      assert.truthy(fp:find('"create_time":1693876970.0', 1, true))
      assert.are.equal(1, #cjson.decode(fp).data)
    end)
  end)

  describe("stats", function()
    it("counts requests, statuses and logs without keys", function()
      page("237", 1, 1, nil, { key = "sk_live_SECRET123", headers = { ["User-Agent"] = "spec/1.0" } })
      page("237", 1, 1, nil, { key = false })
      page("237", 0, 1)
      sb:fault{ type = "status", status = 500 }
      page("237", 1, 1)
      local st = sb:stats()
      assert.are.equal(4, st.requests)
      assert.are.equal(1, st.by_status["200"])
      assert.are.equal(1, st.by_status["401"])
      assert.are.equal(1, st.by_status["400"])
      assert.are.equal(1, st.by_status["500"])
      assert.are.equal(4, #st.log)
      assert.are.equal("page_num=1&page_size=1&seller_id=237", st.log[1].args)
      assert.is_true(st.log[1].authorization)
      assert.is_false(st.log[2].authorization)
      assert.are.equal("spec/1.0", st.log[1].user_agent)
      assert.are.equal(200, st.log[1].status)
      local _, raw = sandbox.get(sb.url .. "/_sandbox/stats")
      assert.is_nil(raw:find("SECRET123", 1, true))
    end)

    it("counts distinct connections", function()
      page("237", 1, 1)
      page("237", 1, 1)
      assert.are.equal(2, sb:stats().connections)
      local c = assert(sandbox.connect(sb.url))
      for _ = 1, 3 do
        local r = c:request(raw_target("seller_id=237&page_num=1&page_size=1"), AUTH)
        assert.are.equal(200, r.status)
        assert.is_nil(r.err)
      end
      c:close()
      local st = sb:stats()
      assert.are.equal(5, st.requests)
      assert.are.equal(3, st.connections)
      assert.are.equal(st.log[3].connection, st.log[5].connection)
      assert.are.equal(3, st.log[5].connection_requests)
    end)

    it("leaves out of the counts a request that arrived before the reset and ends after it", function()
      -- a client that gave up on a slow answer leaves the server sleeping
      -- through its latency: that 200 belongs to the counts the reset
      -- cleared, not to the next test's
      sb:config{ latency = 0.5 }
      local c = assert(sandbox.connect(sb.url))
      assert(c.sock:send("GET " .. raw_target("seller_id=237&page_num=1&page_size=1")
        .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_ok\r\n\r\n"))
      for _ = 1, 200 do
        if sb:stats().requests == 1 then break end
        socket.sleep(0.01)
      end
      assert.are.equal(1, sb:stats().requests)
      sb:reset()
      assert.are.equal("HTTP/1.1 200 OK", c.sock:receive("*l")) -- its answer came after the reset
      c:close()
      local st
      for _ = 1, 200 do -- the log phase runs once the answer is sent
        st = sb:stats()
        if st.stale == 1 then break end
        socket.sleep(0.01)
      end
      assert.are.equal(1, st.stale)
      assert.are.equal(0, st.requests)
      assert.are.same({}, st.by_status)
      assert.are.equal(0, #st.log)
    end)
  end)

  describe("launcher", function()
    it("starts with options, answers and stops cleanly (twice)", function()
      local own = sandbox.start{ latency = 0.2, qps = 3 }
      local s = own:config{}
      assert.are.equal(0.2, s.latency)
      assert.are.equal(3, s.qps)
      own:reset()
      assert.are.equal(0.2, own:config{}.latency)  -- reset restores startup values
      local pid = own.pid
      own:stop()
      own:stop()
      assert.is_false(sandbox.alive(pid))
      assert.is_nil((sandbox.get(own.url .. "/_sandbox/health", nil, 1)))
    end)

    it("closes an idle connection after --client-timeout, not before", function()
      local short = sandbox.start{ client_timeout = 1 }
      local long = sandbox.start{ client_timeout = 600 }
      local ok, err = pcall(function()
        local a, b = assert(sandbox.connect(short.url, 30)), assert(sandbox.connect(long.url, 30))
        -- nothing sent: nginx's idle (request-head) timer is what ends it
        -- (closed or reset, both mean nginx ended it; only "timeout" is 30 s
        -- without it)
        local got, e, partial = a.sock:receive("*a")
        assert.are_not.equal("timeout", e)
        assert.are.equal("", got or partial)
        socket.sleep(2)
        local res = b:request("/_sandbox/health")
        assert.is_nil(res.err)
        assert.are.equal(200, res.status)
        a.sock:close()
        b.sock:close()
      end)
      short:stop()
      long:stop()
      assert(ok, err)
      local p = io.popen(sandbox.root .. "/sandbox/run --client-timeout 0 2>&1; echo rc=$?")
      local out = p:read("*a")
      p:close()
      assert.matches("--client-timeout must be a positive integer", out, 1, true)
      assert.matches("rc=2", out, 1, true)
    end)
  end)
end)
