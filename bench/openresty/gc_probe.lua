-- bench/openresty/gc_probe.lua - runs inside the client nginx of the
-- OpenResty bench (setup.lua's /gc_cycles): how many collector cycles each
-- way's batch completes when the ways take turns as run.lua's cycles do,
-- with the heap as the previous batch left it and after a full collection
-- before each batch. The collector's work is counted by the allocation it
-- follows, not by time: the counts are the same at any machine load.
-- luacheck: std luajit, globals ngx
local M = {}

local finished = 0 -- collector cycles completed (a finalizer that re-arms)
local armed = false
local function arm()
  local p = newproxy(true)
  getmetatable(p).__gc = function()
    finished = finished + 1
    arm()
  end
end

--- GET /gc_cycles?base=&pages=&cycles=&ways=a,b,...: one line per mode and
-- way: the cycles each of its batches completed and, in brackets, the KB
-- its heap grew by.
function M.run()
  if not armed then arm(); armed = true end
  local a = ngx.req.get_uri_args()
  local fetch, base, pages = require("ways").ways, a.base, tonumber(a.pages)
  local order = {}
  for w in a.ways:gmatch("[^,]+") do order[#order + 1] = w end
  for _, mode in ipairs{ "as left", "collected" } do
    local per = {}
    for c = 1, tonumber(a.cycles) do
      for k = 0, #order - 1 do -- rotated as run.lua rotates them
        local w = order[(k + c - 1) % #order + 1]
        if mode == "collected" then collectgarbage() end
        local f0, k0 = finished, collectgarbage("count")
        for _ = 1, pages do fetch[w](base) end
        per[w] = (per[w] or "") .. string.format(" %d (%+.0f)", finished - f0, collectgarbage("count") - k0)
      end
    end
    for _, w in ipairs(order) do ngx.say(string.format("%-9s %-10s%s", mode, w, per[w])) end
  end
end

return M
