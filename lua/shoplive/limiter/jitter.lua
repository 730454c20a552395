--- A taker's view of its own jitter, for the shared limiters' log: the
-- times its recent transfers took (ago, as sent(n, ago) reports them) and
-- what each new send's log entry adds for the part of its time beyond the
-- least of them (adapt.excess). A steady server's work and a network's fixed
-- delay are in every transfer and cancel out; a send that a loaded machine
-- (the server's, the client's) delayed took longer than the others, and the
-- window behind it widens by that much.
local adapt = require("shoplive.limiter.adapt")

local M = {}
local J = {}
J.__index = J

-- Recent transfers kept: the least of them follows a server that became
-- slower within SAMPLES sends (until then the margin is wider, the safe
-- side) and one that became faster at once.
M.SAMPLES = 16

function M.new()
  return setmetatable({ ring = {}, i = 0 }, J)
end

--- The least transfer time among the recent ones (nil: none yet).
function J:base()
  local b
  for _, v in ipairs(self.ring) do
    if not b or v < b then b = v end
  end
  return b
end

--- Seconds the entry of a send that left `ago` seconds ago moves later
-- (adapt.excess against the transfers before it); then counts this one. A
-- report of 0 (a send that opened a connection first, or one never sent)
-- says "now", not how long a transfer took: it is not counted.
function J:excess(ago)
  local e = adapt.excess(ago, self:base())
  if ago > 0 then
    self.i = self.i % M.SAMPLES + 1
    self.ring[self.i] = ago
  end
  return e
end

return M
