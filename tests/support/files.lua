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

--- A tmpfs of size (e.g. "1m") mounted on dir (created) for one test, and
-- unmounted by its finally. False, with the test marked pending, where
-- mounting is not allowed (not root). hooks: the spec's busted pending and
-- finally (busted sets them in the spec's environment only).
function M.tmpfs(dir, size, hooks)
  os.execute("mkdir -p " .. dir)
  local r = os.execute("mount -t tmpfs -o size=" .. size .. " tmpfs " .. dir .. " 2>/dev/null")
  if r ~= true and r ~= 0 then
    hooks.pending("cannot mount a tmpfs here (not root)")
    return false
  end
  hooks.finally(function() os.execute("umount " .. dir) end)
  return true
end

return M
