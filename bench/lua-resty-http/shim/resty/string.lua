-- The one function of lua-resty-string that lua-resty-http's http_connect.lua
-- loads (it hex-prints an mTLS client certificate's digest for the pool
-- name). lua-resty-string is not a Debian package of bookworm; the bench
-- never uses mTLS, so this stand-in only has to load and be correct.
local M = {}

function M.to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

return M
