--- The one way the library raises an argument error: at the frame of the
-- code that called into the library, on every Lua version.
--
-- Counting levels (error(msg, 3)) breaks whenever a helper is added in
-- between, and on Lua 5.1/LuaJIT a tail call replaces the caller's frame by
-- a "(tail call)" marker that has no file:line. Instead the stack is walked
-- from the raise upwards, past every frame of the library's own files (and
-- past C functions such as pcall or table.sort that the library itself
-- called), to the first frame that is not the library's. Only an error pays
-- for the walk.
local M = {}

local getinfo = debug.getinfo

-- "@/path/lua/shoplive/" from this file's own chunk name: every module of
-- the library lives there. An installed rock puts shoplive/init.lua at
-- ".../shoplive.lua", next to that directory.
local SELF = getinfo(1, "S").source
local DIR = SELF:match("^(@.*[/\\])argcheck%.lua$")
local INIT = DIR and (DIR:sub(1, -2) .. ".lua")

local function is_library(info)
  local src = info.source
  return DIR ~= nil and (src:sub(1, #DIR) == DIR or src == INIT)
end

-- The first frame outside the library, as a level for error() called in
-- raise (1 = raise itself); 0 (no position) when the stack has none.
local function outside_level()
  local level = 3 -- 1 = outside_level, 2 = raise, 3 = raise's caller
  while true do
    local info = getinfo(level, "S")
    if not info then return 0 end
    if info.what == "tail" then
      level = level + 1 -- 5.1/LuaJIT: a frame replaced by a tail call
    elseif info.what == "C" then
      -- a C function the library called (pcall, table.sort) is inside;
      -- one the user called the library through (pcall(shoplive.new, o))
      -- is the caller, and an error there has no position, as from any C
      local k = level + 1
      local up = getinfo(k, "S")
      while up and up.what == "tail" do
        k = k + 1
        up = getinfo(k, "S")
      end
      if up and up.what ~= "C" and is_library(up) then level = level + 1 else return level - 1 end
    elseif is_library(info) then
      level = level + 1
    else
      return level - 1
    end
  end
end

--- Raise msg (a string) at the first frame outside the library.
function M.raise(msg)
  error(msg, outside_level())
end

local function finish(ok, ...)
  if ok then return ... end
  local e = ...
  -- an argument error counted from a fixed level lands in a library frame
  -- (or, under pcall, nowhere): it begins "shoplive.x: " with no position.
  -- Raised again here, it names the caller on every version.
  if type(e) == "string" and e:find("^shoplive[%w_.:]*: ") then M.raise(e) end
  error(e, 0) -- positioned already, an err table, or a bug: as it was
end

--- Call fn(...) of a module that still raises its argument errors with
-- error(msg, N) (levels counted from an entry point of its own), from an
-- entry point of the library: the results of fn, or its argument error
-- raised at the library's caller. Used by init.lua for shoplive.report,
-- whose `return require(...).report(...)` was a tail call that on Lua
-- 5.1/LuaJIT left such errors without a file:line.
function M.call(fn, ...)
  return finish(pcall(fn, ...))
end

return M
