-- A 60 frames-per-second loop that fetches a whole shop in the background.
--   lua5.4 examples/game_loop.lua [SELLER_ID] [SECONDS]
-- The fetch runs in a coroutine whose `wait` hook yields back to the frame
-- loop, so shoplive only ever gets short, non-blocking slices of each frame:
-- client:poll(0) drives libcurl and returns at once. Prints the worst time
-- shoplive took inside one frame and how many frames missed their deadline.
local shoplive = require("shoplive")
local core = require("shoplive.core") -- monotonic clock and sleep

local seller_id = arg[1] or "237"
local max_seconds = tonumber(arg[2]) or 30
local FRAME = 1 / 60

local client = shoplive.new{
  wait = function() coroutine.yield() end, -- hand the rest of the frame back
}

local records = 0
local fetch = coroutine.create(function()
  -- The iterator is called directly rather than by a generic for: PUC Lua 5.1
  -- cannot yield across a for loop's iterator call (5.2+ and LuaJIT can).
  local next_record = client:each_livestream{ seller_id = seller_id, concurrency = 4 }
  while next_record() do
    records = records + 1
  end
end)

local frames, late, worst_slice = 0, 0, 0
local start = core.now()
local next_frame = start + FRAME
while core.now() - start < max_seconds do
  -- the game's own work for this frame would go here
  if coroutine.status(fetch) ~= "dead" then
    local t = core.now()
    local ok, err = coroutine.resume(fetch)
    worst_slice = math.max(worst_slice, core.now() - t)
    if not ok then
      io.stderr:write(tostring(err), "\n")
      os.exit(1)
    end
  elseif frames > 0 then
    break
  end
  frames = frames + 1
  local now = core.now()
  if now > next_frame then late = late + 1 end
  core.sleep(math.max(0, next_frame - now))
  next_frame = next_frame + FRAME
end

print(string.format("records %d, frames %d, late frames %d, worst shoplive slice %.2f ms, credits %d",
  records, frames, late, worst_slice * 1000, client:stats().credits))
client:close()
