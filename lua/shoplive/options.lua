--- Validation of shoplive.new{} options. Every problem raises at once with a
-- message naming the option and what it accepts; secrets are never echoed.
local argcheck = require("shoplive.argcheck")
local schema = require("shoplive.schema")
local util = require("shoplive.util")

local M = {}

local DEFAULTS = schema.DEFAULTS
local raise = argcheck.raise

-- The API keys of the check in progress: a value that contains one (a key
-- in the wrong variable) is described by its length only.
local known_secrets

local function fail(name, what, v, hidden)
  local got = util.describe(v, known_secrets)
  if hidden and type(v) == "string" then got = "a string of " .. #v .. " bytes (not shown)" end
  known_secrets = nil
  raise("shoplive.new: option '" .. name .. "' " .. what .. ", got " .. got)
end

local function no_controls(s)
  return not s:find("[%z\1-\31\127]")
end

-- Bounds: what libcurl and the OS represent, and what still makes sense.
-- libcurl counts timeouts in milliseconds in a long (0 means "none", and a
-- 32-bit long ends at 2^31 ms, about 24.8 days); waits and the limiter's
-- pauses end in nanosleep, whose time_t must not overflow.
local MIN_SECONDS = 0.001
local MAX_SECONDS = 2147483 -- 2^31 ms, rounded down to whole seconds
local MAX_BACKOFF = 86400   -- a day between two attempts
local MAX_BODY = 2 ^ 30     -- 1 GiB; a page of 10 records is a few KiB
local MAX_INT32 = 2 ^ 31 - 1

local function seconds(min, max)
  return function(name, v)
    if type(v) ~= "number" or not (v >= min and v <= max) then
      fail(name, "must be a number of seconds from " .. min .. " to " .. max, v)
    end
    return v
  end
end

local function int_in(min, max)
  return function(name, v)
    local i = util.tointeger(v)
    if not i or i < min or i > max then
      fail(name, "must be an integer from " .. min .. " to " .. string.format("%.0f", max), v)
    end
    return i
  end
end

local function text(name, v)
  if type(v) ~= "string" or v == "" or not no_controls(v) then
    fail(name, "must be a non-empty string without control characters", v)
  end
  return v
end

--- A function, or a table with __call (or false when allow_false).
local function callable(signature, allow_false)
  return function(name, v)
    local mt = getmetatable(v)
    if type(v) ~= "function" and not (type(mt) == "table" and mt.__call) and not (allow_false and v == false) then
      fail(name, "must be a " .. signature, v)
    end
    return v
  end
end

local CHECKS = {
  api_key = function(name, v)
    -- The key is never echoed: describe its type only.
    if type(v) ~= "string" or v == "" then
      known_secrets = nil
      raise("shoplive.new: option '" .. name .. "' must be a non-empty string, got " .. type(v))
    end
    if not v:find("^[\33-\126]+$") then
      known_secrets = nil
      raise("shoplive.new: option '" .. name .. "' must be printable ASCII without spaces or control characters")
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
  allow_http = function(name, v)
    if type(v) ~= "boolean" then fail(name, "must be a boolean", v) end
    return v
  end,
  timeout = seconds(MIN_SECONDS, MAX_SECONDS),
  connect_timeout = seconds(MIN_SECONDS, MAX_SECONDS),
  -- below a millisecond the wait hook is called in a busy loop
  poll_interval = seconds(MIN_SECONDS, 60),
  max_retries = int_in(0, 1000),
  backoff_base = seconds(0, MAX_BACKOFF),
  backoff_max = seconds(0, MAX_BACKOFF),
  max_body = int_in(1, MAX_BODY),
  qps = function(name, v)
    -- at least one request per 1000 s, so the pause between two fits a sleep
    if type(v) ~= "number" or not (v >= 0.001 and v <= 1e6) then
      fail(name, "must be a number of requests per second from 0.001 to 1000000", v)
    end
    return v
  end,
  user_agent = text,
  proxy = function(name, v)
    -- never echoed: a proxy URL may carry user:password
    if type(v) ~= "string" or not no_controls(v) then fail(name, "must be a string without control characters", v, true) end
    return v
  end,
  ca_file = function(name, v)
    text(name, v)
    local f = io.open(v, "rb")
    if not f then fail(name, "must be a readable PEM file", v) end
    -- a directory opens on Linux; only reading tells
    local _, rerr = f:read(1)
    f:close()
    if rerr then fail(name, "must be a readable PEM file (a regular file, not a directory)", v) end
    return v
  end,
  max_credits = int_in(0, 2 ^ 53),
  low_speed_limit = int_in(1, MAX_INT32),
  -- whole seconds for libcurl: rounded up
  low_speed_time = seconds(MIN_SECONDS, MAX_SECONDS),
  debug = callable("function(line)"),
  http2 = function(name, v)
    if type(v) ~= "boolean" then fail(name, "must be a boolean", v) end
    return v
  end,
  limiter = function(name, v)
    -- shoplive.limiter.new{}, .shared_dict{} or .redis{} (or any table with
    -- their methods)
    if type(v) ~= "table" or type(v.take) ~= "function" or type(v.on_success) ~= "function"
      or type(v.on_rate_limited) ~= "function" then
      fail(name, "must be a limiter from shoplive.limiter.new{}, .shared_dict{} or .redis{}", v)
    end
    return v
  end,
  -- false: block in libcurl even where the default would be ngx.sleep
  wait = callable("function(seconds), or false", true),
  -- true cancels the requests in flight and ends the wait (Ctrl-C)
  interrupt = callable("function() returning true to cancel"),
  -- what varies under the client's scheduler: how it talks HTTP, tells
  -- the time and sleeps (tests, and hosts with their own event loop); nil:
  -- "cosocket" inside OpenResty, "curl" elsewhere (shoplive.transport.select)
  transport = function(name, v)
    if v ~= "curl" and v ~= "cosocket" and not (type(v) == "table" and type(v.new) == "function") then
      fail(name, 'must be "curl", "cosocket" or a transport module (a table with new(core_opts))', v)
    end
    return v
  end,
  clock = callable("function() returning seconds"),
  sleep = callable("function(seconds)"),
  store = function(name, v)
    -- a store exists only once shoplive.store is loaded (store.open made it):
    -- asking the loaded module keeps the exact check without options
    -- depending on the store (an add-on above the client)
    local store_mod = package.loaded["shoplive.store"]
    if type(store_mod) == "table" and store_mod.is_store(v) then return v end
    -- or any page source and sink: the two methods the client calls
    if type(v) == "table" and type(v.cached_page) == "function" and type(v.save_page) == "function" then return v end
    fail(name, "must be a store from shoplive.store.open() (or a table with cached_page and save_page)", v)
  end,
  -- whole seconds (the store keeps epoch seconds); 0 = always fetch
  cache_ttl = int_in(0, 2 ^ 53),
}

