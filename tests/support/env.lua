--- Shared setup for specs: the module under test, the run's sandbox server,
-- a client factory pointed at it with fast retry timings, and what differs
-- between the Lua versions the suite runs on (5.1-5.4, LuaJIT).
local sandbox = require("support.sandbox")

local M = {}
M.shoplive = require("shoplive")
M.KEY = "sk_test_0123456789abcdef"

--- The interpreter and the build under test (tests/run exports both), for
-- specs that start a Lua subprocess (the CLI, the examples).
-- Without tests/run (`luarocks test`, plain busted): the interpreter running
-- this spec and its build directory.
-- luacheck: globals jit
local version = jit and "luajit" or _VERSION:match("%d+%.%d+")
M.LUA = os.getenv("SHOPLIVE_TEST_LUA") or (jit and "luajit" or "lua" .. version)
M.BUILD = os.getenv("SHOPLIVE_TEST_BUILD") or "build/" .. version

--- True on Lua 5.3+ (an integer subtype: the decoder's integers are exact
-- over int64). False on 5.1, 5.2 and LuaJIT, where integers are exact up to
-- 2^53 and larger integer literals come back as strings of their digits.
M.INT64 = math.type ~= nil

--- math.type(v) or type(v), on every version: without an integer subtype an
-- integral number within +-2^53 (what the decoder gives for an integer there)
-- counts as "integer", any other number as "float".
function M.itype(v)
  if math.type then return math.type(v) or type(v) end
  if type(v) ~= "number" then return type(v) end
  if v == math.floor(v) and v >= -2 ^ 53 and v <= 2 ^ 53 then return "integer" end
  return "float"
end

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.sh_quote = sh_quote

--- Run a shell command; returns its exit status (a number: 128+N for a
-- signal) and its standard output. io.popen():close() gives no status on
-- Lua 5.1/LuaJIT, so the shell appends it to the output.
function M.sh(cmd)
  local p = assert(io.popen("{ " .. cmd .. "\n}; echo \"__status=$?\"", "r"))
  local out = p:read("*a")
  p:close()
  local body, status = out:match("^(.*)__status=(%d+)\n$")
  assert(status, "no exit status in the output of: " .. cmd)
  return tonumber(status), body
end

--- os.execute(cmd) succeeded (exit status 0), on every version.
function M.sh_ok(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

--- Environment assignments (for `env`) that make a Lua subprocess of the
-- interpreter under test load this tree's modules and core.
function M.lua_env(root)
  root = root or sandbox.root
  return "LUA_PATH=" .. sh_quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;")
    .. " LUA_CPATH=" .. sh_quote(root .. "/" .. M.BUILD .. "/?.so;;")
    .. " SHOPLIVE_BUILD=" .. sh_quote(root .. "/" .. M.BUILD)
end

function M.sandbox()
  if not M.sb then M.sb = sandbox.shared() end
  return M.sb
end

--- A client for the shared sandbox; opts override the fast test defaults.
-- timeout 30 s (the library's default): the suite runs beside another copy
-- of itself on 2 cores, where an 8 MB answer under valgrind passed 5 s and
-- the retry got an ordinary page. Specs about timeouts set their own.
function M.client(opts)
  local o = { api_key = M.KEY, base_url = M.sandbox().url, backoff_base = 0.01, backoff_max = 0.05, timeout = 30 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return M.shoplive.new(o)
end

--- The shared sandbox, reset (no faults, default settings, counts at 0).
function M.reset()
  local sb = M.sandbox()
  sb:reset()
  return sb
end

--- For a before_each: the reset sandbox and a new client (opts as for
-- M.client); the spec closes the client in its after_each.
function M.fresh_client(opts)
  local sb = M.reset()
  return sb, M.client(opts)
end

--- One livestreams request (q defaults to shop 237) by a client of its own:
-- page, err, and that client's stats.
function M.fetch(opts, q)
  local c = M.client(opts)
  local page, err = c:livestreams(q or { seller_id = "237" })
  local st = c:stats()
  c:close()
  return page, err, st
end

--- Requests the sandbox received since its last reset.
function M.requests()
  return M.sandbox():stats().requests
end

--- Credits spent since the sandbox's last reset: its 200 answers.
function M.credits()
  return (M.sandbox():stats().by_status or {})["200"] or 0
end

--- Waits until pred() is true (true) or about a minute has gone (false):
-- a safety net for waiting on a subprocess; the assertions count things.
function M.wait_for(pred)
  local core = require("shoplive.core")
  for _ = 1, 1200 do
    if pred() then return true end
    core.sleep(0.05)
  end
  return false
end

--- Monotonic seconds.
M.now = require("shoplive.core").now

--- An injected clock for the client (which reads core.now and core.sleep at
-- each call): time starts at 0 and moves only when the client sleeps, by
-- exactly what it asked for, without sleeping for real. Waits inside
-- libcurl (a transfer in flight) take no virtual time. Returns the clock
-- ({ slept = total seconds, sleeps = { each }, now = fn }) and a function
-- that restores the real clock; call it in a finally.
function M.fake_clock()
  local core = require("shoplive.core")
  local real_now, real_sleep = core.now, core.sleep
  local clock = { t = 0, slept = 0, sleeps = {} }
  function clock.now() return clock.t end
  core.now = clock.now
  core.sleep = function(s)
    clock.sleeps[#clock.sleeps + 1] = s
    clock.slept = clock.slept + s
    clock.t = clock.t + s
  end
  return clock, function()
    core.now, core.sleep = real_now, real_sleep
  end
end

return M
