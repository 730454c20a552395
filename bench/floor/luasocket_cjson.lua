-- luasocket_cjson.lua - the luasocket peer of bench/floor_bench.lua:
-- socket.http (or ssl.https from luasec for an https:// base) with a Bearer
-- header and an ltn12 table sink, cjson.decode. Neither keeps a connection
-- alive, so every page opens one (and over HTTPS does a TLS handshake).
--
--   lua5.4 bench/floor/luasocket_cjson.lua BASE_URL KEY SELLER PAGES [CA_FILE]
--
-- Prints "pages=N records=R cpu=S": S is os.clock() over the loop only.
local ltn12 = require("ltn12")
local cjson = require("cjson")

local base, key, seller, pages, ca = arg[1], arg[2], arg[3], tonumber(arg[4]), arg[5]
local request
if base:find("^https:") then
  local https = require("ssl.https")
  request = function(t)
    t.cafile, t.verify, t.protocol = ca, "peer", "any"
    return https.request(t)
  end
else
  request = require("socket.http").request
end

local records = 0
local t0 = os.clock()
for page = 1, pages do
  local chunks = {}
  local ok, code = request{
    url = string.format("%s/v1/tiktok/shop/livestreams/analytics?seller_id=%s&page_num=%d&page_size=10",
      base, seller, page),
    headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json" },
    sink = ltn12.sink.table(chunks),
  }
  local body = ok and code == 200 and cjson.decode(table.concat(chunks))
  if not body or body.code ~= 0 then
    io.stderr:write("luasocket_cjson: page ", page, ": ", tostring(code), "\n")
    os.exit(1)
  end
  records = records + #body.data
end
print(string.format("pages=%d records=%d cpu=%.6f", pages, records, os.clock() - t0))
