-- report_store_bench.lua - shoplive.report(store) of a SQLite store of
-- 1,000,000 livestreams over 20 shops: the CPU seconds (os.clock: the
-- process's user + system time, SQLite's work included) and the peak RSS
-- (VmHWM) of a process that opens the store and writes the report.
--   LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;" \
--     lua5.4 bench/report_store_bench.lua [db] [livestreams]
-- The store is generated once by SQL (not through the API) into db
-- (default build/bench/report_1m.db) and reused while it holds as many
-- livestreams. Prints one line: "report_store: N livestreams, S shops,
-- B bytes; cpu C s, peak rss M MB".
local shoplive = require("shoplive")

local DB = arg[1] or "build/bench/report_1m.db"
local N = tonumber(arg[2]) or 1000000
local SHOPS = 20

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  return out, ok
end

-- The generated livestreams: 20 shops of 7 regions, a start every 10
-- minutes per shop over a year, figures from a multiplicative hash of the
-- row number (about 4% with more units than views, listed as odd).
local REGIONS = { "VN", "TH", "US", "MY", "PH", "ID", "SG" }
local function insert_sql(n)
  local reg = {}
  for i, r in ipairs(REGIONS) do reg[#reg + 1] = string.format("WHEN %d THEN '%s'", i - 1, r) end
  return "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < " .. (n - 1) .. "), "
    .. "g AS (SELECT i, (i * 2654435761) % 4294967296 AS h, 1735689600 + (i / " .. SHOPS .. ") * 600 AS t FROM c) "
    .. "INSERT INTO livestreams (room_id, seller_id, user_id, nick_name, region, title, avatar, cover_url, "
    .. "create_time, finish_time, duration, max_views_cnt, total_joins_cnt, total_sale_cnt, total_sale_gmv_amt, "
    .. "total_views_cnt, first_seen, last_seen) "
    .. "SELECT printf('%019d', 7000000000000000000 + i), CAST(7494818275540568000 + i % " .. SHOPS .. " AS TEXT), "
    .. "'u' || (i % " .. SHOPS .. ") || '-' || (h % 5), 'host ' || (i % " .. SHOPS .. ") || '-' || (h % 5), "
    .. "CASE (i % " .. SHOPS .. ") % 7 " .. table.concat(reg, " ") .. " END, 'Livestream ' || i, "
    .. "'https://a/' || i, 'https://c/' || i, t, t + 600 + h % 14400, 600 + h % 14400, (h / 17) % 3000, "
    .. "(h / 19) % 90000, (h / 11) % 2000, (h / 13) % 90000000, 1 + (h / 7) % 50000, t, t FROM g"
end

local function build()
  os.remove(DB)
  os.execute("mkdir -p " .. DB:match("^(.*)/") or ".")
  assert(shoplive.store.open(DB)):close() -- the schema
  local db = assert(require("shoplive.sqlite3").open(DB, "rwc"))
  assert(db:exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN"))
  assert(db:exec(insert_sql(N)))
  assert(db:exec("COMMIT"))
  db:close()
end

local function count()
  local ok, s = pcall(shoplive.store.open, DB, { readonly = true })
  if not ok or not s then return 0 end
  local n = 0
  for _, shop in ipairs(assert(s:shops())) do n = n + shop.livestreams end
  s:close()
  return n
end

local function peak_rss_mb()
  local f = io.open("/proc/self/status")
  local kb = f and f:read("*a"):match("VmHWM:%s*(%d+)")
  if f then f:close() end
  return (tonumber(kb) or 0) / 1024
end

if arg[3] == "--run" then
  local t0 = os.clock()
  local s = assert(shoplive.store.open(DB, { readonly = true }))
  -- the shops by id, as `shoplive report ID... --offline` asks for them
  local ids = {}
  for i = 0, SHOPS - 1 do ids[#ids + 1] = string.format("%d", 7494818275540568000 + i) end
  local doc = assert(shoplive.report(s, { sellers = ids, tz = "+07:00", generated_at = 1767225600 }))
  s:close()
  local cpu = os.clock() - t0
  assert(doc:find("</html>", 1, true))
  print(string.format("report_store: %d livestreams, %d shops, %d bytes; cpu %.2f s, peak rss %.0f MB", N, SHOPS, #doc,
    cpu, peak_rss_mb()))
  return
end

if count() ~= N then build() end
-- the report in a process of its own: its peak RSS is the report's alone
local lua = arg[-1] or "lua5.4"
local out, ok = sh(string.format("%q bench/report_store_bench.lua %q %d --run", lua, DB, N))
assert(ok, out)
io.write(out)
