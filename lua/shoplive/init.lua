--- shoplive: TikTok Shop livestream analytics from keyapi's
-- GET /v1/tiktok/shop/livestreams/analytics, for Lua.
-- The reference is docs/ and `make doc`; this file only assembles the API.
local core = require("shoplive.core")
local analysis = require("shoplive.analysis")
local client = require("shoplive.client")
local export = require("shoplive.export")
local limiter = require("shoplive.limiter")
local errors = require("shoplive.errors")
local options = require("shoplive.options")
local sort = require("shoplive.sort")
local store = require("shoplive.store")

local M = {
  VERSION = "0.1.0",
  _VERSION = "shoplive 0.1.0",
}

--- Make a client. Raises on invalid options, naming the option.
-- Besides the options of API.md: `allow_http` (boolean, default false):
-- without it an `http://` base_url is refused unless its host is loopback
-- and no proxy is set, since the key would travel in cleartext. `proxy` is
-- the only source of proxies: http_proxy, https_proxy, ALL_PROXY and
-- NO_PROXY in the environment are ignored. `http2` (boolean, default true
-- where libcurl has it): h2 over TLS, concurrent requests multiplexed on one
-- connection; false keeps HTTP/1.1. Numeric options are bounded
-- (README: "Keys, cleartext and proxies").
function M.new(opts)
  local o = options.check(opts)
  return client.new(o, M.VERSION)
end

--- Decode a response body (string) into a page, offline. q may give page
-- and page_size so that page.page / page.page_size / page.has_more are set.
function M.decode(body, q)
  if type(body) ~= "string" then
    require("shoplive.argcheck").raise("shoplive.decode: argument 'body' must be a string, got " .. type(body))
  end
  local p
  if q ~= nil then p = require("shoplive.query").check(q, "shoplive.decode") end
  local resp, msg, why = core.decode_response(body, p and p.page_size)
  if not resp then
    return nil, errors.new{ kind = "decode", attempts = 0, message = why == "records"
      and ("page has more records than page_size " .. p.page_size .. " (protocol error): " .. msg)
      or ("invalid JSON response: " .. msg) }
  end
  local page, err = errors.page_from_resp(resp, p)
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
M.store = store
--- shoplive.limiter.new{ qps = }, .shared_dict{ dict =, qps =, key = },
-- .redis{ url =, qps =, key =, peers = }: for shoplive.new{ limiter = }.
M.limiter = { new = limiter.new, shared_dict = limiter.shared_dict, redis = limiter.redis }

--- The HTML report (shoplive.report loads on first use). See report.lua.
function M.report(records, opts)
  return require("shoplive.report").report(records, opts, M.VERSION)
end

function M.report_file(path, records, opts)
  return require("shoplive.report").report_file(path, records, opts, M.VERSION)
end

return M
