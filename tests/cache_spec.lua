-- The page cache inside the client: every way of asking for pages goes
-- through it, the stop rules stay exact, and a page paid for is never
-- dropped. Credits are counted by the sandbox server.
local env = require("support.env")
local store = env.shoplive.store

local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local credits = env.credits

local n = 0
describe("the page cache", function()
  local s, client
  before_each(function()
    n = n + 1
    s = store.open(tmp .. "/c" .. n .. ".db")
    client = env.client{ store = s }
    env.reset()
  end)
  after_each(function()
    client:close()
    s:close()
  end)

  it("serves a whole shop again for 0 credits, with the same 24 pages of the 237-record shop", function()
    local first = {}
    for page in client:pages{ seller_id = "237" } do first[#first + 1] = page end
    assert.equals(24, #first)
    assert.equals(24, credits())
    local again = {}
    for page in client:pages{ seller_id = "237" } do again[#again + 1] = page end
    assert.equals(24, #again)
    assert.equals(24, credits())
    assert.equals(24, client:stats().cache_hits)
    for i = 1, 24 do
      assert.is_true(again[i].cached)
      assert.same(first[i].records, again[i].records)
      assert.equals(first[i].has_more, again[i].has_more)
    end
    local count = 0
    for _ in client:each_livestream{ seller_id = "237", concurrency = 4 } do count = count + 1 end
    assert.equals(237, count)
    assert.equals(237, #assert(client:all_livestreams{ seller_id = "237" }))
    assert.equals(24, credits())
  end)

  it("answers livestreams_many and start/poll from the store", function()
    local qs = {}
    for i = 1, 6 do qs[i] = { seller_id = "237", page = i } end
    local first, errs = client:livestreams_many(qs, { concurrency = 3 })
    assert.is_nil(errs)
    assert.equals(6, #first)
    assert.equals(6, credits())
    qs[7] = { seller_id = "237", page = 7 }
    local pages
    pages, errs = client:livestreams_many(qs, { concurrency = 3 })
    assert.is_nil(errs)
    assert.equals(7, credits())
    for i = 1, 6 do assert.is_true(pages[i].cached) end
    assert.is_nil(pages[7].cached)
    local req = client:start{ seller_id = "237", page = 2 }
    assert.is_true(req:done())
    local page = assert(req:result())
    assert.is_true(page.cached)
    assert.equals(7, credits())
    assert.equals(7, client:stats().cache_hits)
    assert.equals(7, client:stats().requests)
  end)

  it("returns a paid page whose save failed, with page.store_err, and keeps what was saved before", function()
    assert(client:livestreams{ seller_id = "237", page = 1 })
    -- the database may not grow any more: the next save fails as a full disk does
    local pages_now = assert(s.db:prepare("PRAGMA page_count")):rows()[1][1]
    assert(s.db:exec("PRAGMA max_page_count = " .. pages_now))
    local page = assert(client:livestreams{ seller_id = "100000", page = 1 })
    assert.equals(10, #page.records)
    assert.truthy(page.store_err)
    assert.equals("store", page.store_err.kind)
    assert.matches("full", tostring(page.store_err))
    assert.equals(2, credits())
    -- the earlier page is still there and still served
    assert.is_true(assert(client:livestreams{ seller_id = "237", page = 1 }).cached)
    assert.equals(1, #assert(s:shops()))
  end)
end)
