-- The report at scale (issue 19): the histogram of GMV per hour live no
-- longer sorts every livestream's value (a million-livestream report spent
-- 0.48 s of CPU in that sort), in memory and from a SQLite store; its
-- median, extremes and bins stay those of the sorted values, and its mean
-- is the exact one, rounded, in memory and from a store alike.
local shoplive = require("shoplive")
local store_mod = require("shoplive.store")
local figures = require("shoplive.report.figures")

local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)
teardown(function() os.execute("rm -rf " .. tmp) end)

local GENERATED = 1767225600 -- 2026-01-01

-- A deterministic value below m for each i (Knuth's multiplicative hash:
-- the same records every run, no math.random).
local function hash(i, m)
  return (i * 2654435761) % 4294967296 % m
end

-- n livestreams of shop 77 in region VN, an hour apart; gmv(i) and
-- duration(i) give their figures.
local function records(n, gmv, duration)
  local out = {}
  for i = 1, n do
    local t = 1765000000 - i * 3600
    local d = duration(i)
    out[i] = { room_id = "77-" .. i, seller_id = "77", user_id = "u1", nick_name = "host", region = "VN",
      title = "Live " .. i, avatar = "a", cover_url = "c", create_time = t, duration = d, finish_time = t + d,
      max_views_cnt = 10, total_joins_cnt = 20, total_views_cnt = 100, total_sale_cnt = 5,
      total_sale_gmv_amt = gmv(i) }
  end
  return out
end

local function stored(name, recs)
  local store = assert(store_mod.open(tmp .. "/" .. name .. ".db"))
  for i = 1, #recs, 50 do
    local page = {}
    for j = i, math.min(i + 49, #recs) do page[#page + 1] = recs[j] end
    assert(store:save_page({ seller_id = "77", page = 1 + (i - 1) / 50, page_size = 50 },
      { request_id = "x", records = page }, 1))
  end
  return store
end

-- fn() with table.sort watched: the length of the longest list it sorted.
local function longest_sort(fn)
  local sort, longest = table.sort, 0
  rawset(table, "sort", function(t, cmp)
    if #t > longest then longest = #t end
    return sort(t, cmp)
  end)
  local ok, err = pcall(fn)
  rawset(table, "sort", sort)
  assert(ok, err)
  return longest
end

describe("report at scale", function()
  it("gives the exact mean GMV per hour live, where adding the values in order drifted", function()
    -- 50 livestreams of 999,999,999,999,999 per hour: their mean is that
    -- amount; summed one by one the total loses units past 2^53 and the
    -- mean came out as 1,000,000,000,000,000
    local a = 999999999999999
    local recs = records(50, function() return a end, function() return 3600 end)
    assert.equals(a, figures.histogram(recs).mean)
    local want = "mean 999,999,999,999,999, lowest 999,999,999,999,999"
    local doc = shoplive.report(recs, { generated_at = GENERATED })
    assert.truthy(doc:find(want, 1, true), "in memory")
    local store = stored("mean", recs)
    local from_store = assert(shoplive.report(store, { generated_at = GENERATED }))
    store:close()
    assert.truthy(from_store:find(want, 1, true), "from the store")
    assert.equals(doc, from_store)
  end)

  it("sorts no list as long as the livestreams, in memory or from a store", function()
    local recs = records(3000, function(i) return hash(i, 9000000) end, function(i) return 600 + hash(i + 7, 14400) end)
    local doc
    assert.is_true(longest_sort(function() doc = shoplive.report(recs, { generated_at = GENERATED }) end) < 3000)
    local store = stored("sort", recs)
    local from_store
    local longest = longest_sort(function()
      from_store = assert(shoplive.report(store, { generated_at = GENERATED }))
    end)
    store:close()
    assert.is_true(longest < 3000, longest)
    assert.equals(doc, from_store)
  end)

  it("reads a SQLite store's rows without testing each seller when the sellers asked are all it holds", function()
    local recs = records(40, function(i) return hash(i, 90000) end, function() return 3600 end)
    for i = 1, 40, 2 do recs[i].seller_id, recs[i].room_id = "88", "88-" .. i end
    local store = assert(store_mod.open(tmp .. "/sellers.db"))
    for _, seller in ipairs({ "77", "88" }) do
      local page = {}
      for _, r in ipairs(recs) do if r.seller_id == seller then page[#page + 1] = r end end
      assert(store:save_page({ seller_id = seller, page = 1, page_size = 50 }, { request_id = "x", records = page }, 1))
    end
    -- the SQL of the one pass over the rows (the query read row by row)
    local pass, aggregate = nil, store.aggregate
    store.aggregate = function(self, sql, params, each)
      if each then pass = sql end
      return aggregate(self, sql, params, each)
    end
    local function report(sellers)
      pass = nil
      local doc = assert(shoplive.report(store, { sellers = sellers, generated_at = GENERATED }))
      local mine = {}
      for _, r in ipairs(recs) do
        for _, id in ipairs(sellers) do if r.seller_id == id then mine[#mine + 1] = r end end
      end
      assert.equals(shoplive.report(mine, { shops = sellers, generated_at = GENERATED }), doc)
      return pass
    end
    local ok, err = pcall(function()
      assert.falsy(report({ "88", "77" }):find("seller_id IN", 1, true))
      assert.falsy(report({ "77", "88", "99" }):find("seller_id IN", 1, true))
      -- one stored shop not asked for: each row is tested
      assert.truthy(report({ "77" }):find("seller_id IN", 1, true))
      assert.truthy(report({ "88", "99" }):find("seller_id IN", 1, true))
    end)
    store.aggregate = nil -- the method again
    store:close()
    assert(ok, err)
  end)

  it("keeps the median, extremes and bins of the sorted values", function()
    for _, n in ipairs({ 1, 2, 3, 4, 7, 100, 1001, 2000 }) do
      -- few distinct values: many ties around the middle
      local recs = records(n, function(i) return 100 * hash(i + n, 40) end, function(i) return 900 * (1 + hash(i * 3, 4)) end)
      local values = {}
      for i, r in ipairs(recs) do values[i] = r.total_sale_gmv_amt / (r.duration / 3600) end
      table.sort(values)
      local median = n % 2 == 1 and values[(n + 1) / 2] or (values[n / 2] + values[n / 2 + 1]) / 2
      local h = figures.histogram(recs)
      assert.equals(median, h.median)
      assert.equals(values[1], h.min)
      assert.equals(values[n], h.max)
      local counted = 0
      for _, b in ipairs(h.bins) do
        local in_bin = 0
        for _, v in ipairs(values) do
          if v >= b.from and (v < b.to or b == h.bins[#h.bins] and v <= b.to) then in_bin = in_bin + 1 end
        end
        assert.equals(in_bin, b.n)
        counted = counted + b.n
      end
      assert.equals(n, counted)
    end
  end)
end)
