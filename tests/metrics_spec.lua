-- shoplive.metrics: a client's counters as Prometheus text, read back with a
-- strict parser of the text format (tests/support/promtext.lua) that is
-- itself shown to reject malformed exposition first.
local env = require("support.env")
local promtext = require("support.promtext")
local redis_server = require("support.redis_server")
local metrics = env.shoplive.metrics

local tmp = require("support.files").tmpdir()
teardown(function() os.execute("rm -rf " .. tmp) end)

local function rejects(text, why)
  local ok, err = pcall(promtext.parse, text)
  assert.is_false(ok, "accepted: " .. text)
  assert.matches(why, err, 1, true)
end

describe("the promtext parser", function()
  it("accepts the exposition format's own example", function()
    local p = promtext.parse(table.concat({
      "# HELP http_requests_total The total number of HTTP requests.",
      "# TYPE http_requests_total counter",
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      "",
      "# Escaping in label values:",
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      "metric_without_timestamp_and_labels 12.47",
      "# HELP http_request_duration_seconds A histogram of the request duration.",
      "# TYPE http_request_duration_seconds histogram",
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="0.1"} 33444',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      "http_request_duration_seconds_sum 53423",
      "http_request_duration_seconds_count 144320",
      "# TYPE some_gauge gauge",
      "some_gauge -Inf",
      "",
    }, "\n"))
    assert.equals(1027, promtext.value(p, "http_requests_total", { method = "post", code = "200" }))
    assert.equals('Cannot find file:\n"FILE.TXT"',
      p.families.msdos_file_access_time_seconds.samples[1].labels.error)
    assert.equals("C:\\DIR\\FILE.TXT", p.families.msdos_file_access_time_seconds.samples[1].labels.path)
    assert.equals("histogram", p.families.http_request_duration_seconds.type)
    assert.equals(144320, promtext.value(p, "http_request_duration_seconds_bucket", { le = "+Inf" }))
    assert.equals(-math.huge, promtext.value(p, "some_gauge"))
  end)

  it("rejects malformed exposition", function()
    rejects("1abc 1\n", "bad metric name")
    rejects("a-b 1\n", "bad metric name")
    rejects("a 1", "does not end with")
    rejects("a abc\n", "bad value")
    rejects("a 1 2 3\n", "missing value or text after it")
    rejects("a 1 1.5\n", "bad timestamp")
    rejects('a{1x="v"} 1\n', "bad label name")
    rejects('a{__x="v"} 1\n', "reserved label name")
    rejects('a{x="v",x="w"} 1\n', "twice")
    rejects('a{x="v\\t"} 1\n', "bad escape")
    rejects('a{x="v} 1\n', "unterminated")
    rejects('a{x="v" y="w"} 1\n', "expected ','")
    rejects('a{x=v} 1\n', "missing '=\"'")
    rejects("# HELP a x\n# HELP a y\na 1\n", "HELP twice")
    rejects("# HELP a x\\t\na 1\n", "bad escape")
    rejects("# TYPE a counter\n# TYPE a counter\na 1\n", "TYPE twice")
    rejects("# TYPE a countr\na 1\n", "unknown TYPE")
    rejects("a 1\n# TYPE a gauge\n", "after the family's samples")
    rejects('a{x="1"} 1\nb 1\na{x="2"} 1\n', "not one group")
    rejects("a 1\na 2\n", "the same series twice")
    rejects("# TYPE a counter\na -1\n", "counter a is")
    rejects("# TYPE h histogram\nh 1\n", "needs a suffix")
    rejects('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      "below a smaller le")
    rejects('# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', "no le=\"+Inf\"")
    rejects('# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 2\n', "~= _count")
    rejects('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\n', "_sum or _count missing")
    rejects('# TYPE h histogram\nh_bucket{x="1"} 2\nh_sum 1\nh_count 2\n', "without a valid le")
  end)
end)

