--- Where the command line's output goes, with every write checked.
-- `-o FILE` writes to a temporary file in FILE's directory and renames it
-- over FILE only when the run is complete, so a run that fails before or
-- during the fetch never truncates or half-writes an existing FILE; what a
-- failed run fetched is renamed to FILE.partial instead. The first failed
-- write raises WRITE_FAILED: the caller stops fetching at once.
local clisys = require("shoplive.clisys")

local M = {}

M.WRITE_FAILED = setmetatable({}, { __tostring = function() return "shoplive: write failed" end })

local Sink = {}
Sink.__index = Sink

-- io's messages look like "path: reason"; keep the reason.
local function reason(err, path)
  err = tostring(err)
  if path and err:sub(1, #path + 2) == path .. ": " then return err:sub(#path + 3) end
  return err
end

--- Output to stdout (path nil) or to path. Returns the sink, or nil, message.
function M.open(path, stdout)
  if not path then return setmetatable({ file = stdout, name = "standard output" }, Sink) end
  local kind = clisys.file_kind(path)
  if kind == "directory" then return nil, "cannot write " .. path .. ": is a directory" end
  if kind == "other" then
    -- a device, FIFO or socket (/dev/stdout, a named pipe): written in
    -- place; a rename would replace the node itself
    local f, err = io.open(path, "wb")
    if not f then return nil, "cannot write " .. path .. ": " .. reason(err, path) end
    return setmetatable({ file = f, name = path, direct = true }, Sink)
  end
  local dir, base = path:match("^(.*/)([^/]*)$")
  if not dir then dir, base = "", path end
  if base == "" or base == "." or base == ".." then return nil, "cannot write " .. path .. ": is a directory" end
  local tmp = string.format("%s.%s.%x%04x.tmp", dir, base, os.time(), math.random(0, 0xffff))
  local f, err = io.open(tmp, "wb")
  if not f then return nil, "cannot write " .. path .. ": " .. reason(err, tmp) end
  return setmetatable({ file = f, name = path, path = path, tmp = tmp }, Sink)
end

function Sink:_fail(err)
  self.failed = "cannot write " .. self.name .. ": " .. reason(err, self.tmp)
  error(M.WRITE_FAILED, 0)
end

--- Write strings; raises WRITE_FAILED on the first error.
function Sink:write(...)
  if self.failed then error(M.WRITE_FAILED, 0) end
  local ok, err = self.file:write(...)
  if ok == nil and err ~= nil then self:_fail(err) end
  self.wrote = true
  return self
end

--- Push buffered bytes out (the caller does it after each page, so a full
-- disk or a closed pipe stops the fetch at the next page).
function Sink:flush()
  if self.failed then error(M.WRITE_FAILED, 0) end
  local ok, err = self.file:flush()
  if ok == nil and err ~= nil then self:_fail(err) end
end

local function close(self)
  local f = self.file
  self.file = nil
  if not self.tmp and not self.direct then return true end
  local ok, err = f:close()
  if not ok then return nil, err end
  return true
end

--- Finish a complete run: flush, close, rename into place. Returns true,
-- or nil, message (the temporary file is removed then).
function Sink:commit()
  if self.failed then return nil, self.failed end
  local ok, err = self.file:flush()
  if ok == nil and err == nil then ok = true end
  if ok then ok, err = close(self) else close(self) end
  if ok and self.tmp then ok, err = os.rename(self.tmp, self.path) end
  if not ok then
    if self.tmp then os.remove(self.tmp) end
    return nil, "cannot write " .. self.name .. ": " .. reason(err, self.tmp)
  end
  return true
end

--- Finish a failed run whose output is complete as far as it goes: a file
-- becomes FILE.partial (FILE itself is left as it was). Returns where the
-- output is ("FILE.partial" or "standard output"), or nil, message.
function Sink:keep_partial()
  if self.failed then self:discard() return nil, self.failed end
  local ok, err = self.file:flush()
  if ok == nil and err == nil then ok = true end
  if ok then ok, err = close(self) else close(self) end
  if not self.tmp then
    if not ok then return nil, "cannot write " .. self.name .. ": " .. reason(err) end
    return self.name
  end
  local dest = self.path .. ".partial"
  if ok then ok, err = os.rename(self.tmp, dest) end
  if not ok then
    os.remove(self.tmp)
    return nil, "cannot write " .. dest .. ": " .. reason(err, self.tmp)
  end
  return dest
end

-- ---- a file whose failed writes are remembered, not raised --------------

local Recorder = {}
Recorder.__index = Recorder

function Recorder:write(...)
  if not self.failed then
    local ok, err = self.file:write(...)
    if ok == nil and err ~= nil then self.failed = tostring(err) end
  end
  return self
end

function Recorder:flush()
  if not self.failed then
    local ok, err = self.file:flush()
    if ok == nil and err ~= nil then self.failed = tostring(err) end
  end
  return self
end

--- Lines to `file` (standard output) from code that writes a few lines
-- and must not stop halfway (sync's closing line, queue status): each
-- write's failure is kept, and check() at the end says whether all went
-- out. Returns the writer; check() returns true, or nil and one line.
function M.recorder(file, name)
  local r = setmetatable({ file = file }, Recorder)
  function r.check()
    r:flush()
    if r.failed then return nil, "cannot write " .. (name or "standard output") .. ": " .. r.failed end
    return true
  end
  return r
end

--- Drop the output of a run that produced nothing worth keeping.
function Sink:discard()
  if self.file then close(self) end
  if self.tmp then os.remove(self.tmp) end
end

return M
