--- The command line's one reader of option values, shared by every command
-- (livestreams, summary, report, sync, queue): integers, durations in
-- seconds, time zones, queue names and seller ids. A value it refuses is a
-- usage error (exit 2) naming the option, raised before anything is opened
-- or sent, so `--ttl 0x10` and `--page 0x10` fail alike.
local tz = require("shoplive.tz")
local util = require("shoplive.util")

local M = {}

--- The metatable of a usage error ({ msg = ... }); cli.lua turns it into
-- exit 2 with the usage hint.
M.Usage = {}

function M.usage_error(msg)
  error(setmetatable({ msg = msg }, M.Usage), 0)
end

function M.is_usage(e)
  return getmetatable(e) == M.Usage
end

-- Whole numbers compared as decimal text: no float rounding can let a huge
-- value slip under a bound (tonumber("9007199254740993") is ...992 in 5.1).
local function decimal(n)
  return string.format("%.0f", n)
end

local function less(a, b) -- a < b, both digit strings without leading zeros
  if #a ~= #b then return #a < #b end
  return a < b
end

-- The digits of v (leading zeros dropped, "0" for zero), or nil when v is
-- anything but decimal digits with optional blanks around them.
local function digits_of(v)
  if type(v) ~= "string" then return nil end
  local digits = v:match("^%s*0*(%d-)%s*$")
  if not digits then return nil end
  return digits ~= "" and digits or "0"
end

local function whole(v, min, max)
  local digits = digits_of(v)
  if not digits or less(digits, decimal(min)) or less(decimal(max), digits) then return nil end
  local n = tonumber(digits)
  return math.tointeger and math.tointeger(n) or n
end

--- An integer option: decimal digits only (no 0x10, 1e3, 2.0 or -1), from
-- min to max. nil stays nil (the option was not given).
function M.integer(v, name, min, max)
  if v == nil then return nil end
  local n = whole(v, min, max)
  if not n then
    M.usage_error("option '" .. name .. "' must be an integer from " .. decimal(min) .. " to " .. decimal(max)
      .. ", got '" .. util.clean(tostring(v)) .. "'")
  end
  return n
end

--- A duration in whole seconds (--ttl, --lease): the same digits-only rule.
function M.seconds(v, name, min, max)
  if v == nil then return nil end
  local n = whole(v, min, max)
  if not n then
    M.usage_error("option '" .. name .. "' must be a whole number of seconds from " .. decimal(min) .. " to "
      .. decimal(max) .. ", got '" .. util.clean(tostring(v)) .. "'")
  end
  return n
end

--- A time zone (--tz): the library's own parser (shoplive.tz). Returns the
-- value as given, for the library to read again.
function M.tz(v, name)
  local off, msg = tz.parse(v)
  if not off then M.usage_error("option '" .. name .. "' " .. msg) end
  return v
end

--- A queue name (--queue): the store's own rule (store/queue.lua), in the
-- command line's words.
function M.queue_name(v)
  if not pcall(require("shoplive.store.queue").check_name, "--queue", v) then
    M.usage_error("--queue must be a name of 1 to 64 letters, digits, '_', '.', ':' or '-'")
  end
  return v
end

--- Seller ids from the arguments, then from --from (cli/ids.lua); when
-- none_msg is given, no id at all is a usage error saying it.
function M.sellers(list, from, env, none_msg)
  local ids = require("shoplive.cli.ids").read(list, from, env, M.usage_error)
  if none_msg and #ids == 0 then M.usage_error(none_msg) end
  return ids
end

return M
