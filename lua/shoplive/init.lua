--- shoplive: TikTok Shop livestream analytics from keyapi's
-- GET /v1/tiktok/shop/livestreams/analytics, for Lua (5.1-5.4, LuaJIT).
-- This module gathers the API: `new` makes a client (`shoplive.client`);
-- `sort`, `top` (`shoplive.sort`), `summarize`, `group_by`
-- (`shoplive.analysis`), `to_csv`, `csv_writer`, `to_json`, `to_ndjson`,
-- `encode_record` (`shoplive.export`) and `is_err` (`shoplive.errors`) are
-- the functions of those modules under shorter names; `store` is
-- `shoplive.store` (loaded on first use), `limiter` the constructors of
-- `shoplive.limiter`.
-- Bad arguments raise a Lua error naming the argument before anything is
-- sent; failures are errs (errors.md).
-- @usage local shoplive = require("shoplive")
-- local client = shoplive.new{ api_key = os.getenv("KEYAPI_API_KEY") }
-- local page, err = client:livestreams{ seller_id = "7494818275540568755", sort_by = "gmv", order = "desc" }
-- if not page then error(tostring(err)) end
-- print(shoplive.to_csv(page.records, { "room_id", "title", "gmv" }))
-- client:close()
local core = require("shoplive.core")
local analysis = require("shoplive.analysis")
local argcheck = require("shoplive.argcheck")
local client = require("shoplive.client")
local export = require("shoplive.export")
local limiter = require("shoplive.limiter")
local errors = require("shoplive.errors")
local options = require("shoplive.options")
local response = require("shoplive.response")
local sort = require("shoplive.sort")

local M = {
  --- The version, "MAJOR.MINOR.PATCH".
  -- @usage print(shoplive.VERSION)
  VERSION = "0.4.0",
  _VERSION = "shoplive 0.4.0",
}

--- Make a client. Every option is checked before anything is sent; an
-- invalid or unknown one raises, naming it (a value that looks like a
-- secret is described by its length only). No API key at all (neither
-- `api_key` nor `KEYAPI_API_KEY`) raises too. The options, their types,
-- bounds and defaults are in options.md.
-- @tparam[opt] table opts `api_key`, `base_url`, `allow_http`, `timeout`,
-- `connect_timeout`, `max_retries`, `backoff_base`, `backoff_max`,
-- `max_body`, `qps`, `max_credits`, `limiter`, `store`, `cache_ttl`,
-- `user_agent`, `ca_file`, `proxy`, `low_speed_limit`, `low_speed_time`,
-- `poll_interval`, `wait`, `debug`, `http2`
-- @treturn Client the client (`shoplive.client`): `livestreams`, `pages`,
-- `each_livestream`, `all_livestreams`, `livestreams_many`, `start`,
-- `poll`, `sync`, `stats`, `close`
-- @usage local client = shoplive.new{ timeout = 10, max_retries = 5, qps = 2, max_credits = 1000 }
-- -- OpenResty: hand every wait back to nginx
-- local client = shoplive.new{ wait = ngx.sleep }
function M.new(opts)
  local o = options.check(opts)
  return client.new(o, M.VERSION)
end

--- Decode a response body into a page, offline (no client, no request).
-- @tparam string body the response body of the endpoint
-- @tparam[opt] table q a query, as for `client:livestreams` (`seller_id`
-- required): its `page` and `page_size` set `page.page`, `page.page_size`
-- and `page.has_more`, and more records than `page_size` is a `decode` err
-- @treturn[1] table the page (see `shoplive.client`)
-- @treturn[2] nil on failure
-- @treturn[2] table an err (see `shoplive.errors`) of kind `decode` or `api`, with `attempts = 0`
-- @usage local page, err = shoplive.decode(assert(io.open("answer.json")):read("*a"))
function M.decode(body, q)
  if type(body) ~= "string" then
    argcheck.raise("shoplive.decode: argument 'body' must be a string, got " .. type(body))
  end
  local p
  if q ~= nil then p = require("shoplive.query").check(q, "shoplive.decode") end
  local resp, msg, why = core.decode_response(body, p and p.page_size)
  if not resp then
    return nil, errors.new{ kind = "decode", attempts = 0, message = why == "records"
      and ("page has more records than page_size " .. p.page_size .. " (protocol error): " .. msg)
      or ("invalid JSON response: " .. msg) }
  end
  local page, err = response.page_from_resp(resp, p)
  if err then err.attempts = 0 end
  return page, err
