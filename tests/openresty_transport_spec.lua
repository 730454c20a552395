-- The two OpenResty transport prototypes (shoplive.transport.cosocket and
-- shoplive.transport.worker_thread) inside a real nginx + lua module, against
-- the sandbox: a page decodes to the records the libcurl client gets; chunked
-- bodies, keep-alive reuse (connections counted by the sandbox), a pooled
-- connection the server closed, max_body and verified TLS with session reuse.
local env = require("support.env")
local sandbox = require("support.sandbox")
local nginx_lua = require("support.nginx_lua")
local certs = require("support.certs")
local core = require("shoplive.core")

local shoplive = env.shoplive
local PAGE = "?seller_id=237&page_num=2&page_size=10"

-- GET /fetch?via=co|wt&url=...[&max_body=&read=&sni=]: the prototype's answer
-- decoded by shoplive.decode inside nginx, as JSON.
local LOCATIONS = [[
    location = /fetch { content_by_lua_block {
      local shoplive = require("shoplive")
      local a = ngx.req.get_uri_args()
      local key = os.getenv("KEYAPI_API_KEY")
      local out, status, body = {}
      if a.via == "co" then
        local res, kind, msg = require("shoplive.transport.cosocket").get(a.url, {
          headers = { Authorization = "Bearer " .. key, Accept = "application/json" },
          max_body = tonumber(a.max_body), read = tonumber(a.read), server_name = a.sni })
        if not res then return ngx.say(shoplive.encode_record{ kind = kind, message = msg }) end
        status, body = res.status, res.body
        out.reused, out.te = res.reused, res.headers["transfer-encoding"]
      else
        local ok, st, b, connects = ngx.run_worker_thread("shoplive", "shoplive.transport.worker_thread", "get",
          a.url, { api_key = key, timeout = 10 })
        if not ok then error(st) end
        status, body, out.connects = st, b, connects
      end
      local page, err = shoplive.decode(body)
      out.status, out.records, out.err = status, page and page.records, err and tostring(err)
      ngx.say(shoplive.encode_record(out))
    } }
]]

describe("OpenResty transport prototypes #novalgrind", function()
  local sb, srv, cert, want
  setup(function()
    cert = certs.make()
    sb = sandbox.start{ tls_cert = cert.cert, tls_key = cert.key }
    srv = nginx_lua.start{
      main = "thread_pool shoplive threads=1;",
      env = { "KEYAPI_API_KEY" },
      env_assign = "KEYAPI_API_KEY=" .. env.KEY,
      http = "  lua_ssl_trusted_certificate " .. cert.ca .. ";\n  lua_ssl_verify_depth 2;",
      locations = LOCATIONS,
    }
    local client = shoplive.new{ api_key = env.KEY, base_url = sb.url, max_retries = 0 }
    want = assert(client:livestreams{ seller_id = "237", page = 2 }).records
  end)
  teardown(function()
    if srv then srv.stop() end
    if sb then sb:stop() end
    if cert then cert:remove() end
  end)

  local function fetch(via, url, extra)
    local q = "via=" .. via .. "&url=" .. sandbox.urlencode(url) .. (extra or "")
    local res = sandbox.raw_get(srv.url, "/fetch?" .. q, nil, 30)
    assert.equals(200, res.status, res.body .. srv.log())
    return core.json_decode(res.body)
  end

  local function api(base) return (base or sb.url) .. sandbox.API_PATH .. PAGE end

  it("cosocket: a page decodes to the libcurl client's records", function()
    local r = fetch("co", api())
    assert.equals(200, r.status)
    assert.equals(10, #r.records)
    assert.equals(shoplive.to_json(want), shoplive.to_json(r.records))
  end)

  it("cosocket: keep-alive, five pages over one connection", function()
    sb:reset()
    local reused = {}
    for i = 1, 5 do reused[i] = fetch("co", api()).reused end
    assert.equals(5, sb:stats().requests)
    assert.equals(1, sb:stats().connections)
    assert.is_true(reused[5] > reused[1])
  end)

  it("cosocket: a chunked body of many chunks", function()
    sb:reset()
    sb:fault{ type = "oversize", bytes = 300000, length = 0 }
    local r = fetch("co", api())
    assert.equals("chunked", r.te)
    assert.equals(shoplive.to_json(want), shoplive.to_json(r.records))
  end)

  it("cosocket: a connection the server closed after its answer is not used again", function()
    fetch("co", api())
    sb:reset()
    sb:fault{ type = "raw", name = "close_after" }
    assert.equals(shoplive.to_json(want), shoplive.to_json(fetch("co", api()).records))
    local r = fetch("co", api())
    assert.equals(shoplive.to_json(want), shoplive.to_json(r.records))
    assert.equals(2, sb:stats().requests)
    assert.equals(2, sb:stats().connections)
  end)

  it("cosocket: max_body refuses a larger body as too_large", function()
    sb:reset()
    sb:fault{ type = "oversize", bytes = 300000, length = 0 }
    assert.equals("too_large", fetch("co", api(), "&max_body=100000").kind)
    sb:fault{ type = "oversize", bytes = 300000, length = 1 }
    assert.equals("too_large", fetch("co", api(), "&max_body=100000").kind)
  end)

  it("cosocket: a read timeout is kind timeout", function()
    sb:reset()
    sb:fault{ type = "latency", seconds = 3 }
    assert.equals("timeout", fetch("co", api(), "&read=0.3").kind)
  end)

  it("cosocket: TLS verified against the CA, the session resumed on a new connection", function()
    sb:reset()
    sb:fault{ type = "raw", name = "close_after" }
    for _ = 1, 3 do
      assert.equals(shoplive.to_json(want), shoplive.to_json(fetch("co", api(sb.tls_url), "&sni=localhost").records))
    end
    local st = sb:stats()
    assert.equals(2, st.tls_handshakes)
    assert.equals(1, st.tls_resumed)
  end)

  it("worker thread: a page decodes to the libcurl client's records, the connection kept", function()
    sb:reset()
    local r1 = fetch("wt", api())
    local r2 = fetch("wt", api())
    assert.equals(200, r1.status)
    assert.equals(shoplive.to_json(want), shoplive.to_json(r1.records))
    assert.equals(shoplive.to_json(want), shoplive.to_json(r2.records))
    assert.equals(0, r2.connects)
    assert.equals(1, sb:stats().connections)
  end)
end)
