--- Whether the running nginx phase lets a cosocket (or ngx.sleep) yield.
-- lua-nginx-module's "yieldable" contexts, and the stream module's
-- preread; elsewhere (init, init_worker, set, filters, log, balancer)
-- cosockets raise, so the cosocket transport hands those requests to libcurl.
local M = {}

local YIELDABLE = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

function M.yieldable()
  local ngx = rawget(_G, "ngx")
  return type(ngx) == "table" and type(ngx.get_phase) == "function" and YIELDABLE[ngx.get_phase()] == true
end

--- True inside nginx with cosockets (the default transport is then "cosocket").
function M.has_cosockets()
  local ngx = rawget(_G, "ngx")
  return type(ngx) == "table" and type(ngx.socket) == "table" and type(ngx.socket.tcp) == "function"
end

return M
