-- cjson_decode.lua - the decoding half of the floor in bench/floor_bench.lua:
-- lua-cjson's decode of the same pages the other ways fetch.
--
--   lua5.4 bench/floor/cjson_decode.lua BASE_URL KEY SELLER PAGES
--
-- Fetches pages 1..PAGES first (luasocket), then decodes each body once, as
-- a client would, and then the first body PAGES times. Prints
-- "decodes=N bytes=B cpu=S cpu_same=S2": S is os.clock() over the distinct
-- bodies (the floor), S2 over the one body repeated, where every string of
-- the page is already interned and the caches are hot (cheaper; shown for
-- comparison only).
local http = require("socket.http")
local ltn12 = require("ltn12")
local cjson = require("cjson")

local base, key, seller, n = arg[1], arg[2], arg[3], tonumber(arg[4])
local bodies, bytes = {}, 0
for page = 1, n do
  local chunks = {}
  local ok, code = http.request{
    url = base .. "/v1/tiktok/shop/livestreams/analytics?seller_id=" .. seller .. "&page_num=" .. page .. "&page_size=10",
    headers = { ["Authorization"] = "Bearer " .. key },
    sink = ltn12.sink.table(chunks),
  }
  assert(ok and code == 200, "cjson_decode: could not fetch page " .. page .. ": " .. tostring(code))
  bodies[page] = table.concat(chunks)
  bytes = bytes + #bodies[page]
end
local decode = cjson.decode
collectgarbage()
local t0 = os.clock()
for i = 1, n do decode(bodies[i]) end
local cpu = os.clock() - t0
collectgarbage()
local one = bodies[1]
t0 = os.clock()
for _ = 1, n do decode(one) end
print(string.format("decodes=%d bytes=%d cpu=%.6f cpu_same=%.6f", n, bytes, cpu, os.clock() - t0))
