--- shoplive.store: what the client paid for, kept in SQLite (the default) or
-- PostgreSQL. Give a store to `shoplive.new{ store = }` and every page paid
-- for is saved, and a query fetched within `cache_ttl` is answered from it
-- (no request, no credit); `client:sync` fills it shop by shop. The same
-- API over both databases. A failure to read or write is an err of kind
-- `store` (`nil, err`; `open` raises it).
--
-- Tables (see the README): pages (every page fetched: the credits' audit
-- trail and the page cache), livestreams (one row per room_id, the latest
-- figures), revisions (each change of a livestream's figures), meta (the
-- schema version). (Internally: the SQL, the schema and the policy live
-- here; the dialects, store/sqlite.lua and store/postgres.lua, only know how
-- to connect and spell types and placeholders.)
-- @usage local store = shoplive.store.open()        -- $SHOPLIVE_DB, else the XDG data dir
-- local store = shoplive.store.open("shops.db")
-- local store = shoplive.store.open("postgresql://user@host:5432/db")
local argcheck = require("shoplive.argcheck")
local core = require("shoplive.core")
local errors = require("shoplive.errors")
local json = require("shoplive.json")
local query = require("shoplive.query")
local response = require("shoplive.response")
local schema = require("shoplive.store.schema")
local target_mod = require("shoplive.store.target")
local util = require("shoplive.util")

local math_type = math.type
local concat = table.concat
local unpack = table.unpack or unpack -- luacheck: ignore 113 (Lua 5.1)

local M = {}
local Store = {}
Store.__index = Store
M.Store = Store

--- The store's err objects: kind "store", a message naming the database.
local function store_err(self_or_name, msg, code)
  local name = type(self_or_name) == "table" and self_or_name.name or self_or_name
  -- libpq's messages run over several lines; an err is one line
  msg = tostring(msg):gsub("%s*\n%s*", " ")
  return errors.new{ kind = "store", message = name .. ": " .. msg, code = code }
end

--- Where open() without an argument puts the database.
-- @local
function M.default_path(getenv)
  getenv = getenv or os.getenv
  local p = getenv("SHOPLIVE_DB")
  if p and p ~= "" then return p end
  local data = getenv("XDG_DATA_HOME")
  if not data or data == "" then
    local home = getenv("HOME")
    if not home or home == "" then return nil end
    data = home .. "/.local/share"
  end
  return data .. "/shoplive/shoplive.db"
end

-- ---- SQL -----------------------------------------------------------------

