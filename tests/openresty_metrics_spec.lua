-- /metrics of examples/openresty with two workers: Prometheus text that the
-- strict parser (support/promtext.lua) accepts, holding every worker's
-- clients (labels worker, client), whose counters add up to what the
-- sandbox itself counted, 429s included.
local env = require("support.env")
local openresty = require("support.openresty")
local promtext = require("support.promtext")
local sandbox = require("support.sandbox")

-- The sum of a sample over every series whose labels include `match`.
local function sum(p, name, match)
  local fam = p.families[name:gsub("_bucket$", ""):gsub("_count$", ""):gsub("_sum$", "")]
  local total = 0
  for _, s in ipairs(fam and fam.samples or {}) do
    local ok = s.name == name
    for k, v in pairs(match or {}) do ok = ok and s.labels[k] == v end
    if ok then total = total + s.value end
  end
  return total
end

describe("OpenResty: /metrics #novalgrind #nginx", function()
  local sb, url, stop
  setup(function()
    sb = sandbox.start{}
    url, stop = openresty.start(sb.url, { args = "--workers 2" })
  end)
  teardown(function()
    if stop then stop() end
    if sb then sb:stop() end
  end)

  it("answers Prometheus text of every worker's clients that adds up to the sandbox's counts", function()
    sb:fault{ type = "status", status = 429, retry_after = "0", count = 2 }
    for _ = 1, 4 do
      local code, body = sandbox.get(url .. "/top?seller_id=237&n=25", nil, 30)
      assert.equals(200, code, body)
    end
    local sent = sb:stats()
    local credits = sent.by_status["200"]
    assert.equals(12, credits) -- 3 pages a /top, 4 of them
    assert.equals(14, sent.requests) -- and the two 429s
    -- each worker published its client before answering /top; both workers'
    -- zeros are published by a timer at start (the wait is a safety net for
    -- that timer only: the counts are exact on the first scrape)
    local code, body, headers
    assert.is_true(env.wait_for(function()
      code, body, headers = sandbox.get(url .. "/metrics", nil, 10)
      return code ~= 200 or (body:find('worker="0"', 1, true) and body:find('worker="1"', 1, true)) ~= nil
    end))
    assert.equals(200, code)
    local p = promtext.parse(body)
    assert.equals(sent.requests, sum(p, "shoplive_requests_total"))
    assert.matches("^text/plain; version=0%.0%.4", headers["content-type"])
    assert.equals(credits, sum(p, "shoplive_credits_total"))
    assert.equals(credits, sum(p, "shoplive_credits_total", { client = "async" }))
    assert.equals(2, sum(p, "shoplive_errors_total", { kind = "rate_limited" }))
    assert.equals(2, sum(p, "shoplive_retries_total"))
    assert.equals(sent.requests, sum(p, "shoplive_request_duration_seconds_count"))
    assert.equals(sent.requests, sum(p, "shoplive_request_duration_seconds_bucket", { le = "+Inf" }))
    assert.equals(0, sum(p, "shoplive_cache_hits_total"))
    -- every series says whose it is; the shared limiter's state is there
    for _, fam in pairs(p.families) do
      for _, s in ipairs(fam.samples) do
        assert.is_truthy(s.labels.worker)
        assert.is_truthy(s.labels.client)
      end
    end
    assert.equals(10, promtext.value(p, "shoplive_limiter_qps",
      { worker = "0", client = "shared", limiter = "shared_dict" }))
  end)
end)

describe("shoplive.metrics.publish into a full lua_shared_dict #novalgrind #nginx", function()
  local nginx_lua = require("support.nginx_lua")
  local srv
  setup(function()
    srv = nginx_lua.start{ http = "lua_shared_dict tiny 40k;", locations = [[
      location = /fill { content_by_lua_block {
        local metrics = require("shoplive").metrics
        local d = ngx.shared.tiny
        d:set("limiter_key", "kept")
        local st = { requests = 1, credits = 1, retries = 0, bytes = 10 }
        local err
        for i = 1, 200 do
          local ok, e = metrics.publish(d, st, { labels = { worker = i } })
          if not ok then err = e break end
        end
        ngx.say(tostring(err), "|", tostring(d:get("limiter_key")))
      } }
      location = /metrics { content_by_lua_block {
        ngx.print(require("shoplive").metrics.gather(ngx.shared.tiny))
      } }
    ]] }
  end)
  teardown(function() if srv then srv.stop() end end)

  it("returns nil, err and evicts nothing; what it stored still parses", function()
    local code, body = sandbox.get(srv.url .. "/fill", nil, 10)
    assert.equals(200, code, srv.log())
    assert.equals("shoplive.metrics.publish: no memory|kept\n", body)
    code, body = sandbox.get(srv.url .. "/metrics", nil, 10)
    assert.equals(200, code)
    local p = promtext.parse(body)
    assert.is_true(sum(p, "shoplive_requests_total") >= 1, body)
  end)
end)
