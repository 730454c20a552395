--- Shared setup for specs: the module under test, the run's sandbox server,
-- and a client factory pointed at it with fast retry timings.
local sandbox = require("support.sandbox")

local M = {}
M.shoplive = require("shoplive")
M.KEY = "sk_test_0123456789abcdef"

function M.sandbox()
  if not M.sb then M.sb = sandbox.shared() end
  return M.sb
end

--- A client for the shared sandbox; opts override the fast test defaults.
function M.client(opts)
  local o = { api_key = M.KEY, base_url = M.sandbox().url, backoff_base = 0.01, backoff_max = 0.05, timeout = 5 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return M.shoplive.new(o)
end

--- Requests the sandbox received since its last reset.
function M.requests()
  return M.sandbox():stats().requests
end

--- Monotonic seconds.
M.now = require("shoplive.core").now

return M
