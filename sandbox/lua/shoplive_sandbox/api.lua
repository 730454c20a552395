-- GET /v1/tiktok/shop/livestreams/analytics
local data = require "shoplive_sandbox.data"
local state = require "shoplive_sandbox.state"

local M = {}

local fmt = string.format
local jstr = data.json_string

M.MESSAGES = {
  [400] = "Missing required parameter: handle",  -- verbatim from the spec example
  [401] = "apiKey is null",
  [402] = "apiKey quota is not enough",
  [429] = "qps limit exceeded",
  [500] = "Internal server error",
}

function M.error_body(code, message)
  return fmt('{"code":%d,"data":null,"message":%s}', code, jstr(message))
end

function M.send(status, body, ctype, headers)
  ngx.status = status
  ngx.header["Content-Type"] = ctype or "application/json"
  if headers then
    for k, v in pairs(headers) do ngx.header[k] = v end
  end
  ngx.header["Content-Length"] = #body
  if #body > 0 then ngx.print(body) end
  return ngx.exit(ngx.OK)
end

local function first(v)
  if type(v) == "table" then return v[1] end
  return v
end

local function absent(v)
  return v == nil or v == true or v == ""
end

local function int_param(args, name, lo, hi, required)
  local v = first(args[name])
  if absent(v) then
    if required then return nil, "Missing required parameter: " .. name end
    return false
  end
  if not v:match("^%d+$") or #v > 9 then return nil, "Invalid parameter: " .. name end
  local n = tonumber(v)
  if n < lo or n > hi then return nil, "Invalid parameter: " .. name end
  return n
end

--- Validate query args; returns params table or nil, message.
function M.parse_params(args)
  local p = {}
  local sid = first(args.seller_id)
  if absent(sid) then return nil, "Missing required parameter: seller_id" end
  if not sid:match("^%d+$") or #sid > 64 then return nil, "Invalid parameter: seller_id" end
  p.seller_id = sid
  local err
  p.page_num, err = int_param(args, "page_num", 1, 100000, true)
  if not p.page_num then return nil, err end
  p.page_size, err = int_param(args, "page_size", 1, 10, true)
  if not p.page_size then return nil, err end
  p.sort_field, err = int_param(args, "seller_live_sort_field", 1, 3, false)
  if p.sort_field == nil then return nil, err end
  p.sort_type, err = int_param(args, "sort_type", 0, 1, false)
  if p.sort_type == nil then return nil, err end
  if p.sort_field == false then p.sort_field = nil end
  if p.sort_type == false then p.sort_type = nil end
  return p
end

function M.fixture(seller_id)
  local dir = state.fixtures_dir
  if not dir then return nil end
  local f = io.open(dir .. "/" .. seller_id .. ".json", "rb")
  if not f then return nil end
  local body = f:read("*a")
  f:close()
  return body
end

--- Body of the page selected by params p (no side effects except LRU cache).
function M.page_body(p, shift)
  local desc = p.sort_type ~= 0
  return (data.page_body(p.seller_id, p.page_num, p.page_size, p.sort_field, desc,
    shift or 0, state.request_id()))
end

--- A valid page for arbitrary args (used by faults): the requested page when
-- the args are valid, else page 1 (size 10) of shop 237.
function M.page_for_args(args)
  local p = M.parse_params(args or ngx.req.get_uri_args(100))
  if not p then p = { seller_id = "237", page_num = 1, page_size = 10 } end
  return M.page_body(p, 0), p
end

local function sleep(s)
  if s and s > 0 then ngx.sleep(s) end
end

--- Normal processing: auth, qps, latency, params, data.
function M.normal(latency)
  local method = ngx.req.get_method()
  local status, message, headers
  if method ~= "GET" and method ~= "HEAD" then
    status, message = 405, "Method Not Allowed"
    headers = { Allow = "GET, HEAD" }
  else
    local auth = first(ngx.req.get_headers(100)["authorization"])
    local key = type(auth) == "string" and auth:match("^Bearer (.*)$")
    if not key or key == "" then
      status, message = 401, "apiKey is null"
    elseif key == "sk_test_invalid" then
      status, message = 401, "apiKey is invalid"
    elseif key == "sk_test_noquota" then
      status, message = 402, "apiKey quota is not enough"
    elseif not state.qps_allow() then
      status, message = 429, "qps limit exceeded"
      headers = { ["Retry-After"] = "1" }
    end
  end
  sleep(latency)
  if status then
    return M.send(status, M.error_body(status, message), nil, headers)
  end
  local p, err = M.parse_params(ngx.req.get_uri_args(100))
  if not p then
    return M.send(400, M.error_body(400, err))
  end
  local fixture = M.fixture(p.seller_id)
  if fixture then
    return M.send(200, fixture)
  end
  local shift = 0
  if not p.sort_field then shift = state.shift_count(p.seller_id) end
  local body = M.page_body(p, shift)
  if not p.sort_field then
    state.shift_advance(p.seller_id, state.setting("shift"))
  end
  return M.send(200, body)
end

function M.handle()
  state.count_request()
  local latency = state.setting("latency")
  local fault = state.take_fault()
  if fault then
    ngx.ctx.sandbox_fault = fault.type
    return require("shoplive_sandbox.faults").apply(fault, latency)
  end
  return M.normal(latency)
end

return M
