-- Fault injection for the API endpoint.  A fault is a table of the (string)
-- query args given to /_sandbox/fault.
local data = require "shoplive_sandbox.data"
local api = require "shoplive_sandbox.api"

local M = {}

local fmt = string.format
local rep = string.rep

M.REASONS = {
  [200] = "OK", [201] = "Created", [204] = "No Content",
  [301] = "Moved Permanently", [302] = "Found", [303] = "See Other",
  [307] = "Temporary Redirect", [308] = "Permanent Redirect",
  [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required",
  [403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
  [408] = "Request Timeout", [413] = "Payload Too Large",
  [429] = "Too Many Requests", [500] = "Internal Server Error",
  [501] = "Not Implemented", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

M.TYPES = { status = true, latency = true, truncate = true, close = true, stall = true,
  drip = true, oversize = true, body = true, redirect = true, raw = true, gzip = true,
  clamp = true, long_page = true }

-- type=raw: byte-exact responses written to the raw socket, for the framing
-- errors nginx itself would never produce.
M.RAWS = { bad_chunk = true, missing_last_chunk = true, long_length = true, short_length = true,
  close_after = true, interim_stall = true, huge_header = true,
  continue_flood = true }

M.BODIES = { truncated_json = true, trailing_garbage = true, html = true, empty = true,
  not_object = true, deep_nesting = true, invalid_utf8 = true, code_nonzero = true,
  data_not_array = true, missing_data = true, float_page = true, huge_number = true }

function M.html_page(status)
  local title = fmt("%d %s", status, M.REASONS[status] or "Error")
  return "<html>\r\n<head><title>" .. title .. "</title></head>\r\n<body>\r\n<center><h1>"
    .. title .. "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
end

local function num(v, default)
  local n = tonumber(v)
  if n == nil then return default end
  return n
end

local function sleep(s)
  if s and s > 0 then ngx.sleep(s) end
end

local function send_headers(status, ctype, length)
  ngx.status = status
  ngx.header["Content-Type"] = ctype or "application/json"
  if length then ngx.header["Content-Length"] = length end
  ngx.send_headers()
end

-- Hostile texts for the secrecy and protocol tests: echo_key answers with
-- the request's own API key in message and requestId (at byte at+1 of the
-- message, code 1001 unless code= is given, HTTP status= or 200);
-- code_string sends the code as the string "0".
M.BODIES.echo_key = true
M.BODIES.code_string = true

local function echo_key(f)
  local auth = ngx.req.get_headers(100)["authorization"]
  if type(auth) == "table" then auth = auth[1] end
  local key = type(auth) == "string" and auth:match("^Bearer (.*)$") or ""
  local message = rep("x", math.floor(num(f.at, 0))) .. key .. " is not a valid key"
  return fmt('{"code":%d,"message":%s,"data":null,"requestId":%s}', math.floor(num(f.code, 1001)),
    data.json_string(message), data.json_string("req-" .. key))
end

-- canned 200 bodies for type=body
local function canned(name)
  local rid = "fault-" .. name
  if name == "truncated_json" then
    local body = api.page_for_args()
    return body:sub(1, math.floor(#body / 2))
  elseif name == "trailing_garbage" then
    return api.page_for_args() .. "xyz"
  elseif name == "html" then
    return M.html_page(200):gsub("200 OK", "Welcome"), "text/html"
  elseif name == "empty" then
    return ""
  elseif name == "not_object" then
    return "[1,2]"
  elseif name == "deep_nesting" then
    local body = api.page_for_args()
    return (body:gsub('^{"code":0,', '{"code":0,"deep":' .. rep("[", 100000) .. rep("]", 100000) .. ",", 1))
  elseif name == "invalid_utf8" then
    local _, p = api.page_for_args()
    local r = data.record(p.seller_id, 1)
    r.title = "bad \255\254 utf8"
    return data.encode_page({ data.encode_record(r) }, rid)
  elseif name == "code_nonzero" then
    return '{"code":1001,"message":"seller not found","data":null,"requestId":"req-nonzero"}'
  elseif name == "data_not_array" then
    return '{"code":0,"message":"success","data":{"a":1},"requestId":"x"}'
  elseif name == "missing_data" then
    return '{"code":0,"message":"success","requestId":"x"}'
  elseif name == "huge_number" then
    -- a full page (as requested) whose first record has numbers beyond a double
    local _, p = api.page_for_args()
    local texts = {}
    for i = 1, math.min(p.page_size, data.count(p.seller_id)) do
      texts[i] = data.encode_record(data.record(p.seller_id, i))
    end
    texts[1] = texts[1]:gsub('"total_views_cnt":%d+', '"total_views_cnt":1e400', 1)
      :gsub('"duration":%d+', '"duration":-1E999', 1)
    return data.encode_page(texts, rid)
  elseif name == "float_page" then
    local _, p = api.page_for_args()
    local r = data.encode_record(data.record(p.seller_id, 1))
    r = r:gsub('"total_sale_cnt":%d+', '"total_sale_cnt":12.5', 1)
    r = r:gsub('"create_time":%d+', '"create_time":1693876970.0', 1)
    return data.encode_page({ r }, rid)
  end
  return nil
end
M.canned = canned

-- One handler per fault type: f, the fault's parameters (strings).
local HANDLERS = {}

function HANDLERS.status(f)
  local status = math.floor(num(f.status, 500))
  local kind = f.body or "json"
  local headers = {}
  if f.retry_after then headers["Retry-After"] = f.retry_after end
  if kind == "html" then
    return api.send(status, M.html_page(status), "text/html", headers)
  elseif kind == "empty" then
    return api.send(status, "", "application/json", headers)
  else
    local msg = f.message or api.MESSAGES[status] or M.REASONS[status] or ("HTTP " .. status)
    return api.send(status, api.error_body(status, msg), "application/json", headers)
  end
end

function HANDLERS.close()
  return ngx.exit(444)
end

function HANDLERS.truncate()
  local body = api.page_for_args()
  send_headers(200, "application/json", #body)
  ngx.print(body:sub(1, math.floor(#body / 2)))
  ngx.flush(true)
  return ngx.exit(444)
end

function HANDLERS.stall(f)
  local body = api.page_for_args()
  send_headers(200, "application/json", f.length == "1" and #body or nil)
  ngx.flush(true)
  sleep(num(f.seconds, 30))
  ngx.print(body)
  return ngx.exit(ngx.OK)
end

function HANDLERS.drip(f)
  local body
  if f.body == "empty" then
    body = '{"code":0,"message":"success","data":[],"requestId":"drip"}'
  else
    body = api.page_for_args()
  end
  local interval = num(f.interval, 1)
  send_headers(200, "application/json", #body)
  ngx.flush(true)
  for k = 1, #body do
    ngx.print(body:sub(k, k))
    local ok = ngx.flush(true)
    if not ok then return ngx.exit(499) end
    if k < #body then sleep(interval) end
  end
  return ngx.exit(ngx.OK)
end

function HANDLERS.oversize(f)
  local total = math.floor(num(f.bytes, 2 * 1024 * 1024))
  local base = api.page_for_args()
  local head, tail = base:match('^(.*%])(,"requestId":.*)$')
  local pad = total - #base - #',"padding":""'
  local with_length = f.length ~= "0"
  if pad <= 0 then
    send_headers(200, "application/json", with_length and #base or nil)
    ngx.print(base)
    return ngx.exit(ngx.OK)
  end
  send_headers(200, "application/json", with_length and total or nil)
  ngx.print(head .. ',"padding":"')
  local chunk = rep("x", 65536)
  local left = pad
  while left > 0 do
    if left >= 65536 then ngx.print(chunk) else ngx.print(chunk:sub(1, left)) end
    left = left - 65536
    local ok = ngx.flush(true)
    if not ok then return ngx.exit(499) end
  end
  ngx.print('"' .. tail)
  return ngx.exit(ngx.OK)
end

function HANDLERS.body(f)
  local body, ctype = canned(f.name or "")
  if f.name == "echo_key" then body = echo_key(f) end
  if f.name == "code_string" then body = '{"code":"0","message":"success","data":[],"requestId":"code-string"}' end
  return api.send(math.floor(num(f.status, 200)), body or "", ctype or "application/json")
end

function HANDLERS.raw(f)
  local body = api.page_for_args()
  local head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
  local out
  if f.name == "bad_chunk" then
    out = head .. "Transfer-Encoding: chunked\r\n\r\n" .. fmt("%x", 20) .. "\r\n" .. body:sub(1, 20)
      .. "\r\nZZZZ\r\n" .. body:sub(21) .. "\r\n0\r\n\r\n"
  elseif f.name == "missing_last_chunk" then
    out = head .. "Transfer-Encoding: chunked\r\n\r\n" .. fmt("%x", #body) .. "\r\n" .. body .. "\r\n"
  elseif f.name == "long_length" then -- announces more bytes than it sends, then closes
    out = head .. "Content-Length: " .. (#body + 500) .. "\r\n\r\n" .. body
  elseif f.name == "close_after" then -- a complete keep-alive answer, then the socket closes
    out = head .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
  elseif f.name == "interim_stall" then -- a 1xx interim answer, then nothing until `seconds`
    local sock = assert(ngx.req.socket(true))
    sock:send(fmt("HTTP/1.1 %d %s\r\n\r\n", math.floor(num(f.status, 102)),
      f.status == "100" and "Continue" or "Processing"))
    sleep(num(f.seconds, 5))
    return ngx.exit(444)
  elseif f.name == "continue_flood" then -- `interims` (default 100000) 100 Continue answers, then the page
    local n = math.floor(num(f.interims, 100000))
    local sock = assert(ngx.req.socket(true))
    local chunk = rep("HTTP/1.1 100 Continue\r\n\r\n", 1000)
    for _ = 1, math.floor(n / 1000) do
      if not sock:send(chunk) then return ngx.exit(444) end
    end
    sock:send(rep("HTTP/1.1 100 Continue\r\n\r\n", n % 1000))
    sock:send(head .. "Content-Length: " .. #body .. "\r\n\r\n" .. body)
    return ngx.exit(444)
  elseif f.name == "huge_header" then -- one header line of `bytes` (default 1 MiB)
    out = head .. "X-Padding: " .. rep("a", math.floor(num(f.bytes, 1048576))) .. "\r\n"
      .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
  else -- short_length: announces fewer bytes than the body has
    out = head .. "Content-Length: " .. math.floor(#body / 2) .. "\r\n\r\n" .. body
  end
  local sock = assert(ngx.req.socket(true))
  sock:send(out)
  return ngx.exit(444)
end

-- The file's bytes (already gzip-compressed, e.g. a decompression bomb
-- made by a test) with Content-Encoding: gzip.
function HANDLERS.gzip(f)
  local fh = io.open(f.path or "", "rb")
  if not fh then return api.send(500, api.error_body(500, "gzip fault: cannot read path")) end
  local gz = fh:read("*a")
  fh:close()
  ngx.status = 200
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Encoding"] = "gzip"
  if f.length ~= "0" then ngx.header["Content-Length"] = #gz end
  ngx.print(gz)
  return ngx.exit(ngx.OK)
end

-- an API that clamps page_num: every page_num gets page `page` (default
-- 1) of the shop, full as requested; rotate=1 turns its records by
-- page_num places, so the pages differ but hold the same records
function HANDLERS.clamp(f)
  local p = api.parse_params(ngx.req.get_uri_args(100))
  if not p then return api.send(400, api.error_body(400, "clamp fault needs valid params")) end
  local asked = p.page_num
  p.page_num = math.floor(num(f.page, 1))
  if f.rotate ~= "1" then return api.send(200, api.page_body(p, 0)) end
  local idx = data.page_indices(p.seller_id, p.page_num, p.page_size)
  local texts = {}
  for k = 1, #idx do
    texts[k] = data.encode_record(data.record(p.seller_id, idx[(k - 1 + asked) % #idx + 1]))
  end
  return api.send(200, data.encode_page(texts, "clamp-" .. asked))
end

-- a page with more records than page_size: `records` (default 20) real
-- records of the shop, or with empty=1 that many `{}` (millions fit in a
-- few MiB)
function HANDLERS.long_page(f)
  local n = math.floor(num(f.records, 20))
  local body
  if f.empty == "1" then
    body = '{"code":0,"message":"success","data":[' .. rep("{},", n - 1) .. '{}],"requestId":"long-page"}'
  else
    local _, p = api.page_for_args()
    local texts = {}
    for i = 1, n do texts[i] = data.encode_record(data.record(p.seller_id, i)) end
    body = data.encode_page(texts, "long-page")
  end
  return api.send(200, body)
end

function HANDLERS.redirect(f)
  local status = math.floor(num(f.status, 302))
  local location = f.location or ngx.var.request_uri
  return api.send(status, M.html_page(status), "text/html", { Location = location })
end

function M.apply(f, latency)
  local t = f.type
  if t == "latency" then
    sleep(num(f.seconds, 1))
    return api.normal(latency)
  end
  sleep(latency)
  local handler = HANDLERS[t]
  if handler then return handler(f) end
  return api.send(500, api.error_body(500, "unknown fault type " .. tostring(t)))
end

return M