local TEXT_FIELDS, INT_FIELDS, FIGURES, KNOWN = schema.TEXT_FIELDS, schema.INT_FIELDS, schema.FIGURES, schema.KNOWN
-- livestreams columns in a fixed order: the 16 fields, then extra
local COLUMNS = {}
for _, f in ipairs(TEXT_FIELDS) do COLUMNS[#COLUMNS + 1] = f end
for _, f in ipairs(INT_FIELDS) do COLUMNS[#COLUMNS + 1] = f end
local NCOL = #COLUMNS
local COL_LIST = concat(COLUMNS, ", ") .. ", extra"
local FIG_LIST = concat(FIGURES, ", ")

local function placeholders(n, int_from)
  local t = {}
  for i = 1, n do t[i] = (int_from and i >= int_from) and "?i" or "?" end
  return concat(t, ", ")
end

local SQL = {
  version = "SELECT value FROM meta WHERE key = 'schema_version'",
  cached = "SELECT fetched_at, body FROM pages WHERE seller_id = ? AND sort_field = ?i "
    .. "AND sort_type = ?i AND page_size = ?i AND page = ?i AND fetched_at >= ?i AND body IS NOT NULL "
    .. "ORDER BY fetched_at DESC, id DESC LIMIT 1",
  first_revision = "SELECT 1 FROM revisions WHERE room_id = ? LIMIT 1",
  revision = "INSERT INTO revisions (room_id, seen_at, request_id, " .. FIG_LIST .. ") VALUES (?, ?i, ?, "
    .. placeholders(#FIGURES, 1) .. ")",
  page = "INSERT INTO pages (seller_id, sort_field, sort_type, page, page_size, fetched_at, request_id, records, "
    .. "credits, body) VALUES (?, ?i, ?i, ?i, ?i, ?i, ?, ?i, ?i, ?)",
}

-- ---- values --------------------------------------------------------------

-- An integer the schema can keep exactly: a Lua integer (5.3+); on 5.1/LuaJIT
-- an integral number within 2^53, or the digit string the decoder gives for
-- a larger one.
local is_int
if math_type then
  is_int = function(v) return math_type(v) == "integer" end
else
  is_int = function(v)
    if type(v) == "number" then return util.is_int_subtype(v) end
    return type(v) == "string" and #v >= 16 and v:find("^%-?%d+$") ~= nil
  end
end

local function typed(field, v)
  local kind = KNOWN[field]
  if kind == "text" then return type(v) == "string" end
  return is_int(v)
end

--- The JSON of r's fields that have no typed column (unknown fields, and
-- known ones holding a value of another kind), or nil.
local function extra_json(r)
  local extra
  for k, v in pairs(r) do
    if not (KNOWN[k] and typed(k, v)) then
      extra = extra or {}
      extra[k] = v
    end
  end
    return extra and json.record(extra, "shoplive.encode_record") or nil
end

local function int(v) if is_int(v) then return v end end

-- per column: true for a text one (the others hold integers)
local IS_TEXT = {}
for i = 1, NCOL do IS_TEXT[i] = KNOWN[COLUMNS[i]] == "text" end

--- Append the livestreams row of record r (id = r.room_id) to args from
-- index at: the columns in the order of COLUMNS, extra, first/last seen.
-- Every slot of the row is written (nil included): args can be reused.
local function row_args(args, at, r, t)
  local typed_n = 0
  for i = 1, NCOL do
    local v = r[COLUMNS[i]]
    if v ~= nil then
      if IS_TEXT[i] then
        if type(v) == "string" then typed_n = typed_n + 1 else v = nil end
      elseif math_type and math_type(v) == "integer" or not math_type and is_int(v) then
        typed_n = typed_n + 1 -- (is_int written out on 5.3+: 8 columns a record)
      else
        v = nil
      end
    end
    args[at + i] = v
  end
  -- extra only when r holds more keys than typed values (the usual record
  -- holds exactly the 16 typed fields)
  local keys = 0
  for _ in next, r do keys = keys + 1 end
  args[at + NCOL + 1] = keys ~= typed_n and extra_json(r) or nil
  args[at + NCOL + 2], args[at + NCOL + 3] = t, t
end

--- A stored row back to the record table the API gives.
local function row_record(row)
  local r = {}
  for i = 1, NCOL do
    local v = row[i]
    if v ~= nil then r[COLUMNS[i]] = v end
  end
  local extra = row[NCOL + 1]
  if extra then
    local t = core.json_decode(extra)
    if type(t) == "table" then
      for k, v in pairs(t) do r[k] = v end
    end
  end
  return r
end

--- The statement writing n livestreams rows at once (new or updated).
local UPSERT_ROW = "(" .. placeholders(#TEXT_FIELDS) .. ", " .. placeholders(#INT_FIELDS, 1) .. ", ?, ?i, ?i)"
local UPSERT_SET = (function()
  local sets = {}
  for i = 2, NCOL do sets[#sets + 1] = COLUMNS[i] .. " = excluded." .. COLUMNS[i] end
  sets[#sets + 1] = "extra = excluded.extra"
  sets[#sets + 1] = "last_seen = excluded.last_seen"
  return concat(sets, ", ")
end)()
local UPSERT_WIDTH = NCOL + 3

-- The SQL text of the n-row statements, built once per n: a page would
-- otherwise build (and hash, as the key of its prepared statement) a new
-- string of a few KiB.
local function memo(build)
  local cache = {}
  return function(n)
    local s = cache[n]
    if not s then
      s = build(n)
      cache[n] = s
    end
    return s
  end
end

local upsert_sql = memo(function(n)
  local rows = {}
  for i = 1, n do rows[i] = UPSERT_ROW end
  return "INSERT INTO livestreams (" .. COL_LIST .. ", first_seen, last_seen) VALUES " .. concat(rows, ", ")
    .. " ON CONFLICT (room_id) DO UPDATE SET " .. UPSERT_SET
end)

--- The statement reading the figures of n livestreams at once (one
-- statement per page instead of one per record).
local figures_sql = memo(function(n)
  return "SELECT " .. FIG_LIST .. ", first_seen, room_id FROM livestreams WHERE room_id IN (" .. placeholders(n) .. ")"
end)

local function same_figures(row, r)
  for i = 1, #FIGURES do
    local v = r[FIGURES[i]]
    if not is_int(v) then v = nil end
    if row[i] ~= v then return false end
  end
  return true
end


-- ---- opening -------------------------------------------------------------

local function check_time(fname, name, v)
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
    argcheck.raise(fname .. ": argument '" .. name .. "' must be epoch seconds (a number), got " .. util.describe(v))
  end
  return math.floor(v)
end

--- Run fn(self) in one transaction. Returns fn's results, or nil, err after
-- rolling back.
-- @local
function Store:_tx(fn)
  local ok, msg, code = self.db:exec(self.dialect.BEGIN)
  if not ok then return nil, store_err(self, msg, code) end
  local res = { pcall(fn, self) }
  if res[1] and res[2] ~= nil then
    ok, msg, code = self.db:exec("COMMIT")
    if ok then return res[2], res[3] end
  elseif res[1] then
    msg, code = res[3], res[4]
  else
    msg = res[2]
  end
  self.db:exec("ROLLBACK")
  if errors.is_err(msg) then return nil, msg end
  return nil, store_err(self, msg, code)
end

--- A prepared statement for SQL[name], prepared once per connection.
-- @local
function Store:_st(name)
  local st = self._stmts[name]
  if st then return st end
  local msg, code
  st, msg, code = self.db:prepare(self.dialect.sql(SQL[name] or name))
  if not st then error(store_err(self, msg, code), 0) end
  self._stmts[name] = st
  return st
end

--- All rows of sql (a SQL key or text) with the given parameters, or nil, err.
-- @local
function Store:_rows(sql, ...)
  local ok, st = pcall(self._st, self, sql)
  if not ok then return nil, st end
  local rows, msg, code = st:rows(...)
  if not rows then return nil, store_err(self, msg, code) end
  return rows
end

local function must(self, v, msg, code)
  if v == nil then error(store_err(self, msg, code), 0) end
  return v
end

function Store:_migrate()
  local d = self.dialect
  local has, msg, code = d.has_table(self.db, "meta")
  if has == nil then return nil, msg, code end
  local version = 0
  if has then
    local st = must(self, self.db:prepare(SQL.version))
    local rows = must(self, st:rows())
    st:finalize()
    version = rows[1] and tonumber(rows[1][1]) or 0
  end
  if version > schema.VERSION then
    return nil, "the database has schema version " .. version .. ", written by a newer shoplive; this one reads "
      .. "up to version " .. schema.VERSION .. " (upgrade shoplive; the database was left untouched)", "newer"
  end
  if version == schema.VERSION then return true end
  if self.readonly then
    return nil, version == 0 and "not a shoplive store (no tables: run shoplive sync with it first)"
      or ("the database has schema version " .. version .. " and is opened read-only: open it once for writing "
        .. "to move it to version " .. schema.VERSION), "readonly"
  end
  local ok, err = self:_tx(function()
    must(self, d.lock_migrations(self.db))
    -- another process may have migrated while we waited for the lock
    local v = 0
    if must(self, d.has_table(self.db, "meta")) then
      local st = must(self, self.db:prepare(SQL.version))
      local rows = must(self, st:rows())
      st:finalize()
      v = rows[1] and tonumber(rows[1][1]) or 0
    else
      must(self, self.db:exec("CREATE TABLE meta (key " .. d.ID .. " PRIMARY KEY, value " .. d.ID .. ")"))
      must(self, self.db:exec("INSERT INTO meta (key, value) VALUES ('schema_version', '0')"))
    end
    for n = v + 1, schema.VERSION do
      for _, stmt in ipairs(schema.migrations[n](d)) do must(self, self.db:exec(stmt)) end
      must(self, self.db:exec("UPDATE meta SET value = '" .. n .. "' WHERE key = 'schema_version'"))
    end
    return true
  end)
  if not ok then return nil, err end -- already an err naming the store
  return true
end

-- Statements that write to every table a fetched page touches, run once
-- at open in a transaction rolled back: a PostgreSQL role that may only
-- read is refused there, before the first paid request, as a read-only
-- SQLite file is (a page bought and then not saved is a credit lost).
local WRITE_PROBE = {
  "INSERT INTO pages (seller_id, sort_field, sort_type, page, page_size, fetched_at, records, credits) "
    .. "VALUES ('-', 0, 0, 0, 0, 0, 0, 0)",
  "INSERT INTO livestreams (room_id, first_seen, last_seen) VALUES ('-', 0, 0) "
    .. "ON CONFLICT (room_id) DO UPDATE SET last_seen = excluded.last_seen",
  "INSERT INTO revisions (room_id, seen_at) VALUES ('-', 0)",
}

--- nil when the store can write every table, else message, code.
-- @local
function Store:_probe_write()
  local db = self.db
  local ok, msg, code = db:exec(self.dialect.BEGIN)
  if not ok then return msg, code end
  for _, sql in ipairs(WRITE_PROBE) do
    ok, msg, code = db:exec(sql)
    if not ok then break end
  end
  db:exec("ROLLBACK")
  if ok then return nil end
  return "cannot write to the database (the store writes every page it fetches; read-only access "
    .. "needs opts.readonly or --offline): " .. tostring(msg), code
end

--- The dialect and the connection target for target, or raises (a bad
-- argument: a string; a bad $SHOPLIVE_DB: an err of kind store).
local function resolve(target)
  local from_env = target == nil
  if from_env then
    target = M.default_path()
    if not target then
      error(errors.new{ kind = "store", message = "no database path: set SHOPLIVE_DB, XDG_DATA_HOME or HOME" }, 0)
    end
  end
  local kind, conn = target_mod.parse(target)
  if not kind then
    if from_env then error(errors.new{ kind = "store", message = "SHOPLIVE_DB: " .. conn }, 0) end
    argcheck.raise("shoplive.store.open: argument 'target': " .. conn)
  end
  return require(kind == "postgresql" and "shoplive.store.postgres" or "shoplive.store.sqlite"), conn,
    target_mod.redact(target)
end

-- A statement's bound in seconds: the servers count it in milliseconds in
-- an int32, less the client's second of grace (src/db/libpq.c).
local TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_DEFAULT = 0.001, 2147482, 30

--- The dialect's options from open's opts: the timeout in ms, interrupt.
local function wait_opts(opts)
  local t = opts.timeout
  if t == nil then t = TIMEOUT_DEFAULT end
  if type(t) ~= "number" or not (t >= TIMEOUT_MIN and t <= TIMEOUT_MAX) then
    argcheck.raise("shoplive.store.open: option 'timeout' must be a number of seconds from " .. TIMEOUT_MIN
      .. " to " .. TIMEOUT_MAX .. ", got " .. util.describe(t))
  end
  if opts.interrupt ~= nil and type(opts.interrupt) ~= "function" then
    argcheck.raise("shoplive.store.open: option 'interrupt' must be a function (true: stop waiting), got "
      .. util.describe(opts.interrupt))
  end
  return { timeout_ms = math.max(1, math.floor(t * 1000 + 0.5)), interrupt = opts.interrupt }
end

--- Open a store (also `shoplive.store.open`), creating or migrating its
-- tables. Raises an err of kind `store` naming the path or URL (never a
-- password) when the database cannot be used or cannot be written (unless
-- opts.readonly); a bad argument raises a string.
-- @tparam[opt] string target a SQLite file path, or a `postgresql://` (or
-- `postgres://`, any case) URL; nothing else (no SQLite URI, no `:memory:`).
-- Default `$SHOPLIVE_DB`, else `$XDG_DATA_HOME/shoplive/shoplive.db`
-- (`XDG_DATA_HOME` defaults to `~/.local/share`; directories created)
-- @tparam[opt] table opts `clock`: a function giving epoch seconds (default
-- `os.time`); `readonly`: true opens an existing store for reading only (a
-- read-only file or role works; nothing is created, migrated or written);
-- `timeout`: seconds a statement may wait for the database (a lock held by
-- another connection, a PostgreSQL server that does not answer) before it
-- fails with an err of kind `store`, code `"timeout"` (default 30);
-- `interrupt`: a function the store calls while it waits, returning true to
-- stop waiting (code `"interrupted"`; the CLI passes its Ctrl-C flag);
-- `thread_pool`: inside nginx, the name of a `thread_pool` of nginx.conf in
-- which the calls a client and sync make run, off the worker's event loop
-- (store/offload.lua)
-- @treturn Store the store: `livestreams`, `shops`, `history`, `credits`, `close`
-- @usage local store = shoplive.store.open("shops.db")
-- local client = shoplive.new{ store = store, cache_ttl = 3600 }
function M.open(target, opts)
  if target ~= nil and (type(target) ~= "string" or target == "") then
    argcheck.raise("shoplive.store.open: argument 'target' must be a file path or a postgresql:// URL, got "
      .. util.describe(target))
  end
  if opts ~= nil and type(opts) ~= "table" then
    argcheck.raise("shoplive.store.open: argument 'opts' must be a table, got " .. util.describe(opts))
  end
  opts = opts or {}
  if opts.clock ~= nil and type(opts.clock) ~= "function" then
    argcheck.raise("shoplive.store.open: option 'clock' must be a function returning epoch seconds")
  end
  if opts.readonly ~= nil and type(opts.readonly) ~= "boolean" then
    argcheck.raise("shoplive.store.open: option 'readonly' must be a boolean, got " .. util.describe(opts.readonly))
  end
  local wait = wait_opts(opts)
  local offload = opts.thread_pool ~= nil and require("shoplive.store.offload").check(opts.thread_pool)
  local dialect, conn, name = resolve(target)
  local db, msg, code = dialect.connect(conn, wait, opts.readonly)
  if not db then error(store_err(name, msg, code), 0) end -- an err: a table, no position
  local self = setmetatable({ db = db, dialect = dialect, name = name, target = conn, _stmts = {}, _args = {},
    clock = opts.clock or os.time, readonly = opts.readonly or nil }, Store)
  local ok
  ok, msg, code = self:_migrate()
  if ok and not self.readonly and dialect.name == "postgresql" then
    msg, code = self:_probe_write()
    ok = msg == nil
  end
  if not ok then
    db:close()
    error(errors.is_err(msg) and msg or store_err(name, msg, code), 0)
  end
  if offload then
    offload.install(self, opts.thread_pool, { target = conn, timeout = opts.timeout, readonly = opts.readonly })
  end
  return self
end

function M.is_store(v)
  return getmetatable(v) == Store
end

local function check_open(self, fname)
  if getmetatable(self) ~= Store then
    argcheck.raise("shoplive.store: " .. fname .. " called on a " .. type(self) .. "; use store:" .. fname .. "(...)")
  end
  if not self.db then argcheck.raise("shoplive.store: the store is closed") end
end

function Store:__tostring()
  return "shoplive store (" .. self.dialect.name .. " " .. self.name .. (self.db and ")" or ", closed)")
end

--- Close the database; idempotent. Also `__gc` and `__close` (Lua 5.4).
-- Any other method of a closed store raises.
-- @usage store:close()
function Store:close()
  if getmetatable(self) ~= Store then
    argcheck.raise("shoplive.store: close called on a " .. type(self) .. "; use store:close()")
  end
  if not self.db then return end
  for _, st in pairs(self._stmts) do st:finalize() end
  self._stmts = {}
  self.db:close()
  self.db = nil
end
Store.__close = Store.close
function Store:__gc()
  if self.db then self.db:close() end
end

-- ---- the cache -----------------------------------------------------------

local function query_key(p)
  return p.seller_id, p.sort_field or 0, p.sort_type or -1, p.page_size, p.page
end

--- The page for validated query params p fetched within ttl seconds, as
-- the client hands it out (cached = true, fetched_at), or nil.
-- @local
function Store:cached_page(p, ttl)
  check_open(self, "cached_page")
  local ok, st = pcall(self._st, self, "cached")
  if not ok then return nil, st end
  local seller, sf, so, size, n = query_key(p)
  local rows, msg, code = st:rows(seller, sf, so, size, n, self.clock() - ttl)
  if not rows then return nil, store_err(self, msg, code) end
  local row = rows[1]
  if not row then return nil end
  -- the body as it was received, decoded again: the page is exactly the
  -- one fetched (records, order, request_id, the stop rule)
  local resp = core.decode_response(row[2])
  if not resp then return nil end
  local page = response.page_from_resp(resp, p)
  if not page then return nil end
  page.cached, page.fetched_at = true, row[1]
  return page
end

--- Save a page fetched for validated params p, in one transaction: the page
-- row (credits spent), every record's latest figures, and a revision for
-- each change of a livestream's figures. Returns { new =, changed = } or
-- nil, err (kind "store"); sets page.fetched_at. body: the response body,
-- kept for the cache (without it the page is recorded but never served).
-- @local
function Store:save_page(p, page, credits, body)
  check_open(self, "save_page")
  local t = self.clock()
  local res, err = self:_tx(function()
    local recs = page.records
    local rst = self:_st("revision")
    -- the upsert's arguments: one table per store, rewritten slot by slot
    local args, nrows, last = self._args, 0, {}
    local new, changed = 0, 0
    local ids = {}
    for i = 1, #recs do
      local id = recs[i].room_id
      if type(id) == "string" then ids[#ids + 1] = id end -- a record without one has no livestreams row
    end
    local olds = {}
    if #ids > 0 then
      for _, row in ipairs(must(self, self:_st(figures_sql(#ids)):rows(unpack(ids)))) do olds[row[#FIGURES + 2]] = row end
    end
    local function revision(id, seen, rid, figs)
      local a = { id, seen, rid }
      for j = 1, #FIGURES do a[j + 3] = int(figs[FIGURES[j]]) end
      must(self, rst:run(unpack(a, 1, #FIGURES + 3)))
    end
    for i = 1, #recs do
      local r = recs[i]
      local id = r.room_id
      if type(id) == "string" then
        local old = olds[id]
        if not old then
          new = new + 1
          olds[id] = true -- the same room twice in one page is one livestream
        elseif old ~= true and not same_figures(old, r) then
          changed = changed + 1
          -- the first change also keeps the state it replaces
          if not must(self, self:_st("first_revision"):rows(id))[1] then
            local prev = {}
            for j = 1, #FIGURES do prev[FIGURES[j]] = old[j] end
            revision(id, old[#FIGURES + 1], nil, prev)
          end
          revision(id, t, page.request_id, r)
        end
        -- a room twice in one page: its last record wins (one row per room
        -- in the statement: PostgreSQL refuses to update a row twice)
        local at = last[id]
        if not at then
          at = nrows * UPSERT_WIDTH
          nrows = nrows + 1
          last[id] = at
        end
        row_args(args, at, r, t)
      end
    end
    if nrows > 0 then
      must(self, self:_st(upsert_sql(nrows)):run(unpack(args, 1, nrows * UPSERT_WIDTH)))
    end
    local seller, sf, st, size, n = query_key(p)
    must(self, self:_st("page"):run(seller, sf, st, n, size, t, page.request_id, #recs, credits or 1, body))
    return { new = new, changed = changed }
  end)
  if not res then
    if self.dialect.FULL[err.code] then err.message = err.message .. " (disk full?)" end
    return nil, err
  end
  page.fetched_at = t
  return res
end

-- ---- reading back --------------------------------------------------------

--- The stored livestreams as the API's record tables (typed as the API
-- gives them, with their latest figures), newest `create_time` first.
-- @tparam[opt] table q `seller_id` (one shop; default all), `since` and
-- `["until"]`: epoch seconds bounds on `create_time` (since <= create_time < until)
-- @treturn[1] {table,...} the records
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage local recs = assert(store:livestreams{ seller_id = "7494818275540568755", since = os.time() - 7 * 86400 })
-- print(shoplive.summarize(recs).total_gmv)
function Store:livestreams(q)
  check_open(self, "livestreams")
  q = q or {}
  if type(q) ~= "table" then argcheck.raise("store:livestreams: expected a table of arguments, got " .. type(q)) end
  for k in pairs(q) do
    if k ~= "seller_id" and k ~= "since" and k ~= "until" then
      argcheck.raise("store:livestreams: unknown argument '" .. tostring(k) .. "' (accepted: seller_id, since, until)")
    end
  end
  local seller = q.seller_id
  if seller ~= nil then seller = query.check({ seller_id = seller }, "store:livestreams").seller_id end
  local since, upto = check_time("store:livestreams", "since", q.since), check_time("store:livestreams", "until", q["until"])
  local where, args = {}, {}
  if seller then where[#where + 1] = "seller_id = ?"; args[#args + 1] = seller end
  if since then where[#where + 1] = "create_time >= ?i"; args[#args + 1] = since end
  if upto then where[#where + 1] = "create_time < ?i"; args[#args + 1] = upto end
  local sql = "SELECT " .. COL_LIST .. " FROM livestreams"
    .. (#where > 0 and (" WHERE " .. concat(where, " AND ")) or "")
    .. " ORDER BY create_time DESC, room_id"
  local rows, err = self:_rows(sql, unpack(args, 1, #args))
  if not rows then return nil, err end
  local out = {}
  for i = 1, #rows do out[i] = row_record(rows[i]) end
  return out
end

--- The rows of a read-only query over the store's tables (the report's
-- SQL aggregates, store/aggregate.lua): ? a parameter, ?i an int64; integer
-- results exact (on PostgreSQL cast numeric sums to text). Returns the rows
-- or nil, err; with each_row, calls it on each row instead (no array).
-- @local
function Store:aggregate(sql, params, each_row)
  check_open(self, "aggregate")
  if not each_row then return self:_rows(sql, unpack(params, 1, params.n or #params)) end
  local ok, st = pcall(self._st, self, sql)
  if not ok then return nil, st end
  local done, msg, code = st:bind(unpack(params, 1, params.n or #params))
  while done do
    local row
    row, msg, code = st:step()
    if not row then break end
    each_row(row)
  end
  if msg then return nil, store_err(self, msg, code) end
  return true
end

--- A livestreams row read as M.COLUMNS (the typed columns, then extra) back
-- to the record the API gave.
-- @local
M.row_record = row_record
M.COLUMNS = COL_LIST

--- The shops the store knows, by `seller_id`.
-- @treturn[1] {table,...} one table per shop: `seller_id`, `livestreams`
-- (how many stored), `pages` and `credits` (fetched and spent), `first_seen`
-- and `last_seen` (epoch seconds its livestreams were first and last seen;
-- nil without livestreams), `last_fetched` (epoch seconds of its last page)
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage for _, s in ipairs(assert(store:shops())) do print(s.seller_id, s.livestreams, s.credits) end
function Store:shops()
  check_open(self, "shops")
  local ok, out = pcall(function()
    local by, list = {}, {}
    local function shop(id)
      local s = by[id]
      if not s then
        s = { seller_id = id, livestreams = 0, pages = 0, credits = 0 }
        by[id] = s
        list[#list + 1] = s
      end
      return s
    end
    for _, r in ipairs(must(self, self:_st("SELECT seller_id, COUNT(*), CAST(SUM(credits) AS BIGINT), "
      .. "MAX(fetched_at) FROM pages GROUP BY seller_id"):rows())) do
      local s = shop(r[1])
      s.pages, s.credits, s.last_fetched = r[2], r[3], r[4]
    end
    for _, r in ipairs(must(self, self:_st("SELECT seller_id, COUNT(*), MIN(first_seen), MAX(last_seen) "
      .. "FROM livestreams WHERE seller_id IS NOT NULL GROUP BY seller_id"):rows())) do
      local s = shop(r[1])
      s.livestreams, s.first_seen, s.last_seen = r[2], r[3], r[4]
    end
    table.sort(list, function(a, b) return a.seller_id < b.seller_id end)
    return list
  end)
  if not ok then return nil, errors.is_err(out) and out or store_err(self, out) end
  return out
end

--- Every recorded state of a livestream's figures, oldest first. A
-- livestream that never changed has one state: its figures, first seen
-- (`request_id` nil); one the store does not know has none.
-- @tparam string room_id the livestream
-- @treturn[1] {table,...} states: `seen_at` (epoch seconds), `request_id`,
-- and the figures `duration`, `finish_time`, `max_views_cnt`,
-- `total_joins_cnt`, `total_sale_cnt`, `total_sale_gmv_amt`, `total_views_cnt`
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage for _, h in ipairs(assert(store:history(room_id))) do print(os.date("!%F %T", h.seen_at), h.total_views_cnt) end
function Store:history(room_id)
  check_open(self, "history")
  if type(room_id) ~= "string" or room_id == "" then
    argcheck.raise("store:history: argument 'room_id' must be a non-empty string, got " .. util.describe(room_id))
  end
  local rows, err = self:_rows("SELECT seen_at, request_id, " .. FIG_LIST
    .. " FROM revisions WHERE room_id = ? ORDER BY seen_at, id", room_id)
  if not rows then return nil, err end
  if #rows == 0 then
    rows, err = self:_rows("SELECT first_seen, NULL, " .. FIG_LIST .. " FROM livestreams WHERE room_id = ?", room_id)
    if not rows then return nil, err end
  end
  local out = {}
  for i, r in ipairs(rows) do
    local h = { seen_at = r[1], request_id = r[2] }
    for j = 1, #FIGURES do h[FIGURES[j]] = r[j + 2] end
    out[i] = h
  end
  return out
end

--- Credits spent per UTC day, oldest first: those of the pages saved (a
-- page answered from the cache cost nothing and is not saved again).
-- @tparam[opt] table q `since`: epoch seconds (default: everything)
-- @treturn[1] {table,...} one table per day: `day` (`"YYYY-MM-DD"`),
-- `start` (epoch seconds), `credits`, `pages`; `.total` sums the credits
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage print(assert(store:credits{ since = os.time() - 30 * 86400 }).total .. " credits in 30 days")
function Store:credits(q)
  check_open(self, "credits")
  if q ~= nil and type(q) ~= "table" then
    argcheck.raise("store:credits: expected a table of arguments, got " .. type(q))
  end
  local since = check_time("store:credits", "since", q and q.since) or 0
  local rows, err = self:_rows("SELECT (fetched_at / 86400) * 86400, CAST(SUM(credits) AS BIGINT), COUNT(*) "
    .. "FROM pages WHERE fetched_at >= ?i GROUP BY (fetched_at / 86400) * 86400 ORDER BY 1", since)
  if not rows then return nil, err end
  local out, total = {}, 0
  for i, r in ipairs(rows) do
    out[i] = { day = os.date("!%Y-%m-%d", r[1]), start = r[1], credits = r[2], pages = r[3] }
    total = total + r[2]
  end
  out.total = total
  return out
end

--- How many consecutive pages of query p (from page 1) are held within
-- ttl, and whether they reach the shop's end; nil, err when the store
-- fails. For sync --dry-run.
-- @local
function Store:held(p, ttl)
  local n, q = 0, {}
  for k, v in pairs(p) do q[k] = v end
  while true do
    q.page = n + 1
    local page, err = self:cached_page(q, ttl)
    if err then return nil, err end
    if not page then return n, false end
    n = n + 1
    if not page.has_more then return n, true end
  end
end

--- Whether the store holds a shop's complete answer and it is empty: a
-- page 1 without records ends the shop. For `--offline`: such a shop was
-- synced, it has no livestreams.
-- @tparam string seller_id the shop
-- @treturn[1] boolean true when the shop was synced and has no livestreams
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage if assert(store:empty_shop("237")) then print("synced, no livestreams") end
function Store:empty_shop(seller_id)
  check_open(self, "empty_shop")
  seller_id = query.check({ seller_id = seller_id }, "store:empty_shop").seller_id
  local rows, err = self:_rows("SELECT 1 FROM pages WHERE seller_id = ? AND page = 1 AND records = 0 "
    .. "LIMIT 1", seller_id)
  if not rows then return nil, err end
  return rows[1] ~= nil
end

--- Whether the store can answer for a shop: it holds livestreams of it,
-- or the shop was synced and has none (`empty_shop`). A report or an
-- export from the store alone reads such a shop; any other is a miss.
-- @tparam string seller_id the shop
-- @treturn[1] boolean
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage if not assert(store:has_shop("237")) then print("run: shoplive sync 237") end
function Store:has_shop(seller_id)
  check_open(self, "has_shop")
  seller_id = query.check({ seller_id = seller_id }, "store:has_shop").seller_id
  local rows, err = self:_rows("SELECT 1 FROM livestreams WHERE seller_id = ? LIMIT 1", seller_id)
  if not rows then return nil, err end
  if rows[1] ~= nil then return true end
  return self:empty_shop(seller_id)
end

--- Put shops on a queue of a PostgreSQL store, for `client:sync{ queue = }`
-- workers on any host (defined in store/queue.lua). A shop already done or
-- failed there is queued again; one pending or claimed is left as it is. A
-- SQLite store, a bad name or a bad seller id raises.
-- @function Store:enqueue
-- @tparam string name the queue (1 to 64 letters, digits, `_`, `.`, `:`, `-`)
-- @tparam {string,...} sellers seller ids
-- @treturn[1] integer how many shops were queued (new or again)
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage assert(store:enqueue("daily", { "7494818275540568755", "237" }))

--- The state of a queue of a PostgreSQL store (defined in store/queue.lua).
-- @function Store:queue_status
-- @tparam string name the queue
-- @treturn[1] table `total`, `pending`, `done` (counts), `claimed` (one
-- table per claimed shop: `seller_id`, `claimed_by` (host:pid),
-- `claimed_at`, `lease_until`, `attempts`), `failed` (one table per failed
-- shop: `seller_id`, `err_kind`, `err` (its text), `claimed_by`,
-- `attempts`, `finished_at`), `pages` and `credits` (of done and failed
-- shops), `now` (the database's clock, epoch seconds)
-- @treturn[2] nil on failure
-- @treturn[2] table an err of kind `store`
-- @usage local q = assert(store:queue_status("daily"))
-- print(q.pending, #q.claimed, q.done, #q.failed)

-- the work queue of a crawl split across hosts (PostgreSQL): store/queue.lua
require("shoplive.store.queue").install(Store, { store_err = store_err, check_open = check_open })
return M
