--- Prototype transport for inside OpenResty: the libcurl transfer runs in
-- nginx's thread pool (ngx.run_worker_thread), where blocking is harmless,
-- and nginx resumes the request's coroutine when the thread is done; one
-- HTTP stack (libcurl: TLS, HTTP/2, proxies) for every place shoplive runs.
-- Not wired into the client yet (docs/openresty-transport.md).
--
-- In the worker:
--   local ok, status, body_or_err, connects = ngx.run_worker_thread(
--     "shoplive", "shoplive.transport.worker_thread", "get", url, opts)
-- nginx.conf needs `thread_pool shoplive threads=N;` at the top level.
-- Each thread has a Lua VM of its own that lives on between tasks, so the
-- core client (libcurl's connection pool, TLS sessions) lives there too.
local core = require("shoplive.core")

local M = {}

-- one core client per thread VM and per (api_key, timeout)
local clients = {}

local function client_for(opts)
  local id = opts.api_key .. "\0" .. tostring(opts.timeout)
  local c = clients[id]
  if not c then
    c = core.client{ api_key = opts.api_key, timeout = opts.timeout or 30, user_agent = opts.user_agent,
      ca_file = opts.ca_file, max_body = opts.max_body }
    clients[id] = c
  end
  return c
end

--- Runs in a pool thread: one blocking GET. Returns status (0 when no
-- answer came), the body or libcurl's error text, and how many connections
-- the transfer opened (0: it reused a pooled one). Only strings, numbers and
-- booleans cross back to the worker.
function M.get(url, opts)
  local c = client_for(opts)
  local x = c:start(url)
  while not x:done() do c:perform(1) end
  local info = x:info()
  if info.error then return 0, info.error, info.connects end
  return info.status or 0, x:body(), info.connects
end

return M
