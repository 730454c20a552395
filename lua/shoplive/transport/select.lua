--- The client's transport for its options: `transport = "curl"`,
-- `"cosocket"` or a module table with `new(core_opts)`; unset, cosockets
-- inside OpenResty and libcurl elsewhere, and libcurl too when an option
-- only libcurl honours is set (proxy, ca_file, http2 = true) or with
-- wait = false (the caller asked to block).
-- core_opts: what core.client takes. Returns the transport object.
local phase = require("shoplive.transport.phase")

local function default_name(opts)
  if not phase.has_cosockets() or opts.wait == false then return "curl" end
  local cosocket = require("shoplive.transport.cosocket")
  return cosocket.unsupported(opts) and "curl" or "cosocket"
end

return function(opts, core_opts)
  local t = opts.transport or default_name(opts)
  if type(t) == "string" then t = require("shoplive.transport." .. t) end
  return t.new(core_opts)
end
