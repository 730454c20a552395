--- The mapping from a finished transfer (or a decoded body) to a page or
-- an err: the C core reports what happened on the wire, the policy of what
-- it means lives here. Private: the client, `shoplive.decode` and the
-- store call it.
local MAX_PAGE = require("shoplive.schema").MAX_PAGE
local errors = require("shoplive.errors")

local M = {}

local STATUS_KIND = { [400] = "bad_request", [401] = "auth", [402] = "quota", [429] = "rate_limited" }

local clean = errors.clean

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
    return nil, errors.new{ kind = "decode", status = status, request_id = rid,
      message = code == nil and "response has no numeric 'code' field"
        or ("response 'code' is a " .. (type(code) == "number" and "non-integral number" or type(code))
          .. ", expected an integer") }
  end
  if code ~= 0 then
    return nil, errors.new{ kind = "api", status = status, code = code, request_id = rid,
      message = clean(resp.message, redact) or ("API error code " .. tostring(code)) }
  end
  -- kept whole (it is data), but never with the key in it
  rid = type(resp.request_id) == "string" and resp.request_id or nil
  if rid and redact then rid = redact(rid) end
  local records = resp.records
  if resp.data_type == "null" then
    records = {} -- an empty shop; the spec types data as an array, some servers send null
  elseif resp.data_type ~= "array" then
    return nil, errors.new{ kind = "decode", status = status, request_id = rid,
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
      return nil, errors.new{ kind = "decode", status = 200,
        message = "page has more records than page_size " .. q.page_size .. " (protocol error): " .. derr }
    end
    return nil, errors.new{ kind = "decode", status = 200, message = "invalid JSON response: " .. derr }
  end
  return M.page_from_resp(resp, q, 200, redact)
end

--- Classify a finished transfer x (core transfer) whose x:info() is `info`.
-- `redact` scrubs secrets from texts. Returns page or nil, err (attempts is
-- set by the caller).
-- @local
function M.from_transfer(x, info, q, redact)
  if info.state == "cancelled" then
    return nil, errors.new{ kind = "cancelled", message = clean(info.error, redact) or "request cancelled" }
  end
  if info.too_large then
    return nil, errors.new{ kind = "too_large", status = info.status,
      message = "response body larger than max_body; transfer abandoned" }
  end
  if info.headers_too_large then
    return nil, errors.new{ kind = "too_large", status = info.status,
      message = "response headers too large (over 64 KiB in all, or one line over 100 KiB); transfer abandoned" }
  end
  if info.out_of_memory then
    return nil, errors.new{ kind = "transport", status = info.status, message = "out of memory buffering the response" }
  end
  if info.curl_code ~= 0 then
    return nil, errors.new{ kind = curl_kind(info.curl_code), status = info.status, curl_code = info.curl_code,
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
  return nil, errors.new(e)
end

return M
