--- Run bin/shoplive as a subprocess of the interpreter and build under
-- test, against the run's sandbox (tests/run exports both).
local env = require("support.env")

local M = {}
local sh_quote = env.sh_quote

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

--- The shell command (with its environment) that runs the CLI with args.
function M.command(args, vars)
  local assigns = { "KEYAPI_BASE_URL=" .. sh_quote(env.sandbox().url), "KEYAPI_API_KEY=" .. sh_quote(env.KEY),
    "SHOPLIVE_BUILD=" .. sh_quote(env.BUILD) }
  for k, v in pairs(vars or {}) do assigns[#assigns + 1] = k .. "=" .. sh_quote(v) end
  return "env " .. table.concat(assigns, " ") .. " " .. env.LUA .. " bin/shoplive " .. args
end

--- status, stdout, stderr. opts.stdout: a shell redirection for stdout
-- instead of capturing it ("> /dev/full"); opts.pre: shell text run first.
function M.run(args, vars, opts)
  opts = opts or {}
  local errfile = os.tmpname()
  local cmd = (opts.pre or "") .. M.command(args, vars) .. " 2>" .. errfile .. " " .. (opts.stdout or "")
  local status, out = env.sh(cmd)
  local err = M.read(errfile)
  os.remove(errfile)
  return status, out, err
end

function M.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

--- A fresh empty directory.
function M.tmpdir()
  local p = io.popen("mktemp -d")
  local d = p:read("*l")
  p:close()
  return d
end

function M.ls(dir)
  local p = io.popen("ls -A " .. sh_quote(dir))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  table.sort(t)
  return t
end

return M
