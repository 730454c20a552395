--- A client's counters as Prometheus text (exposition format 0.0.4), for a
-- `/metrics` location. Names and labels follow what nginx-lua-prometheus
-- users know: counters end in `_total`, the latency histogram has
-- cumulative `_bucket{le="..."}` series up to `le="+Inf"`, then `_sum` and
-- `_count`; label values are escaped (`\\`, `\"`, `\n`).
--
-- Several nginx workers: a scrape reaches one worker, so a worker that
-- answered only with its own counters would make the others' series come
-- and go. Each worker `publish`es its snapshot into a `lua_shared_dict`
-- under its own `worker` label and `gather` renders every worker's: each
-- series stays one worker's counter (a restarted worker is a counter reset
-- Prometheus handles; a sum across workers would go backwards), and
-- `sum without (worker)` adds them up in PromQL.
-- @usage local metrics = require("shoplive.metrics")
-- ngx.header["Content-Type"] = metrics.CONTENT_TYPE
-- ngx.print(metrics.prometheus(client, { labels = { worker = ngx.worker.id() } }))
local argcheck = require("shoplive.argcheck")

local M = {}

--- The Content-Type of the text exposition format.
M.CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

-- The latency histogram's upper bounds (seconds): nginx-lua-prometheus's
-- default buckets, then 20 and 30 (the client's default timeout). Fixed:
-- every client's histogram has these bounds.
local BUCKETS = { 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75,
  1, 1.5, 2, 3, 4, 5, 10, 20, 30 }

-- Every err kind a sent request can end with: each is exposed, 0 or not,
-- so that a rate() over a kind that has not happened yet is 0, not absent.
local ERROR_KINDS = { "api", "auth", "bad_request", "cancelled", "decode", "http", "quota",
  "rate_limited", "server", "timeout", "too_large", "transport" }

local floor, huge, format = math.floor, math.huge, string.format

--- A latency histogram's state (the client keeps one).
-- @local
function M.histogram()
  local counts = {}
  for i = 1, #BUCKETS + 1 do counts[i] = 0 end
  return { counts = counts, sum = 0, count = 0 }
end

--- Record one observation (seconds) in h.
-- @local
function M.observe(h, v)
  if type(v) ~= "number" or v ~= v then return end
  local le, i = BUCKETS, 1
  while le[i] and v > le[i] do i = i + 1 end
  h.counts[i] = h.counts[i] + 1
  h.sum, h.count = h.sum + v, h.count + 1
end

--- The stats().latency table of h: cumulative counts per upper bound.
-- @local
function M.snapshot(h)
  local le, cum, acc = {}, {}, 0
  for i, b in ipairs(BUCKETS) do
    acc = acc + h.counts[i]
    le[i], cum[i] = b, acc
  end
  return { le = le, counts = cum, sum = h.sum, count = h.count }
end

-- ---- text ---------------------------------------------------------------

-- A sample value or an le bound: integers without a fraction, other numbers
-- in the fewest digits that read back as the same double.
local function num(v)
  if v ~= v then return "NaN" end
  if v == huge then return "+Inf" end
  if v == -huge then return "-Inf" end
  if v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return format("%d", v) end
  for digits = 15, 17 do
    local s = format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
end

local function escape_label(v)
  return (tostring(v):gsub("[\\\"\n]", { ["\\"] = "\\\\", ["\""] = "\\\"", ["\n"] = "\\n" }))
end

local function escape_help(v)
  return (v:gsub("[\\\n]", { ["\\"] = "\\\\", ["\n"] = "\\n" }))
end

-- base: the caller's labels, already rendered ('worker="1",'); extra: this
-- sample's own, a flat { name, value, name, value } list.
local function sample(out, name, base, extra, value)
  local parts = {}
  for i = 1, #extra, 2 do parts[#parts + 1] = extra[i] .. '="' .. escape_label(extra[i + 1]) .. '"' end
  local labels = base .. table.concat(parts, ",")
  if labels:sub(-1) == "," then labels = labels:sub(1, -2) end
  out[#out + 1] = name .. (labels ~= "" and "{" .. labels .. "}" or "") .. " " .. num(value)
end

-- ---- the families ---------------------------------------------------------

local function counter(suffix, help, field)
  return { suffix = suffix, type = "counter", help = help, emit = function(out, name, base, st)
    sample(out, name, base, {}, st[field] or 0)
  end }
end

local function errors_family()
  return { suffix = "errors_total", type = "counter",
    help = "Requests sent that failed, by err kind (every attempt, a retried one too).",
    emit = function(out, name, base, st)
      local errs, kinds, seen = st.errors or {}, {}, {}
      for _, k in ipairs(ERROR_KINDS) do kinds[#kinds + 1], seen[k] = k, true end
      local more = {}
      for k in pairs(errs) do if not seen[k] then more[#more + 1] = tostring(k) end end
      table.sort(more)
      for _, k in ipairs(more) do kinds[#kinds + 1] = k end
      for _, k in ipairs(kinds) do sample(out, name, base, { "kind", k }, errs[k] or 0) end
    end }
end

local function latency_family()
  return { suffix = "request_duration_seconds", type = "histogram",
    help = "Seconds each request sent to the API took (libcurl's total time; every attempt).",
    emit = function(out, name, base, st)
      local h = st.latency or M.snapshot(M.histogram())
      for i, b in ipairs(h.le) do sample(out, name .. "_bucket", base, { "le", num(b) }, h.counts[i]) end
      sample(out, name .. "_bucket", base, { "le", "+Inf" }, h.count)
      sample(out, name .. "_sum", base, {}, h.sum)
      sample(out, name .. "_count", base, {}, h.count)
    end }
end

-- A limiter gauge; absent when the limiter does not report the field,
-- unless it is of kind zero_for (a flag it leaves out when false).
local function gauge(suffix, help, field, zero_for)
  return { suffix = suffix, type = "gauge", help = help, emit = function(out, name, base, st)
    local l = st.limiter
    local v = l and l[field]
    if v == nil and l and l.kind == zero_for then v = 0 end
    if type(v) == "boolean" then v = v and 1 or 0 end
    if type(v) == "number" then sample(out, name, base, { "limiter", l.kind or "local" }, v) end
  end }
end

local FAMILIES = {
  counter("requests_total", "Requests sent to the API (retries included; cache hits not).", "requests"),
  counter("credits_total", "Credits spent: requests the API answered with HTTP 200.", "credits"),
  counter("retries_total", "Extra attempts after a retryable failure.", "retries"),
  errors_family(),
  counter("response_bytes_total", "Response body bytes received.", "bytes"),
  counter("cache_hits_total", "Queries answered from the store's page cache (no credit).", "cache_hits"),
  latency_family(),
  gauge("limiter_qps", "The configured requests/second of the client's limiter.", "qps"),
  gauge("limiter_rate", "The requests/second the limiter paces to now.", "rate"),
  gauge("limiter_ceiling", "A rate the API refused with 429 (the limiter stays below it).", "ceiling"),
  gauge("limiter_credits", "Credits counted in the shared limiter's backend (every worker).", "credits"),
  gauge("limiter_peers", "Processes sharing the Redis limiter.", "peers"),
  gauge("limiter_falling_back", "1 while the Redis limiter paces locally (Redis unreachable).",
    "falling_back", "redis"),
}

-- ---- arguments ------------------------------------------------------------

local NAME = "^[%a_:][%w_:]*$"
local LABEL = "^[%a_][%w_]*$"
local RESERVED = { le = true, kind = true, limiter = true }

local function check_stats(where, src)
  local st = src
  if type(src) == "table" and type(src.stats) == "function" then st = src:stats() end
  if type(st) ~= "table" or type(st.requests) ~= "number" then
    argcheck.raise(where .. ": argument 'source' must be a client or a client:stats() table, got "
      .. type(src))
  end
  for _, f in ipairs({ "credits", "retries", "bytes" }) do
    if type(st[f]) ~= "number" then
      argcheck.raise(where .. ": argument 'source' has no number '" .. f .. "' (a client:stats() table?)")
    end
  end
  local bad = st.cache_hits ~= nil and type(st.cache_hits) ~= "number" and "cache_hits"
  for k, v in pairs(type(st.errors) == "table" and st.errors or {}) do
    if type(v) ~= "number" then bad = "errors." .. tostring(k) end
  end
  if st.errors ~= nil and type(st.errors) ~= "table" then bad = "errors" end
  local h = st.latency
  if h ~= nil and (type(h) ~= "table" or type(h.le) ~= "table" or type(h.counts) ~= "table"
      or type(h.sum) ~= "number" or type(h.count) ~= "number") then
    bad = "latency"
  end
  if bad then
    argcheck.raise(where .. ": argument 'source' has a bad '" .. bad .. "' (a client:stats() table?)")
  end
  return st
end

-- opts -> prefix, rendered base labels ('a="1",b="x",')
local function check_opts(where, opts)
  if opts == nil then return "shoplive_", "" end
  if type(opts) ~= "table" then
    argcheck.raise(where .. ": argument 'opts' must be a table ({ prefix =, labels = }), got " .. type(opts))
  end
  local prefix = opts.prefix == nil and "shoplive_" or opts.prefix
  if type(prefix) ~= "string" or (prefix ~= "" and not prefix:find(NAME)) then
    argcheck.raise(where .. ": option 'prefix' must be a string of letters, digits, '_' and ':'"
      .. " not starting with a digit, got " .. (type(prefix) == "string" and format("%q", prefix) or type(prefix)))
  end
  local labels = opts.labels
  if labels ~= nil and type(labels) ~= "table" then
    argcheck.raise(where .. ": option 'labels' must be a table of label = value, got " .. type(labels))
  end
  local names = {}
  for k, v in pairs(labels or {}) do
    if type(k) ~= "string" or not k:find(LABEL) or k:sub(1, 2) == "__" or RESERVED[k] then
      argcheck.raise(where .. ": option 'labels' has an invalid label name " .. format("%q", tostring(k))
        .. " (letters, digits, '_'; not starting with a digit or '__'; not le, kind, limiter)")
    end
    if type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean" then
      argcheck.raise(where .. ": option 'labels' value of '" .. k .. "' must be a string or a number, got " .. type(v))
    end
    names[#names + 1] = k
  end
  table.sort(names)
  local base = {}
  for i, k in ipairs(names) do base[i] = k .. '="' .. escape_label(labels[k]) .. '",' end
  return prefix, table.concat(base)
end

local function header(name, fam)
  return "# HELP " .. name .. " " .. escape_help(fam.help) .. "\n# TYPE " .. name .. " " .. fam.type .. "\n"
end

-- ---- public ---------------------------------------------------------------

--- A client's counters as Prometheus text.
-- @tparam table source a client, or a `client:stats()` table
-- @tparam[opt] table opts `prefix` (default `"shoplive_"`), `labels` (a table
-- of label = value added to every sample, e.g. `{ worker = ngx.worker.id() }`)
-- @treturn string the exposition text (serve it with `metrics.CONTENT_TYPE`)
-- @usage print(shoplive.metrics.prometheus(client, { labels = { app = "top" } }))
function M.prometheus(source, opts)
  local st = check_stats("shoplive.metrics.prometheus", source)
  local prefix, base = check_opts("shoplive.metrics.prometheus", opts)
  local out = {}
  for _, fam in ipairs(FAMILIES) do
    local name, lines = prefix .. fam.suffix, {}
    fam.emit(lines, name, base, st)
    if #lines > 0 then out[#out + 1] = header(name, fam) .. table.concat(lines, "\n") .. "\n" end
  end
  return table.concat(out)
end

local KEY = "shoplive_metrics\t"

--- Store a client's counters in an nginx `lua_shared_dict` for `gather`.
-- Call it in every worker (a timer, and in the `/metrics` handler itself);
-- `opts.labels` must tell the workers' clients apart (default
-- `{ worker = ngx.worker.id() }` inside nginx). The snapshot replaces the
-- previous one of the same labels.
-- @tparam table dict the shared dict (`ngx.shared.NAME`)
-- @tparam table source a client, or a `client:stats()` table
-- @tparam[opt] table opts as for `prometheus`
-- @treturn[1] true
-- @treturn[2] nil when the dict is full
-- @treturn[2] string the dict's message
-- @usage shoplive.metrics.publish(ngx.shared.shoplive_metrics, client, { labels = { worker = ngx.worker.id() } })
function M.publish(dict, source, opts)
  local where = "shoplive.metrics.publish"
  if type(dict) ~= "table" and type(dict) ~= "userdata" or not dict.set then
    argcheck.raise(where .. ": argument 'dict' must be a lua_shared_dict (ngx.shared.NAME), got " .. type(dict))
  end
  local st = check_stats(where, source)
  local ngx = rawget(_G, "ngx")
  if opts == nil and type(ngx) == "table" and ngx.worker then opts = { labels = { worker = ngx.worker.id() } } end
  local prefix, base = check_opts(where, opts)
  for i, fam in ipairs(FAMILIES) do
    local name, lines = prefix .. fam.suffix, {}
    fam.emit(lines, name, base, st)
    -- the family's place and name lead the key: gather sorts keys into families
    local key = KEY .. format("%02d", i) .. "\t" .. name .. "\t" .. base
    if #lines > 0 then
      -- safe_set: a full dict refuses, where set would evict another
      -- worker's snapshot or a limiter's key sharing the dict
      local text = header(name, fam) .. "\0" .. table.concat(lines, "\n") .. "\n"
      local ok, err = (dict.safe_set or dict.set)(dict, key, text)
      if not ok then return nil, "shoplive.metrics.publish: " .. tostring(err) end
    else
      dict:delete(key) -- a gauge the limiter stopped reporting
    end
  end
  return true
end

--- Every snapshot `publish` stored in dict, as one Prometheus text: each
-- family once, with the samples of every worker.
-- @tparam table dict the shared dict (`ngx.shared.NAME`)
-- @treturn string the exposition text
-- @usage ngx.header["Content-Type"] = shoplive.metrics.CONTENT_TYPE
-- ngx.print(shoplive.metrics.gather(ngx.shared.shoplive_metrics))
function M.gather(dict)
  if type(dict) ~= "table" and type(dict) ~= "userdata" or not dict.get_keys then
    argcheck.raise("shoplive.metrics.gather: argument 'dict' must be a lua_shared_dict (ngx.shared.NAME), got "
      .. type(dict))
  end
  local keys = {}
  for _, k in ipairs(dict:get_keys(0)) do
    if k:sub(1, #KEY) == KEY then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local out, family = {}, nil
  for _, k in ipairs(keys) do
    local v = dict:get(k)
    if v then
      local head, lines = v:match("^(.-)%z(.*)$")
      local fam = k:match("^[^\t]*\t[^\t]*\t([^\t]*)\t")
      if fam ~= family then out[#out + 1], family = head, fam end
      out[#out + 1] = lines
    end
  end
  return table.concat(out)
end

return M
