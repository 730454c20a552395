-- The store's tables and statements follow lua/shoplive/schema.lua: with a
-- copy of the schema that has two more fields, a fresh SQLite store (real,
-- in a temp dir) keeps them in typed columns of their own, reads them back,
-- and records the changes of the new counter as revisions. A field list
-- typed again in store/schema.lua or store.lua would miss them.
local files = require("support.files")
local schema = require("shoplive.schema")
local schema_copy = require("support.schema_copy")

local tmp = files.tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local function record(views, coupons)
  return { room_id = "900", seller_id = "1", title = "t", create_time = 1700000000, total_views_cnt = views,
    coupon_cnt = coupons, host_name = "Ann" }
end

local P = { seller_id = "1", page = 1, page_size = 10 }

describe("the store's field lists come from shoplive.schema", function()
  it("a field added to the schema gets a typed column, is read back and has revisions", function()
    local t = 1700000000
    local copy = schema_copy.with_fields{ { "coupon_cnt", "integer" }, { "host_name", "string" } }
    schema_copy.load(copy, "^shoplive%.store", "shoplive.store", function(store)
      local s = store.open(tmp .. "/more_fields.db", { clock = function() return t end })
      assert(s:save_page(P, { records = { record(10, 3) }, request_id = "r1" }, 1))
      t = t + 60
      assert(s:save_page(P, { records = { record(10, 5) }, request_id = "r2" }, 1))
      local rows = assert(s:_rows("SELECT coupon_cnt, host_name, extra FROM livestreams"))
      assert.same({ { 5, "Ann" } }, { { rows[1][1], rows[1][2] } })
      assert.is_nil(rows[1][3]) -- typed columns, nothing left over for extra
      local recs = assert(s:livestreams())
      assert.same({ 5, "Ann" }, { recs[1].coupon_cnt, recs[1].host_name })
      local h = assert(s:history("900"))
      assert.same({ 3, 5 }, { h[1].coupon_cnt, h[2].coupon_cnt })
      s:close()
    end)
  end)

  it("without the copy, the store keeps exactly the schema's fields (and the new ones go to extra)", function()
    local store = require("shoplive.store")
    local s = store.open(tmp .. "/plain.db")
    assert(s:save_page(P, { records = { record(10, 3) }, request_id = "r1" }, 1))
    local cols = {}
    for _, f in ipairs(schema.FIELDS) do cols[#cols + 1] = f end
    local rows = assert(s:_rows("SELECT " .. table.concat(cols, ", ") .. ", extra FROM livestreams"))
    assert.equals("900", rows[1][1])
    assert.truthy(rows[1][#cols + 1]:find('"coupon_cnt":3', 1, true))
    assert.equals(3, assert(s:livestreams())[1].coupon_cnt)
    s:close()
  end)
end)
