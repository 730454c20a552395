-- examples/host/fetch.lua: loaded by host.c, returns the per-frame tick.
-- One page in flight at a time via start()/poll(0): each tick does only
-- non-blocking work, so the host's frame budget is never spent waiting.
local shoplive = require("shoplive")

local seller_id = ...
local client = shoplive.new{}
local page_no, req, records = 1, nil, 0

return function()
  if not client then return true, records end
  if not req then req = client:start{ seller_id = seller_id, page = page_no } end
  client:poll(0)
  if not req:done() then return false, records end
  local page, err = req:result()
  if not page then error(tostring(err)) end
  records = records + #page.records
  if not page.has_more then
    client:close()
    client = nil
    return true, records
  end
  page_no, req = page_no + 1, nil
  return false, records
end
