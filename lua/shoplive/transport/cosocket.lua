--- Prototype transport for inside OpenResty: one HTTP/1.1 GET over an
-- ngx.socket.tcp cosocket, so nginx's event loop itself wakes the waiting
-- coroutine when the answer arrives (libcurl's sockets are not in that loop;
-- the client then learns of an answer only at its next poll timer).
-- Not wired into the client yet: docs/openresty-transport.md gives the
-- interface the client needs. Runs only inside nginx (cosocket contexts).
--
--   local cosocket = require("shoplive.transport.cosocket")
--   local res, kind, msg = cosocket.get(url, { headers = {...}, timeouts = {...} })
--   res = { status =, headers = { lowercase name = value }, body =, reused = }
--   kind: "timeout" | "transport" | "too_large" (API.md's err kinds)
local M = {}

local DEFAULTS = {
  connect = 10, send = 30, read = 30, -- seconds
  max_body = 8388608,
  pool_size = 16, keepalive = 60,     -- pooled connections per pool, idle seconds
}

-- TLS sessions per pool name: a new connection resumes the last session
-- instead of a full handshake.
local sessions = {}

local function parse_url(url)
  local scheme, host, port, path = url:match("^(https?)://([^/:?#]+):?(%d*)([^#]*)$")
  if not scheme then return nil end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if path == "" then path = "/" elseif path:sub(1, 1) == "?" then path = "/" .. path end
  return scheme, host, port, path
end

local function failed(err)
  return nil, err == "timeout" and "timeout" or "transport", err
end

local function read_head(sock)
  local line, err = sock:receive("*l")
  if not line then return nil, err end
  local status = tonumber(line:match("^HTTP/1%.[01] (%d%d%d)"))
  if not status then return nil, "bad status line" end
  local headers = {}
  while true do
    local h, herr = sock:receive("*l")
    if not h then return nil, herr end
    if h == "" then break end
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if not name then return nil, "bad header line" end
    name = name:lower()
    headers[name] = headers[name] and headers[name] .. ", " .. value or value
  end
  -- an interim answer (100 Continue, 102) is followed by the real one
  if status >= 100 and status < 200 then return read_head(sock) end
  return status, headers
end

local function read_chunked(sock, max_body)
  local parts, total = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then break end
    total = total + size
    if total > max_body then return nil, "too_large" end
    local data, derr = sock:receive(size)
    if not data then return nil, derr end
    parts[#parts + 1] = data
    local crlf, cerr = sock:receive(2)
    if crlf ~= "\r\n" then return nil, cerr or "bad chunk end" end
  end
  repeat -- trailers, up to the empty line
    local t, err = sock:receive("*l")
    if not t then return nil, err end
  until t == ""
  return table.concat(parts)
end

-- Returns body, keepalive (whether the connection may go back to the pool).
local function read_body(sock, status, headers, max_body)
  if status == 204 or status == 304 then return "", true end
  local te = headers["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    local body, err = read_chunked(sock, max_body)
    return body, body ~= nil or err
  end
  local len = headers["content-length"]
  if len then
    len = tonumber(len:match("^%d+$"))
    if not len then return nil, "bad Content-Length" end
    if len > max_body then return nil, "too_large" end
    local body, err = sock:receive(len)
    return body, body ~= nil or err
  end
  -- no length: the body ends when the server closes (never pooled)
  local parts, total = {}, 0
  while true do
    local data, err = sock:receiveany(65536)
    if not data then
      if err ~= "closed" then return nil, err end
      return table.concat(parts), false
    end
    total = total + #data
    if total > max_body then return nil, "too_large" end
    parts[#parts + 1] = data
  end
end

local function connect(scheme, host, port, o)
  local sock = ngx.socket.tcp()
  sock:settimeouts(o.connect * 1000, o.send * 1000, o.read * 1000)
  local pool = scheme .. ":" .. host .. ":" .. port
  local ok, err = sock:connect(host, port, { pool = pool, pool_size = o.pool_size })
  if not ok then return nil, err end
  if scheme == "https" and sock:getreusedtimes() == 0 then
    -- verify = true needs lua_ssl_trusted_certificate in nginx.conf
    local sess, serr = sock:sslhandshake(sessions[pool], o.server_name or host, o.verify ~= false)
    if not sess then
      sock:close()
      return nil, "TLS: " .. tostring(serr)
    end
    sessions[pool] = sess
  end
  return sock
end

local function request_text(host, port, path, headers)
  local lines = { "GET " .. path .. " HTTP/1.1", "Host: " .. host .. ((port == 80 or port == 443) and "" or ":" .. port) }
  for k, v in pairs(headers or {}) do
    -- a CR or LF would inject a header line; the caller validates, we refuse
    assert(not tostring(v):find("[\r\n]") and not k:find("[\r\n:]"), "header with a line break")
    lines[#lines + 1] = k .. ": " .. v
  end
  lines[#lines + 1] = "\r\n"
  return table.concat(lines, "\r\n")
end

-- One exchange on one connection. retry = true when a pooled connection
-- died before the server said anything (the server closed it while idle).
local function exchange(sock, req, o)
  local reused = sock:getreusedtimes()
  local ok, err = sock:send(req)
  local status, headers
  if ok then status, headers = read_head(sock) end
  if not status then
    sock:close()
    err = err or headers
    return nil, err, reused > 0 and err ~= "timeout"
  end
  local body, keep = read_body(sock, status, headers, o.max_body)
  if body == nil then
    sock:close()
    return nil, keep
  end
  local conn = (headers.connection or ""):lower()
  if keep == true and not conn:find("close", 1, true) then
    sock:setkeepalive(o.keepalive * 1000, o.pool_size)
  else
    sock:close()
  end
  return { status = status, headers = headers, body = body, reused = reused }
end

--- GET url. opts: headers (table name -> value), connect/send/read
-- (seconds), max_body (bytes), pool_size, keepalive (idle seconds),
-- verify (TLS certificate check, default true), server_name (the TLS
-- name to send and verify, default the URL's host).
function M.get(url, opts)
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  local scheme, host, port, path = parse_url(url)
  if not scheme then
    require("shoplive.argcheck").raise("shoplive.transport.cosocket.get: argument 'url' is not an http(s) URL")
  end
  local req = request_text(host, port, path, o.headers)
  for _ = 1, 2 do
    local sock, cerr = connect(scheme, host, port, o)
    if not sock then return failed(cerr) end
    local res, err, retry = exchange(sock, req, o)
    if res then return res end
    if err == "too_large" then return nil, "too_large", "body larger than max_body (" .. o.max_body .. " bytes)" end
    if not retry then return failed(err) end
  end
  return nil, "transport", "pooled connection closed twice"
end

return M
