-- Issue 14, items 19 and 20 (first two): one bad field does not cost a paid
-- page, and odd status lines and headers give errs that say what happened.
local env = require("support.env")

local R = "\239\191\189" -- U+FFFD

describe("hostile answers", function()
  local sb
  before_each(function() sb = env.reset() end)

  describe("a page with one bad field survives, with a note", function()
    it("invalid UTF-8 in a title becomes U+FFFD", function()
      sb:fault{ type = "body", name = "invalid_utf8" }
      local page, err = env.fetch{ max_retries = 3 }
      assert.is_nil(err)
      assert.equals(1, #page.records)
      assert.equals("bad " .. R .. R .. " utf8", page.records[1].title)
      assert.same({ count = 1, fields = { { record = 1, field = "title", reason = "invalid UTF-8" } } }, page.repaired)
      assert.equals(1, env.requests())
    end)

    it("1e400 stays the string of its literal; the other records are untouched", function()
      sb:fault{ type = "body", name = "huge_number" }
      local page, err = env.fetch()
      assert.is_nil(err)
      assert.equals(10, #page.records)
      local r = page.records[1]
      assert.equals("1e400", r.total_views_cnt)
      assert.equals("-1E999", r.duration)
      assert.equals("integer", env.itype(r.total_sale_cnt))
      assert.equals("integer", env.itype(page.records[2].total_views_cnt))
      assert.equals(2, page.repaired.count)
      local fields = {}
      for _, f in ipairs(page.repaired.fields) do
        assert.equals(1, f.record)
        assert.equals("number out of range", f.reason)
        fields[#fields + 1] = f.field
      end
      table.sort(fields)
      assert.same({ "duration", "total_views_cnt" }, fields)
    end)

    it("a whole shop keeps the repaired page", function()
      sb:fault{ type = "body", name = "huge_number" }
      local c = env.client()
      local n, repaired = 0, 0
      for page in c:pages{ seller_id = "25" } do
        n = n + #page.records
        repaired = repaired + (page.repaired and page.repaired.count or 0)
      end
      c:close()
      assert.equals(25, n)
      assert.equals(2, repaired)
      assert.equals(3, env.requests())
    end)

    it("a clean page has no repaired field", function()
      local page = assert(env.fetch())
      assert.is_nil(page.repaired)
    end)
  end)

  describe("a 1xx interim answer, then a timeout", function()
    for _, status in ipairs{ "100", "102" } do
      it("after " .. status .. ": err.status is nil, not " .. status, function()
        sb:fault{ type = "raw", name = "interim_stall", status = status, seconds = 3 }
        local page, err, st = env.fetch{ timeout = 0.5, max_retries = 0 }
        assert.is_nil(page)
        assert.equals("timeout", err.kind)
        assert.is_nil(err.status)
        assert.is_nil(tostring(err):find("HTTP 1"))
        assert.equals(0, st.credits) -- no final answer: nothing billed
      end)
    end
  end)

  describe("response headers too large", function()
    for _, bytes in ipairs{ 1048576, 80000 } do
      it(bytes .. " bytes of one header -> too_large, not out of memory", function()
        sb:fault{ type = "raw", name = "huge_header", bytes = bytes, count = 3 }
        local page, err, st = env.fetch{ max_retries = 2 }
        assert.is_nil(page)
        assert.equals("too_large", err.kind)
        assert.matches("headers too large", err.message)
        assert.is_nil(err.message:find("memory"))
        assert.equals(200, err.status)
        assert.equals(1, env.requests()) -- not retried: it would come back the same
        assert.equals(1, st.credits)
      end)
    end

    it("a 4 KiB header is fine", function()
      sb:fault{ type = "raw", name = "huge_header", bytes = 4096 }
      local page, err = env.fetch()
      assert.is_nil(err)
      assert.equals(10, #page.records)
    end)
  end)
end)
