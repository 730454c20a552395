-- A first shoplive script: the five best livestreams of a shop by GMV.
-- Run against the sandbox with `make demo`, or against the real API with
-- KEYAPI_API_KEY set (1 credit per page).
local shoplive = require("shoplive")

local seller_id = arg[1] or "7494818275540568755"
local client = shoplive.new{} -- key and base URL from KEYAPI_API_KEY / KEYAPI_BASE_URL

local records, err = client:all_livestreams{ seller_id = seller_id, sort_by = "gmv", order = "desc", max_pages = 3 }
if not records then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

print(string.format("shop %s: %d livestreams fetched, %d credits spent", seller_id, #records,
  client:stats().credits))
for i, r in ipairs(shoplive.top(records, 5, "-gmv")) do
  print(string.format("%d. %s  GMV %d  views %d  %s", i, r.room_id, r.total_sale_gmv_amt, r.total_views_cnt,
    os.date("!%Y-%m-%d", r.create_time)))
end
client:close()
