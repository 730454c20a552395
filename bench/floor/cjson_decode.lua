-- cjson_decode.lua - the decoding half of the floor in bench/floor_bench.lua:
-- lua-cjson's decode of one page of the same shop, repeated.
--
--   lua5.4 bench/floor/cjson_decode.lua BASE_URL KEY SELLER ITERATIONS
--
-- Prints "decodes=N bytes=B cpu=S": S is os.clock() over the decodes only.
local http = require("socket.http")
local ltn12 = require("ltn12")
local cjson = require("cjson")

local base, key, seller, n = arg[1], arg[2], arg[3], tonumber(arg[4])
local chunks = {}
local ok, code = http.request{
  url = base .. "/v1/tiktok/shop/livestreams/analytics?seller_id=" .. seller .. "&page_num=1&page_size=10",
  headers = { ["Authorization"] = "Bearer " .. key },
  sink = ltn12.sink.table(chunks),
}
assert(ok and code == 200, "cjson_decode: could not fetch a page: " .. tostring(code))
local body = table.concat(chunks)
local decode = cjson.decode
local t0 = os.clock()
for _ = 1, n do decode(body) end
print(string.format("decodes=%d bytes=%d cpu=%.6f", n, #body, os.clock() - t0))