end

M.sort = sort.sort
M.top = sort.top
M.is_err = errors.is_err
M.summarize = analysis.summarize
M.group_by = analysis.group_by
M.to_csv = export.to_csv
M.csv_writer = export.csv_writer
M.to_json = export.to_json
M.to_ndjson = export.to_ndjson
M.encode_record = export.encode_record
--- Prometheus text of a client's counters (`shoplive.metrics`): `prometheus`,
-- `publish` and `gather` for several nginx workers, `CONTENT_TYPE`.
-- @table metrics
-- @usage ngx.print(shoplive.metrics.prometheus(client))
M.metrics = require("shoplive.metrics")
--- The limiters' constructors, for `shoplive.new{ limiter = }`: `new`,
-- `shared_dict`, `redis` (see `shoplive.limiter`).
-- @table limiter
-- @usage local client = shoplive.new{ limiter = shoplive.limiter.redis{ url = "redis://127.0.0.1:6379/0", qps = 10 } }
-- (Through argcheck.call until limiter/*.lua raise through argcheck: their
-- counted error levels name no file:line, or a wrong one, on some versions.)
M.limiter = {
  new = function(opts)
    local l = argcheck.call(limiter.new, opts)
    return l
  end,
  shared_dict = function(opts)
    local l = argcheck.call(limiter.shared_dict, opts)
    return l
  end,
  redis = function(opts)
    local l = argcheck.call(limiter.redis, opts)
    return l
  end,
}

--- The HTML report of livestream records of one or many shops: one
-- self-contained document (inline CSS and SVG charts, no script, a CSP
-- that forbids every external load), figures per shop and region. The
-- report module loads on first use. Bad arguments raise, naming them.
-- @tparam {table,...} records the records (e.g. from `client:all_livestreams` or `store:livestreams`)
-- @tparam[opt] table opts `title` (default `"TikTok Shop livestreams: shop "`
-- and the shops' ids),
-- `tz` (`"UTC"`, the default, or an offset `"+07:00"`, `"+0700"`, `"+07"`,
-- -14:00..+14:00) for dates and hours, `top` (livestreams in the top
-- table, default 10), `shops` (seller ids to show even without records),
-- `credits` and `pages` (what fetching the data cost, shown in the header),
-- `generated_at` (epoch seconds, default now)
-- @treturn string the HTML document
-- @usage local recs = assert(client:all_livestreams{ seller_id = s })
-- local html = shoplive.report(recs, { title = "Last week", tz = "+07:00", top = 10 })
function M.report(records, opts)
  -- not a tail call, and through argcheck.call: report.lua counts its
  -- error levels, which on 5.1/LuaJIT a tail call here left with no file:line
  local doc, err = argcheck.call(require("shoplive.report").report, records, opts, M.VERSION)
  return doc, err
end

--- Write `shoplive.report(records, opts)` to a file.
-- @tparam string path the file to write
-- @tparam {table,...} records as for `report`
-- @tparam[opt] table opts as for `report`
-- @treturn[1] boolean true
-- @treturn[2] nil when the file cannot be opened or written
-- @treturn[2] string the message
-- @usage assert(shoplive.report_file("report.html", recs, { tz = "+07:00" }))
function M.report_file(path, records, opts)
  local ok, err = argcheck.call(require("shoplive.report").report_file, path, records, opts, M.VERSION)
  return ok, err
end

-- shoplive.store (an add-on the client does not need) loads on first use:
-- require("shoplive") stays free of SQLite/PostgreSQL code until a program
-- asks for a store. Once loaded, it is a plain field.
setmetatable(M, { __index = function(t, k)
  if k ~= "store" then return nil end
  local store = require("shoplive.store")
  rawset(t, "store", store)
  return store
end })

return M