describe("shoplive.metrics.prometheus arguments", function()
  local client = env.client()
  teardown(function() client:close() end)

  -- every bad argument raises naming it, at this file's line
  local function raises(why, ...)
    local ok, err = pcall(function(...)
      local text = metrics.prometheus(...) -- not a tail call: this line is the caller
      return text
    end, ...)
    assert.is_false(ok)
    assert.matches(why, err, 1, true)
    assert.matches("metrics_spec.lua:%d+:", err)
  end

  it("names the argument", function()
    raises("argument 'source' must be a client or a client:stats() table, got nil")
    raises("argument 'source' must be a client", { credits = 1 })
    raises("argument 'source' has no number 'bytes'", { requests = 1, credits = 1, retries = 0 })
    raises("argument 'source' has a bad 'errors.server'",
      { requests = 1, credits = 1, retries = 0, bytes = 0, errors = { server = "1" } })
    raises("argument 'source' has a bad 'latency'", { requests = 1, credits = 1, retries = 0, bytes = 0, latency = {} })
    raises("argument 'opts' must be a table", client, "shoplive_")
    raises("option 'prefix' must be a string", client, { prefix = "1x_" })
    raises("option 'prefix' must be a string", client, { prefix = 5 })
    raises("option 'labels' must be a table", client, { labels = "worker=1" })
    raises("invalid label name \"__w\"", client, { labels = { __w = "1" } })
    raises("invalid label name \"le\"", client, { labels = { le = "1" } })
    raises("invalid label name \"a-b\"", client, { labels = { ["a-b"] = "1" } })
    raises("value of 'w' must be a string or a number, got table", client, { labels = { w = {} } })
  end)

  it("publish and gather name a dict that is not a lua_shared_dict", function()
    local ok, err = pcall(function()
      local r = metrics.publish({}, client)
      return r
    end)
    assert.is_false(ok)
    assert.matches("shoplive.metrics.publish: argument 'dict' must be a lua_shared_dict", err, 1, true)
    ok, err = pcall(function()
      local r = metrics.gather("shoplive_metrics")
      return r
    end)
    assert.is_false(ok)
    assert.matches("shoplive.metrics.gather: argument 'dict' must be a lua_shared_dict", err, 1, true)
    assert.matches("metrics_spec.lua:%d+:", err)
  end)
end)

