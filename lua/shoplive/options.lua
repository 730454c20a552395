--- Validation of shoplive.new{} options. Every problem raises at once with a
-- message naming the option and what it accepts; secrets are never echoed.
local util = require("shoplive.util")

local M = {}

local DEFAULTS = {
  base_url = "https://api.keyapi.ai",
  timeout = 30,
  connect_timeout = 10,
  max_retries = 3,
  backoff_base = 0.5,
  backoff_max = 30,
  max_body = 8388608,
  poll_interval = 0.005,
}

local function fail(name, what, v)
  -- level 5: fail <- check function <- M.check <- shoplive.new <- caller
  error("shoplive.new: option '" .. name .. "' " .. what .. ", got " .. util.describe(v), 5)
end

local function no_controls(s)
  return not s:find("[%z\1-\31\127]")
end

local function positive(name, v)
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    fail(name, "must be a positive number of seconds", v)
  end
  return v
end

local function non_negative(name, v)
  if type(v) ~= "number" or not (v >= 0) or v == math.huge then
    fail(name, "must be a number of seconds >= 0", v)
  end
  return v
end

local function int_at_least(min)
  return function(name, v)
    local i = util.tointeger(v)
    if not i or i < min then fail(name, "must be an integer >= " .. min, v) end
    return i
  end
end

local function text(name, v)
  if type(v) ~= "string" or v == "" or not no_controls(v) then
    fail(name, "must be a non-empty string without control characters", v)
  end
  return v
end

--- A function, or a table with __call.
local function callable(signature)
  return function(name, v)
    local mt = getmetatable(v)
    if type(v) ~= "function" and not (type(mt) == "table" and mt.__call) then
      fail(name, "must be a " .. signature, v)
    end
    return v
  end
end

local CHECKS = {
  api_key = function(name, v)
    -- The key is never echoed: describe its type only.
    if type(v) ~= "string" or v == "" then
      error("shoplive.new: option '" .. name .. "' must be a non-empty string, got " .. type(v), 4)
    end
    if not v:find("^[\33-\126]+$") then
      error("shoplive.new: option '" .. name .. "' must be printable ASCII without spaces or control characters", 4)
    end
    return v
  end,
  base_url = function(name, v)
    if type(v) ~= "string" or not no_controls(v) or v:find("%s") then
      fail(name, "must be an http:// or https:// URL", v)
    end
    local scheme, host = v:match("^(%a[%w+.-]*)://([^/?#]*)")
    if not scheme or (scheme:lower() ~= "http" and scheme:lower() ~= "https") then
      fail(name, "must be an http:// or https:// URL", v)
    end
    if host == "" or host:find("@") then fail(name, "must name a host (and no user:password@)", v) end
    if v:find("[?#]") then fail(name, "must not contain a query or fragment", v) end
    return (v:gsub("/+$", ""))
  end,
  timeout = positive,
  connect_timeout = positive,
  poll_interval = positive,
  max_retries = int_at_least(0),
  backoff_base = non_negative,
  backoff_max = non_negative,
  max_body = int_at_least(1),
  qps = function(name, v)
    if type(v) ~= "number" or not (v > 0) or v == math.huge then
      fail(name, "must be a positive number of requests per second", v)
    end
    return v
  end,
  user_agent = text,
  proxy = function(name, v)
    if type(v) ~= "string" or not no_controls(v) then fail(name, "must be a string without control characters", v) end
    return v
  end,
  ca_file = function(name, v)
    text(name, v)
    local f = io.open(v, "rb")
    if not f then fail(name, "must be a readable PEM file", v) end
    f:close()
    return v
  end,
  max_credits = int_at_least(0),
  low_speed_limit = int_at_least(1),
  low_speed_time = positive,
  debug = callable("function(line)"),
  http2 = function(name, v)
    if type(v) ~= "boolean" then fail(name, "must be a boolean", v) end
    return v
  end,
  wait = callable("function(seconds)"),
}

--- Validate opts (may be nil) and return a new table with defaults filled in.
function M.check(opts, getenv)
  getenv = getenv or os.getenv
  if opts ~= nil and type(opts) ~= "table" then
    error("shoplive.new: expected a table of options, got " .. type(opts), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not CHECKS[k] then
      error("shoplive.new: unknown option '" .. tostring(k) .. "' (accepted: " .. util.keys(CHECKS) .. ")", 3)
    end
  end
  local out = {}
  for k, d in pairs(DEFAULTS) do out[k] = d end
  local env_url = getenv("KEYAPI_BASE_URL")
  if env_url and env_url ~= "" then out.base_url = env_url end
  local env_key = getenv("KEYAPI_API_KEY")
  if env_key and env_key ~= "" then out.api_key = env_key end
  for k, v in pairs(opts) do out[k] = v end
  if out.api_key == nil then
    error("shoplive.new: no API key: pass api_key or set KEYAPI_API_KEY", 3)
  end
  for k, v in pairs(out) do out[k] = CHECKS[k](k, v) end
  if out.low_speed_limit and not out.low_speed_time then out.low_speed_time = out.timeout end
  return out
end

return M
