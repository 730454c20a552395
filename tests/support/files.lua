--- Whole files and temp dirs for specs and their support code (5.1-5.4,
-- LuaJIT; no busted needed, the sandbox helper uses it too).
local M = {}

--- The file's bytes, or nil when it cannot be opened (one value, so that
-- tonumber(read(p)) stays nil while a subprocess has not written p yet).
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

--- A fresh empty directory.
function M.tmpdir()
  local p = io.popen("mktemp -d")
  local d = p:read("*l")
  p:close()
  return assert(d, "mktemp -d failed")
end

return M
