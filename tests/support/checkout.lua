--- Commands run in the checkout as a user would run them, for the packaging
-- specs (make dist, make install, luarocks).
local env = require("support.env")
local files = require("support.files")
local ROOT = require("support.sandbox").root

local M = { ROOT = ROOT }
local q = env.sh_quote

--- status, output (stdout and stderr) of cmd run in the checkout without
-- the test run's LD_PRELOAD (an ASan run), its BUILD (tests/versions exports
-- the directory of the core under test, where make would put a LUA=<other>
-- build) and its LUA_PATH/LUA_CPATH, so the interpreter's own paths apply.
function M.sh(cmd)
  return env.sh("cd " .. q(ROOT) .. " && unset BUILD LD_PRELOAD LUA_PATH LUA_CPATH LUA_PATH_5_1 LUA_CPATH_5_1"
    .. " LUA_PATH_5_2 LUA_CPATH_5_2 LUA_PATH_5_3 LUA_CPATH_5_3 LUA_PATH_5_4 LUA_CPATH_5_4 && { " .. cmd .. "\n} 2>&1")
end

--- For a describe block: a temp dir made at its setup (the returned
-- table's .dir) and removed at its teardown. hooks: the spec's busted setup
-- and teardown (busted sets them in the spec's environment only).
function M.tmpdir_for_block(hooks)
  local fx = {}
  hooks.setup(function() fx.dir = files.tmpdir() end)
  hooks.teardown(function() os.execute("rm -rf " .. q(fx.dir)) end)
  return fx
end

return M
