-- stream_rss.lua - peak memory of streaming a whole shop.
--   lua5.4 bench/stream_rss.lua SELLER_ID [dedup|nodedup]
-- Iterates client:each_livestream{seller_id=SELLER_ID} keeping nothing but a
-- count, then prints one line:
--   vmhwm_kb=N records=N pages=N seconds=S lua_kb=N
-- VmHWM is the process's peak resident set (kB, from /proc/self/status);
-- lua_kb is the live Lua heap after a full collection at the last record
-- (iterator and room_id set alive; -1 when the count is not known ahead).
-- Needs KEYAPI_BASE_URL / KEYAPI_API_KEY (tools/with-sandbox sets them) and
-- LUA_PATH / LUA_CPATH pointing at lua/ and build/<V>/ (the Makefile sets them).
local shoplive = require("shoplive")
local core = require("shoplive.core")

local seller = assert(arg[1], "usage: stream_rss.lua SELLER_ID [dedup|nodedup]")
local mode = arg[2] or "dedup"
assert(mode == "dedup" or mode == "nodedup", "mode must be dedup or nodedup")

local function status_kb(field)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. field .. ":%s*(%d+)%s*kB")
    if v then return math.tointeger(tonumber(v)) end
  end
  return -1
end

local client = shoplive.new{}
local t0 = core.now()
-- A shop of <= 6 digits has exactly that many records (sandbox data).
local expected = #seller <= 6 and math.tointeger(tonumber(seller)) or -1
local n, lua_kb = 0, -1
for _ in client:each_livestream{ seller_id = seller, dedup = mode == "dedup" } do
  n = n + 1
  if n == expected then
    -- At the last record the iterator and its room_id set are alive: the
    -- heap after a full collection includes the whole set.
    collectgarbage("collect")
    lua_kb = math.floor(collectgarbage("count"))
  end
end
local dt = core.now() - t0
local st = client:stats()
client:close()
print(string.format("vmhwm_kb=%d records=%d pages=%d seconds=%.3f lua_kb=%d",
  status_kb("VmHWM"), n, st.requests, dt, lua_kb))
