-- shoplive.report(store, opts): the report of a store, aggregated by its
-- database (SQLite, and a PostgreSQL 15 cluster this spec starts itself,
-- tests/support/postgres.lua), equals the report of the same records read
-- back with store:livestreams, byte for byte: odd values, set-aside
-- records, an empty shop, a thinned timeline and every ranking included.
local shoplive = require("shoplive")
local store_mod = require("shoplive.store")
local pgsupport = require("support.postgres")

local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local GENERATED = 1767225600 -- 2026-01-01
local UNDER_VALGRIND = os.getenv("SHOPLIVE_UNDER_VALGRIND") == "1"

-- A deterministic generator (no math.random: the same rows every run).
local function lcg(seed)
  local x = seed
  return function(n)
    x = (x * 1103515245 + 12345) % 2147483648
    return x % n
  end
end

-- n sound livestreams of shop `seller` in `regions`, then the odd ones.
local function records(seller, n, regions, rnd)
  local out = {}
  for i = 1, n do
    local t = 1760000000 + rnd(90 * 86400)
    local d = 600 + rnd(4 * 3600)
    out[i] = { room_id = seller .. "-" .. i, seller_id = seller, user_id = "u" .. rnd(7),
      nick_name = "host " .. rnd(5), region = regions[1 + rnd(#regions)], title = "Live " .. i,
      avatar = "https://a/" .. i, cover_url = "https://c/" .. i, create_time = t, duration = d,
      finish_time = t + d + (i % 13 == 0 and 60 or 0), max_views_cnt = rnd(500), total_joins_cnt = rnd(900),
      total_views_cnt = 1 + rnd(5000), total_sale_cnt = rnd(300), total_sale_gmv_amt = rnd(9000000) }
  end
  return out
end

-- Records no livestream can have, values that are not numbers, fields the
-- spec does not name, missing fields, impossible combinations.
local function odd(seller)
  local t = 1765000000
  local function r(i, fields)
    local rec = { room_id = seller .. "-odd" .. i, seller_id = seller, user_id = "u1", nick_name = "host 1",
      region = "VN", title = "odd " .. i, avatar = "a", cover_url = "c", create_time = t + i * 3600, duration = 3600,
      finish_time = t + i * 3600 + 3600, max_views_cnt = 5, total_joins_cnt = 9, total_views_cnt = 100,
      total_sale_cnt = 3, total_sale_gmv_amt = 1000 }
    for k, v in pairs(fields) do rec[k] = v end
    if fields.nil_fields then
      for _, k in ipairs(fields.nil_fields) do rec[k] = nil end
      rec.nil_fields = nil
    end
    return rec
  end
  return {
    r(1, { create_time = (t + 3600) * 1000 }), -- milliseconds: set aside
    r(2, { duration = -5 }),
    r(3, { total_sale_gmv_amt = 1e15 }),
    r(4, { total_views_cnt = 0, total_sale_cnt = 4 }), -- units with no view: kept
    r(5, { total_views_cnt = 10, total_sale_cnt = 40 }),
    r(6, { total_sale_gmv_amt = 1234.5 }), -- a float: kept in extra, counted
    r(7, { total_views_cnt = "many" }), -- not a number
    r(8, { promo = "x" }), -- a field the spec does not name
    r(9, { nil_fields = { "duration", "nick_name", "region" } }),
    r(10, { finish_time = t }), -- ends before it starts
    r(11, { max_views_cnt = 0, total_sale_gmv_amt = 0 }),
    r(12, { nil_fields = { "create_time" } }),
    r(13, { duration = 20, total_sale_gmv_amt = 900000000 }), -- a huge GMV per hour (log bins)
    -- the latest start, a float (kept in extra, its column NULL), ending
    -- after every other: the period's first and last from extra
    r(14, { create_time = t + 5000000.5, finish_time = t + 5003600 }),
    r(15, { create_time = t - 90000000.5 }),
  }
end

local function fill(store, by_shop)
  for seller, recs in pairs(by_shop) do
    for i = 1, #recs, 50 do
      local page = {}
      for j = i, math.min(i + 49, #recs) do page[#page + 1] = recs[j] end
      assert(store:save_page({ seller_id = seller, page = 1 + (i - 1) / 50, page_size = 50 },
        { request_id = "x", records = page }, 1))
    end
  end
end

-- A shop of ties: one livestream a day, each with the same GMV, views and
-- duration (so every ranking, best and timeline slot has many equal
-- rows), and from day 41 no GMV at all (slots of the timeline without any).
local function ties(seller)
  local out = {}
  for i = 1, 80 do
    local t = 1761000000 + i * 86400
    out[i] = { room_id = seller .. "-tie" .. i, seller_id = seller, user_id = "u9", nick_name = "host 9",
      region = "TH", title = "Tie " .. i, avatar = "a", cover_url = "c", create_time = t, duration = 3600,
      finish_time = t + 3600, max_views_cnt = 50, total_joins_cnt = 90, total_views_cnt = 100,
      total_sale_cnt = 7, total_sale_gmv_amt = i <= 40 and 5000 or nil }
  end
  return out
end

local SELLERS = { "101", "202", "303", "404", "505" } -- 404 has no livestream

local function data()
  local rnd = lcg(7)
  local by = { ["101"] = records("101", 260, { "VN", "TH" }, rnd), ["202"] = records("202", 90, { "US" }, rnd),
    ["303"] = records("303", 40, { "VN", "MY", "PH", "SG", "ID" }, rnd), ["505"] = ties("505") }
  for _, rec in ipairs(odd("101")) do table.insert(by["101"], rec) end
  return by
end

local pg, pg_why
local backends = {
  { name = "sqlite", target = function() return tmp .. "/report.db" end },
  { name = "postgresql", target = function() return pg and pg:database("report_store") end },
}

setup(function() pg, pg_why = pgsupport.start() end)
teardown(function()
  if pg then pg:stop() end
  os.execute("rm -rf " .. tmp)
end)

for _, backend in ipairs(backends) do
  describe("shoplive.report of a " .. backend.name .. " store", function()
    local store
    setup(function()
      local target = backend.target()
      if not target then return end
      store = store_mod.open(target)
      fill(store, data())
    end)
    teardown(function() if store then store:close() end end)

    -- the report of the store and that of its records in memory; sellers
    -- false: every stored shop (the in-memory report names them in order)
    local function both(opts, sellers)
      if not store then
        pending("PostgreSQL is not available: " .. tostring(pg_why))
        return
      end
      local from_store = {}
      for k, v in pairs(opts) do from_store[k] = v end
      from_store.sellers = sellers ~= false and SELLERS or nil
      local got = assert(shoplive.report(store, from_store))
      local in_memory = {}
      for k, v in pairs(opts) do in_memory[k] = v end
      in_memory.shops = sellers ~= false and SELLERS or { "101", "202", "303", "505" }
      local want = shoplive.report(assert(store:livestreams()), in_memory)
      return got, want
    end

    for _, case in ipairs({
      { "defaults", {}, nil, "memcheck" },
      { "rank gmv_per_hour, top 3, +07:00", { rank = "gmv_per_hour", top = 3, tz = "+07:00" } },
      { "rank views, a thinned timeline", { rank = "views", max_marks = 40, tz = "-05:30" } },
      { "rank conversion, a 7-day period", { rank = "conversion", period = 7 } },
      -- fewer listed than the rows with more units than views: SQLite
      -- counts them in its pass and fetches only the first few
      { "5 odd values listed, thinned", { max_listed = 5, max_marks = 40 } },
      { "top 2 of ties, rank views, thinned", { rank = "views", top = 2, max_marks = 40 } },
      { "every stored shop, no sellers given", { max_marks = 60 }, false, "memcheck" },
    }) do
      -- under valgrind two cases: the others differ in the report's pure
      -- Lua (ranking, period, thinning), not in the store's C they read
      -- through, and each cost memcheck about 13 s of CPU
      if not UNDER_VALGRIND or case[4] then it("equals the report of the same records (" .. case[1] .. ")", function()
        local opts = case[2]
        opts.generated_at = GENERATED
        local got, want = both(opts, case[3])
        if not got then return end
        -- the cases the data is made of are in the report
        -- (with 5 listed: the list is cut, the counts are whole)
        local listed = opts.max_listed and { "; the first 5 listed", "create_time is in milliseconds" }
          or { "total_views_cnt is not a number", "create_time is in milliseconds", "units sold with total_views_cnt 0" }
        -- (the empty shop only when named)
        local empty = case[3] == false and { "extra field promo", "extra field promo" }
          or { 'id="shop-404"', "No livestreams in the data for this shop." }
        for _, text in ipairs({ empty[1], empty[2], "extra field promo", listed[1], listed[2], listed[3] or "extra field promo",
          opts.max_marks and "Thinned:" or "All ", "log scale", "VN", "MY" }) do
          assert.truthy(want:find(text, 1, true), text)
        end
        assert.equals(#want, #got)
        assert.equals(want, got)
      end) end
    end

    -- a second scan for the rows it lists cost a quarter of the CPU of a
    -- million-livestream report (bench/report_store_bench.lua)
    if backend.name == "sqlite" then
      it("reads a SQLite store's livestreams in one scan, the rows it lists by their key", function()
        local plans, aggregate = {}, store.aggregate
        store.aggregate = function(self, sql, params, each)
          for _, r in ipairs(assert(aggregate(self, "EXPLAIN QUERY PLAN " .. sql, params))) do plans[#plans + 1] = r[4] end
          return aggregate(self, sql, params, each)
        end
        local ok, doc = pcall(shoplive.report, store, { sellers = SELLERS, generated_at = GENERATED, max_listed = 5,
          max_marks = 40 })
        store.aggregate = nil -- the method again
        assert(ok, doc)
        assert.truthy(doc:find("; the first 5 listed", 1, true))
        local scans, keyed = 0, 0
        for _, d in ipairs(plans) do
          if d:find("^SCAN livestreams") then scans = scans + 1 end
          if d:find("^SEARCH livestreams USING PRIMARY KEY") then keyed = keyed + 1 end
        end
        assert.equals(1, scans, table.concat(plans, "\n"))
        assert.is_true(keyed >= 1, table.concat(plans, "\n"))
      end)
    end
  end)
end
