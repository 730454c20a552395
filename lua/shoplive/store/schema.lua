--- The store's schema: the record fields it keeps as typed columns, and the
-- migrations that build the tables, one per schema version. The SQL is
-- written once with the dialect's type names (store/sqlite.lua,
-- store/postgres.lua) filled in; a database is moved forward one version at
-- a time, each step in the transaction that also records its number in meta.
local M = {}

--- The schema this shoplive writes. A database whose meta.schema_version is
-- higher was written by a newer shoplive and is refused, untouched.
M.VERSION = 3

-- The record fields, from the endpoint's schema (shoplive/schema.lua): a
-- field added there gets its typed column in a new database, and in the
-- statements that write and read it. (A database made before that needs a
-- migration that adds the column.)
local fields = require("shoplive.schema")

local STORED_AS = { id = "text", string = "text", integer = "int", time = "int" }

--- The spec's fields by kind, in the schema's order: the text ones (ids,
-- strings) and the integer ones (counters, amounts, times). A value of
-- another kind (12.5 where an integer is documented) is kept in
-- livestreams.extra instead, exactly.
M.TEXT_FIELDS, M.INT_FIELDS, M.KNOWN = {}, {}, {}
for _, f in ipairs(fields.FIELDS) do
  local kind = assert(STORED_AS[fields.KINDS[f]], f)
  M.KNOWN[f] = kind
  local list = kind == "text" and M.TEXT_FIELDS or M.INT_FIELDS
  list[#list + 1] = f
end

--- The figures whose changes between fetches are revisions (T+1 updates):
-- every integer field but the start time, which never changes.
M.FIGURES = {}
for _, f in ipairs(M.INT_FIELDS) do
  if f ~= "create_time" then M.FIGURES[#M.FIGURES + 1] = f end
end

-- The text fields that are ids, kept as short texts (d.ID); room_id is the
-- key, the others take any byte (d.BYTES).
local function text_type(d, f)
  return fields.KINDS[f] == "id" and d.ID or d.BYTES
end

--- migrations[v](d) -> the statements that take a version v-1 database to v.
-- d.ID: ids and short texts (TEXT); d.BYTES: free text that may hold any byte
-- (TEXT in SQLite, BYTEA in PostgreSQL, whose text type refuses NUL);
-- d.INT: 64-bit integers; d.SERIAL: an auto-numbered 64-bit primary key;
-- d.KEYED_TABLE: appended to a table keyed by a text primary key (SQLite
-- stores it WITHOUT ROWID: no second b-tree to write per row).
M.migrations = {
  [1] = function(d)
    local cols = {}
    for _, f in ipairs(M.TEXT_FIELDS) do
      if f ~= "room_id" then
        cols[#cols + 1] = f .. " " .. text_type(d, f)
      end
    end
    for _, f in ipairs(M.INT_FIELDS) do cols[#cols + 1] = f .. " " .. d.INT end
    local figs = {}
    for _, f in ipairs(M.FIGURES) do figs[#figs + 1] = f .. " " .. d.INT end
    return {
      -- the credits' audit trail and the page cache: one row per page fetched,
      -- with the response body as received (a cache hit decodes it again)
      "CREATE TABLE pages (id " .. d.SERIAL .. ", seller_id " .. d.ID .. " NOT NULL, "
        .. "sort_field " .. d.INT .. " NOT NULL, sort_type " .. d.INT .. " NOT NULL, "
        .. "page " .. d.INT .. " NOT NULL, page_size " .. d.INT .. " NOT NULL, "
        .. "fetched_at " .. d.INT .. " NOT NULL, request_id " .. d.ID .. ", "
        .. "records " .. d.INT .. " NOT NULL, credits " .. d.INT .. " NOT NULL, "
        .. "body " .. d.BYTES .. ")",
      "CREATE INDEX pages_query ON pages (seller_id, sort_field, sort_type, page_size, page, fetched_at)",
      -- one row per livestream: the latest figures
      "CREATE TABLE livestreams (room_id " .. d.ID .. " PRIMARY KEY, " .. table.concat(cols, ", ")
        .. ", extra " .. d.BYTES .. ", first_seen " .. d.INT .. " NOT NULL, last_seen " .. d.INT .. " NOT NULL)"
        .. d.KEYED_TABLE,
      "CREATE INDEX livestreams_seller ON livestreams (seller_id, create_time)",
      -- every change of a livestream's figures (the first change also keeps
      -- the state it replaced, seen_at = first_seen)
      "CREATE TABLE revisions (id " .. d.SERIAL .. ", room_id " .. d.ID .. " NOT NULL, "
        .. "seen_at " .. d.INT .. " NOT NULL, request_id " .. d.ID .. ", " .. table.concat(figs, ", ") .. ")",
      "CREATE INDEX revisions_room ON revisions (room_id, seen_at)",
    }
  end,
  -- the work queue of client:sync{ queue = } (store/queue.lua): one row per
  -- shop and queue. Only PostgreSQL stores use it (workers claim rows with
  -- SELECT ... FOR UPDATE SKIP LOCKED); SQLite gets the table too, so one
  -- version number describes both.
  [2] = function(d)
    return {
      "CREATE TABLE queue (id " .. d.SERIAL .. ", queue " .. d.ID .. " NOT NULL, seller_id " .. d.ID .. " NOT NULL, "
        .. "state " .. d.ID .. " NOT NULL, enqueued_at " .. d.INT .. " NOT NULL, "
        .. "claimed_by " .. d.ID .. ", claimed_at " .. d.INT .. ", lease_until " .. d.INT .. ", "
        .. "attempts " .. d.INT .. " NOT NULL, finished_at " .. d.INT .. ", pages " .. d.INT .. ", "
        .. "credits " .. d.INT .. ", err_kind " .. d.ID .. ", err " .. d.ID .. ")",
      "CREATE UNIQUE INDEX queue_shop ON queue (queue, seller_id)",
      "CREATE INDEX queue_next ON queue (queue, state, id)",
    }
  end,
  [3] = function(d) return require("shoplive.store.queue_schema").indexes(d) end,
}

return M
