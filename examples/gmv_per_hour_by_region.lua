-- GMV per hour live, by region, for one shop's whole history.
--   lua5.4 examples/gmv_per_hour_by_region.lua [SELLER_ID]
local shoplive = require("shoplive")

local seller_id = arg[1] or "7494818275540568755"
local client = shoplive.new{}
local recs, err = client:all_livestreams{ seller_id = seller_id, concurrency = 4 }
if not recs then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local groups, keys = shoplive.group_by(recs, "region")
print(string.format("%-6s %8s %10s %18s %14s", "region", "streams", "hours", "GMV", "GMV/hour"))
for _, region in ipairs(keys) do
  local s = groups[region]
  print(string.format("%-6s %8d %10.1f %18d %14.0f", region, s.count, s.hours_live, s.total_gmv,
    s.gmv_per_hour or 0))
end
-- No "all" row: each region's GMV is in its own currency, and a sum over
-- regions would add dong to dollars. The livestreams and hours do add up.
local all = shoplive.summarize(recs)
print(string.format("%d livestreams, %.1f hours live in %d regions (GMV in each region's currency)", all.count,
  all.hours_live, all.region_count))
client:close()
