--- The libcurl transport: one multi handle (the C core's client) per
-- shoplive client. It already has the transport interface the client
-- drives (start, perform returning the transfers that finished, running,
-- redact, debug_take, close, closed; transfers with outcome, info, decode,
-- body, cancel, release), so this module only makes it.
--
--   local tr = require("shoplive.transport.curl").new(core_opts)
--   local x = tr:start(url, fresh)
--   local completed = tr:perform(0.1)   -- the transfers that finished
local core = require("shoplive.core")

local M = {}

--- A transport for core_opts (api_key, user_agent, ca_file, proxy, timeout,
-- connect_timeout, low_speed_limit, low_speed_time, max_body, debug, http2).
-- Not event-driven: the client waits in perform or in its wait hook.
function M.new(core_opts)
  return core.client(core_opts)
end

return M
