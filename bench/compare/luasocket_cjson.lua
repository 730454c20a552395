-- luasocket_cjson.lua - fetch a whole shop with luasocket + lua-cjson.
--   KEYAPI_BASE_URL=... KEYAPI_API_KEY=... lua5.4 bench/compare/luasocket_cjson.lua [SELLER_ID]
-- socket.http.request with an Authorization header and an ltn12 table sink,
-- cjson.decode, pages 1.. until a page shorter than page_size. On 429 it
-- sleeps Retry-After and asks again. Prints one line:
--   pages records seconds rate_limited failed
local http = require("socket.http")
local socket = require("socket")
local ltn12 = require("ltn12")
local cjson = require("cjson")

local base = assert(os.getenv("KEYAPI_BASE_URL"), "KEYAPI_BASE_URL not set"):gsub("/$", "")
local key = assert(os.getenv("KEYAPI_API_KEY"), "KEYAPI_API_KEY not set")
local seller = arg[1] or "999"
local PAGE_SIZE = 10

local pages, records, rate_limited, failed = 0, 0, 0, 0
local t0 = socket.gettime()
local page = 1
while page <= 100000 do
  local n
  for _ = 1, 20 do
    local chunks = {}
    local url = string.format("%s/v1/tiktok/shop/livestreams/analytics?seller_id=%s&page_num=%d&page_size=%d",
      base, seller, page, PAGE_SIZE)
    local ok, code, headers = http.request{
      url = url,
      headers = { ["Authorization"] = "Bearer " .. key },
      sink = ltn12.sink.table(chunks),
    }
    if not ok then
      socket.sleep(1)
    elseif code == 429 then
      rate_limited = rate_limited + 1
      socket.sleep(tonumber(headers["retry-after"]) or 1)
    else
      if code == 200 then
        local okj, body = pcall(cjson.decode, table.concat(chunks))
        if okj and type(body) == "table" and body.code == 0 and type(body.data) == "table" then
          n = #body.data
        end
      end
      break
    end
  end
  if not n then
    failed = failed + 1
    if failed >= 5 then break end
  else
    pages = pages + 1
    records = records + n
    if n < PAGE_SIZE then break end
  end
  page = page + 1
end
print(string.format("%d %d %.6f %d %d", pages, records, socket.gettime() - t0, rate_limited, failed))
