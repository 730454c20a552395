--- The monotonic clock of shoplive.core.now (seconds, CLOCK_MONOTONIC), for
-- the cosocket transport's per-page code. Under LuaJIT it is read through
-- the FFI: a call LuaJIT compiles into the trace, where core.now, a C
-- function, ends the trace at each of the ten or so reads of a page (it
-- is stitched around: a trace exit, the interpreter, a new trace).
-- Elsewhere, or when clock_gettime is already declared with other types,
-- it is core.now itself. Same clock, same values.
local now = require("shoplive.core").now

local ok, ffi = pcall(require, "ffi")
if not ok or ffi.os ~= "Linux" then return now end
local declared = pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } shoplive_timespec;
  int clock_gettime(int clk, shoplive_timespec *ts);
]])
if not declared then return now end
local ts = ffi.new("shoplive_timespec")
local clock_gettime, tonumber = ffi.C.clock_gettime, tonumber
local CLOCK_MONOTONIC = 1 -- <linux/time.h>

return function()
  clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
