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

--- True when path names a directory (fopen opens one; reading it fails).
local function is_dir(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local _, _, errno = f:read(1)
  f:close()
  return errno == 21 -- EISDIR
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

local READONLY = "the database is read-only (the store writes every page it fetches; to read it, use --offline "
  .. "or opts.readonly)"

--- Open path with flags and read it once (a file that is not a database
-- fails here). Returns db or nil, message, code.
-- wait: timeout_ms (the busy timeout) and interrupt (ends a lock wait).
local function open_checked(path, flags, wait)
  local db, msg, code = lib.open(path, flags)
  if not db then return nil, msg, code end
  db:busy_timeout(wait and wait.timeout_ms or M.BUSY_TIMEOUT_MS)
  db:set_interrupt(wait and wait.interrupt)
  local ok
  ok, msg, code = db:exec("SELECT count(*) FROM sqlite_master")
  if not ok then db:close() return nil, msg, code end
  return db
end

--- path as the file part of a SQLite URI.
local function uri_path(path)
  local p = path:gsub("[%%?#]", function(c) return string.format("%%%02X", c:byte()) end)
  return (path:sub(1, 1) == "/" and "file://" or "file:") .. p
end

--- Open the existing database at path for reading only.
local function connect_readonly(path, wait)
  local f = io.open(path, "rb")
  if not f then return nil, "no such database file (sync into it first)", "cantopen" end
  f:close()
  local db, msg, code = open_checked(path, "ro", wait)
  if not db and code == "cantopen" and unwritable(path) then
    -- a WAL database on read-only media: its -shm file cannot be created,
    -- and nothing can change the file, which SQLite then reads as immutable
    -- (the store's last close folded the WAL into it)
    db, msg, code = open_checked(uri_path(path) .. "?immutable=1", "ro", wait)
  end
  return db, msg, code
end

--- Open (creating) the database file at path; with readonly, open the
-- existing file for reading only. Returns db or nil, message, code.
-- wait: timeout_ms (the busy timeout) and interrupt (ends a lock wait).
function M.connect(path, wait, readonly)
  if is_dir(path) then return nil, "is a directory, not a database file", "cantopen" end
  if readonly then return connect_readonly(path, wait) end
  local why = unwritable(path)
  if why then
    -- io.open's reason starts with the path, which the err already names
    if why:sub(1, #path + 2) == path .. ": " then why = why:sub(#path + 3) end
    return nil, READONLY .. ": " .. why, "readonly"
  end
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local ok, msg = mkdirs(dir)
    if not ok then return nil, "cannot create directory " .. dir .. ": " .. msg, "cantopen" end
  end
  local db, msg, code = open_checked(path, "rwc", wait)
  if not db then return nil, msg, code end
  if db:readonly() then
    db:close()
    return nil, READONLY, "readonly"
  end
  local ok
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
