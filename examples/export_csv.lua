-- Stream a shop's whole history to a CSV file, one page in memory at a time.
--   lua5.4 examples/export_csv.lua SELLER_ID FILE
local shoplive = require("shoplive")

local seller_id, path = arg[1] or "237", arg[2] or "livestreams.csv"
local client = shoplive.new{}
local f = assert(io.open(path, "wb"))
local csv = shoplive.csv_writer(f)
local ok, err = pcall(function()
  for rec in client:each_livestream{ seller_id = seller_id } do csv:write(rec) end
end)
csv:close()
f:close()
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
local s = client:stats()
print(string.format("%s: %d rows, %d requests, %d credits, %d bytes received", path, csv.rows, s.requests, s.credits,
  s.bytes))
client:close()
