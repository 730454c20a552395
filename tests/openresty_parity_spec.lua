-- The client inside a real nginx with transport = "cosocket" and with
-- transport = "curl", against the same sandbox faults: one table of cases,
-- run through both transports, and each case must end the same way (err
-- kind, status, API code, libcurl code, retryable, attempts, Retry-After,
-- requests/credits/retries/errors in stats, requests the server counted),
-- never showing the key in an err or a debug line.
local env = require("support.env")
local sandbox = require("support.sandbox")
local nginx_tls = require("support.nginx_tls")
local certs = require("support.certs")
local core = require("shoplive.core")

-- GET /run?opts=LUA&q=LUA (table constructors): one client:livestreams(q)
-- with the options, the outcome as JSON.
local LOCATIONS = [[
    location = /run { content_by_lua_block {
      local shoplive = require("shoplive")
      local a = ngx.req.get_uri_args()
      local o = load("return " .. a.opts)()
      local lines = {}
      o.api_key = os.getenv("KEYAPI_API_KEY")
      o.debug = function(l) lines[#lines + 1] = l end
      local c = shoplive.new(o)
      local page, err = c:livestreams(load("return " .. a.q)())
      local st = c:stats()
      local out = { records = page and #page.records, event_driven = c._core.event_driven == true,
        stats = { requests = st.requests, credits = st.credits, retries = st.retries, bytes = st.bytes,
          errors = st.errors },
        debug = table.concat(lines, "\n") }
      c:close()
      if err then
        out.err = { kind = err.kind, status = err.status, code = err.code, curl_code = err.curl_code,
          retryable = err.retryable, attempts = err.attempts, retry_after = err.retry_after,
          message = err.message, cause = err.cause and err.cause.kind, text = tostring(err) }
      end
      ngx.say(require("cjson").encode(out))
    } }
]]

-- name, sandbox fault (nil: none), client options, query, expected kind (nil: a page)
local CASES = {
  { "400", { type = "status", status = 400, count = 5 }, {}, {}, "bad_request" },
  { "401", { type = "status", status = 401, count = 5 }, {}, {}, "auth" },
  { "402", { type = "status", status = 402, count = 5 }, {}, {}, "quota" },
  { "429 with Retry-After, retried", { type = "status", status = 429, retry_after = "1", count = 5 },
    { max_retries = 1 }, {}, "rate_limited" },
  { "500 retried, then the page", { type = "status", status = 500, count = 1 }, { max_retries = 2 }, {}, nil },
  { "timeout", { type = "latency", seconds = 3 }, { timeout = 0.5 }, {}, "timeout" },
  { "too slow (low_speed_limit)", { type = "drip", interval = 0.5 }, { low_speed_limit = 1000, low_speed_time = 1 }, {},
    "timeout" },
  { "an interim 102, then nothing", { type = "raw", name = "interim_stall", status = 102, seconds = 3 },
    { timeout = 0.5 }, {}, "timeout" },
  { "connection refused", nil, { base_url = "refused" }, {}, "transport" },
  { "truncated body, retried", { type = "truncate", count = 5 }, { max_retries = 1 }, {}, "transport" },
  { "bad chunk", { type = "raw", name = "bad_chunk", count = 5 }, {}, {}, "transport" },
  { "missing last chunk", { type = "raw", name = "missing_last_chunk", count = 5 }, {}, {}, "transport" },
  { "bad JSON", { type = "body", name = "truncated_json", count = 5 }, {}, {}, "decode" },
  { "over max_body (Content-Length)", { type = "oversize", bytes = 300000 }, { max_body = 100000 }, {}, "too_large" },
  { "over max_body (chunked)", { type = "oversize", bytes = 300000, length = 0 }, { max_body = 100000 }, {}, "too_large" },
  { "a 300 kB chunked page", { type = "oversize", bytes = 300000, length = 0 }, {}, {}, nil },
  { "more records than page_size", { type = "long_page", records = 20 }, {}, { page_size = 10 }, "decode" },
  { "redirect not followed", { type = "status", status = 302, count = 5 }, {}, {}, "http" },
  { "max_credits: the retry ends as budget", { type = "truncate", count = 5 },
    { max_retries = 3, max_credits = 1 }, {}, "budget" },
  { "the key echoed in an error body", { type = "body", name = "echo_key", status = 400, count = 5 }, {}, {},
    "bad_request" },
  { "huge header", { type = "raw", name = "huge_header", bytes = 200000, count = 5 }, {}, {}, "too_large" },
  { "TLS verified against the test CA", nil, { base_url = "tls" }, {}, nil },
  { "TLS: a certificate of another CA", nil, { base_url = "tls_other" }, {}, "transport" },
}

-- a table of strings, numbers and booleans as a Lua table constructor
local function lua_table(t)
  local parts = {}
  for k, v in pairs(t) do
    parts[#parts + 1] = "[" .. string.format("%q", k) .. "] = "
      .. (type(v) == "string" and string.format("%q", v) or tostring(v))
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- what must be equal between the transports (messages may word a libcurl
-- failure differently; their kind, codes and counts may not differ)
local function comparable(r, sent)
  local e = r.err or {}
  return { records = r.records, kind = e.kind, status = e.status, code = e.code,
    curl_code = e.curl_code, retryable = e.retryable, attempts = e.attempts, retry_after = e.retry_after,
    cause = e.cause, requests = r.stats.requests, credits = r.stats.credits, retries = r.stats.retries,
    errors = r.stats.errors, sent = sent }
end

describe("OpenResty: the cosocket transport behaves as libcurl's #novalgrind #nginx", function()
  local t, sb, other, srv, cert, cert2
  setup(function()
    t = nginx_tls.start{ locations = LOCATIONS }
    sb, srv, cert = t.sb, t.srv, t.cert
    -- TLS with a CA nginx does not trust
    cert2 = certs.make()
    other = sandbox.start{ tls_cert = cert2.cert, tls_key = cert2.key }
  end)
  teardown(function()
    if t then t.stop() end
    if other then other:stop() end
    if cert2 then cert2:remove() end
  end)

  local function base(which)
    local localhost = function(u) return (u:gsub("127%.0%.0%.1", "localhost")) end
    if which == "refused" then
      local s = require("socket").bind("127.0.0.1", 0)
      local _, port = s:getsockname()
      s:close()
      return "http://127.0.0.1:" .. port
    elseif which == "tls" then return localhost(sb.tls_url)
    elseif which == "tls_other" then return localhost(other.tls_url)
    end
    return sb.url
  end

  -- one case through one transport: the outcome and the requests the server saw
  local function run(case, transport)
    sb:reset()
    if case[2] then sb:fault(case[2]) end
    local o = { transport = transport, max_retries = 0, backoff_base = 0.01 }
    for k, v in pairs(case[3]) do o[k] = v end
    o.base_url = base(o.base_url)
    if transport == "curl" and o.base_url:find("^https") then o.ca_file = cert.ca end
    local q = { seller_id = "237" }
    for k, v in pairs(case[4]) do q[k] = v end
    local res = sandbox.raw_get(srv.url, "/run?opts=" .. sandbox.urlencode(lua_table(o))
      .. "&q=" .. sandbox.urlencode(lua_table(q)), nil, 60)
    assert.equals(200, res.status, res.body .. srv.log())
    local r = core.json_decode(res.body)
    assert.equals(transport == "cosocket", r.event_driven)
    return r, sb:stats().requests
  end

  for _, case in ipairs(CASES) do
    it(case[1] .. " -> " .. tostring(case[5] or "a page") .. ", the same through both transports", function()
      local curl, curl_sent = run(case, "curl")
      local co, co_sent = run(case, "cosocket")
      assert.equals(case[5], curl.err and curl.err.kind)
      assert.same(comparable(curl, curl_sent), comparable(co, co_sent), co.err and co.err.message)
      for _, r in ipairs{ curl, co } do
        assert.is_nil((r.err and r.err.text or ""):find(env.KEY, 1, true))
        assert.is_nil(r.debug:find(env.KEY, 1, true))
        -- the request's lines, when one was sent
        if curl_sent > 0 then assert.matches("> Authorization: [REDACTED]", r.debug, 1, true) end
      end
      if case[5] == nil then assert.is_true(co.records > 0) end
    end)
  end
end)
