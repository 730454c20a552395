--- The err object: how a failure of the server, the network, the budget
-- or the store is reported (bad arguments raise a string instead). The
-- kinds, which are retried, and which calls return `nil, err` or raise it
-- are in errors.md. (Internally: the mapping from a finished transfer to a
-- page or an err; the C core reports what happened on the wire, the policy
-- of what it means lives here.)
local MAX_PAGE = require("shoplive.schema").MAX_PAGE
local util = require("shoplive.util")

local M = {}

local Err = {}
Err.__index = Err
M.Err = Err

local RETRYABLE = { rate_limited = true, server = true, timeout = true, transport = true }

local STATUS_KIND = { [400] = "bad_request", [401] = "auth", [402] = "quota", [429] = "rate_limited" }

function Err.__tostring(e)
  local extra = {}
  if e.status then extra[#extra + 1] = "HTTP " .. e.status end
  if e.code ~= nil and e.code ~= e.status then extra[#extra + 1] = "code " .. tostring(e.code) end
  if e.request_id then extra[#extra + 1] = "request_id " .. tostring(e.request_id) end
  if e.attempts then extra[#extra + 1] = e.attempts .. (e.attempts == 1 and " attempt" or " attempts") end
  local s = "shoplive: " .. tostring(e.kind) .. ": " .. tostring(e.message)
  if #extra > 0 then s = s .. " (" .. table.concat(extra, ", ") .. ")" end
  return s
end

-- `"failed: " .. err` and `err .. "\n"` join its one-line text (Lua
-- concatenates only strings and numbers without this).

--- A failure, as a value. `tostring(err)` gives one line without the API
-- key (`shoplive: auth: apiKey is invalid (HTTP 401, 1 attempt)`), and an
-- err concatenates as that line.
-- @table err
-- @tfield string kind `auth` (401), `quota` (402), `rate_limited` (429),
-- `bad_request` (400), `server` (5xx), `http` (any other status),
-- `api` (HTTP 200 whose JSON `code` is not 0), `decode`, `timeout`,
-- `transport`, `too_large`, `budget`, `repeated_page`, `store`, `cancelled`
-- @tfield string message the server's message (one line, at most 300 bytes,
-- the key scrubbed) or a description
-- @tfield boolean retryable true for `rate_limited`, `server`, `timeout`, `transport`
-- @tfield int attempts requests sent for the call (0 for `shoplive.decode`,
-- and for a `budget` err with nothing sent)
-- @tfield ?int status the HTTP status, when a response arrived
-- @tfield ?number code the JSON body's `code`, when it had one
-- @tfield ?string request_id the body's `requestId`, when it had one
-- @tfield ?string retry_after the `Retry-After` header of the last attempt
-- @tfield ?int curl_code libcurl's error code, for `timeout` and `transport`
-- @tfield ?{table,...} records `all_livestreams` only: the records fetched before the failure
-- @tfield ?int page `repeated_page` only: the page number that repeated
-- @tfield ?table report `client:sync` only: the report so far
-- @usage local page, err = client:livestreams{ seller_id = s }
-- if not page then
--   if err.retryable then print("try later: " .. err) else error(tostring(err)) end
-- end
function Err.__concat(a, b)
  return tostring(a) .. tostring(b)
end

--- Make an err from fields (kind and message required).
-- @local
function M.new(f)
  f.retryable = RETRYABLE[f.kind] or false
  return setmetatable(f, Err)
end

--- True when v is a shoplive err (also `shoplive.is_err`): tells an err
-- raised by an iterator from any other error.
-- @param v any value
-- @treturn boolean
-- @usage local ok, e = pcall(function() for r in client:each_livestream(q) do use(r) end end)
-- if not ok and not shoplive.is_err(e) then error(e, 0) end
function M.is_err(v)
  return getmetatable(v) == Err
end

-- Server texts in an err: at most MAX_TEXT bytes are shown; at most
-- MAX_INPUT are looked at (a hostile server may send megabytes).
local MAX_TEXT, MAX_INPUT = 300, 4096
--- A server-supplied text as one printable line of bounded length, with the
-- API key redacted first and cut afterwards, so no cut can split the key
-- and leave a piece of it (redact(s, cut) also removes a key prefix at the
-- end of a text cut from a longer one). Then util.clean in its `spaces`
-- mode: every control becomes one space and nothing is deleted, so no two
-- pieces of a redacted key can join up again. Returns nil for a non-string.
local function clean(s, redact)
  if type(s) ~= "string" then return nil end
  local cut = #s > MAX_INPUT
  if cut then s = s:sub(1, MAX_INPUT) end
  if redact then s = redact(s, cut) end
  s = util.clean(s, true)
  if #s > MAX_TEXT then
    local n = MAX_TEXT
    while n > 0 and s:byte(n + 1) >= 0x80 and s:byte(n + 1) <= 0xBF do n = n - 1 end -- whole characters
    s = s:sub(1, n) .. "..."
  end
  return s
end
M.clean = clean

local function kind_of_status(status)
  if STATUS_KIND[status] then return STATUS_KIND[status] end
  if status >= 500 and status <= 599 then return "server" end
  return "http"
end

local function curl_kind(code)
  if code == 28 then return "timeout" end
  return "transport"
end

--- Turn a decoded response (core resp table) into a page. q holds page and
-- page_size when known; `redact` (optional) scrubs the API key from server
-- texts. Returns page or nil, err.
-- @local
function M.page_from_resp(resp, q, status, redact)
  local code = resp.code
  local rid = (type(code) ~= "number" or code ~= 0) and clean(resp.request_id, redact) or nil
  -- The spec types code as an integer: "0" (a string) or 0.5 is not success,
  -- and not an API error code either.
  if type(code) ~= "number" or code ~= math.floor(code) then
    return nil, M.new{ kind = "decode", status = status, request_id = rid,
      message = code == nil and "response has no numeric 'code' field"
        or ("response 'code' is a " .. (type(code) == "number" and "non-integral number" or type(code))
          .. ", expected an integer") }
  end
  if code ~= 0 then
    return nil, M.new{ kind = "api", status = status, code = code, request_id = rid,
      message = clean(resp.message, redact) or ("API error code " .. tostring(code)) }
  end
  -- kept whole (it is data), but never with the key in it
  rid = type(resp.request_id) == "string" and resp.request_id or nil
  if rid and redact then rid = redact(rid) end
  local records = resp.records
  if resp.data_type == "null" then
    records = {} -- an empty shop; the spec types data as an array, some servers send null
  elseif resp.data_type ~= "array" then
    return nil, M.new{ kind = "decode", status = status, request_id = rid,
      message = "response 'data' is " .. tostring(resp.data_type) .. ", expected an array" }
  end
  -- repaired: { count = n, fields = { { record = i, field = name, reason = why }, ... } }
  -- when the decoder replaced invalid UTF-8 or kept an out-of-range number as a string
  local page = { records = records, request_id = rid, repaired = resp.repaired }
  if q then
    page.page, page.page_size = q.page, q.page_size
    -- the iterators' stop rule: a full page below the last page number
    page.has_more = #records == q.page_size and q.page < MAX_PAGE
  end
  return page
end

--- The page (or API/decode err) of a transfer that ended with HTTP 200 and
-- no libcurl error: the whole of from_transfer's success path, which the
-- client calls directly when x:outcome() says so.
-- @local
function M.from_body(x, q, redact)
  -- A page never has more than page_size records: the decoder refuses the
  -- next one before building it, so the body's size cannot turn into heap.
  local resp, derr, why = x:decode(q and q.page_size)
  if not resp then
    if why == "records" then
      return nil, M.new{ kind = "decode", status = 200,
        message = "page has more records than page_size " .. q.page_size .. " (protocol error): " .. derr }
    end
    return nil, M.new{ kind = "decode", status = 200, message = "invalid JSON response: " .. derr }
  end
  return M.page_from_resp(resp, q, 200, redact)
end

--- Classify a finished transfer x (core transfer) whose x:info() is `info`.
-- `redact` scrubs secrets from texts. Returns page or nil, err (attempts is
-- set by the caller).
-- @local
function M.from_transfer(x, info, q, redact)
  if info.state == "cancelled" then
    return nil, M.new{ kind = "cancelled", message = clean(info.error, redact) or "request cancelled" }
  end
  if info.too_large then
    return nil, M.new{ kind = "too_large", status = info.status,
      message = "response body larger than max_body; transfer abandoned" }
  end
  if info.headers_too_large then
    return nil, M.new{ kind = "too_large", status = info.status,
      message = "response headers too large (over 64 KiB in all, or one line over 100 KiB); transfer abandoned" }
  end
  if info.out_of_memory then
    return nil, M.new{ kind = "transport", status = info.status, message = "out of memory buffering the response" }
  end
  if info.curl_code ~= 0 then
    return nil, M.new{ kind = curl_kind(info.curl_code), status = info.status, curl_code = info.curl_code,
      message = clean(info.error, redact) or ("libcurl error " .. info.curl_code) }
  end
  local status = info.status
  if status == 200 then return M.from_body(x, q, redact) end
  local kind = kind_of_status(status or 0)
  local e = { kind = kind, status = status }
  -- Error bodies are small JSON per the spec; anything else (HTML from a
  -- proxy) still yields an err of the status's kind.
  local resp = info.bytes > 0 and info.bytes <= 65536 and x:decode() or nil
  if resp then
    -- only a number: tostring(err) prints it
    if type(resp.code) == "number" then e.code = resp.code end
    e.message = clean(resp.message, redact)
    e.request_id = clean(resp.request_id, redact)
  end
  if status >= 300 and status < 400 then
    e.message = "HTTP " .. status .. " redirect not followed (redirects are never followed, so the API key stays with base_url)"
  end
  e.message = e.message or ("HTTP " .. status .. " with a non-JSON body")
  if info.retry_after then e.retry_after = clean(info.retry_after, redact) end
  return nil, M.new(e)
end

return M
