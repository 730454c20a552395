--- The /top handler of examples/openresty/nginx.conf.
local shoplive = require("shoplive")

local M = {}
local clients = {}

function M.init()
  -- wait = ngx.sleep hands every wait (transfers, backoff, pacing) back to
  -- nginx's event loop; the blocking client is for the comparison only.
  clients.async = shoplive.new{ wait = ngx.sleep, timeout = 10 }
  clients.blocking = shoplive.new{ timeout = 10 }
  -- every worker makes its own client; the limiter's state lives in the
  -- lua_shared_dict (or in Redis), so together they keep to one qps
  local qps = tonumber(os.getenv("SHOPLIVE_QPS") or "10")
  clients.shared = shoplive.new{ wait = ngx.sleep, timeout = 10,
    limiter = shoplive.limiter.shared_dict{ dict = "shoplive", qps = qps, key = "acct" } }
  local redis_url = os.getenv("SHOPLIVE_REDIS_URL")
  if redis_url and redis_url ~= "" then
    clients.redis = shoplive.new{ wait = ngx.sleep, timeout = 10,
      limiter = shoplive.limiter.redis{ url = redis_url, qps = qps, key = "acct" } }
  end
end

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.print(body)
end

local STATUS = { auth = 502, quota = 502, rate_limited = 503, timeout = 504, budget = 503 }

function M.handle(blocking, name)
  local args = ngx.req.get_uri_args()
  local seller_id = args.seller_id
  local n = tonumber(args.n or 5)
  if type(seller_id) ~= "string" or not seller_id:find("^%d+$") or not n or n < 1 or n > 100 or n % 1 ~= 0 then
    return reply(400, '{"error":"seller_id (digits) and n (1..100) required"}\n')
  end
  local client = name and clients[name] or blocking and clients.blocking or clients.async
  if not client then return reply(404, '{"error":"no such client here"}\n') end
  -- The server sorts by GMV, so the first ceil(n/10) pages hold the top n.
  local recs, err = client:all_livestreams{ seller_id = seller_id, sort_by = "gmv", order = "desc", limit = n }
  if not recs then
    return reply(STATUS[err.kind] or 502, shoplive.encode_record{ error = tostring(err), kind = err.kind } .. "\n")
  end
  reply(200, shoplive.to_json(shoplive.top(recs, n, "-gmv")))
end

return M
