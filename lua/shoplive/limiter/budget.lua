--- The credit budget of one call (`sync{ max_credits = N }`): the client
-- checks it before each request the call submits, next to its own
-- max_credits and the shared limiter's. It counts the call's own billed
-- answers, with the requests in flight as possibly billed: the client's
-- total and a shared limiter's key-wide count are other budgets, not this
-- call's spending.
local M = {}
local B = {}
B.__index = B

--- A budget of max credits (an integer >= 0).
function M.new(max)
  return setmetatable({ max = max, spent = 0, inflight = 0 }, B)
end

--- True when one more request could take the call past its budget.
function B:full()
  return self.spent + self.inflight >= self.max
end

--- A request of the call went on the wire.
function B:sent()
  self.inflight = self.inflight + 1
end

--- A request of the call ended on the wire: billed (an HTTP 200) or not.
function B:done(billed)
  self.inflight = self.inflight - 1
  if billed then self.spent = self.spent + 1 end
end

return M