describe("shoplive.metrics of a client against the sandbox", function()
  local n = 0
  local function store_client(opts)
    n = n + 1
    local s = env.shoplive.store.open(tmp .. "/m" .. n .. ".db")
    local o = { store = s }
    for k, v in pairs(opts or {}) do o[k] = v end
    return env.client(o), s
  end

  it("exposes requests, credits, retries, 429s by kind, bytes, cache hits and latency as the stats say", function()
    local sb = env.reset()
    local client, s = store_client{ max_retries = 3, qps = 50 }
    sb:fault{ type = "status", status = 429, retry_after = "0", count = 2 }
    local recs = assert(client:all_livestreams{ seller_id = "237", max_pages = 3 })
    assert.equals(30, #recs)
    -- the same pages again come from the store
    assert(client:all_livestreams{ seller_id = "237", max_pages = 3 })
    local st = client:stats()
    local text = metrics.prometheus(client)
    client:close()
    s:close()
    local p = promtext.parse(text)
    local v = function(name, labels) return promtext.value(p, "shoplive_" .. name, labels) end
    -- what the sandbox saw, not only what the client counted
    assert.equals(5, env.requests())
    assert.equals(3, env.credits())
    assert.equals(5, v("requests_total"))
    assert.equals(3, v("credits_total"))
    assert.equals(2, v("retries_total"))
    assert.equals(2, v("errors_total", { kind = "rate_limited" }))
    assert.equals(0, v("errors_total", { kind = "server" }))
    assert.equals(3, v("cache_hits_total"))
    assert.equals(st.bytes, v("response_bytes_total"))
    assert.is_true(st.bytes > 0)
    assert.equals(st.requests, st.credits + st.errors.rate_limited)
    -- the histogram: one observation per request sent
    assert.equals("histogram", p.families.shoplive_request_duration_seconds.type)
    assert.equals(5, v("request_duration_seconds_count"))
    assert.equals(5, v("request_duration_seconds_bucket", { le = "+Inf" }))
    for i, le in ipairs(st.latency.le) do
      assert.equals(st.latency.counts[i], v("request_duration_seconds_bucket", { le = tostring(le) }))
    end
    assert.equals(st.latency.sum, v("request_duration_seconds_sum"))
    assert.equals(50, v("limiter_qps", { limiter = "local" }))
    for _, fam in pairs(p.families) do
      if fam.type == "counter" then assert.matches("_total$", fam.samples[1].name) end
      assert.is_truthy(fam.help)
    end
  end)

  it("observes each request's latency: none of them under the server's delay", function()
    local sb = env.reset()
    sb:config{ latency = 0.25 }
    local client = env.client()
    assert(client:livestreams{ seller_id = "237" })
    assert(client:livestreams{ seller_id = "237", page = 2 })
    local p = promtext.parse(metrics.prometheus(client))
    client:close()
    sb:reset()
    assert.equals(0, promtext.value(p, "shoplive_request_duration_seconds_bucket", { le = "0.2" }))
    assert.equals(2, promtext.value(p, "shoplive_request_duration_seconds_bucket", { le = "+Inf" }))
    assert.is_true(promtext.value(p, "shoplive_request_duration_seconds_sum") >= 0.5)
  end)

  it("counts a server's 5xx by kind, with the caller's labels and prefix", function()
    local sb = env.reset()
    sb:fault{ type = "status", status = 503, retry_after = "0", count = 1 }
    local client = env.client{ max_retries = 0 }
    local page, err = client:livestreams{ seller_id = "237" }
    assert.is_nil(page)
    assert.equals("server", err.kind)
    assert(client:livestreams{ seller_id = "237" })
    local odd = 'a "quoted" \\ path\nand a line'
    local text = metrics.prometheus(client:stats(), { prefix = "keyapi_", labels = { worker = 3, odd = odd } })
    client:close()
    local p = promtext.parse(text)
    local labels = { worker = "3", odd = odd }
    assert.equals(2, promtext.value(p, "keyapi_requests_total", labels))
    assert.equals(1, promtext.value(p, "keyapi_credits_total", labels))
    labels.kind = "server"
    assert.equals(1, promtext.value(p, "keyapi_errors_total", labels))
    assert.is_nil(p.families.shoplive_requests_total)
  end)
end)

describe("shoplive.metrics of requests cancelled in flight", function()
  it("counts them as kind cancelled: requests = pages + errors", function()
    local sb = env.reset()
    sb:config{ latency = 2 }
    local client = env.client()
    local req = client:start{ seller_id = "237" }
    assert.is_true(req:cancel())
    sb:config{ latency = 0 }
    assert(client:livestreams{ seller_id = "237" })
    local p = promtext.parse(metrics.prometheus(client))
    client:close()
    assert.equals(2, promtext.value(p, "shoplive_requests_total"))
    assert.equals(1, promtext.value(p, "shoplive_errors_total", { kind = "cancelled" }))
    -- an answered request is observed; the cancelled one has no latency
    assert.equals(1, promtext.value(p, "shoplive_request_duration_seconds_count"))
  end)
end)

describe("shoplive.metrics of a Redis limiter's state", function()
  local rs
  setup(function() rs = redis_server.start() end)
  teardown(function() if rs then rs.stop() end end)

  it("shows its qps, peers, rate and ceiling, the credits counted in Redis, and its fallback", function()
    local sb = env.reset()
    -- max_credits: the limiter counts credits in Redis (for every process)
    local client = env.client{ max_retries = 2, max_credits = 100,
      limiter = env.shoplive.limiter.redis{ url = rs.url, qps = 20, peers = 2, key = "metrics" } }
    sb:fault{ type = "status", status = 429, retry_after = "0", count = 1 }
    for page = 1, 3 do assert(client:livestreams{ seller_id = "237", page = page }) end
    local st = client:stats()
    local p = promtext.parse(metrics.prometheus(client))
    local function g(name) return promtext.value(p, "shoplive_limiter_" .. name, { limiter = "redis" }) end
    assert.equals(20, g("qps"))
    assert.equals(2, g("peers"))
    assert.equals(env.credits(), g("credits"))
    assert.equals(3, g("credits"))
    assert.equals(redis_server.command(rs.port, "GET shoplive:metrics:credits"), tostring(g("credits")))
    assert.equals(st.limiter.ceiling, g("ceiling"))
    assert.equals(st.limiter.rate, g("rate"))
    assert.equals(0, g("falling_back"))
    assert.equals(1, promtext.value(p, "shoplive_errors_total", { kind = "rate_limited" }))
    -- Redis goes away: the client paces locally and the gauge says so
    rs.stop()
    assert(client:livestreams{ seller_id = "237", page = 4 })
    p = promtext.parse(metrics.prometheus(client))
    client:close()
    assert.equals(1, g("falling_back"))
    assert.equals(5, promtext.value(p, "shoplive_requests_total"))
  end)
end)
