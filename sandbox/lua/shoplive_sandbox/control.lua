-- Control API under /_sandbox/ (no auth).
local cjson = require "cjson.safe"
local state = require "shoplive_sandbox.state"
local faults = require "shoplive_sandbox.faults"

local M = {}

local function reply(status, tbl)
  local body = type(tbl) == "string" and tbl or cjson.encode(tbl)
  ngx.status = status
  ngx.header["Content-Type"] = type(tbl) == "string" and "text/plain" or "application/json"
  ngx.header["Content-Length"] = #body
  ngx.header["Cache-Control"] = "no-store"
  ngx.print(body)
  return ngx.exit(ngx.OK)
end

local function bad(msg)
  return reply(400, { error = msg })
end

local function flat_args()
  local args = ngx.req.get_uri_args(100)
  local out = {}
  for k, v in pairs(args) do
    if type(v) == "table" then v = v[1] end
    if v == true then v = "" end
    out[k] = v
  end
  return out
end

local function nonneg_int(v)
  if not v or not v:match("^%d+$") or #v > 12 then return nil end
  return tonumber(v)
end

local handlers = {}

function handlers.health()
  ngx.header["X-Sandbox-Instance"] = state.token
  return reply(200, "ok")
end

function handlers.reset()
  state.reset()
  return reply(200, { ok = true, settings = state.settings() })
end

function handlers.config()
  local a = flat_args()
  local new = {}
  if a.latency then
    local v = tonumber(a.latency)
    if not v or v < 0 or v ~= v or v > 3600 then return bad("invalid latency") end
    new.latency = v
  end
  if a.qps then
    if a.qps == "none" or a.qps == "" then
      new.qps = 0
    else
      local v = nonneg_int(a.qps)
      if not v then return bad("invalid qps") end
      new.qps = v
    end
  end
  if a.window then
    -- strict: every request counts in the sliding second, refused or not
    if a.window ~= "strict" and a.window ~= "accepted" then return bad("invalid window") end
    new.window = a.window
  end
  if a.shift then
    local v = nonneg_int(a.shift)
    if not v then return bad("invalid shift") end
    new.shift = v
  end
  for k, v in pairs(new) do state.set_setting(k, v) end
  return reply(200, state.settings())
end

function handlers.fault()
  local a = flat_args()
  local t = a.type
  if not t or not faults.TYPES[t] then return bad("unknown fault type: " .. tostring(t)) end
  local count = 1
  if a.count then
    count = nonneg_int(a.count)
    if not count or count < 1 then return bad("invalid count") end
  end
  a.count = nil
  if t == "body" and not faults.BODIES[a.name or ""] then
    return bad("unknown body name: " .. tostring(a.name))
  end
  if t == "raw" and not faults.RAWS[a.name or ""] then
    return bad("unknown raw name: " .. tostring(a.name))
  end
  if t == "gzip" and not a.path then return bad("gzip fault needs path=") end
  if t == "status" then
    local s = tonumber(a.status or "500")
    if not s or s < 100 or s > 999 then return bad("invalid status") end
    if a.body and a.body ~= "json" and a.body ~= "html" and a.body ~= "empty" then
      return bad("body must be json|html|empty")
    end
  end
  for _, k in ipairs({ "seconds", "interval", "bytes", "records", "page", "rotate" }) do
    if a[k] and not tonumber(a[k]) then return bad("invalid " .. k) end
  end
  local id = state.push_fault(a, count)
  return reply(200, { ok = true, id = id, fault = a, count = count, pending = state.faults_pending() })
end

function handlers.stats()
  return reply(200, state.stats())
end

function handlers.per_second()
  return reply(200, state.per_second())
end

function handlers.settings()
  return reply(200, state.settings())
end

function M.handle()
  local name = ngx.var.uri:match("^/_sandbox/([%w_]+)/?$")
  local h = name and handlers[name]
  if not h then return reply(404, { error = "unknown control endpoint " .. ngx.var.uri }) end
  return h()
end

return M
