--- The PostgreSQL dialect of the store (a team, many machines): how to
-- connect, the type names the schema uses, and SQL placeholders. Free text
-- is BYTEA because PostgreSQL's text type refuses NUL; parameters travel in
-- binary format, so every byte arrives unchanged.
local M = {
  name = "postgresql",
  ID = "TEXT", BYTES = "BYTEA", INT = "BIGINT", KEYED_TABLE = "",
  SERIAL = "BIGSERIAL PRIMARY KEY",
  BEGIN = "BEGIN",
  CONNECT_TIMEOUT = 10,
}

--- The URL with its password replaced by ***, for messages.
function M.redact(url)
  local s = url:gsub("^(%a[%w+.-]*://[^:/@]*:)[^@/]*@", "%1***@")
  s = s:gsub("([?&]password=)[^&]*", "%1***")
  return s
end

--- Connect to url. Returns db or nil, message, code (the message never
-- holds the password). wait: timeout_ms, the bound on every statement (the
-- server's statement_timeout, and the client's wait for any answer), and
-- interrupt, a function that cancels the statement under way when true.
function M.connect(url, wait)
  local ok, lib = pcall(require, "shoplive.libpq")
  if not ok then
    return nil, "PostgreSQL support is not built (shoplive.libpq missing: install libpq-dev and rebuild with make)",
      "unsupported"
  end
  wait = wait or { timeout_ms = 30000 }
  -- the URL's connect_timeout, else ours: libpq leaves it to the caller
  -- when connecting without blocking
  local connect_s = tonumber(url:match("[?&]connect_timeout=(%d+)")) or M.CONNECT_TIMEOUT
  if connect_s <= 0 then connect_s = M.CONNECT_TIMEOUT end
  local db, msg, code = lib.open(url, math.floor(math.min(connect_s, 86400) * 1000), wait.interrupt)
  if not db then
    -- libpq names host and user, never the password; scrub it anyway
    local pw = url:match("^%a[%w+.-]*://[^:/@]*:([^@/]*)@")
    if pw and pw ~= "" then msg = msg:gsub(pw:gsub("%p", "%%%0"), "***") end
    return nil, msg, code
  end
  db:set_timeout(wait.timeout_ms)
  local okq, qmsg, qcode = db:exec("SET client_min_messages = warning; SET statement_timeout = "
    .. math.floor(wait.timeout_ms))
  if not okq then db:close() return nil, qmsg, qcode end
  return db
end

--- The SQL text for this dialect: ? becomes $n, ?i becomes $n::text::bigint
-- (an int64 may arrive as a digit string on Lua 5.1, which has no int64).
function M.sql(s)
  local n = 0
  return (s:gsub("%?(i?)", function(i)
    n = n + 1
    if i == "i" then return "$" .. n .. "::text::bigint" end
    return "$" .. n
  end))
end

function M.has_table(db, name)
  local st, msg, code = db:prepare("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
    .. "AND tablename = $1::text")
  if not st then return nil, msg, code end
  local rows
  rows, msg, code = st:rows(name)
  st:finalize()
  if not rows then return nil, msg, code end
  return #rows > 0
end

--- Two processes opening a new database at once: one migrates, the other
-- waits for it (the lock ends with the transaction).
function M.lock_migrations(db)
  return db:exec("SELECT pg_advisory_xact_lock(7271001)")
end

--- SQLSTATE class 53: insufficient resources (53100 disk_full).
M.FULL = { ["53100"] = true, ["53200"] = true }

return M
