--- The endpoint's schema and the library's limits, written once: read
-- these constants (never change them) to follow the library's own bounds.
-- @usage local schema = require("shoplive.schema")
-- for _, f in ipairs(schema.FIELDS) do print(f, schema.KINDS[f]) end
-- local max_records = schema.MAX_PAGE * schema.MAX_PAGE_SIZE

-- Every other module (query, export, analysis, sort, options, client,
-- paging, the command line) reads these values from here, and the C
-- decoder's field hints are generated from FIELDS/KINDS at build time
-- (tools/gen-schema-header.lua -> src/schema_fields.h), so nothing below is
-- typed a second time anywhere. Version-neutral data only: no requires.
local M = {}

--- The endpoint's path (GET, keyapi's base URL in front).
-- @field PATH
M.PATH = "/v1/tiktok/shop/livestreams/analytics"

--- The 16 record fields of the spec, in the default CSV column order.
-- @table FIELDS
M.FIELDS = {
  "room_id", "seller_id", "user_id", "nick_name", "title", "region",
  "create_time", "finish_time", "duration", "total_views_cnt", "total_joins_cnt",
  "max_views_cnt", "total_sale_cnt", "total_sale_gmv_amt", "avatar", "cover_url",
}

--- Kind of each field, which is how the decoder types it:
-- "id"      - an id; the spec types it as a string, and an integer literal
--             in its place is given as the string of its exact digits
-- "integer" - a counter or amount (int64; exact integers on 5.3+)
-- "time"    - unix seconds (an integer, decoded like "integer")
-- "string"  - text, as sent
-- @table KINDS
M.KINDS = {
  room_id = "id", seller_id = "id", user_id = "id",
  nick_name = "string", title = "string", region = "string", avatar = "string", cover_url = "string",
  create_time = "time", finish_time = "time",
  duration = "integer", total_views_cnt = "integer", total_joins_cnt = "integer",
  max_views_cnt = "integer", total_sale_cnt = "integer", total_sale_gmv_amt = "integer",
}

--- Short names accepted wherever a field name is (sort keys, CSV columns,
-- group_by, --fields, sort_by): the three sort fields.
-- @table ALIASES
M.ALIASES = { views = "total_views_cnt", sales = "total_sale_cnt", gmv = "total_sale_gmv_amt" }

--- seller_live_sort_field's numbers (spec: 1=views, 2=sales, 3=gmv).
-- @table SORT_FIELDS
M.SORT_FIELDS = { total_views_cnt = 1, total_sale_cnt = 2, total_sale_gmv_amt = 3 }

--- sort_type's numbers (spec: 0=asc, 1=desc).
-- @table ORDERS
M.ORDERS = { desc = 1, asc = 0 }

--- The spec's bound on page_num: 1..100000.
-- @field MAX_PAGE
M.MAX_PAGE = 100000
--- The spec's bound on page_size: 1..10.
-- @field MAX_PAGE_SIZE
M.MAX_PAGE_SIZE = 10
--- page_size when none is given: a full page costs the same 1 credit.
-- @field DEFAULT_PAGE_SIZE
M.DEFAULT_PAGE_SIZE = 10

--- Requests in flight at once for one call (client:livestreams_many and
-- the paging iterators' `concurrency`, the CLI's --concurrency). 64 is far
-- above what one API key's QPS limit lets through, and bounds the
-- connections and memory one call can take.
-- @field MAX_CONCURRENCY
M.MAX_CONCURRENCY = 64
--- livestreams_many's default concurrency: it fetches every query it was
-- given, so a few in parallel cost nothing extra.
-- @field DEFAULT_CONCURRENCY_MANY
M.DEFAULT_CONCURRENCY_MANY = 4
--- The iterators' default concurrency, strictly lazy: a page is requested
-- only when the loop asks for it, so breaking early spends nothing more.
-- @field DEFAULT_CONCURRENCY_PAGING
M.DEFAULT_CONCURRENCY_PAGING = 1

--- Defaults of shoplive.new{} options (options.lua fills them in, and the
-- client passes every one of them to the C core). core.client's own numbers
-- (src/http.c: the same timeout, connect_timeout and max_body; low_speed_*
-- 0 = off) are only a fallback for code that calls the core directly.
-- @table DEFAULTS
M.DEFAULTS = {
  base_url = "https://api.keyapi.ai",
  timeout = 30,
  connect_timeout = 10,
  max_retries = 3,
  backoff_base = 0.5,
  backoff_max = 30,
  max_body = 8388608,
  poll_interval = 0.005,
}

--- Spec field name or alias -> the spec's field name (nil for neither).
-- @tparam string name a field name or alias
-- @treturn ?string the spec's field name
-- @usage assert(schema.field("gmv") == "total_sale_gmv_amt")
function M.field(name)
  local f = M.ALIASES[name] or name
  if M.KINDS[f] then return f end
  return nil
end

return M
