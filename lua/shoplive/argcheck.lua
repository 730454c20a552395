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

--- Raise (as M.raise) unless records is an array of record tables; fname
-- names the public function (the exports and the analysis take such lists).
function M.records(records, fname)
  if type(records) ~= "table" then
    M.raise(fname .. ": argument 'records' must be an array of records, got "
      .. require("shoplive.util").describe(records))
  end
  for i = 1, #records do
    if type(records[i]) ~= "table" then
      M.raise(fname .. ": records[" .. i .. "] is a " .. type(records[i]) .. ", expected a record table")
    end
  end
end

-- True when short (an error position's file, a short_src: the path, or
-- "..." and its end when long) is one of the library's files.
local function library_file(short)
  if short:sub(1, 3) ~= "..." then return is_library{ source = "@" .. short } end
  local tail, base = short:sub(4), DIR and DIR:sub(2) or ""
  if INIT and INIT:sub(-#tail) == tail then return true end
  local from = 1
  while true do
    local _, e = tail:find("shoplive[/\\]", from)
    if not e then return false end
    if base:sub(-e) == tail:sub(1, e) then return true end
    from = e + 1
  end
end

local function finish(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == "string" then
    -- an argument error counted from a fixed level lands in a library
    -- frame, or (under this pcall) nowhere: "shoplive.x: ..." with no
    -- position or the library's own. Raised again, it names the caller.
    local file, msg = e:match("^(.-):%d+: (shoplive[%w_.:]*: .*)$")
    if file and library_file(file) then e = msg end
    if e:find("^shoplive[%w_.:]*: ") then M.raise(e) end
  end
  error(e, 0) -- positioned at the caller already, an err table, or a bug
end

--- Call fn(...) of a module that still raises its argument errors with
-- error(msg, N) (levels counted from an entry point of its own), from an
-- entry point of the library: the results of fn, or its argument error
-- raised at the library's caller. Used by init.lua for shoplive.report and
-- report_file (a tail call `return require(...).report(...)` there left
-- report.lua's errors without a file:line on Lua 5.1) and for the limiters'
-- constructors (whose levels missed the caller on 5.4/LuaJIT, or on 5.1).
-- Once those modules raise through M.raise, the wrapper changes nothing.
function M.call(fn, ...)
  return finish(pcall(fn, ...))
end

return M
