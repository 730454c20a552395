--- The bounds of a limiter's qps (those of shoplive.new's qps): the pause
-- between two requests must fit a sleep. One check for the three limiter
-- constructors; a leaf, so that none of them requires another for it.
local argcheck = require("shoplive.argcheck")

local M = {}

--- Raise (at the library's caller) unless qps is nil or a number from
-- 0.001 to 1000000; where names the function. Returns qps.
function M.check(where, qps)
  if qps ~= nil and (type(qps) ~= "number" or not (qps >= 0.001 and qps <= 1e6)) then
    argcheck.raise(where .. ": option 'qps' must be a number of requests per second from 0.001 to 1000000, got "
      .. (type(qps) == "number" and tostring(qps) or type(qps)))
  end
  return qps
end

return M
