--- Test helper for the transport specs: a sandbox serving TLS with a
-- throwaway CA, and an nginx + lua module (support.nginx_lua) that trusts
-- that CA (lua_ssl_trusted_certificate) and knows the test key
-- (KEYAPI_API_KEY), with the spec's locations and main-context lines.
--   local t = nginx_tls.start{ locations = [[ ... ]], main = "thread_pool ..." }
--   t.sb, t.srv, t.cert ... t.stop()  (from teardown; idempotent)
local env = require("support.env")
local sandbox = require("support.sandbox")
local nginx_lua = require("support.nginx_lua")
local certs = require("support.certs")

local M = {}

function M.start(o)
  local t = {}
  function t.stop()
    if t.srv then t.srv.stop() end
    if t.sb then t.sb:stop() end
    if t.cert then t.cert:remove() end
    t.srv, t.sb, t.cert = nil, nil, nil
  end
  local ok, err = pcall(function()
    t.cert = certs.make()
    t.sb = sandbox.start{ tls_cert = t.cert.cert, tls_key = t.cert.key }
    t.srv = nginx_lua.start{
      main = o.main,
      env = { "KEYAPI_API_KEY" },
      env_assign = "KEYAPI_API_KEY=" .. env.KEY,
      http = "  lua_ssl_trusted_certificate " .. t.cert.ca .. ";\n  lua_ssl_verify_depth 2;",
      locations = o.locations,
    }
  end)
  if not ok then
    t.stop()
    error(err, 0)
  end
  return t
end

return M
