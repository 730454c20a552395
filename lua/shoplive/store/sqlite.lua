--- The SQLite dialect of the store (the embedded default): how to connect,
-- the type names the schema uses, and SQL placeholders. WAL mode lets
-- readers run beside one writer; a busy timeout and BEGIN IMMEDIATE make two
-- processes writing one file wait for each other instead of failing.
local M = {
  name = "sqlite",
  ID = "TEXT", BYTES = "TEXT", INT = "INTEGER", KEYED_TABLE = " WITHOUT ROWID",
  SERIAL = "INTEGER PRIMARY KEY",
  -- takes the write lock at once: a deferred transaction that later needs
  -- it can fail with SQLITE_BUSY without waiting (a read-to-write upgrade)
  BEGIN = "BEGIN IMMEDIATE",
  BUSY_TIMEOUT_MS = 30000,
}

local lib = require("shoplive.sqlite3")

--- Create dir and its missing parents. Returns true or nil, message.
local function mkdirs(dir)
  local prefix = dir:sub(1, 1) == "/" and "/" or ""
  local ok, msg = true, nil
  for part in dir:gmatch("[^/]+") do
    prefix = prefix .. part
    ok, msg = lib.mkdir(prefix)
    prefix = prefix .. "/"
  end
  if not ok then return nil, msg end
  return true
end

--- A database file that exists but cannot be written: the reason, or nil.
local function unwritable(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  f:close()
  local w, msg = io.open(path, "r+b")
  if w then w:close() return nil end
  return msg
end

local READONLY = "the database is read-only (the store writes every page it fetches)"

--- Open (creating) the database file at path. Returns db or nil, message, code.
-- wait: timeout_ms (the busy timeout) and interrupt (ends a lock wait).
function M.connect(path, wait)
  local why = unwritable(path)
  if why then return nil, READONLY .. ": " .. why, "readonly" end
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local ok, msg = mkdirs(dir)
    if not ok then return nil, "cannot create directory " .. dir .. ": " .. msg, "cantopen" end
  end
  local db, msg, code = lib.open(path, "rwc")
  if not db then return nil, msg, code end
  db:busy_timeout(wait and wait.timeout_ms or M.BUSY_TIMEOUT_MS)
  db:set_interrupt(wait and wait.interrupt)
  -- the first read of the file: a file that is not a database fails here
  local ok
  ok, msg, code = db:exec("SELECT count(*) FROM sqlite_master")
  if not ok then db:close() return nil, msg, code end
  if db:readonly() then
    db:close()
    return nil, READONLY, "readonly"
  end
  ok, msg, code = db:exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
  if not ok then db:close() return nil, msg, code end
  return db
end

--- The SQL text for this dialect: ? is a parameter, ?i one holding an int64
-- (which SQLite's INTEGER affinity reads exactly from digits too).
function M.sql(s)
  return (s:gsub("%?i", "?"))
end

function M.has_table(db, name)
  local st = assert(db:prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"))
  local rows, msg, code = st:rows(name)
  st:finalize()
  if not rows then return nil, msg, code end
  return #rows > 0
end

--- Nothing to do: BEGIN IMMEDIATE already serializes migrations.
function M.lock_migrations() return true end

--- The codes that mean "out of space".
M.FULL = { full = true }

return M
