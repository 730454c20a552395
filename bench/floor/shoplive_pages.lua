-- shoplive_pages.lua - shoplive's side of bench/floor_bench.lua.
--
--   lua5.4 bench/floor/shoplive_pages.lua BASE_URL KEY SELLER PAGES MODE [CA_FILE] [http2=true|false]
--     MODE: pages        for page in client:pages{ max_pages = PAGES }
--           livestreams  client:livestreams{ page = i } for i = 1..PAGES
--           conc8        client:pages{ max_pages = PAGES, concurrency = 8 }
--
-- Prints "pages=N records=R cpu=S": S is os.clock() over the loop only
-- (the module is loaded and the client made before it starts).
local shoplive = require("shoplive")

local base, key, seller, n, mode, ca, h2 = arg[1], arg[2], arg[3], tonumber(arg[4]), arg[5], arg[6], arg[7]
local opts = { api_key = key, base_url = base }
if ca and ca ~= "" then opts.ca_file = ca end
if h2 then opts.http2 = h2 == "true" end
local client = shoplive.new(opts)

local pages, records = 0, 0
local t0 = os.clock()
if mode == "livestreams" then
  for i = 1, n do
    local page = assert(client:livestreams{ seller_id = seller, page = i })
    pages, records = pages + 1, records + #page.records
  end
else
  local q = { seller_id = seller, max_pages = n, dedup = false, concurrency = mode == "conc8" and 8 or nil }
  for page in client:pages(q) do
    pages, records = pages + 1, records + #page.records
  end
end
local cpu = os.clock() - t0
client:close()
print(string.format("pages=%d records=%d cpu=%.6f", pages, records, cpu))