--- The host of an http(s) URL's authority ("h", "h:port", "[v6]:port").
local function url_host(url)
  local authority = url:match("^%a[%w+.-]*://([^/?#]*)") or ""
  return (authority:match("^%[(.-)%]") or authority:match("^[^:]*")):lower()
end

--- True for a host that never leaves the machine: localhost, [::1] and
-- 127.0.0.0/8 written as a plain dotted quad (other spellings, such as
-- 127.1 or octal, go through the resolver and are not trusted).
function M.is_loopback(host)
  if host == "localhost" or host == "::1" then return true end
  local parts = { host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if parts[1] ~= "127" then return false end
  for i = 2, 4 do
    if not (parts[i] == "0" or parts[i]:find("^[1-9]%d?%d?$")) or tonumber(parts[i]) > 255 then return false end
  end
  return true
end

--- The key goes in the Authorization header: over http:// anyone on the
-- path (or the proxy) reads it. Only loopback without a proxy is exempt.
local function check_cleartext(out)
  if out.allow_http or not out.base_url:find("^[Hh][Tt][Tt][Pp]://") then return end
  if out.proxy and out.proxy ~= "" then
    known_secrets = nil
    raise("shoplive.new: option 'base_url' is http:// and option 'proxy' is set: the API key would reach the proxy"
      .. " in cleartext; use https:// (the proxy then only tunnels TLS), or set allow_http = true")
  end
  if not M.is_loopback(url_host(out.base_url)) then
    local got = util.describe(out.base_url, known_secrets)
    known_secrets = nil
    raise("shoplive.new: option 'base_url' is http:// to a host that is not loopback: the API key would cross the"
      .. " network in cleartext; use https://, or set allow_http = true, got " .. got)
  end
end

--- Validate opts (may be nil) and return a new table with defaults filled in.
function M.check(opts, getenv)
  getenv = getenv or os.getenv
  if opts ~= nil and type(opts) ~= "table" then
    raise("shoplive.new: expected a table of options, got " .. type(opts))
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not CHECKS[k] then
      raise("shoplive.new: unknown option '" .. tostring(k) .. "' (accepted: " .. util.keys(CHECKS) .. ")")
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
    raise("shoplive.new: no API key: pass api_key or set KEYAPI_API_KEY")
  end
  known_secrets = {}
  for _, k in ipairs{ env_key, out.api_key } do
    if type(k) == "string" and k ~= "" then known_secrets[#known_secrets + 1] = k end
  end
  for k, v in pairs(out) do out[k] = CHECKS[k](k, v) end
  if out.limiter and out.qps then
    known_secrets = nil
    raise("shoplive.new: give either option 'qps' or option 'limiter' (with its own qps), not both")
  end
  check_cleartext(out)
  known_secrets = nil
  local why = out.transport == "cosocket" and require("shoplive.transport.cosocket").unsupported(out)
  if why then raise("shoplive.new: " .. why) end
  if out.low_speed_limit and not out.low_speed_time then out.low_speed_time = out.timeout end
  return out
end

return M
