-- Issue 14, items 1-4: every paid request is counted, and no server
-- behaviour makes the client spend without bound. Request counts are the
-- sandbox's own (server side), never timings.
local env = require("support.env")
local files = require("support.files")

describe("credits", function()
  local sb
  before_each(function() sb = env.reset() end)

  -- Drain an iterator; returns what it produced and the err it raised (or nil).
  local function drain(iter)
    local got = {}
    local ok, e = pcall(function()
      for v in iter do got[#got + 1] = v end
    end)
    return got, (not ok) and e or nil
  end

  describe("a server that repeats a full page for every page_num", function()
    -- count: enough repeats that the old client ran on them for a while
    local REPEATS = 300

    it("ends each_livestream{limit=20} after 2 requests with a repeated_page err", function()
      sb:fault{ type = "clamp", count = REPEATS }
      local c = env.client()
      local got, e = drain(c:each_livestream{ seller_id = "237", limit = 20 })
      c:close()
      assert.equals(2, env.requests())
      assert.is_true(env.shoplive.is_err(e), tostring(e))
      assert.equals("repeated_page", e.kind)
      assert.equals(2, e.page)
      assert.is_false(e.retryable)
      assert.matches("page_num", e.message)
      assert.equals(10, #got) -- page 1's records, each once
    end)

    it("ends pages{dedup=false} at the first page identical to the one before", function()
      sb:fault{ type = "clamp", count = REPEATS }
      local c = env.client()
      local got, e = drain(c:pages{ seller_id = "237", dedup = false })
      c:close()
      assert.equals(2, env.requests())
      assert.equals("repeated_page", e.kind)
      assert.matches("identical to page 1", e.message)
      assert.equals(1, #got)
    end)

    it("all_livestreams gives nil, err with the records fetched before", function()
      sb:fault{ type = "clamp", count = REPEATS }
      local c = env.client()
      local recs, err = c:all_livestreams{ seller_id = "237" }
      local st = c:stats()
      c:close()
      assert.is_nil(recs)
      assert.equals("repeated_page", err.kind)
      assert.equals(10, #err.records)
      assert.equals(2, env.requests())
      assert.equals(2, st.credits)
    end)

    it("with concurrency 4 at most the pages in flight are spent", function()
      sb:fault{ type = "clamp", count = REPEATS }
      local c = env.client()
      local recs, err = c:all_livestreams{ seller_id = "237", concurrency = 4 }
      c:close()
      assert.is_nil(recs)
      assert.equals("repeated_page", err.kind)
      -- pages 1-4 start together, page 5 when page 1 is handed out; page 2
      -- ends it: the prefetch's cost (concurrency - 1) and nothing more
      assert.is_true(env.requests() <= 5, env.requests())
    end)

    it("a page of records all seen before ends it too, in whatever order they come", function()
      sb:fault{ type = "clamp", rotate = "1", count = REPEATS }
      local c = env.client()
      local got, e = drain(c:each_livestream{ seller_id = "237" })
      c:close()
      assert.equals("repeated_page", e.kind)
      assert.matches("only records already seen %(10 of them%)", e.message)
      assert.equals(10, #got)
      assert.equals(2, env.requests())
    end)

    it("a clamp to a later page also ends when nothing new comes", function()
      -- the shop's real pages 1-2, then page 3 forever (a shop of exactly 30)
      local c = env.client()
      local p1 = assert(c:livestreams{ seller_id = "237", page = 1 })
      local p2 = assert(c:livestreams{ seller_id = "237", page = 2 })
      sb:reset()
      sb:fault{ type = "clamp", page = 2, count = REPEATS }
      local recs, err = c:all_livestreams{ seller_id = "237", page = 2 }
      c:close()
      assert.is_nil(recs)
      assert.equals("repeated_page", err.kind)
      assert.equals(10, #err.records)
      assert.equals(p2.records[1].room_id, err.records[1].room_id)
      assert.are_not.equal(p1.records[1].room_id, err.records[1].room_id)
      assert.equals(2, env.requests())
    end)
  end)

  describe("a 200 answer is a credit whatever became of its body", function()
    local dir
    setup(function() dir = files.tmpdir() end)
    teardown(function() os.execute("rm -rf " .. dir) end)

    local function not_gzip()
      local path = dir .. "/not.gz"
      files.write(path, '{"code":0,"message":"success","data":[]} - not gzip at all')
      return path
    end

    local cases = {
      { "cut off (truncate)", function() return { type = "truncate" } end, "transport" },
      { "a bad chunk (raw bad_chunk)", function() return { type = "raw", name = "bad_chunk" } end, "transport" },
      { "over max_body (oversize)", function() return { type = "oversize", bytes = 65536 } end, "too_large" },
      { "a wrong Content-Encoding (gzip)", function() return { type = "gzip", path = not_gzip() } end, nil },
    }

    for _, case in ipairs(cases) do
      it(case[1] .. ": every attempt counted, as the server saw them", function()
        local f = case[2]()
        f.count = 3
        sb:fault(f)
        local c = env.client{ max_retries = 2, max_body = 16384 }
        local page, err = c:livestreams{ seller_id = "237" }
        local st = c:stats()
        c:close()
        assert.is_nil(page)
        if case[3] then assert.equals(case[3], err.kind) end
        local sent = env.requests()
        assert.is_true(sent >= 1)
        assert.equals(err.attempts, sent)
        assert.equals(sent, st.requests)
        assert.equals(sent, st.credits) -- each of them was answered 200
      end)
    end

    it("max_credits = 1 stops after the first billed answer; the retry ends as budget", function()
      sb:fault{ type = "truncate", count = 5 }
      local c = env.client{ max_retries = 3, max_credits = 1 }
      local page, err = c:livestreams{ seller_id = "237" }
      local st = c:stats()
      c:close()
      assert.is_nil(page)
      assert.equals("budget", err.kind)
      assert.is_false(err.retryable)
      assert.matches("max_credits %(1%)", err.message)
      assert.equals("transport", err.cause.kind)
      assert.equals(1, env.requests())
      assert.equals(1, st.credits)
      assert.equals(0, st.retries)
    end)

    it("max_credits = 2 allows exactly one retry of a raw bad_chunk", function()
      sb:fault{ type = "raw", name = "bad_chunk", count = 5 }
      local c = env.client{ max_retries = 3, max_credits = 2 }
      local _, err = c:livestreams{ seller_id = "237" }
      local st = c:stats()
      c:close()
      assert.equals("budget", err.kind)
      assert.equals(2, env.requests())
      assert.equals(2, st.credits)
    end)
  end)

  describe("a page longer than page_size", function()
    it("is a decode err naming it, for one request", function()
      sb:fault{ type = "long_page", records = 20 }
      local c = env.client{ max_retries = 3 }
      local page, err = c:livestreams{ seller_id = "237" }
      c:close()
      assert.is_nil(page)
      assert.equals("decode", err.kind)
      assert.matches("more records than page_size 10", err.message)
      assert.equals(1, env.requests())
    end)

    it("does not silently end a shop: all_livestreams fails", function()
      sb:fault{ type = "long_page", records = 20 }
      local c = env.client()
      local recs, err = c:all_livestreams{ seller_id = "100" }
      local st = c:stats()
      c:close()
      assert.is_nil(recs)
      assert.equals("decode", err.kind)
      assert.same({}, err.records)
      assert.equals(1, env.requests())
      assert.equals(1, st.credits) -- a 200 all the same
    end)

    it("page_size 3 and 4 records: refused too", function()
      sb:fault{ type = "long_page", records = 4 }
      local c = env.client()
      local _, err = c:livestreams{ seller_id = "237", page_size = 3 }
      c:close()
      assert.equals("decode", err.kind)
      assert.matches("page_size 3", err.message)
    end)

    it("of millions of {} is refused while decoding, with the Lua heap kept small", function()
      -- 2.7 million `{}` records: an 8 MB body, under the default max_body
      sb:fault{ type = "long_page", records = 2700000, empty = "1" }
      local c = env.client()
      collectgarbage()
      collectgarbage("stop") -- count every byte allocated, none collected
      local before = collectgarbage("count")
      local page, err = c:livestreams{ seller_id = "237" }
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      local st = c:stats()
      c:close()
      -- (never hand busted a page of millions of records to print)
      assert.is_nil(page and #page.records)
      assert.equals("decode", err.kind)
      assert.matches("more than 10 records", err.message)
      assert.is_true(st.bytes > 8000000, st.bytes) -- the whole body did arrive
      -- 0.1 built 2.7 million tables here (over 1 GB); now at most 10
      assert.is_true(grown < 512, grown .. " KiB")
    end)
  end)
end)
