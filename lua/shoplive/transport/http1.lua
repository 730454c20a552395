--- One HTTP/1.1 GET over an ngx.socket.tcp cosocket, for the cosocket
-- transport: nginx's event loop wakes the coroutine when bytes arrive, no
-- timer does. It fills a transfer table the way src/http.c fills a libcurl
-- transfer (status, retry_after, content_type, data (the body), connects and, on a
-- failure, the libcurl code libcurl gives the same fault), so
-- shoplive.response classifies both transports identically.
-- Private: shoplive.transport.cosocket calls it. Runs only inside nginx.
local now = require("shoplive.transport.clock")

local M = {}

local byte, find, lower, sub, concat = string.byte, string.find, string.lower, string.sub, table.concat
local min, max, ceil = math.min, math.max, math.ceil
-- LuaJIT's preallocating constructor (always there inside nginx): the
-- per-page tables filled key by key are made at their final size, not
-- grown (and rehashed) a slot at a time
local new_tab = (function()
  local ok, f = pcall(require, "table.new")
  return ok and f or function() return {} end
end)()

-- src/http.c's SL_MAX_HEADER_BYTES: the header bytes of one transfer,
-- interim (1xx) answers included
local MAX_HEADER_BYTES = 65536
local READ_SIZE = 65536

-- libcurl's codes (curl.h) for the faults met here
local C = {
  url = 3, resolve = 6, connect = 7, weird = 8, partial = 18, write = 23, timeout = 28,
  handshake = 35, nothing = 52, send = 55, recv = 56, verify = 60, encoding = 61, too_large = 63,
}
M.CODE = C

-- TLS sessions per pool (host:port): a new connection resumes the last one
-- instead of a full handshake. Per worker; sessions hold no secret of ours.
local sessions = {}

local function fail(x, code, msg)
  x.code, x.error = code, msg
  return nil
end

