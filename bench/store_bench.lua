-- store_bench.lua - the store's costs, as ratios measured in one run against
-- the sandbox with no latency (bench/run.lua runs it as section "store"):
--   sync_ratio   time of a sync into a SQLite store / the same pages fetched
--                without one (goal <= 1.25); sync_save_us, sync_commit_us:
--                per page, the wall time of saving it and of that
--                transaction's COMMIT (one more sync, instrumented), against
--                sync_page_us, a page without a store
--   cached_ratio time to fetch a page / time to answer it from the cache
--                (goal >= 10)
--   read_ratio   time to fetch 100,000 records / time to read them back from
--                the store as Lua tables (goal >= 5)
-- Prints one "name=value" line per figure.
--   tools/with-sandbox lua5.4 bench/store_bench.lua   (with LUA_PATH/LUA_CPATH of the tree)
local shoplive = require("shoplive")
local core = require("shoplive.core")

local now = core.now
local RUNS = 5
local SYNC_SHOPS = { "1000", "1001", "1002", "1003" } -- 101 pages each
local BIG = "100000"                                 -- 100,000 records, 10,001 pages

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

local function client(opts)
  opts = opts or {}
  opts.api_key = opts.api_key or os.getenv("KEYAPI_API_KEY") or "sk_bench"
  return shoplive.new(opts)
end

-- the same pages, four shops side by side: without a store, then a sync
local without, with = {}, {}
for run = 1, RUNS do
  local c = client()
  local t0 = now()
  local n = 0
  for _, s in ipairs(SYNC_SHOPS) do
    for page in c:pages{ seller_id = s, concurrency = 1 } do n = n + #page.records end
  end
  c:close()
  without[run] = now() - t0
  local st = shoplive.store.open(dir .. "/sync" .. run .. ".db")
  c = client{ store = st }
  t0 = now()
  local report = assert(c:sync{ sellers = SYNC_SHOPS, concurrency = 1 })
  c:close()
  st:close() -- its final checkpoint (the WAL into the database file) is part of the cost
  with[run] = now() - t0
  assert(report.credits == report.pages and report.pages == 404, "sync fetched " .. report.pages)
end
local sync_ratio = median(with) / median(without)

-- where a sync's store time goes: one more sync, instrumented (not among the
-- timed runs above): wall time inside save_page, and inside its COMMIT
local save_s, commit_s = 0, 0
do
  local st = shoplive.store.open(dir .. "/sync_parts.db")
  local Store = shoplive.store.Store
  local dbi = getmetatable(st.db).__index
  local save, exec = Store.save_page, dbi.exec
  Store.save_page = function(...)
    local t0 = now()
    local res, err = save(...)
    save_s = save_s + (now() - t0)
    return res, err
  end
  dbi.exec = function(db, sql)
    if sql ~= "COMMIT" then return exec(db, sql) end
    local t0 = now()
    local ok, msg, code = exec(db, sql)
    commit_s = commit_s + (now() - t0)
    return ok, msg, code
  end
  local c = client{ store = st }
  local ok, err = pcall(c.sync, c, { sellers = SYNC_SHOPS, concurrency = 1 })
  Store.save_page, dbi.exec = save, exec
  assert(ok, err)
  c:close()
  st:close()
end

-- one page: fetched vs answered from the cache (rounds interleaved, median)
local st = shoplive.store.open(dir .. "/page.db")
local c = client{ store = st }
local plain = client()
local N = 200
for i = 1, N do assert(c:livestreams{ seller_id = "5000", page = i }) end
local fetched, cached = {}, {}
local t0
for run = 1, RUNS do
  t0 = now()
  for i = 1, N do assert(plain:livestreams{ seller_id = "5000", page = i }) end
  fetched[run] = (now() - t0) / N
  t0 = now()
  for i = 1, N do assert(c:livestreams{ seller_id = "5000", page = i }) end
  cached[run] = (now() - t0) / N
end
local fetch_page, cached_page = median(fetched), median(cached)
assert(c:stats().cache_hits == N * RUNS)
plain:close()
c:close()
st:close()

-- 100,000 records: fetched, then read back from the store
st = shoplive.store.open(dir .. "/big.db")
c = client{ store = st }
t0 = now()
local recs = assert(c:all_livestreams{ seller_id = BIG, concurrency = 8 })
local fetch_all = now() - t0
assert(#recs == 100000)
recs = nil -- luacheck: ignore 311
collectgarbage()
c:close()
t0 = now()
local back = assert(st:livestreams{ seller_id = BIG })
local read_all = now() - t0
assert(#back == 100000)
st:close()
os.execute("rm -rf " .. dir)

print(string.format("sync_without_s=%.3f", median(without)))
print(string.format("sync_with_s=%.3f", median(with)))
print(string.format("sync_ratio=%.3f", sync_ratio))
print(string.format("sync_save_us=%.0f", save_s / 404 * 1e6))
print(string.format("sync_commit_us=%.0f", commit_s / 404 * 1e6))
print(string.format("sync_page_us=%.0f", median(without) / 404 * 1e6))
print(string.format("fetch_page_ms=%.3f", fetch_page * 1000))
print(string.format("cached_page_ms=%.3f", cached_page * 1000))
print(string.format("cached_ratio=%.1f", fetch_page / cached_page))
print(string.format("fetch_100k_s=%.3f", fetch_all))
print(string.format("read_100k_s=%.3f", read_all))
print(string.format("read_ratio=%.1f", fetch_all / read_all))
