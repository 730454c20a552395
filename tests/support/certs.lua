--- A throwaway CA and a server certificate for 127.0.0.1/localhost, made by
-- openssl in a temp dir (as tests/tls_spec.lua does), for the HTTPS and
-- HTTP/2 specs and bench/floor_bench.lua (Lua 5.1-5.4, LuaJIT).
--
--   local certs = require("support.certs")
--   local c = certs.make()   -- c.dir, c.ca, c.cert, c.key
--   ...; c:remove()
local M = {}

local function sh(cmd)
  local r = os.execute(cmd .. " >/dev/null 2>&1")
  assert(r == true or r == 0, "certs: command failed: " .. cmd)
end

function M.make()
  local dir = os.tmpname()
  os.remove(dir)
  sh("mkdir -p " .. dir)
  local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  sh("cd " .. dir .. " && openssl req -x509 " .. ec .. " -keyout ca.key -out ca.pem -days 2 -subj '/CN=shoplive test CA'")
  sh("cd " .. dir .. " && openssl req " .. ec .. " -keyout server.key -out server.csr -subj '/CN=localhost'"
    .. " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > server.ext"
    .. " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2"
    .. " -extfile server.ext")
  return setmetatable({ dir = dir, ca = dir .. "/ca.pem", cert = dir .. "/server.pem", key = dir .. "/server.key" },
    { __index = { remove = function(self) os.execute("rm -rf '" .. self.dir .. "'") end } })
end

return M
