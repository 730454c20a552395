-- An HTML report of shops' livestreams: charts, per-shop figures, top
-- livestreams, hosts, data quality. One file with nothing outside it: open it
-- in any browser. Run against the sandbox with
--   tools/with-sandbox lua5.4 examples/report.lua 237 999 0
-- or against the real API with KEYAPI_API_KEY set (1 credit per page).
local shoplive = require("shoplive")

local ids = { ... }
if #ids == 0 then ids = { "237", "999", "0" } end
local path = os.getenv("REPORT") or "report.html"

local client = shoplive.new{} -- key and base URL from KEYAPI_API_KEY / KEYAPI_BASE_URL
local records = {}
for _, id in ipairs(ids) do
  local recs, err = client:all_livestreams{ seller_id = id }
  if not recs then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  for _, r in ipairs(recs) do records[#records + 1] = r end
end
local stats = client:stats()
client:close()

local ok, err = shoplive.report_file(path, records, {
  title = "Livestreams of shops " .. table.concat(ids, ", "),
  tz = "+07:00",           -- the shops' local time (UTC if omitted)
  shops = ids,             -- an empty shop still gets its card
  credits = stats.credits, pages = stats.requests,
})
if not ok then
  io.stderr:write("cannot write ", tostring(err), "\n")
  os.exit(1)
end
print(string.format("%s: %d livestreams of %d shops, %d credits", path, #records, #ids, stats.credits))