local function parse(url)
  local scheme, authority, path = url:match("^(https?)://([^/?#]+)([^#]*)$")
  if not scheme or find(url, "[%s%c]") then return nil end
  local host, port = authority:match("^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host then return nil end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if path == "" then path = "/" elseif sub(path, 1, 1) == "?" then path = "/" .. path end
  -- the Host header's value, and the connection pool's name
  local hostport = find(host, ":", 1, true) and "[" .. host .. "]" or host
  if port ~= (scheme == "https" and 443 or 80) then hostport = hostport .. ":" .. port end
  return { scheme, host, port, path, hostport, scheme .. ":" .. host .. ":" .. port }
end

-- the parsed part of each URL before its query: a client asks one base URL
-- for page after page (bounded: cleared when it grows past 64 entries)
local parsed, nparsed = {}, 0

--- scheme, host, port, path (before its query), query ("" or from its
-- "?"), Host header, pool name of an http(s) URL, or nil. The two parts of
-- the request target stay apart: the request is sent as pieces (get), not
-- joined into a string per page.
function M.parse_url(url)
  local q = find(url, "?", 1, true)
  local head = q and sub(url, 1, q - 1) or url
  local p = parsed[head]
  if not p then
    p = parse(head)
    if not p then return nil end
    if nparsed >= 64 then parsed, nparsed = {}, 0 end
    parsed[head], nparsed = p, nparsed + 1
  end
  if not q then return p[1], p[2], p[3], p[4], "", p[5], p[6] end
  local query = sub(url, q)
  -- plain searches (LuaJIT compiles them): a line break would end the
  -- request line, a blank split it (the client's URLs are percent-encoded)
  if find(query, "\r", 1, true) or find(query, "\n", 1, true) or find(query, " ", 1, true)
    or find(query, "#", 1, true) then
    return nil
  end
  return p[1], p[2], p[3], p[4], query, p[5], p[6]
end

local function ms(s) return max(1, ceil(s * 1000)) end

-- ---- reading: every read bounded by the total deadline and, when set,
-- libcurl's low-speed rule (less than `lsl` bytes/s for `lst` seconds)

-- A socket timeout (ms) set only when it differs from the one in force:
-- the same page's reads mostly fall within one millisecond.
local function settimeout(r, t)
  if t ~= r.tmo then
    r.tmo = t
    r.sock:settimeout(t)
  end
end

--- The next bytes from the socket, or nil, "timeout" | "slow" | socket error.
-- (No loop: a tail call reads again after a low-speed window ends, so
-- LuaJIT's traces of the usual single read run through it.)
local function recv(r)
  local t = now()
  local left = r.deadline - t
  if left <= 0 then return nil, "timeout" end
  local wait = left
  if r.lsl then
    if t - r.ws >= r.lst then
      if r.got - r.wb < r.lsl * (t - r.ws) then return nil, "slow" end
      r.ws, r.wb = t, r.got
    end
    wait = min(wait, r.ws + r.lst - t)
  end
  settimeout(r, ms(wait))
  local data, err = r.sock:receiveany(READ_SIZE)
  if data then
    r.got = r.got + #data
    return data
  end
  if err ~= "timeout" then return nil, err end
  return recv(r)
end

local span_more

--- Where the next line lies in the buffer: the buffer, the line's first and
-- last byte (without its CR LF; last < first: an empty line), or nil, err.
-- Counts against the header cap when `head` is true.
local function span(r, head)
  local buf, pos = r.buf, r.pos
  local e = find(buf, "\n", pos, true)
  if not e then return span_more(r, head) end
  local stop = e - 1
  if stop >= pos and byte(buf, stop) == 13 then stop = stop - 1 end
  if head then r.head_bytes = r.head_bytes + e - pos + 1 end
  r.pos = e + 1
  return buf, pos, stop
end

-- span() when the buffer holds no line break: read more, then try again
-- (a tail call: no loop in span, whose usual case LuaJIT then compiles)
function span_more(r, head)
  if head and r.head_bytes + #r.buf - r.pos + 1 > MAX_HEADER_BYTES then return nil, "headers" end
  if not head and #r.buf - r.pos > 4096 then return nil, "bad chunk" end
  local data, err = recv(r)
  if not data then return nil, err end
  r.buf = r.pos > #r.buf and data or sub(r.buf, r.pos) .. data
  r.pos = 1
  return span(r, head)
end

--- One line (without its CR LF) from the head or a chunk-size line; counts
-- against the header cap when `head` is true.
local function line(r, head)
  local buf, first, last = span(r, head)
  if not buf then return nil, first end
  return sub(buf, first, last)
end

-- One piece of the body: bytes first..last of the read s, added to r.parts
-- as the triple core.decode_response takes (s, first, last), not copied
-- out: the decoder reads a lone piece where it lies and joins several in a
-- buffer of its own, rather than string.sub and table.concat making (and
-- interning) two more strings of a page on each page.
-- Pieces since the last packing (r.packed entries in) joined into one: a
-- body of many tiny chunks or reads keeps a piece per 64 of them, not three
-- table slots per chunk (each byte is copied once more, as string.sub did).
local PACK = 3 * 64
local function pack(r)
  local parts, from, out = r.parts, r.packed, {}
  for i = from + 1, r.np, 3 do out[#out + 1] = sub(parts[i], parts[i + 1], parts[i + 2]) end
  for i = r.np, from + 1, -1 do parts[i] = nil end
  local s = concat(out)
  parts[from + 1], parts[from + 2], parts[from + 3] = s, 1, #s
  r.np, r.packed = from + 3, from + 3
end

local function piece(r, s, first, last)
  if r.np - r.packed >= PACK then pack(r) end
  local parts, n = r.parts, r.np
  parts[n + 1], parts[n + 2], parts[n + 3] = s, first, last
  r.np = n + 3
end

--- n body bytes appended to r.parts (left-over bytes stay in r.buf).
local function take(r, n)
  local buf, pos = r.buf, r.pos
  if n > 0 and #buf - pos + 1 >= n then -- all buffered: no read, no loop
    piece(r, buf, pos, pos + n - 1)
    r.pos, r.body_len = pos + n, r.body_len + n
    return true
  end
  while n > 0 do
    local avail = #r.buf - r.pos + 1
    if avail <= 0 then
      local data, err = recv(r)
      if not data then return nil, err end
      r.buf, r.pos, avail = data, 1, #data
    end
    local k = min(n, avail)
    piece(r, r.buf, r.pos, r.pos + k - 1)
    r.pos, n = r.pos + k, n - k
    r.body_len = r.body_len + k
  end
  return true
end

-- ---- the exchange ----------------------------------------------------

-- Head lines are parsed with plain searches and byte tests, not patterns:
-- LuaJIT compiles these, a pattern match falls back to the interpreter.

local function is_digit(b) return b and b >= 48 and b <= 57 end

--- The status of "HTTP/1.x NNN ..." or nil.
local function status_of(l)
  if sub(l, 1, 7) ~= "HTTP/1." or byte(l, 9) ~= 32 then return nil end
  local minor, b1, b2, b3 = byte(l, 8), byte(l, 10), byte(l, 11), byte(l, 12)
  if (minor ~= 48 and minor ~= 49) or not (is_digit(b1) and is_digit(b2) and is_digit(b3)) then return nil end
  local after = byte(l, 13)
  if after and after ~= 32 then return nil end
  return (b1 - 48) * 100 + (b2 - 48) * 10 + b3 - 48
end

local function blank(b) return b == 32 or b == 9 end

-- The headers this file reads, by the length of their name: connection,
-- retry-after, content-type, content-length, content-encoding,
-- transfer-encoding. Others are checked, not copied.
local USED = { [10] = true, [11] = true, [12] = true, [14] = true, [16] = true, [17] = true }

--- One header line, parsed where it lies in the buffer (no string of the
-- line: most are headers no code here reads): lowercase name and value
-- (blanks around it removed) of a header in USED, false for another, ""
-- for the blank line that ends the head; nil, "weird" for a malformed line
-- or nil, err.
local function header_line(r, debug)
  local buf, pos, stop = span(r, true)
  if not buf then return nil, pos end
  if stop < pos then return "" end
  if debug then debug("< " .. sub(buf, pos, stop)) end
  local colon = find(buf, ":", pos, true)
  if not colon or colon > stop or colon == pos then return nil, "weird" end
  if not USED[colon - pos] then return false end
  local i, j = colon + 1, stop
  while i <= j and blank(byte(buf, i)) do i = i + 1 end
  while j >= i and blank(byte(buf, j)) do j = j - 1 end
  return lower(sub(buf, pos, colon - 1)), sub(buf, i, j)
end

local function read_head(r, x, debug)
  while true do
    local l, err = line(r, true)
    if not l then return nil, err end
    local status = status_of(l)
    if not status then return nil, "weird" end
    if debug then debug("< " .. l) end
    -- like libcurl: a final status counts from its status line (a 200 is
    -- billed even if its headers then fail), an interim one never
    if status >= 200 then x.status = status end
    local h = new_tab(0, 4)
    while true do
      local name, value = header_line(r, debug)
      if name == "" then break end
      if name == nil then return nil, value end
      if name then h[name] = value end
    end
    -- an interim answer (100 Continue, 102) is followed by the real one;
    -- like libcurl, only a final status is kept
    if status >= 200 then
      x.retry_after, x.content_type = h["retry-after"], h["content-type"]
      if x.retry_after then x.retry_after = sub(x.retry_after, 1, 63) end
      if x.content_type then x.content_type = sub(x.content_type, 1, 95) end
      return h
    end
  end
end

local function read_chunked(r, max_body)
  while true do
    local l, err = line(r)
    if not l then return nil, err end
    local hex = l:match("^%x+")
    local size = hex and tonumber(hex, 16)
    if not size then return nil, "bad chunk" end
    if size == 0 then break end
    if r.body_len + size > max_body then return nil, "too_large" end
    local ok, terr = take(r, size)
    if not ok then return nil, terr end
    l, err = line(r)
    if l ~= "" then return nil, err or "bad chunk" end
  end
  repeat -- trailers, up to the empty line
    local t, err = line(r, true)
    if not t then return nil, err end
  until t == ""
  return true
end

--- Reads the body into r.parts. Returns true, keepalive or nil, err.
local function read_body(r, h, status, max_body)
  if status == 204 or status == 304 then return true, true end
  -- we ask for none (libcurl asks for and decodes gzip/deflate): a server
  -- that compresses anyway gets libcurl's answer to an unknown encoding
  local ce = h["content-encoding"]
  if ce and ce:lower() ~= "identity" then
    r.encoding = ce:sub(1, 40)
    return nil, "encoding"
  end
  local te = h["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    local ok, err = read_chunked(r, max_body)
    if not ok then return nil, err end
    return true, true
  end
  local len = h["content-length"]
  if len then
    for i = 1, #len do
      if not is_digit(byte(len, i)) then return nil, "weird" end
    end
    len = tonumber(len)
    if not len then return nil, "weird" end
    if len > max_body then return nil, "too_large" end
    local ok, err = take(r, len)
    if not ok then return nil, err == "closed" and "partial" or err end
    return true, true
  end
  -- no length: the body ends when the server closes (never pooled)
  while true do
    if r.pos > #r.buf then
      local data, err = recv(r)
      if not data then
        if err == "closed" then return true, false end
        return nil, err
      end
      r.buf, r.pos = data, 1
    end
    take(r, #r.buf - r.pos + 1) -- what is buffered: no read
    if r.body_len > max_body then return nil, "too_large" end
  end
end

-- the message and libcurl code of a read failure
local function read_failed(x, r, err, where, c)
  if err == "timeout" then
    return fail(x, C.timeout, "Operation timed out after " .. ms(now() - x.t0) .. " milliseconds with "
      .. r.body_len .. " bytes received")
  elseif err == "slow" then
    return fail(x, C.timeout, "Operation too slow. Less than " .. c.low_speed_limit
      .. " bytes/sec transferred the last " .. c.low_speed_time .. " seconds")
  elseif err == "too_large" then
    x.too_large = true
    return fail(x, C.too_large, "Maximum file size exceeded")
  elseif err == "headers" then
    x.headers_too_large = true
    return fail(x, C.write, "Failed writing received data to disk/application")
  elseif err == "encoding" then
    return fail(x, C.encoding, "Unrecognized content encoding type: " .. tostring(r.encoding))
  elseif err == "weird" then
    return fail(x, C.weird, "Weird server reply")
  elseif err == "bad chunk" then
    return fail(x, C.recv, "Malformed encoding found in chunked-encoding")
  elseif where == "head" and err == "closed" and r.got == 0 then
    return fail(x, C.nothing, "Empty reply from server")
  elseif where == "body" and (err == "closed" or err == "partial") then
    return fail(x, C.partial, "transfer closed with outstanding read data remaining")
  end
  return fail(x, C.recv, "Recv failure: " .. tostring(err))
end

--- Connects (a pooled connection unless `fresh`) and does the TLS
-- handshake, both within connect_timeout. Returns the socket or nil.
-- connect's options per pool name and size (the same for every page)
local pool_opts = setmetatable({}, { __mode = "v" })

local function connect(c, x, scheme, host, port, fresh, debug, pool)
  local sock = ngx.socket.tcp()
  local limit = min(x.t0 + c.connect_timeout, x.deadline)
  sock:settimeout(ms(limit - now()))
  local opts = pool_opts[pool]
  if not opts or opts.pool_size ~= c.pool_size then
    opts = { pool = pool, pool_size = c.pool_size }
    pool_opts[pool] = opts
  end
  -- nginx resolves a host name only with a `resolver` directive; localhost
  -- is loopback by definition (RFC 6761) and needs none
  local addr = host == "localhost" and "127.0.0.1" or host
  local ok, err
  for _ = 0, c.pool_size do
    ok, err = sock:connect(addr, port, opts)
    if not ok or not fresh or sock:getreusedtimes() == 0 then break end
    sock:close() -- fresh: the pooled connection is suspect, open a new one
  end
  if not ok then
    if err == "timeout" then
      return fail(x, C.timeout, "Connection timed out after " .. ms(now() - x.t0) .. " milliseconds")
    end
    if find(err, "resolve", 1, true) or find(err, "resolver", 1, true) then
      return fail(x, C.resolve, "Could not resolve host: " .. host .. " (" .. err .. ")")
    end
    return fail(x, C.connect, "Failed to connect to " .. host .. " port " .. port .. ": " .. err)
  end
  local reused = sock:getreusedtimes()
  x.connects = reused == 0 and 1 or 0
  if debug then debug("* " .. (reused == 0 and "Connected to " or "Re-using connection to ") .. host .. " port " .. port) end
  if scheme == "https" and reused == 0 then
    sock:settimeout(ms(limit - now()))
    -- verify: nginx checks the chain against lua_ssl_trusted_certificate and the name
    -- Debian's lua-resty-core raises (an assert) instead of returning an
    -- error when a handshake that finished at once then fails verification
    local called, sess, serr = pcall(sock.sslhandshake, sock, sessions[pool], host, true)
    if not called then sess, serr = nil, "20: certificate verification failed (" .. tostring(sess) .. ")" end
    if not sess then
      sock:close()
      if serr == "timeout" then return fail(x, C.timeout, "SSL connection timeout") end
      local verify = find(serr, "^%d+: ") or find(serr, "certificate", 1, true)
      return fail(x, verify and C.verify or C.handshake,
        (verify and "SSL certificate problem: " or "SSL connect error: ") .. serr)
    end
    sessions[pool] = sess
  end
  return sock
end

--- GET url: fills x (status, headers' retry_after/content_type, the body
-- (data, or parts: pieces of the reads, see piece()), len (its bytes),
-- connects, or code/error/too_large/headers_too_large). c: timeout,
-- connect_timeout, low_speed_limit, low_speed_time, max_body, pool_size,
-- keepalive; request(host_header, path, query) -> the request (a string or
-- an array of strings, as sock:send takes); debug(line) or nil. x.t0 and
-- x.deadline are set by the caller.
function M.get(c, x, url, fresh, request, debug)
  local scheme, host, port, path, query, hostport, pool = M.parse_url(url)
  if not scheme then return fail(x, C.url, "URL using bad/illegal format or missing URL") end
  local sock = connect(c, x, scheme, host, port, fresh, debug, pool)
  if not sock then return end
  x.sock = sock
  if debug then debug("> GET " .. path .. query .. " HTTP/1.1") end
  local r = { sock = sock, buf = "", pos = 1, got = 0, head_bytes = 0, body_len = 0, parts = new_tab(6, 0), np = 0, packed = 0,
    deadline = x.deadline, lsl = c.low_speed_limit, lst = c.low_speed_time, ws = 0, wb = 0 }
  settimeout(r, ms(x.deadline - now()))
  local sent, serr = sock:send(request(hostport, path, query))
  if not sent then
    sock:close()
    if serr == "timeout" then return read_failed(x, { body_len = 0 }, "timeout") end
    return fail(x, C.send, "Send failure: " .. tostring(serr))
  end
  x.left = now() -- a shared limiter's window holds on this (Xfer:sent_ago)
  if r.lsl then r.ws = now() end -- the first low-speed window starts once the request is sent
  local h, err = read_head(r, x, debug)
  local ok, keep
  if h then
    ok, keep = read_body(r, h, x.status, c.max_body)
    if not ok then err = keep end
  end
  local parts = r.parts
  if r.np == 0 then
    x.data = ""
  elseif r.np == 3 and parts[2] == 1 and parts[3] == #parts[1] then
    x.data = parts[1] -- one whole read: already the body's string
  else
    x.parts = parts
  end
  x.len = r.body_len
  x.sock = nil
  if not ok then
    sock:close()
    return read_failed(x, r, err, h and "body" or "head", c)
  end
  local conn = (h.connection or ""):lower()
  if keep and r.pos > #r.buf and not find(conn, "close", 1, true) then
    sock:setkeepalive(c.keepalive * 1000, c.pool_size)
  else
    sock:close()
  end
  return true
end

--- The body M.get left in x, as one string (made from the pieces only
-- when asked: the decoder takes them as they are).
function M.body(x)
  local parts = x.parts
  if parts then
    local out = {}
    for i = 1, #parts, 3 do out[#out + 1] = sub(parts[i], parts[i + 1], parts[i + 2]) end
    x.data, x.parts = concat(out), nil
  end
  return x.data
end

return M
