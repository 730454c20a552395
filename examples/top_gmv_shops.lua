-- Top livestreams by GMV across several shops, as CSV on standard output.
--   lua5.4 examples/top_gmv_shops.lua [N] SELLER_ID...
-- Fetches every shop's streams sorted by GMV (only the pages needed for the
-- top N of each shop: N records per shop at most), then ranks them together.
local shoplive = require("shoplive")

local n = tonumber(arg[1]) or 10
local shops = { (table.unpack or unpack)(arg, 2) } -- luacheck: ignore 113 (unpack: Lua 5.1)
if #shops == 0 then shops = { "237", "7494818275540568755", "25" } end

local client = shoplive.new{}
local all = {}
for _, seller_id in ipairs(shops) do
  local recs, err = client:all_livestreams{ seller_id = seller_id, sort_by = "gmv", order = "desc", limit = n }
  if not recs then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  for _, r in ipairs(recs) do all[#all + 1] = r end
end

io.write(shoplive.to_csv(shoplive.top(all, n, { "-gmv", "room_id" }),
  { "seller_id", "room_id", "gmv", "views", "sales", "create_time", "title" }))
io.stderr:write(string.format("%d shops, %d credits\n", #shops, client:stats().credits))
client:close()
