--- The /top handler of examples/openresty/nginx.conf.
local shoplive = require("shoplive")

local M = {}
local clients = {}

-- transport = "cosocket": the request's coroutine sends and reads through
-- nginx's own sockets, and nginx wakes it when the answer arrives (no
-- poll timer; docs/openresty-transport.md). A shoplive without the option
-- (before 0.5) uses libcurl as before.
local COSOCKET = pcall(require, "shoplive.transport.select") and "cosocket" or nil

function M.init()
  -- wait = ngx.sleep hands every wait (backoff, pacing) back to nginx's
  -- event loop. Without `wait`, the client does the same by itself wherever
  -- nginx allows sleeping (requests, timers); wait = false blocks the
  -- worker (and keeps libcurl), for the comparison only.
  clients.async = shoplive.new{ wait = ngx.sleep, timeout = 10, transport = COSOCKET }
  clients.default = shoplive.new{ timeout = 10 }
  clients.blocking = shoplive.new{ wait = false, timeout = 10 }
  -- every worker makes its own client; the limiter's state lives in the
  -- lua_shared_dict (or in Redis), so together they keep to one qps
  local qps = tonumber(os.getenv("SHOPLIVE_QPS") or "10")
  clients.shared = shoplive.new{ wait = ngx.sleep, timeout = 10, transport = COSOCKET,
    limiter = shoplive.limiter.shared_dict{ dict = "shoplive", qps = qps, key = "acct" } }
  local redis_url = os.getenv("SHOPLIVE_REDIS_URL")
  if redis_url and redis_url ~= "" then
    clients.redis = shoplive.new{ wait = ngx.sleep, timeout = 10, transport = COSOCKET,
      limiter = shoplive.limiter.redis{ url = redis_url, qps = qps, key = "acct" } }
  end
  -- every worker's zeros are in /metrics from the start; a timer, since
  -- the Redis limiter's state is read over a cosocket (none in init_worker)
  ngx.timer.at(0, function(premature) if not premature then M.publish() end end)
end

--- Counters into the shoplive_metrics dict, one snapshot per client,
-- labelled with the worker and the client's name: the client `which`
-- (after a request it served, before answering, so that a scrape that
-- follows the answer sees it), or every client of this worker.
function M.publish(which)
  local dict, worker = ngx.shared.shoplive_metrics, ngx.worker.id()
  for name, client in pairs(clients) do
    if which == nil or which == name then
      local ok, err = shoplive.metrics.publish(dict, client, { labels = { worker = worker, client = name } })
      if not ok then ngx.log(ngx.ERR, err) end
    end
  end
end

--- Content handler of /metrics: Prometheus text of every worker's clients
-- (this worker's fresh, the others' as of their last publish).
function M.metrics()
  M.publish()
  ngx.header["Content-Type"] = shoplive.metrics.CONTENT_TYPE
  ngx.print(shoplive.metrics.gather(ngx.shared.shoplive_metrics))
end

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.print(body)
end

local STATUS = { auth = 502, quota = 502, rate_limited = 503, timeout = 504, budget = 503 }

--- Content handler of /top (which = "async"), /top-default, /top-blocking,
-- /top-shared and /top-redis.
function M.handle(which)
  local args = ngx.req.get_uri_args()
  local seller_id = args.seller_id
  local n = tonumber(args.n or 5)
  if type(seller_id) ~= "string" or not seller_id:find("^%d+$") or not n or n < 1 or n > 1000 or n % 1 ~= 0 then
    return reply(400, '{"error":"seller_id (digits) and n (1..1000) required"}\n')
  end
  local client = clients[which]
  if not client then return reply(404, '{"error":"no such client here"}\n') end
  -- The server sorts by GMV, so the first ceil(n/10) pages hold the top n.
  local recs, err = client:all_livestreams{ seller_id = seller_id, sort_by = "gmv", order = "desc", limit = n }
  M.publish(which)
  if not recs then
    return reply(STATUS[err.kind] or 502, shoplive.encode_record{ error = tostring(err), kind = err.kind } .. "\n")
  end
  reply(200, shoplive.to_json(shoplive.top(recs, n, "-gmv")))
end

--- set_by_lua handler of /count: the number of records on a shop's first
-- page. nginx cannot sleep in set_by_lua, so the default client blocks here.
function M.count(seller_id)
  if type(seller_id) ~= "string" or not seller_id:find("^%d+$") then return "bad seller_id" end
  local page, err = clients.default:livestreams{ seller_id = seller_id, page_size = 3 }
  M.publish("default")
  return page and tostring(#page.records) or tostring(err)
end

--- /top-timer starts the /top work in a timer (ngx.timer.at: nginx can
-- sleep there) with the default client; /top-timer-result shows its answer
-- ("pending" until then).
local timer_result = "none"

function M.start_timer()
  local seller_id = ngx.var.arg_seller_id
  if type(seller_id) ~= "string" or not seller_id:find("^%d+$") then
    return reply(400, '{"error":"seller_id (digits) required"}\n')
  end
  timer_result = "pending"
  local ok, err = ngx.timer.at(0, function(premature)
    if premature then return end
    local recs, ferr = clients.default:all_livestreams{ seller_id = seller_id, sort_by = "gmv", order = "desc", limit = 5 }
    timer_result = recs and tostring(#recs) or tostring(ferr)
    M.publish("default")
  end)
  if not ok then return reply(500, shoplive.encode_record{ error = tostring(err) } .. "\n") end
  reply(202, '{"started":true}\n')
end

function M.timer_result()
  reply(200, shoplive.encode_record{ result = timer_result } .. "\n")
end

return M
