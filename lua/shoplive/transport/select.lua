--- The client's transport for its options: `transport = "curl"` or
-- `"cosocket"`, else cosockets inside OpenResty and libcurl elsewhere; also
-- libcurl when an option only libcurl honours is set (proxy, ca_file,
-- http2 = true) or with wait = false (the caller asked to block).
-- core_opts: what core.client takes. Returns the transport object.
local core = require("shoplive.core")
local phase = require("shoplive.transport.phase")

return function(opts, core_opts)
  local name = opts.transport
  if not name then
    local cosocket = require("shoplive.transport.cosocket")
    name = phase.has_cosockets() and opts.wait ~= false and not cosocket.unsupported(opts) and "cosocket" or "curl"
  end
  if name == "cosocket" then return require("shoplive.transport.cosocket").new(core_opts) end
  return core.client(core_opts)
end
